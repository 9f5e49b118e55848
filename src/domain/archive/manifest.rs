//! The manifest, the first entry of every archive: what made it and everything it holds, with
//! sizes and SHA-256 checksums, so that a restore can check the whole archive before it
//! changes anything.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Refusal;

/// The `format` field of every manifest.
pub const FORMAT: &str = "datapm-registry-backup";

/// The archive layout this build writes and reads. Raise it when an older server could no
/// longer read what a newer one writes.
pub const FORMAT_VERSION: u32 = 1;

/// Name of the manifest entry; always the archive's first.
pub const MANIFEST_ENTRY: &str = "manifest.json";

/// The largest manifest accepted, so a damaged size field cannot make a restore allocate
/// without bound.
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// What an archive holds, in the order its entries follow the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The archive layout; see [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The version of `datapm-registry` that wrote the archive.
    pub server_version: String,
    /// The latest migration applied to the database the rows come from.
    pub migration: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// When the database snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// Every table, parents before children.
    pub tables: Vec<TableEntry>,
    /// Every stored object the rows refer to, by key.
    pub objects: Vec<ObjectEntry>,
}

/// One table's rows: the entry `rows/<name>.jsonl`, one JSON array per row in column order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: u64,
    pub size: u64,
    pub sha256: String,
}

/// One stored object: the entry `objects/<key>`, its bytes unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectEntry {
    pub key: String,
    pub size: u64,
    pub sha256: String,
}

/// A column and how its values are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// Engine-neutral column kinds and their JSON forms in a row line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A JSON integer (64 bits).
    Integer,
    /// A JSON number.
    Float,
    /// A JSON string.
    Text,
    /// `true` or `false`.
    Boolean,
    /// An RFC 3339 string in UTC with as many fractional digits as were stored.
    Timestamp,
    /// The JSON value itself.
    Json,
    /// Standard base64 in a JSON string.
    Bytes,
}

impl Manifest {
    /// The entry name of a table's rows.
    pub fn rows_entry(table: &str) -> String {
        format!("rows/{table}.jsonl")
    }

    /// The entry name of a stored object.
    pub fn object_entry(key: &str) -> String {
        format!("objects/{key}")
    }

    /// Total rows over all tables.
    pub fn row_count(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Total bytes of stored objects.
    pub fn object_bytes(&self) -> u64 {
        self.objects.iter().map(|o| o.size).sum()
    }

    /// Every entry after the manifest, in archive order: name, size, checksum.
    pub fn entries(&self) -> impl Iterator<Item = (String, u64, &str)> {
        let rows = self
            .tables
            .iter()
            .map(|t| (Self::rows_entry(&t.name), t.size, t.sha256.as_str()));
        let objects = self
            .objects
            .iter()
            .map(|o| (Self::object_entry(&o.key), o.size, o.sha256.as_str()));
        rows.chain(objects)
    }

    /// Reads a manifest, telling an unknown layout or something that is no manifest at all
    /// apart from a damaged one.
    pub fn parse(text: &[u8]) -> Result<Manifest, Refusal> {
        let value: Value = serde_json::from_slice(text).map_err(|e| Refusal::Corrupted {
            what: format!("its manifest is not JSON ({e})"),
        })?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(Refusal::NotAnArchive {
                reason: "its manifest does not name the datapm-registry backup format".into(),
            });
        }
        let version = value.get("format_version").and_then(Value::as_u64);
        if version != Some(u64::from(FORMAT_VERSION)) {
            return Err(Refusal::UnknownFormat {
                version: version.map_or_else(|| "missing".into(), |v| v.to_string()),
            });
        }
        serde_json::from_value(value).map_err(|e| Refusal::Corrupted {
            what: format!("its manifest cannot be read ({e})"),
        })
    }
}
