//! Full-text search over packages and catalogs.
//!
//! The indexes are derived data, kept in step with `packages` and `catalogs` by triggers, so
//! that every way a row is written (the server, `restore`, a hand-made fix) keeps search right.
//! Each engine uses its own tool:
//!
//! - SQLite: FTS5 tables over the rows (`packages_fts`, `catalogs_fts`, Porter-stemmed words),
//!   and `packages_names_fts` with the trigram tokenizer, which answers substring matches on
//!   slugs and names from an index.
//! - PostgreSQL: `packages_fts` and `catalogs_fts` tables holding one weighted `tsvector` per row
//!   with GIN indexes, and `pg_trgm` indexes for the substring matches.
//!
//! The triggers fire only when a searched column changes, so counting views and fetches does
//! not rewrite the index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let script = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => SQLITE_UP,
            DatabaseBackend::Postgres => POSTGRES_UP,
            other => return Err(DbErr::Migration(format!("{other:?} is not supported"))),
        };
        manager.get_connection().execute_unprepared(script).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let script = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => SQLITE_DOWN,
            DatabaseBackend::Postgres => POSTGRES_DOWN,
            other => return Err(DbErr::Migration(format!("{other:?} is not supported"))),
        };
        manager.get_connection().execute_unprepared(script).await?;
        Ok(())
    }
}

const SQLITE_UP: &str = r#"
CREATE VIRTUAL TABLE packages_fts USING fts5(
    slug, display_name, description, readme_markdown,
    content = 'packages', content_rowid = 'id', tokenize = 'porter unicode61'
);
CREATE VIRTUAL TABLE packages_names_fts USING fts5(
    slug, display_name,
    content = 'packages', content_rowid = 'id', tokenize = 'trigram'
);
CREATE VIRTUAL TABLE catalogs_fts USING fts5(
    slug, display_name, description,
    content = 'catalogs', content_rowid = 'id', tokenize = 'porter unicode61'
);

CREATE TRIGGER packages_fts_insert AFTER INSERT ON packages BEGIN
    INSERT INTO packages_fts (rowid, slug, display_name, description, readme_markdown)
        VALUES (new.id, new.slug, new.display_name, new.description, new.readme_markdown);
    INSERT INTO packages_names_fts (rowid, slug, display_name)
        VALUES (new.id, new.slug, new.display_name);
END;
CREATE TRIGGER packages_fts_delete AFTER DELETE ON packages BEGIN
    INSERT INTO packages_fts (packages_fts, rowid, slug, display_name, description, readme_markdown)
        VALUES ('delete', old.id, old.slug, old.display_name, old.description, old.readme_markdown);
    INSERT INTO packages_names_fts (packages_names_fts, rowid, slug, display_name)
        VALUES ('delete', old.id, old.slug, old.display_name);
END;
CREATE TRIGGER packages_fts_update
AFTER UPDATE OF slug, display_name, description, readme_markdown ON packages BEGIN
    INSERT INTO packages_fts (packages_fts, rowid, slug, display_name, description, readme_markdown)
        VALUES ('delete', old.id, old.slug, old.display_name, old.description, old.readme_markdown);
    INSERT INTO packages_names_fts (packages_names_fts, rowid, slug, display_name)
        VALUES ('delete', old.id, old.slug, old.display_name);
    INSERT INTO packages_fts (rowid, slug, display_name, description, readme_markdown)
        VALUES (new.id, new.slug, new.display_name, new.description, new.readme_markdown);
    INSERT INTO packages_names_fts (rowid, slug, display_name)
        VALUES (new.id, new.slug, new.display_name);
END;

CREATE TRIGGER catalogs_fts_insert AFTER INSERT ON catalogs BEGIN
    INSERT INTO catalogs_fts (rowid, slug, display_name, description)
        VALUES (new.id, new.slug, new.display_name, new.description);
END;
CREATE TRIGGER catalogs_fts_delete AFTER DELETE ON catalogs BEGIN
    INSERT INTO catalogs_fts (catalogs_fts, rowid, slug, display_name, description)
        VALUES ('delete', old.id, old.slug, old.display_name, old.description);
END;
CREATE TRIGGER catalogs_fts_update
AFTER UPDATE OF slug, display_name, description ON catalogs BEGIN
    INSERT INTO catalogs_fts (catalogs_fts, rowid, slug, display_name, description)
        VALUES ('delete', old.id, old.slug, old.display_name, old.description);
    INSERT INTO catalogs_fts (rowid, slug, display_name, description)
        VALUES (new.id, new.slug, new.display_name, new.description);
END;

INSERT INTO packages_fts (packages_fts) VALUES ('rebuild');
INSERT INTO packages_names_fts (packages_names_fts) VALUES ('rebuild');
INSERT INTO catalogs_fts (catalogs_fts) VALUES ('rebuild');
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER IF EXISTS packages_fts_insert;
DROP TRIGGER IF EXISTS packages_fts_delete;
DROP TRIGGER IF EXISTS packages_fts_update;
DROP TRIGGER IF EXISTS catalogs_fts_insert;
DROP TRIGGER IF EXISTS catalogs_fts_delete;
DROP TRIGGER IF EXISTS catalogs_fts_update;
DROP TABLE IF EXISTS packages_fts;
DROP TABLE IF EXISTS packages_names_fts;
DROP TABLE IF EXISTS catalogs_fts;
"#;

// Weights: names A, description B, README C. The README is cut at 200,000 characters, well
// inside the 1 MB a tsvector may hold.
const POSTGRES_UP: &str = r#"
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE packages_fts (
    package_id bigint PRIMARY KEY REFERENCES packages (id) ON DELETE CASCADE,
    document tsvector NOT NULL
);
CREATE INDEX packages_fts_document ON packages_fts USING gin (document);

CREATE TABLE catalogs_fts (
    catalog_id bigint PRIMARY KEY REFERENCES catalogs (id) ON DELETE CASCADE,
    document tsvector NOT NULL
);
CREATE INDEX catalogs_fts_document ON catalogs_fts USING gin (document);

CREATE FUNCTION packages_fts_document(p packages) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
    SELECT setweight(to_tsvector('english', coalesce(p.slug, '')), 'A')
        || setweight(to_tsvector('english', coalesce(p.display_name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(p.description, '')), 'B')
        || setweight(to_tsvector('english', left(coalesce(p.readme_markdown, ''), 200000)), 'C')
$$;

CREATE FUNCTION catalogs_fts_document(c catalogs) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
    SELECT setweight(to_tsvector('english', coalesce(c.slug, '')), 'A')
        || setweight(to_tsvector('english', coalesce(c.display_name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(c.description, '')), 'B')
$$;

CREATE FUNCTION packages_fts_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO packages_fts (package_id, document) VALUES (NEW.id, packages_fts_document(NEW))
    ON CONFLICT (package_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END
$$;

CREATE FUNCTION catalogs_fts_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalogs_fts (catalog_id, document) VALUES (NEW.id, catalogs_fts_document(NEW))
    ON CONFLICT (catalog_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END
$$;

CREATE TRIGGER packages_fts_refresh
AFTER INSERT OR UPDATE OF slug, display_name, description, readme_markdown ON packages
FOR EACH ROW EXECUTE FUNCTION packages_fts_refresh();

CREATE TRIGGER catalogs_fts_refresh
AFTER INSERT OR UPDATE OF slug, display_name, description ON catalogs
FOR EACH ROW EXECUTE FUNCTION catalogs_fts_refresh();

INSERT INTO packages_fts (package_id, document) SELECT id, packages_fts_document(p) FROM packages p;
INSERT INTO catalogs_fts (catalog_id, document) SELECT id, catalogs_fts_document(c) FROM catalogs c;

CREATE INDEX packages_slug_trgm ON packages USING gin (lower(slug) gin_trgm_ops);
CREATE INDEX packages_display_name_trgm ON packages USING gin (lower(display_name) gin_trgm_ops);
CREATE INDEX catalogs_display_name_trgm ON catalogs USING gin (lower(display_name) gin_trgm_ops);
CREATE INDEX catalogs_slug_key_prefix ON catalogs (slug_key text_pattern_ops);
CREATE INDEX users_username_key_prefix ON users (username_key text_pattern_ops);
"#;

const POSTGRES_DOWN: &str = r#"
DROP INDEX IF EXISTS users_username_key_prefix;
DROP INDEX IF EXISTS catalogs_slug_key_prefix;
DROP INDEX IF EXISTS catalogs_display_name_trgm;
DROP INDEX IF EXISTS packages_display_name_trgm;
DROP INDEX IF EXISTS packages_slug_trgm;
DROP TRIGGER IF EXISTS packages_fts_refresh ON packages;
DROP TRIGGER IF EXISTS catalogs_fts_refresh ON catalogs;
DROP FUNCTION IF EXISTS packages_fts_refresh();
DROP FUNCTION IF EXISTS catalogs_fts_refresh();
DROP TABLE IF EXISTS packages_fts;
DROP TABLE IF EXISTS catalogs_fts;
DROP FUNCTION IF EXISTS packages_fts_document(packages);
DROP FUNCTION IF EXISTS catalogs_fts_document(catalogs);
"#;
