//! Rows in their engine-neutral form: read from one engine into JSON lines, written from JSON
//! lines into the other. [`super::manifest::Kind`] documents each column kind's JSON form.

use std::io::{BufRead, Write};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, QueryResult, Statement, StreamTrait,
};
use serde_json::Value;
use tokio::runtime::Handle;

use super::manifest::{Column, Kind};
use super::schema::{Table, quote};

/// Bound parameters per `INSERT`, well under SQLite's and PostgreSQL's limits.
const PARAMETERS_PER_INSERT: usize = 8_000;

/// Streams every row of `table`, in primary-key order, as JSON lines into `out`; calls
/// `each_row` with every row as written. Returns the row count.
pub fn dump(
    handle: &Handle,
    txn: &DatabaseTransaction,
    table: &Table,
    out: &mut impl Write,
    mut each_row: impl FnMut(&[Value], u64),
) -> anyhow::Result<u64> {
    let backend = ConnectionTrait::get_database_backend(txn);
    let select: Vec<String> = table
        .columns
        .iter()
        .map(|c| select_expression(backend, c))
        .collect();
    let mut sql = format!("SELECT {} FROM {}", select.join(", "), quote(&table.name));
    if !table.primary_key.is_empty() {
        let keys: Vec<String> = table.primary_key.iter().map(|k| quote(k)).collect();
        sql.push_str(&format!(" ORDER BY {}", keys.join(", ")));
    }

    let mut stream = handle.block_on(txn.stream_raw(Statement::from_string(backend, sql)))?;
    let mut count = 0;
    let mut line = Vec::new();
    while let Some(row) = handle.block_on(stream.next()) {
        let row = row?;
        let values = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| read_cell(&row, i, column))
            .collect::<anyhow::Result<Vec<Value>>>()
            .with_context(|| format!("reading a row of {}", table.name))?;
        line.clear();
        serde_json::to_writer(&mut line, &values)?;
        line.push(b'\n');
        out.write_all(&line)?;
        each_row(&values, line.len() as u64);
        count += 1;
    }
    Ok(count)
}

/// PostgreSQL answers each kind in one wire type whatever the declared width; SQLite's values
/// are read as stored.
fn select_expression(backend: DatabaseBackend, column: &Column) -> String {
    let name = quote(&column.name);
    if backend != DatabaseBackend::Postgres {
        return name;
    }
    match column.kind {
        Kind::Integer => format!("{name}::bigint"),
        Kind::Float => format!("{name}::double precision"),
        Kind::Text | Kind::Json => format!("{name}::text"),
        Kind::Timestamp => format!("{name}::timestamptz"),
        Kind::Boolean | Kind::Bytes => name,
    }
}

fn read_cell(row: &QueryResult, i: usize, column: &Column) -> anyhow::Result<Value> {
    let value =
        match column.kind {
            Kind::Integer => row.try_get_by_index::<Option<i64>>(i)?.map(Value::from),
            Kind::Float => row
                .try_get_by_index::<Option<f64>>(i)?
                .map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            Kind::Text => row.try_get_by_index::<Option<String>>(i)?.map(Value::from),
            Kind::Boolean => row.try_get_by_index::<Option<bool>>(i)?.map(Value::from),
            Kind::Timestamp => row
                .try_get_by_index::<Option<DateTime<Utc>>>(i)?
                .map(|t| Value::from(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))),
            Kind::Json => match row.try_get_by_index::<Option<String>>(i)? {
                Some(text) => Some(serde_json::from_str(&text).with_context(|| {
                    format!("column {} holds text that is not JSON", column.name)
                })?),
                None => None,
            },
            Kind::Bytes => row
                .try_get_by_index::<Option<Vec<u8>>>(i)?
                .map(|b| Value::from(STANDARD.encode(b))),
        };
    Ok(value.unwrap_or(Value::Null))
}

/// Inserts every JSON line of `input` into `table`, in batches, inside `txn`; returns the rows.
pub fn load(
    handle: &Handle,
    txn: &DatabaseTransaction,
    table: &str,
    columns: &[Column],
    input: &mut impl BufRead,
    mut each_row: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let per_batch = (PARAMETERS_PER_INSERT / columns.len().max(1)).max(1);
    let mut batch = Vec::with_capacity(per_batch * columns.len());
    let mut in_batch = 0;
    let mut count = 0;
    let mut line = String::new();
    loop {
        line.clear();
        let read = input.read_line(&mut line)?;
        if read == 0 {
            break;
        }
        count += 1;
        let values: Vec<Value> = serde_json::from_str(&line)
            .with_context(|| format!("row {count} of {table} is not a JSON array"))?;
        anyhow::ensure!(
            values.len() == columns.len(),
            "row {count} of {table} has {} values for {} columns",
            values.len(),
            columns.len()
        );
        for (value, column) in values.into_iter().zip(columns) {
            batch.push(
                bind(value, column.kind)
                    .with_context(|| format!("row {count} of {table}, column {}", column.name))?,
            );
        }
        in_batch += 1;
        each_row(read as u64);
        if in_batch == per_batch {
            insert(
                handle,
                txn,
                table,
                columns,
                std::mem::take(&mut batch),
                in_batch,
            )?;
            in_batch = 0;
        }
    }
    if in_batch > 0 {
        insert(handle, txn, table, columns, batch, in_batch)?;
    }
    Ok(count)
}

fn insert(
    handle: &Handle,
    txn: &DatabaseTransaction,
    table: &str,
    columns: &[Column],
    values: Vec<sea_orm::Value>,
    rows: usize,
) -> anyhow::Result<()> {
    let backend = ConnectionTrait::get_database_backend(txn);
    let names: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        quote(table),
        names.join(", ")
    );
    let mut parameter = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            parameter += 1;
            if column > 0 {
                sql.push_str(", ");
            }
            match backend {
                DatabaseBackend::Postgres => sql.push_str(&format!("${parameter}")),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    let statement = Statement::from_sql_and_values(backend, sql, values);
    handle
        .block_on(txn.execute_raw(statement))
        .with_context(|| format!("loading rows into {table}"))?;
    Ok(())
}

/// A JSON value from a row line as a typed database value of its column's kind; `null` stays a
/// typed NULL so PostgreSQL knows its type.
fn bind(value: Value, kind: Kind) -> anyhow::Result<sea_orm::Value> {
    use sea_orm::Value as V;
    let null = value.is_null();
    let bound = match kind {
        Kind::Integer => V::BigInt(if null { None } else { Some(integer(&value)?) }),
        Kind::Float => V::Double(if null { None } else { Some(float(&value)?) }),
        Kind::Text => V::String(if null { None } else { Some(text(value)?) }),
        Kind::Boolean => V::Bool(if null { None } else { Some(boolean(&value)?) }),
        Kind::Timestamp => V::ChronoDateTimeUtc(if null { None } else { Some(timestamp(&value)?) }),
        Kind::Json => V::Json(if null { None } else { Some(Box::new(value)) }),
        Kind::Bytes => V::Bytes(if null {
            None
        } else {
            Some(STANDARD.decode(text(value)?)?)
        }),
    };
    Ok(bound)
}

fn integer(value: &Value) -> anyhow::Result<i64> {
    value
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("{value} is not an integer"))
}

fn float(value: &Value) -> anyhow::Result<f64> {
    value
        .as_f64()
        .ok_or_else(|| anyhow::anyhow!("{value} is not a number"))
}

fn boolean(value: &Value) -> anyhow::Result<bool> {
    value
        .as_bool()
        .ok_or_else(|| anyhow::anyhow!("{value} is not a boolean"))
}

fn text(value: Value) -> anyhow::Result<String> {
    match value {
        Value::String(text) => Ok(text),
        other => anyhow::bail!("{other} is not a string"),
    }
}

fn timestamp(value: &Value) -> anyhow::Result<DateTime<Utc>> {
    let text = value
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("{value} is not a timestamp"))?;
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_json_null_binds_as_a_typed_null() {
        assert_eq!(
            bind(Value::Null, Kind::Integer).unwrap(),
            sea_orm::Value::BigInt(None)
        );
        assert_eq!(
            bind(Value::Null, Kind::Timestamp).unwrap(),
            sea_orm::Value::ChronoDateTimeUtc(None)
        );
    }

    #[test]
    fn timestamps_keep_their_fraction_of_a_second() {
        let bound = bind(json!("2026-12-04T10:11:12.123456Z"), Kind::Timestamp).unwrap();
        let sea_orm::Value::ChronoDateTimeUtc(Some(time)) = bound else {
            panic!("{bound:?}")
        };
        assert_eq!(time.timestamp_subsec_micros(), 123_456);
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_refused() {
        assert!(bind(json!("12"), Kind::Integer).is_err());
        assert!(bind(json!(1), Kind::Boolean).is_err());
        assert!(bind(json!("not base64!"), Kind::Bytes).is_err());
    }
}
