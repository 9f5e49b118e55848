//! Backup archives: one `.tar.zst` with the whole registry, portable between SQLite and
//! PostgreSQL and between storage backends.
//!
//! Reach for [`backup::write`] to make one, [`restore::check`] to verify one without changing
//! anything, and [`restore::restore`] to bring one back. The layout:
//!
//! 1. `manifest.json` ([`manifest::Manifest`]): format and server version, latest migration,
//!    source engine, creation time, row counts, sizes and SHA-256 of every other entry;
//! 2. `rows/<table>.jsonl` for every table, parents before children, one JSON array a row
//!    ([`manifest::Kind`] says how each column is written);
//! 3. `objects/<key>` for every stored object the rows refer to.
//!
//! Everything streams: rows go through a temporary file, objects straight from storage into
//! the compressor and back, so memory stays flat whatever the registry's size.

pub mod backup;
mod io;
pub mod manifest;
pub mod restore;
mod rows;
pub mod schema;

/// Why an archive or a target was refused. Each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The input is not an archive of this kind at all.
    #[error("this is not a datapm-registry backup: {reason}")]
    NotAnArchive { reason: String },

    /// The manifest names a layout this build cannot read.
    #[error(
        "the archive has format version {version}, which this datapm-registry does not know \
         (it reads version {known}); restore it with a newer datapm-registry",
        known = manifest::FORMAT_VERSION
    )]
    UnknownFormat { version: String },

    /// The archive comes from a newer server than this one.
    #[error(
        "the archive was made by datapm-registry {archive} (schema {migration}), which is newer \
         than this one ({ours}); restore it with datapm-registry {archive} or later"
    )]
    NewerServer {
        archive: String,
        migration: String,
        ours: String,
    },

    /// The archive ends before everything its manifest lists.
    #[error("the archive is truncated: {what}")]
    Truncated { what: String },

    /// Some byte of the archive is not what was written.
    #[error("the archive is corrupted: {what}")]
    Corrupted { what: String },

    /// The target database or storage already holds data.
    #[error("the target registry is not empty: {what}; use --force to replace it")]
    TargetNotEmpty { what: String },
}

/// Where a long-running backup or restore reports how far it got.
pub trait Progress: Send + Sync {
    /// A new phase begins; `total_bytes` is what it will move, when known.
    fn phase(&self, name: &'static str, total_bytes: Option<u64>);
    /// `bytes` more were moved, finishing `items` more rows or objects.
    fn advance(&self, bytes: u64, items: u64);
}

/// A [`Progress`] that shows nothing.
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &'static str, _: Option<u64>) {}
    fn advance(&self, _: u64, _: u64) {}
}

/// This build's version, written into manifests and compared on restore.
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");
