//! Objects as files under a local folder, through opendal's `Fs` service.
//!
//! A key `a/b/c` is the file `<root>/a/b/c`. Every write goes to a temporary file in the hidden
//! folder `<root>/.tmp` and is renamed (or, for create-only writes, hard-linked) into place, so a
//! process killed mid-write never leaves a partial object under its key. Keys never start a
//! segment with `.`, so that folder cannot clash with an object and listings skip it.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use opendal::{ErrorKind, Operator, Writer, services::Fs};
use tokio::io::AsyncWriteExt;

use super::{ByteStream, ObjectInfo, ObjectKey, ObjectStore, StorageError, check_prefix};

/// The hidden folder under the root that holds writes in progress.
const TEMP_DIR: &str = ".tmp";

/// Temporary files untouched for this long were left by a killed process and are removed at open.
const STALE_TEMP_AGE: Duration = Duration::from_secs(60 * 60);

/// The local-folder backend; made by [`super::open`] for `file://` URLs.
#[derive(Debug)]
pub(super) struct FsStore {
    op: Operator,
    root: PathBuf,
}

impl FsStore {
    /// Opens (creating if missing) the folder `location`, absolute or relative to the working
    /// directory, and clears out temporary files left by interrupted writes.
    pub(super) fn open(location: &str) -> Result<FsStore, StorageError> {
        if location.is_empty() {
            return Err(StorageError::InvalidUrl {
                url: "file://".to_owned(),
                reason: "it names no folder",
            });
        }

        let root = create_folder(Path::new(location))?;
        let temp = create_folder(&root.join(TEMP_DIR))?;
        sweep_stale_temp_files(&temp);

        let builder = Fs::default()
            .root(utf8(&root)?)
            .atomic_write_dir(utf8(&temp)?);
        let op = Operator::new(builder).map_err(|err| StorageError::Unavailable {
            what: format!("cannot use the storage folder {}: {err}", root.display()),
        })?;
        Ok(FsStore { op, root })
    }

    fn temp_dir(&self) -> PathBuf {
        self.root.join(TEMP_DIR)
    }

    /// Makes the staged file visible under `key` unless something is already there. A hard link
    /// fails when its target exists, so two racing create-only writes cannot both win.
    async fn link_into_place(&self, staged: &Path, key: &ObjectKey) -> Result<(), StorageError> {
        let target = self.root.join(key.as_str());
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|source| io_failure("creating the folder for", key, source))?;
        }

        match tokio::fs::hard_link(staged, &target).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                Err(StorageError::AlreadyExists {
                    key: key.to_string(),
                })
            }
            Err(source) => Err(io_failure("linking into place", key, source)),
        }
    }

    fn unavailable(&self, step: &str, err: impl std::fmt::Display) -> StorageError {
        StorageError::Unavailable {
            what: format!("{}: {step} failed: {err}", self.describe()),
        }
    }
}

#[async_trait::async_trait]
impl ObjectStore for FsStore {
    async fn put(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError> {
        let mut writer = self
            .op
            .writer(key.as_str())
            .await
            .map_err(|err| backend_failure("writing", key, err))?;

        let finished = match copy_into(&mut writer, key, body).await {
            Ok(written) => writer
                .close()
                .await
                .map(|_| written)
                .map_err(|err| backend_failure("writing", key, err)),
            Err(err) => Err(err),
        };

        if finished.is_err() {
            // Removes the temporary file; the previous object, if any, was never touched.
            let _ = writer.abort().await;
        }
        finished
    }

    async fn put_if_absent(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError> {
        // Fail fast without reading the body; the hard link below is what really decides.
        if self.exists(key).await? {
            return Err(StorageError::AlreadyExists {
                key: key.to_string(),
            });
        }

        let staged = self
            .temp_dir()
            .join(format!("{}.partial", uuid::Uuid::new_v4()));
        let result = match write_file(&staged, key, body).await {
            Ok(written) => self.link_into_place(&staged, key).await.map(|()| written),
            Err(err) => Err(err),
        };

        // Once linked the staged name is a redundant second name; otherwise it is garbage.
        let _ = tokio::fs::remove_file(&staged).await;
        result
    }

    async fn get(&self, key: &ObjectKey) -> Result<ByteStream, StorageError> {
        if !self.exists(key).await? {
            return Err(StorageError::NotFound {
                key: key.to_string(),
            });
        }

        let reader = self.op.reader(key.as_str()).await;
        let reader = reader.map_err(|err| backend_failure("reading", key, err))?;
        let stream = reader.into_bytes_stream(..).await;
        let stream = stream.map_err(|err| backend_failure("reading", key, err))?;

        let key = key.to_string();
        Ok(stream
            .map_err(move |err| io::Error::new(err.kind(), format!("reading `{key}`: {err}")))
            .boxed())
    }

    async fn exists(&self, key: &ObjectKey) -> Result<bool, StorageError> {
        match self.op.stat(key.as_str()).await {
            Ok(meta) => Ok(meta.is_file()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(err) => Err(backend_failure("looking up", key, err)),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        self.op
            .delete(key.as_str())
            .await
            .map_err(|err| backend_failure("deleting", key, err))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        check_prefix(prefix)?;

        // List the deepest folder the prefix names, then keep the keys that really match.
        let folder = prefix.rfind('/').map_or("/", |end| &prefix[..=end]);
        let entries = self
            .op
            .list_with(folder)
            .recursive(true)
            .await
            .map_err(|err| StorageError::Io {
                what: format!("listing `{prefix}` failed"),
                source: err.into(),
            })?;

        let mut objects: Vec<ObjectInfo> = entries
            .into_iter()
            .filter(|entry| entry.metadata().is_file() && entry.path().starts_with(prefix))
            // Skips the temporary folder and any stray file whose name is not a key.
            .filter_map(|entry| {
                let key = ObjectKey::parse(entry.path()).ok()?;
                let size = entry.metadata().content_length();
                Some(ObjectInfo { key, size })
            })
            .collect();
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    async fn check_writable(&self) -> Result<(), StorageError> {
        let probe = format!("{TEMP_DIR}/probe-{}", uuid::Uuid::new_v4());
        let expected = Bytes::from_static(b"datapm-registry storage probe");

        let checked = async {
            let write = self.op.write(&probe, expected.clone()).await;
            write.map_err(|err| self.unavailable("writing a probe object", err))?;
            let read = self.op.read(&probe).await;
            let read = read.map_err(|err| self.unavailable("reading a probe object", err))?;
            if read.to_bytes() != expected {
                return Err(self.unavailable("reading a probe object", "the content differs"));
            }
            Ok(())
        }
        .await;

        let deleted = self.op.delete(&probe).await;
        checked?;
        deleted.map_err(|err| self.unavailable("deleting a probe object", err))
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}

/// Feeds `body` into `writer`, returning the number of bytes written.
async fn copy_into(
    writer: &mut Writer,
    key: &ObjectKey,
    mut body: ByteStream,
) -> Result<u64, StorageError> {
    let mut written = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|source| body_failure(key, source))?;
        written += chunk.len() as u64;
        writer
            .write(chunk)
            .await
            .map_err(|err| backend_failure("writing", key, err))?;
    }
    Ok(written)
}

/// Bytes gathered before each write to a staged file.
const WRITE_BUFFER: usize = 1024 * 1024;

/// Writes `body` to a new file at `path` and flushes it to disk, returning the bytes written.
async fn write_file(
    path: &Path,
    key: &ObjectKey,
    mut body: ByteStream,
) -> Result<u64, StorageError> {
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await
        .map_err(|source| io_failure("staging", key, source))?;
    // Each write to a tokio file is a trip to the blocking pool; gathering the body's small
    // chunks into 1 MiB writes makes far fewer of them.
    let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);

    let mut written = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|source| body_failure(key, source))?;
        file.write_all(&chunk)
            .await
            .map_err(|source| io_failure("staging", key, source))?;
        written += chunk.len() as u64;
    }

    file.flush()
        .await
        .map_err(|source| io_failure("staging", key, source))?;
    file.get_ref()
        .sync_all()
        .await
        .map_err(|source| io_failure("staging", key, source))?;
    Ok(written)
}

/// Creates `path` and its parents if missing and returns its absolute form.
fn create_folder(path: &Path) -> Result<PathBuf, StorageError> {
    std::fs::create_dir_all(path)
        .and_then(|()| path.canonicalize())
        .map_err(|err| StorageError::Unavailable {
            what: format!("cannot create the storage folder {}: {err}", path.display()),
        })
}

/// Removes temporary files that no write has touched for [`STALE_TEMP_AGE`]; a write in progress
/// keeps touching its file, so only leftovers of killed processes go.
fn sweep_stale_temp_files(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    let stale = entries.flatten().filter(is_stale);
    let removed = stale
        .filter(|entry| std::fs::remove_file(entry.path()).is_ok())
        .count();
    if removed > 0 {
        tracing::info!(removed, folder = %temp.display(), "removed temporary files of interrupted writes");
    }
}

fn is_stale(entry: &std::fs::DirEntry) -> bool {
    let Ok(meta) = entry.metadata() else {
        return false;
    };
    let age = meta.modified().ok().and_then(|time| time.elapsed().ok());
    meta.is_file() && age.is_some_and(|age| age > STALE_TEMP_AGE)
}

fn utf8(path: &Path) -> Result<&str, StorageError> {
    path.to_str().ok_or_else(|| StorageError::Unavailable {
        what: format!("the storage folder {} is not valid UTF-8", path.display()),
    })
}

fn backend_failure(action: &str, key: &ObjectKey, err: opendal::Error) -> StorageError {
    io_failure(action, key, err.into())
}

fn io_failure(action: &str, key: &ObjectKey, source: io::Error) -> StorageError {
    StorageError::Io {
        what: format!("{action} `{key}` failed"),
        source,
    }
}

fn body_failure(key: &ObjectKey, source: io::Error) -> StorageError {
    StorageError::Body {
        key: key.to_string(),
        source,
    }
}
