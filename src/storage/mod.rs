//! Stored objects: package files, images and data batches.
//!
//! Reach for [`Store`], the shared handle every part of the server holds, and make one with
//! [`open`] from the operator's `STORAGE_URL`. Address objects with an [`ObjectKey`], which is
//! parsed once and cannot escape the store. Bodies move as a [`ByteStream`] so large objects never
//! sit whole in memory; [`put_bytes`] and [`get_bytes`] are shortcuts for small ones (package
//! files, images).
//!
//! Every backend sits behind the one [`ObjectStore`] trait: local files (`file://`, in `fs`),
//! Google Cloud Storage (`gs://`) and S3 or an S3-compatible store (`s3://`), the last two
//! sharing the bucket code in `bucket`. [`open`] reads the standard Google and AWS variables
//! from the process; [`open_with`] takes them from a [`StorageEnv`] instead, which is how tests
//! point two backends at two emulators in one process.

mod bucket;
mod env;
mod fs;
mod gcs;
mod s3;

pub use env::StorageEnv;

use std::fmt;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::{StreamExt, TryStreamExt};

/// The shared handle to the object store used everywhere in the server.
pub type Store = Arc<dyn ObjectStore>;

/// An object's body, produced or consumed chunk by chunk.
pub type ByteStream = futures::stream::BoxStream<'static, std::io::Result<Bytes>>;

/// The longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// A place that keeps objects under keys: a local folder or a cloud bucket.
///
/// Writes are atomic: a reader sees either the previous object or the whole new one, never a
/// partial write, even when the writing process dies.
#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync + fmt::Debug {
    /// Stores `body` under `key`, replacing any previous object, and returns the bytes written.
    async fn put(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError>;

    /// Stores `body` under `key` only if nothing is there yet; otherwise
    /// [`StorageError::AlreadyExists`] and the existing object is left untouched.
    async fn put_if_absent(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError>;

    /// Streams the object stored under `key`, or [`StorageError::NotFound`].
    async fn get(&self, key: &ObjectKey) -> Result<ByteStream, StorageError>;

    /// Whether an object is stored under `key`.
    async fn exists(&self, key: &ObjectKey) -> Result<bool, StorageError>;

    /// Removes the object under `key`; removing a missing object succeeds.
    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError>;

    /// Every object whose key starts with `prefix` (`""` for all), at any depth, sorted by key.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError>;

    /// Writes, reads back and deletes a probe object, so that start-up and `/readyz` find out
    /// whether the store really works.
    async fn check_writable(&self) -> Result<(), StorageError>;

    /// Where the objects live, for logs and status pages, e.g. `file:///var/lib/datapm/storage`.
    /// Never contains a credential.
    fn describe(&self) -> String;
}

/// One entry of [`ObjectStore::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object's key.
    pub key: ObjectKey,
    /// The object's size in bytes.
    pub size: u64,
}

/// Why a storage operation failed. Messages name keys and paths, never credentials.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No object is stored under the key.
    #[error("no object is stored under `{key}`")]
    NotFound {
        /// The key that was looked up.
        key: String,
    },

    /// A create-only write found an object already stored under the key.
    #[error("an object is already stored under `{key}`")]
    AlreadyExists {
        /// The key that was written.
        key: String,
    },

    /// The text cannot be used as an object key.
    #[error("`{key}` is not a valid object key: {reason}")]
    InvalidKey {
        /// The refused text, with control characters escaped.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The storage URL cannot be understood.
    #[error("`{url}` is not a valid storage URL: {reason}")]
    InvalidUrl {
        /// The URL without any user information or query.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The storage URL names a backend this build does not have.
    #[error("storage URL `{url}` has an unsupported scheme; use file://, gs:// or s3://")]
    UnsupportedScheme {
        /// The URL without any user information or query.
        url: String,
    },

    /// A setting the backend needs is missing or cannot be used.
    #[error("{what}")]
    Config {
        /// What is wrong and which variable to change.
        what: String,
    },

    /// The bucket cannot be used as configured: it is missing, access is refused, or the service
    /// cannot be reached.
    #[error("{location}: {problem} ({detail}); {fix}")]
    Bucket {
        /// The bucket URL and endpoint, never a credential.
        location: String,
        /// What went wrong.
        problem: BucketProblem,
        /// The service's answer, shortened.
        detail: String,
        /// What to change, naming the variables of this backend.
        fix: &'static str,
        /// The service's own error.
        #[source]
        source: std::io::Error,
    },

    /// The store as a whole cannot be reached or written.
    #[error("object storage is unavailable: {what}")]
    Unavailable {
        /// What failed and why.
        what: String,
    },

    /// The body handed to a write failed while it was being read; nothing was stored.
    #[error("the body for `{key}` could not be read")]
    Body {
        /// The key that was being written.
        key: String,
        /// The body's error.
        #[source]
        source: std::io::Error,
    },

    /// One operation failed in the backend.
    #[error("{what}")]
    Io {
        /// The operation and the key or path it was working on.
        what: String,
        /// The backend's error.
        #[source]
        source: std::io::Error,
    },
}

/// Why a bucket cannot be used, as told apart by [`StorageError::Bucket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketProblem {
    /// The service answered that the bucket does not exist.
    Missing,
    /// The service refused the credentials or the operation.
    Denied,
    /// No credentials could be found to sign requests with.
    Credentials,
    /// The service could not be reached at all.
    Unreachable,
    /// The service answered with another error.
    Failed,
}

impl fmt::Display for BucketProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BucketProblem::Missing => "the bucket does not exist",
            BucketProblem::Denied => "access to the bucket was denied",
            BucketProblem::Credentials => "no credentials for the storage service were found",
            BucketProblem::Unreachable => "the storage service cannot be reached",
            BucketProblem::Failed => "the storage service refused a test write",
        })
    }
}

/// A validated object key: `/`-separated segments that stay inside the store on every backend.
///
/// Parse one with [`ObjectKey::parse`]; the original's keys, such as
/// `package/12/1/0/3/package_file` or `data/7/0.msgpack.gz`, are all valid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Checks `text` and wraps it. Refused: empty text, a leading `/`, empty segments (`a//b`,
    /// trailing `/`), `.` and `..` segments, segments starting with `.` (reserved for the
    /// backends' own bookkeeping, such as the file backend's temporary folder), backslashes,
    /// control characters including NUL, and more than [`MAX_KEY_LEN`] bytes.
    pub fn parse(text: &str) -> Result<ObjectKey, StorageError> {
        match key_problem(text) {
            None => Ok(ObjectKey(text.to_owned())),
            Some(reason) => Err(StorageError::InvalidKey {
                key: text.escape_debug().to_string(),
                reason,
            }),
        }
    }

    /// The key as text, with `/` between segments.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ObjectKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ObjectKey {
    type Err = StorageError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ObjectKey::parse(text)
    }
}

/// What is wrong with `text` as a key, if anything.
fn key_problem(text: &str) -> Option<&'static str> {
    if text.is_empty() {
        return Some("it is empty");
    }
    if text.len() > MAX_KEY_LEN {
        return Some("it is longer than 1024 bytes");
    }
    if text.starts_with('/') {
        return Some("it starts with `/`");
    }
    if text.contains('\\') {
        return Some("it contains a backslash");
    }
    if text.chars().any(char::is_control) {
        return Some("it contains a control character");
    }
    text.split('/').find_map(segment_problem)
}

/// What is wrong with one `/`-separated segment of a key, if anything.
fn segment_problem(segment: &str) -> Option<&'static str> {
    match segment {
        "" => Some("it has an empty segment"),
        "." | ".." => Some("it has a `.` or `..` segment"),
        _ if segment.starts_with('.') => Some("it has a segment starting with `.`"),
        _ => None,
    }
}

/// Checks a listing prefix: `""`, or text that would be a valid key once one trailing `/` is
/// dropped (`package/`, `package/12`, `data/7/0.`).
fn check_prefix(prefix: &str) -> Result<(), StorageError> {
    if prefix.is_empty() {
        return Ok(());
    }
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    ObjectKey::parse(trimmed).map(drop)
}

/// Opens the object store named by a storage URL, creating it if needed, and checks that it can
/// be written. Cloud backends read their settings from the process environment.
///
/// `file:///abs/path` and `file://relative/path` (relative to the working directory, like the
/// original's `file://tmp-registry-server-storage`) are local folders. `gs://bucket/prefix` and
/// `s3://bucket/prefix` are buckets, the prefix optional. Any other scheme is
/// [`StorageError::UnsupportedScheme`].
pub async fn open(url: &str) -> Result<Store, StorageError> {
    open_with(url, &StorageEnv::from_process()).await
}

/// Like [`open`], with the cloud backends' variables taken from `env`.
pub async fn open_with(url: &str, env: &StorageEnv) -> Result<Store, StorageError> {
    let (scheme, location) = url
        .split_once("://")
        .ok_or_else(|| StorageError::InvalidUrl {
            url: redact_url(url),
            reason: "it has no `scheme://` prefix",
        })?;

    let store: Store = match scheme.to_ascii_lowercase().as_str() {
        "file" => Arc::new(fs::FsStore::open(location)?),
        "gs" => Arc::new(gcs::open(&bucket::BucketUrl::parse(url, location)?, env)?),
        "s3" => Arc::new(s3::open(&bucket::BucketUrl::parse(url, location)?, env).await?),
        _ => {
            return Err(StorageError::UnsupportedScheme {
                url: redact_url(url),
            });
        }
    };

    store.check_writable().await?;
    Ok(store)
}

/// `url` without user information (`user:password@`) or query string, fit for a message.
fn redact_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    let Some((scheme, rest)) = without_query.split_once("://") else {
        return without_query.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => without_query.to_owned(),
    }
}

/// Stores a small in-memory object under `key`, replacing any previous one.
pub async fn put_bytes(
    store: &dyn ObjectStore,
    key: &ObjectKey,
    body: Bytes,
) -> Result<u64, StorageError> {
    store.put(key, byte_stream(body)).await
}

/// Reads a whole object into memory. Only for small objects such as package files and images;
/// stream anything else with [`ObjectStore::get`].
pub async fn get_bytes(store: &dyn ObjectStore, key: &ObjectKey) -> Result<Bytes, StorageError> {
    let stream = store.get(key).await?;
    let collected = stream
        .try_fold(BytesMut::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .map_err(|source| StorageError::Io {
            what: format!("reading `{key}`"),
            source,
        })?;
    Ok(collected.freeze())
}

/// A [`ByteStream`] yielding `bytes` as its only chunk.
pub fn byte_stream(bytes: Bytes) -> ByteStream {
    futures::stream::once(async move { Ok(bytes) }).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> &'static str {
        match ObjectKey::parse(text) {
            Err(StorageError::InvalidKey { reason, .. }) => reason,
            other => panic!("`{}` should be refused, got {other:?}", text.escape_debug()),
        }
    }

    #[test]
    fn the_original_storage_keys_are_accepted() {
        for text in [
            "package/12/1/0/3/package_file",
            "package/12/package_cover",
            "catalog/4/catalog_avatar",
            "user/9/user_cover",
            "data/77/0.msgpack.gz",
            "file name with spaces/and-ünïcode",
        ] {
            assert_eq!(ObjectKey::parse(text).unwrap().as_str(), text);
        }
    }

    #[test]
    fn an_empty_key_is_refused() {
        assert_eq!(refusal(""), "it is empty");
    }

    #[test]
    fn an_absolute_key_is_refused() {
        assert_eq!(refusal("/etc/passwd"), "it starts with `/`");
    }

    #[test]
    fn a_key_with_dot_dot_is_refused() {
        assert_eq!(refusal(".."), "it has a `.` or `..` segment");
        assert_eq!(refusal("a/../b"), "it has a `.` or `..` segment");
        assert_eq!(refusal("a/.."), "it has a `.` or `..` segment");
    }

    #[test]
    fn a_key_with_a_dot_segment_is_refused() {
        assert_eq!(refusal("a/./b"), "it has a `.` or `..` segment");
    }

    #[test]
    fn a_key_with_a_hidden_segment_is_refused() {
        assert_eq!(refusal(".tmp/x"), "it has a segment starting with `.`");
        assert_eq!(refusal("a/.hidden"), "it has a segment starting with `.`");
    }

    #[test]
    fn a_key_with_an_empty_segment_is_refused() {
        assert_eq!(refusal("a//b"), "it has an empty segment");
        assert_eq!(refusal("a/"), "it has an empty segment");
    }

    #[test]
    fn a_key_with_a_backslash_is_refused() {
        assert_eq!(refusal("a\\..\\b"), "it contains a backslash");
    }

    #[test]
    fn a_key_with_nul_or_another_control_character_is_refused() {
        assert_eq!(refusal("a\0b"), "it contains a control character");
        assert_eq!(refusal("a\nb"), "it contains a control character");
        assert_eq!(refusal("a\u{7f}b"), "it contains a control character");
    }

    #[test]
    fn a_key_of_1024_bytes_is_accepted_and_one_more_is_refused() {
        let longest = "k".repeat(MAX_KEY_LEN);
        assert!(ObjectKey::parse(&longest).is_ok());
        assert_eq!(
            refusal(&format!("{longest}k")),
            "it is longer than 1024 bytes"
        );
    }

    #[test]
    fn a_refused_key_is_shown_with_control_characters_escaped() {
        let message = ObjectKey::parse("a\0b").unwrap_err().to_string();
        assert!(message.contains(r"a\0b"), "{message}");
    }

    #[test]
    fn listing_prefixes_follow_the_key_rules() {
        for ok in ["", "package/", "package/12", "data/7/0."] {
            assert!(check_prefix(ok).is_ok(), "{ok}");
        }
        for bad in ["/", "../", "a//", "/abs", "a\\b", ".tmp/"] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_are_removed_from_urls_in_messages() {
        assert_eq!(
            redact_url("s3://key:secret@bucket/p?token=x"),
            "s3://bucket/p"
        );
        assert_eq!(redact_url("ftp://x"), "ftp://x");
        assert_eq!(redact_url("file:///a@b/c"), "file:///a@b/c");
    }
}
