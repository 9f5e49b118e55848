//! Checking an archive and bringing it back into a registry.
//!
//! A restore reads the archive twice. The first pass checks everything: the manifest, the
//! format and server versions, every entry's size and SHA-256 and zstd's own checksum, and
//! changes nothing. Only then does the second pass open one write transaction, migrate the
//! schema to the archive's migration, load the rows, apply any newer migrations, and stream
//! the objects into storage; the transaction commits last, and on any failure the objects
//! written so far are removed again, so the target stays as it was. An archive on standard
//! input is first copied to a temporary file to allow the two passes.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use tokio::runtime::Handle;

use super::io::{Progressing, Tally, TallyReader, put_from_reader};
use super::manifest::{MANIFEST_ENTRY, MAX_MANIFEST_BYTES, Manifest, ObjectEntry, TableEntry};
use super::{Progress, Refusal, SERVER_VERSION, rows, schema};
use crate::storage::{ObjectKey, Store};

/// The four bytes every zstd frame starts with.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Where the archive comes from.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Stdin,
}

/// What a check or restore found in the archive.
#[derive(Debug)]
pub struct Outcome {
    pub manifest: Manifest,
    /// Compressed size of the archive.
    pub archive_bytes: u64,
    /// Objects that were in the target's storage before and are not in the archive, removed
    /// by a forced restore.
    pub removed_objects: usize,
}

/// Verifies the whole archive without touching any database or storage.
pub async fn check(from: Source, progress: Arc<dyn Progress>) -> anyhow::Result<Outcome> {
    tokio::task::spawn_blocking(move || {
        let mut file = open(&from, &*progress)?;
        let manifest = verify(&mut file, &*progress)?;
        Ok(Outcome {
            manifest,
            archive_bytes: file.metadata()?.len(),
            removed_objects: 0,
        })
    })
    .await?
}

/// Verifies the archive, then restores it into `db` and `store`. Without `force` a target
/// that holds any row or object is refused; with it, its contents are replaced.
pub async fn restore(
    db: &DatabaseConnection,
    store: &Store,
    from: Source,
    force: bool,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Outcome> {
    let handle = Handle::current();
    let db = db.clone();
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut file = open(&from, &*progress)?;
        let manifest = verify(&mut file, &*progress)?;
        if !force && let Some(what) = handle.block_on(target_contents(&db, &store))? {
            return Err(Refusal::TargetNotEmpty { what }.into());
        }
        load(&handle, &db, &store, &mut file, &manifest, &*progress)?;
        let removed_objects = if force {
            handle.block_on(remove_other_objects(&store, &manifest))?
        } else {
            0
        };
        Ok(Outcome {
            manifest,
            archive_bytes: file.metadata()?.len(),
            removed_objects,
        })
    })
    .await?
}

fn open(from: &Source, progress: &dyn Progress) -> anyhow::Result<File> {
    match from {
        Source::File(path) => {
            File::open(path).with_context(|| format!("cannot open {}", path.display()))
        }
        Source::Stdin => {
            progress.phase("receiving the archive", None);
            let mut file = tempfile::tempfile().context("cannot make a temporary file")?;
            let mut input = Progressing {
                inner: io::stdin().lock(),
                progress,
            };
            io::copy(&mut input, &mut file).context("reading the archive from standard input")?;
            Ok(file)
        }
    }
}

/// Reads the whole archive and checks every byte against the manifest.
fn verify(file: &mut File, progress: &dyn Progress) -> anyhow::Result<Manifest> {
    progress.phase("verifying the archive", Some(file.metadata()?.len()));
    let decoder = decoder(file, progress)?;
    walk(
        decoder,
        |_| Ok(()),
        |part, reader| {
            let mut buf = vec![0; 256 * 1024];
            let mut lines = 0;
            loop {
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            }
            if let Part::Table(table) = part
                && lines != table.rows
            {
                return Err(Refusal::Corrupted {
                    what: format!(
                        "{} holds {lines} rows where the manifest says {}",
                        Manifest::rows_entry(&table.name),
                        table.rows
                    ),
                }
                .into());
            }
            Ok(())
        },
    )
}

/// The archive's tar stream, after checking that it is zstd at all.
fn decoder<'a>(file: &'a mut File, progress: &'a dyn Progress) -> anyhow::Result<impl Read + 'a> {
    file.seek(SeekFrom::Start(0))?;
    let mut buffered = BufReader::with_capacity(
        1024 * 1024,
        Progressing {
            inner: file,
            progress,
        },
    );
    let start = buffered.fill_buf()?;
    if start.is_empty() {
        return Err(Refusal::NotAnArchive {
            reason: "it is empty".into(),
        }
        .into());
    }
    if !start.starts_with(&ZSTD_MAGIC[..start.len().min(4)]) || start.len() < 4 {
        return Err(Refusal::NotAnArchive {
            reason: "it is not a zstd-compressed tar archive".into(),
        }
        .into());
    }
    Ok(zstd::stream::read::Decoder::with_buffer(buffered)?)
}

/// One entry after the manifest.
enum Part<'m> {
    Table(&'m TableEntry),
    Object(&'m ObjectEntry),
}

/// Goes through the archive entry by entry in manifest order, handing each entry's bytes to
/// `on_part` and checking its size and checksum after it. Reads to the end of the zstd frame,
/// so its checksum is checked too.
fn walk(
    decoder: impl Read,
    mut on_manifest: impl FnMut(&Manifest) -> anyhow::Result<()>,
    mut on_part: impl FnMut(Part<'_>, &mut dyn Read) -> anyhow::Result<()>,
) -> anyhow::Result<Manifest> {
    let mut archive = tar::Archive::new(decoder);
    let mut entries = archive.entries().map_err(damage)?;

    let manifest = {
        let mut first = match entries.next() {
            Some(entry) => entry.map_err(damage)?,
            None => return Err(truncated("it ends before its manifest")),
        };
        if first.path_bytes().as_ref() != MANIFEST_ENTRY.as_bytes() {
            return Err(Refusal::NotAnArchive {
                reason: format!("it does not start with {MANIFEST_ENTRY}"),
            }
            .into());
        }
        if first.size() > MAX_MANIFEST_BYTES {
            return Err(corrupted("its manifest is implausibly large"));
        }
        let mut text = Vec::new();
        first.read_to_end(&mut text).map_err(damage)?;
        Manifest::parse(&text)?
    };
    check_versions(&manifest)?;
    on_manifest(&manifest)?;

    let parts = manifest
        .tables
        .iter()
        .map(Part::Table)
        .chain(manifest.objects.iter().map(Part::Object));
    let expected: Vec<_> = manifest.entries().collect();
    for (index, (part, (name, size, sha256))) in parts.zip(&expected).enumerate() {
        let entry = match entries.next() {
            Some(entry) => entry.map_err(damage)?,
            None => {
                return Err(truncated(&format!(
                    "it ends after {index} of its {} entries, before {name}",
                    expected.len()
                )));
            }
        };
        if entry.path_bytes().as_ref() != name.as_bytes() {
            let found = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            return Err(corrupted(&format!("{found} stands where {name} belongs")));
        }
        if entry.size() != *size {
            return Err(corrupted(&format!("{name} does not have its size")));
        }
        let mut reader = TallyReader {
            inner: entry,
            tally: Tally::default(),
        };
        on_part(part, &mut reader).map_err(classify)?;
        io::copy(&mut reader, &mut io::sink()).map_err(damage)?;
        if reader.tally.bytes != *size || reader.tally.hex() != *sha256 {
            return Err(corrupted(&format!(
                "{name} does not match its SHA-256 checksum"
            )));
        }
    }
    if let Some(extra) = entries.next() {
        let name = extra
            .map(|e| String::from_utf8_lossy(&e.path_bytes()).into_owned())
            .map_err(damage)?;
        return Err(corrupted(&format!(
            "it holds {name}, which its manifest does not list"
        )));
    }
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(damage)?;
    Ok(manifest)
}

/// Refuses archives from a newer server: a migration this build does not have, or a higher
/// version number.
fn check_versions(manifest: &Manifest) -> Result<(), Refusal> {
    let known = Migrator::migrations()
        .iter()
        .any(|m| m.name() == manifest.migration);
    let newer = match (
        semver::Version::parse(&manifest.server_version),
        semver::Version::parse(SERVER_VERSION),
    ) {
        (Ok(archive), Ok(ours)) => archive > ours,
        _ => true,
    };
    if known && !newer {
        return Ok(());
    }
    Err(Refusal::NewerServer {
        archive: manifest.server_version.clone(),
        migration: manifest.migration.clone(),
        ours: SERVER_VERSION.into(),
    })
}

fn truncated(what: &str) -> anyhow::Error {
    Refusal::Truncated { what: what.into() }.into()
}

fn corrupted(what: &str) -> anyhow::Error {
    Refusal::Corrupted { what: what.into() }.into()
}

/// A read error from the archive: the input ended early, or its bytes do not decode.
fn damage(error: io::Error) -> anyhow::Error {
    let message = error.to_string();
    if error.kind() == io::ErrorKind::UnexpectedEof
        || message.contains("incomplete")
        || message.contains("unexpected end")
    {
        truncated(&format!("it ends too early ({message})"))
    } else {
        corrupted(&message)
    }
}

/// Errors from an entry's handler: read errors are damage to the archive, the rest stay.
fn classify(error: anyhow::Error) -> anyhow::Error {
    match error.downcast::<io::Error>() {
        Ok(io) => damage(io),
        Err(other) => other,
    }
}

/// What the target already holds, if anything.
async fn target_contents(db: &DatabaseConnection, store: &Store) -> anyhow::Result<Option<String>> {
    if let Some(table) = schema::holds_rows(db).await? {
        return Ok(Some(format!("its database has rows in {table}")));
    }
    let objects = store.list("").await?;
    if !objects.is_empty() {
        return Ok(Some(format!(
            "its storage holds {} object(s), such as {}",
            objects.len(),
            objects[0].key
        )));
    }
    Ok(None)
}

// TODO(#4): objects are written one at a time, which keeps restore at about 2.9x
// `zstd -d | tar -x` (bench/RESULTS.md); write several concurrently to reach 1.3x.
/// The second pass: everything in one transaction, objects removed again if it does not
/// commit.
fn load(
    handle: &Handle,
    db: &DatabaseConnection,
    store: &Store,
    file: &mut File,
    verified: &Manifest,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let txn = handle.block_on(crate::db::write(db))?;
    let mut written = Vec::new();
    let loaded = load_into(handle, &txn, store, file, verified, progress, &mut written);
    let committed = match loaded {
        Ok(()) => handle.block_on(txn.commit()).map_err(anyhow::Error::from),
        Err(error) => {
            let _ = handle.block_on(txn.rollback());
            Err(error)
        }
    };
    if committed.is_err() {
        for key in &written {
            let _ = handle.block_on(store.delete(key));
        }
    }
    committed
}

fn load_into(
    handle: &Handle,
    txn: &DatabaseTransaction,
    store: &Store,
    file: &mut File,
    verified: &Manifest,
    progress: &dyn Progress,
    written: &mut Vec<ObjectKey>,
) -> anyhow::Result<()> {
    handle.block_on(schema_up_to(txn, &verified.migration))?;
    let tables = handle.block_on(schema::table_names(txn))?;
    if let Some(missing) = verified.tables.iter().find(|t| !tables.contains(&t.name)) {
        anyhow::bail!(
            "the archive holds the table {}, which the schema at {} does not have",
            missing.name,
            verified.migration
        );
    }

    let total = file.metadata()?.len();
    let decoder = decoder(file, progress)?;
    progress.phase("restoring", Some(total));
    walk(
        decoder,
        |manifest| {
            anyhow::ensure!(
                manifest == verified,
                "the archive changed after it was verified"
            );
            Ok(())
        },
        |part, reader| match part {
            Part::Table(table) => {
                let mut lines = BufReader::with_capacity(256 * 1024, reader);
                let loaded =
                    rows::load(handle, txn, &table.name, &table.columns, &mut lines, |_| {
                        progress.advance(0, 1)
                    })?;
                anyhow::ensure!(
                    loaded == table.rows,
                    "{} changed after it was verified",
                    table.name
                );
                Ok(())
            }
            Part::Object(object) => {
                let key = ObjectKey::parse(&object.key)?;
                written.push(key.clone());
                let mut tally = Tally::default();
                put_from_reader(handle, store, &key, reader, &mut tally)?;
                progress.advance(0, 1);
                Ok(())
            }
        },
    )?;

    handle.block_on(async {
        Migrator::up(txn, None).await?;
        schema::reset_sequences(txn).await
    })?;
    Ok(())
}

/// Brings the target's schema to exactly the archive's migration: whatever it had is rolled
/// back first (the target is empty, or `--force` asked to replace it).
async fn schema_up_to(txn: &DatabaseTransaction, migration: &str) -> anyhow::Result<()> {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let position = names
        .iter()
        .position(|n| n == migration)
        .context("the archive's migration is unknown")?;
    if schema::latest_migration(txn).await?.is_some() {
        Migrator::down(txn, None).await?;
    }
    Migrator::up(txn, Some(position as u32 + 1)).await?;
    Ok(())
}

/// After a forced restore, removes the objects the archive does not hold.
async fn remove_other_objects(store: &Store, manifest: &Manifest) -> anyhow::Result<usize> {
    let keep: BTreeSet<&str> = manifest.objects.iter().map(|o| o.key.as_str()).collect();
    let mut removed = 0;
    for object in store.list("").await? {
        if !keep.contains(object.key.as_str()) {
            store.delete(&object.key).await?;
            removed += 1;
        }
    }
    Ok(removed)
}
