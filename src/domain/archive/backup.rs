//! Writing an archive from a registry that keeps serving.
//!
//! Rows come from one read transaction (a WAL snapshot on SQLite, `REPEATABLE READ` on
//! PostgreSQL) and are spooled to a temporary file, because the manifest that precedes them
//! needs their counts and checksums. The objects are the ones those rows refer to: a publish
//! stores its file before its row commits, so every object the snapshot refers to exists, and
//! objects written after the snapshot are left out. They are read twice, once to checksum for
//! the manifest and once into the archive, checked against the first reading.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    AccessMode, DatabaseConnection, DatabaseTransaction, IsolationLevel, TransactionTrait,
};
use serde_json::Value;
use tokio::runtime::Handle;

use super::io::{Progressing, StreamReader, Tally, TallyReader, TallyWriter};
use super::manifest::{
    Column, FORMAT, FORMAT_VERSION, MANIFEST_ENTRY, Manifest, ObjectEntry, TableEntry,
};
use super::{Progress, SERVER_VERSION, rows, schema};
use crate::domain::batch_chunks;
use crate::storage::{ObjectKey, StorageError, Store};

/// zstd's default level: the speed of `zstd` on the command line.
const ZSTD_LEVEL: i32 = 3;

/// Where the archive goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A file, written under a temporary name and renamed when complete.
    File(PathBuf),
    /// Standard output.
    Stdout,
}

/// What a finished backup wrote.
#[derive(Debug)]
pub struct Written {
    pub manifest: Manifest,
    /// Compressed size of the archive.
    pub archive_bytes: u64,
}

/// Writes an archive of `db` and `store` to `to`.
pub async fn write(
    db: &DatabaseConnection,
    store: &Store,
    to: Destination,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Written> {
    let handle = Handle::current();
    let db = db.clone();
    let store = store.clone();
    tokio::task::spawn_blocking(move || write_blocking(&handle, &db, &store, &to, &*progress))
        .await?
}

fn write_blocking(
    handle: &Handle,
    db: &DatabaseConnection,
    store: &Store,
    to: &Destination,
    progress: &dyn Progress,
) -> anyhow::Result<Written> {
    let spool_dir = match to {
        Destination::File(path) => folder_of(path),
        Destination::Stdout => std::env::temp_dir(),
    };
    let mut spool = tempfile::tempfile_in(&spool_dir)
        .with_context(|| format!("cannot make a temporary file in {}", spool_dir.display()))?;

    let mut snapshot = snapshot(handle, db, &mut spool, progress)?;
    add_batch_chunks(handle, store, &mut snapshot)?;
    let objects = checksum_objects(handle, store, &snapshot.object_keys, progress)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        server_version: SERVER_VERSION.into(),
        migration: snapshot.migration,
        database: backend_name(db).into(),
        created_at: snapshot.taken_at,
        tables: snapshot.tables,
        objects,
    };

    let archive_bytes = match to {
        Destination::File(path) => {
            write_file(handle, store, &manifest, &mut spool, path, progress)?
        }
        Destination::Stdout => {
            let stdout = io::stdout().lock();
            write_archive(handle, store, &manifest, &mut spool, stdout, progress)?
        }
    };
    Ok(Written {
        manifest,
        archive_bytes,
    })
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "postgres",
        _ => "sqlite",
    }
}

/// The rows of one consistent snapshot, spooled, and the objects they refer to.
struct Snapshot {
    migration: String,
    taken_at: chrono::DateTime<Utc>,
    tables: Vec<TableEntry>,
    object_keys: Vec<ObjectKey>,
    /// Data batches and their last readable offsets: their chunks are found by listing.
    batches: Vec<(batch_chunks::Location, i64)>,
}

fn snapshot(
    handle: &Handle,
    db: &DatabaseConnection,
    spool: &mut File,
    progress: &dyn Progress,
) -> anyhow::Result<Snapshot> {
    progress.phase("reading rows", None);
    let txn = handle.block_on(read_only(db))?;
    let taken_at = Utc::now();
    let migration = handle
        .block_on(schema::latest_migration(&txn))?
        .context("the database has no migrations applied; there is nothing to back up")?;
    let tables = handle.block_on(schema::archived_tables(&txn))?;

    let mut entries = Vec::with_capacity(tables.len());
    let mut object_keys = Vec::new();
    let mut batches = Vec::new();
    let mut out = BufWriter::new(&mut *spool);
    for table in &tables {
        let mut tally = TallyWriter {
            inner: &mut out,
            tally: Tally::default(),
        };
        let rows = rows::dump(handle, &txn, table, &mut tally, |row, bytes| {
            object_keys.extend(referenced_object(&table.name, &table.columns, row));
            batches.extend(data_batch(&table.name, &table.columns, row));
            progress.advance(bytes, 1);
        })?;
        entries.push(TableEntry {
            name: table.name.clone(),
            columns: table.columns.clone(),
            rows,
            size: tally.tally.bytes,
            sha256: tally.tally.hex(),
        });
    }
    out.flush()?;
    drop(out);
    handle.block_on(txn.commit())?;

    object_keys.sort();
    object_keys.dedup();
    Ok(Snapshot {
        migration,
        taken_at,
        tables: entries,
        object_keys,
        batches,
    })
}

/// A data batch row's location and last readable offset.
fn data_batch(
    table: &str,
    columns: &[Column],
    row: &[Value],
) -> Option<(batch_chunks::Location, i64)> {
    if table != "data_batches" {
        return None;
    }
    let field = |name: &str| {
        let at = columns.iter().position(|c| c.name == name)?;
        row.get(at)?.as_i64()
    };
    let batch = batch_chunks::Location {
        package_id: field("package_id")?,
        batch_id: field("id")?,
    };
    Some((batch, field("last_offset")?))
}

/// Adds the stored chunks of the snapshot's data batches, up to the offset each row made
/// readable; chunks written after the snapshot are left out.
fn add_batch_chunks(handle: &Handle, store: &Store, snapshot: &mut Snapshot) -> anyhow::Result<()> {
    for &(batch, last_offset) in &snapshot.batches {
        let chunks = handle
            .block_on(batch_chunks::readable(store, batch, 0, last_offset))
            .with_context(|| {
                format!("listing the stored chunks of data batch {}", batch.batch_id)
            })?;
        snapshot.object_keys.extend(chunks);
    }
    snapshot.object_keys.sort();
    snapshot.object_keys.dedup();
    Ok(())
}

/// One transaction that sees the database as it was when it began: on SQLite the first read
/// fixes a WAL snapshot for the whole transaction; PostgreSQL needs `REPEATABLE READ` for that.
async fn read_only(db: &DatabaseConnection) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
        }
        _ => db.begin().await,
    }
}

/// The stored object a row refers to, if any. Today that is a version's package file; images
/// join here when the registry stores them. Data batches refer to several (`add_batch_chunks`).
fn referenced_object(table: &str, columns: &[Column], row: &[Value]) -> Option<ObjectKey> {
    let field = |name: &str| {
        let at = columns.iter().position(|c| c.name == name)?;
        row.get(at)?.as_i64()
    };
    match table {
        "versions" => Some(crate::domain::packages::package_file_key(
            field("package_id")?,
            field("major")?,
            field("minor")?,
            field("patch")?,
        )),
        _ => None,
    }
}

// TODO(#4): reading every object twice keeps backup at about 2x `tar | zstd` (bench/RESULTS.md);
// checksum on several tasks at once and drop the second SHA-256 to reach 1.3x.
fn checksum_objects(
    handle: &Handle,
    store: &Store,
    keys: &[ObjectKey],
    progress: &dyn Progress,
) -> anyhow::Result<Vec<ObjectEntry>> {
    progress.phase("checksumming objects", None);
    let mut entries = Vec::with_capacity(keys.len());
    for key in keys {
        let mut reader = TallyReader {
            inner: open_object(handle, store, key)?,
            tally: Tally::default(),
        };
        let mut buf = vec![0; 256 * 1024];
        loop {
            let n = reader
                .read(&mut buf)
                .with_context(|| format!("reading stored object {key}"))?;
            if n == 0 {
                break;
            }
            progress.advance(n as u64, 0);
        }
        progress.advance(0, 1);
        entries.push(ObjectEntry {
            key: key.to_string(),
            size: reader.tally.bytes,
            sha256: reader.tally.hex(),
        });
    }
    Ok(entries)
}

fn open_object(handle: &Handle, store: &Store, key: &ObjectKey) -> anyhow::Result<StreamReader> {
    match handle.block_on(store.get(key)) {
        Ok(stream) => Ok(StreamReader::new(handle.clone(), stream)),
        Err(StorageError::NotFound { .. }) => anyhow::bail!(
            "the stored object {key}, which the database snapshot refers to, was deleted while \
             the backup ran; run the backup again"
        ),
        Err(error) => Err(error).with_context(|| format!("reading stored object {key}")),
    }
}

/// Writes the archive under a temporary name beside `path` and renames it into place once it
/// is complete and on disk.
fn write_file(
    handle: &Handle,
    store: &Store,
    manifest: &Manifest,
    spool: &mut File,
    path: &Path,
    progress: &dyn Progress,
) -> anyhow::Result<u64> {
    let file_name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?;
    let temporary = folder_of(path).join(format!(".{}.partial", file_name.to_string_lossy()));
    let file = File::create(&temporary)
        .with_context(|| format!("cannot create {}", temporary.display()))?;

    let written =
        write_archive(handle, store, manifest, spool, &file, progress).and_then(|bytes| {
            file.sync_all()?;
            std::fs::rename(&temporary, path)
                .with_context(|| format!("cannot rename the archive to {}", path.display()))?;
            Ok(bytes)
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn write_archive(
    handle: &Handle,
    store: &Store,
    manifest: &Manifest,
    spool: &mut File,
    out: impl Write,
    progress: &dyn Progress,
) -> anyhow::Result<u64> {
    let total = manifest.tables.iter().map(|t| t.size).sum::<u64>() + manifest.object_bytes();
    progress.phase("writing the archive", Some(total));

    let counted = Counter {
        inner: BufWriter::with_capacity(1024 * 1024, out),
        bytes: 0,
    };
    let mut encoder = zstd::stream::write::Encoder::new(counted, ZSTD_LEVEL)?;
    encoder.include_checksum(true)?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    encoder.multithread(workers)?;
    let mut tar = tar::Builder::new(encoder);
    let mtime = manifest.created_at.timestamp().max(0) as u64;

    let manifest_bytes = serde_json::to_vec_pretty(manifest)?;
    append(
        &mut tar,
        MANIFEST_ENTRY,
        manifest_bytes.len() as u64,
        mtime,
        &manifest_bytes[..],
    )?;

    spool.seek(SeekFrom::Start(0))?;
    for table in &manifest.tables {
        let name = Manifest::rows_entry(&table.name);
        let rows = Progressing {
            inner: (&mut *spool).take(table.size),
            progress,
        };
        append(&mut tar, &name, table.size, mtime, rows)?;
        progress.advance(0, table.rows);
    }

    for object in &manifest.objects {
        append_object(handle, store, &mut tar, object, mtime, progress)?;
    }

    let encoder = tar.into_inner()?;
    let mut counted = encoder.finish()?;
    counted.flush()?;
    Ok(counted.bytes)
}

fn append_object<W: Write>(
    handle: &Handle,
    store: &Store,
    tar: &mut tar::Builder<W>,
    object: &ObjectEntry,
    mtime: u64,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let key = ObjectKey::parse(&object.key)?;
    let mut reader = TallyReader {
        inner: Progressing {
            inner: open_object(handle, store, &key)?,
            progress,
        },
        tally: Tally::default(),
    };
    let name = Manifest::object_entry(&object.key);
    // A tar entry must be exactly the size its header says; an object that changed size since
    // it was checksummed is caught here rather than producing a broken archive.
    append(tar, &name, object.size, mtime, &mut reader)?;
    let mut rest = [0u8; 1];
    let longer = reader.read(&mut rest)? > 0;
    if longer || reader.tally.bytes != object.size || reader.tally.hex() != object.sha256 {
        anyhow::bail!("the stored object {key} changed while the backup ran; run it again");
    }
    progress.advance(0, 1);
    Ok(())
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    mtime: u64,
    data: impl Read,
) -> anyhow::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    tar.append_data(&mut header, name, data.take(size))
        .with_context(|| format!("writing {name} into the archive"))?;
    Ok(())
}

/// Counts the compressed bytes written.
struct Counter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
