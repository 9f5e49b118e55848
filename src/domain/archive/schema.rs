//! The tables an archive covers, read from the live schema of either engine.
//!
//! Nothing here lists tables by name except the derived search indexes: whatever table a
//! migration adds is found in `sqlite_master`'s table list or `information_schema` and goes
//! into the archive without a change here.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

use super::manifest::{Column, Kind};

/// Tables filled by triggers from other tables (see the search migration): rebuilt on load,
/// so never archived. On SQLite their FTS5 shadow tables are skipped too.
pub const DERIVED_TABLES: [&str; 3] = ["packages_fts", "packages_names_fts", "catalogs_fts"];

/// The migration bookkeeping table; the manifest records the latest applied migration instead.
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// One archived table as the live schema describes it.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Primary-key columns, for a stable row order.
    pub primary_key: Vec<String>,
}

/// Every table to archive, parents before children so that rows load in this order without
/// breaking a foreign key.
pub async fn archived_tables(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Table>> {
    let names = table_names(db).await?;
    let parents = foreign_keys(db, &names).await?;
    let ordered = parents_first(&names, &parents)?;

    let mut tables = Vec::with_capacity(ordered.len());
    for name in ordered {
        let (columns, primary_key) = columns(db, &name).await?;
        tables.push(Table {
            name,
            columns,
            primary_key,
        });
    }
    Ok(tables)
}

/// Names of the ordinary tables in the current schema, less derived and bookkeeping ones.
pub async fn table_names(db: &impl ConnectionTrait) -> Result<BTreeSet<String>, DbErr> {
    let sql = match db.get_database_backend() {
        // `pragma_table_list` tells FTS5's shadow tables (`shadow`) and the FTS tables
        // themselves (`virtual`) apart from ordinary ones.
        DatabaseBackend::Sqlite => {
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        }
        _ => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let rows = query(db, sql, vec![]).await?;
    let mut names = BTreeSet::new();
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        if name != MIGRATIONS_TABLE && !DERIVED_TABLES.contains(&name.as_str()) {
            names.insert(name);
        }
    }
    Ok(names)
}

/// For each table, the archived tables its foreign keys point at.
async fn foreign_keys(
    db: &impl ConnectionTrait,
    names: &BTreeSet<String>,
) -> Result<BTreeMap<String, BTreeSet<String>>, DbErr> {
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let pairs: Vec<(String, String)> = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let mut pairs = Vec::new();
            for name in names {
                let sql = "SELECT \"table\" FROM pragma_foreign_key_list(?)";
                for row in query(db, sql, vec![name.clone().into()]).await? {
                    pairs.push((name.clone(), row.try_get_by_index(0)?));
                }
            }
            pairs
        }
        _ => {
            let sql = "SELECT child.relname::text, parent.relname::text FROM pg_constraint c \
                       JOIN pg_class child ON child.oid = c.conrelid \
                       JOIN pg_class parent ON parent.oid = c.confrelid \
                       JOIN pg_namespace n ON n.oid = child.relnamespace \
                       WHERE c.contype = 'f' AND n.nspname = current_schema()";
            let rows = query(db, sql, vec![]).await?;
            let mut pairs = Vec::new();
            for row in rows {
                pairs.push((row.try_get_by_index(0)?, row.try_get_by_index(1)?));
            }
            pairs
        }
    };
    for (child, parent) in pairs {
        if child != parent && names.contains(&child) && names.contains(&parent) {
            parents.entry(child).or_default().insert(parent);
        }
    }
    Ok(parents)
}

/// Orders tables so that every table comes after the tables it references; among tables that
/// are free to go, alphabetical, so the order is the same on both engines.
fn parents_first(
    names: &BTreeSet<String>,
    parents: &BTreeMap<String, BTreeSet<String>>,
) -> anyhow::Result<Vec<String>> {
    let mut placed: Vec<String> = Vec::with_capacity(names.len());
    let mut left: BTreeSet<&String> = names.iter().collect();
    while !left.is_empty() {
        let ready = left.iter().copied().find(|name| {
            parents
                .get(*name)
                .is_none_or(|of| of.iter().all(|p| placed.contains(p)))
        });
        let Some(ready) = ready else {
            anyhow::bail!("the foreign keys between {left:?} form a cycle; they cannot be loaded");
        };
        left.remove(ready);
        placed.push(ready.clone());
    }
    Ok(placed)
}

/// A table's columns in declared order, each with its engine-neutral kind, and its primary key.
async fn columns(
    db: &impl ConnectionTrait,
    table: &str,
) -> anyhow::Result<(Vec<Column>, Vec<String>)> {
    let backend = db.get_database_backend();
    let (sql, primary_key_sql) = match backend {
        DatabaseBackend::Sqlite => (
            "SELECT name, type FROM pragma_table_info(?) ORDER BY cid",
            "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
        ),
        _ => (
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
             WHERE i.indrelid = quote_ident($1)::regclass AND i.indisprimary",
        ),
    };

    let mut columns = Vec::new();
    for row in query(db, sql, vec![table.into()]).await? {
        let name: String = row.try_get_by_index(0)?;
        let declared: String = row.try_get_by_index(1)?;
        let kind = kind_of(&declared).ok_or_else(|| {
            anyhow::anyhow!(
                "column {table}.{name} has the type `{declared}`, which backups cannot carry yet"
            )
        })?;
        columns.push(Column { name, kind });
    }

    let mut primary_key = Vec::new();
    for row in query(db, primary_key_sql, vec![table.into()]).await? {
        primary_key.push(row.try_get_by_index(0)?);
    }
    Ok((columns, primary_key))
}

/// The engine-neutral kind of a declared column type: SQLite's declared names (as sea-query
/// writes them, e.g. `timestamp_with_timezone_text`, `json_text`) and PostgreSQL's
/// `information_schema` names.
pub fn kind_of(declared: &str) -> Option<Kind> {
    let t = declared.to_ascii_lowercase();
    let kind = if t.contains("bool") {
        Kind::Boolean
    } else if t.contains("timestamp") || t.contains("datetime") {
        Kind::Timestamp
    } else if t.contains("json") {
        Kind::Json
    } else if t.contains("int") || t == "serial" || t == "bigserial" {
        Kind::Integer
    } else if t.contains("char") || t.contains("text") || t.contains("clob") || t == "uuid" {
        Kind::Text
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") || t == "numeric" {
        Kind::Float
    } else if t.contains("blob") || t == "bytea" || t.contains("binary") {
        Kind::Bytes
    } else {
        return None;
    };
    Some(kind)
}

/// Whether any archived table holds a row.
pub async fn holds_rows(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    for name in table_names(db).await? {
        let sql = format!("SELECT 1 FROM {} LIMIT 1", quote(&name));
        if !query(db, &sql, vec![]).await?.is_empty() {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// The name of the latest applied migration, if the migrations table exists and has one.
pub async fn latest_migration(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    let exists = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'"
        }
        _ => {
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() \
              AND table_name = 'seaql_migrations'"
        }
    };
    if query(db, exists, vec![]).await?.is_empty() {
        return Ok(None);
    }
    let latest = "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1";
    match query(db, latest, vec![]).await?.first() {
        Some(row) => Ok(Some(row.try_get_by_index(0)?)),
        None => Ok(None),
    }
}

/// After rows were loaded with their own ids, moves PostgreSQL's id sequences past them so the
/// next insert does not collide. SQLite's `AUTOINCREMENT` follows explicit ids by itself.
pub async fn reset_sequences(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let sql = "SELECT table_name::text, column_name::text FROM information_schema.columns \
               WHERE table_schema = current_schema() \
               AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')";
    for row in query(db, sql, vec![]).await? {
        let table: String = row.try_get_by_index(0)?;
        let column: String = row.try_get_by_index(1)?;
        let reset = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), \
             COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)",
            c = quote(&column),
            t = quote(&table),
        );
        query(db, &reset, vec![quote(&table).into(), column.into()]).await?;
    }
    Ok(())
}

/// An identifier quoted for both engines.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

async fn query(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    db.query_all_raw(statement).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_of_both_engines_have_a_kind() {
        for (declared, kind) in [
            ("integer", Kind::Integer),
            ("bigint", Kind::Integer),
            ("varchar(39)", Kind::Text),
            ("character varying", Kind::Text),
            ("text", Kind::Text),
            ("boolean", Kind::Boolean),
            ("timestamp_with_timezone_text", Kind::Timestamp),
            ("timestamp with time zone", Kind::Timestamp),
            ("json_text", Kind::Json),
            ("jsonb", Kind::Json),
            ("blob", Kind::Bytes),
            ("bytea", Kind::Bytes),
            ("double precision", Kind::Float),
        ] {
            assert_eq!(kind_of(declared), Some(kind), "{declared}");
        }
        assert_eq!(kind_of("tsvector"), None);
    }

    #[test]
    fn parents_come_before_their_children() {
        let names: BTreeSet<String> = ["api_keys", "users", "catalogs", "packages"]
            .map(String::from)
            .into();
        let mut parents = BTreeMap::new();
        parents.insert("api_keys".to_owned(), BTreeSet::from(["users".to_owned()]));
        parents.insert(
            "packages".to_owned(),
            BTreeSet::from(["catalogs".to_owned()]),
        );
        parents.insert("catalogs".to_owned(), BTreeSet::from(["users".to_owned()]));
        let order = parents_first(&names, &parents).unwrap();
        assert_eq!(order, ["users", "api_keys", "catalogs", "packages"]);
    }

    #[test]
    fn a_cycle_of_foreign_keys_is_reported() {
        let names: BTreeSet<String> = ["a", "b"].map(String::from).into();
        let mut parents = BTreeMap::new();
        parents.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
        parents.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
        assert!(parents_first(&names, &parents).is_err());
    }
}
