//! Objects in a cloud bucket, through an opendal operator; `gcs` and `s3` build the operator.
//!
//! A key `a/b/c` is the object `<prefix>/a/b/c`. Keys never start a segment with `.`, so the
//! hidden `<prefix>/.tmp/` holds the start-up probe and staged uploads without clashing with an
//! object, and listings skip it. Bodies stream in chunks of [`CHUNK`]: a body that fits in one
//! goes up in a single request, a larger one in parts, so memory stays at a few chunks whatever
//! the object's size. Transient failures are retried with backoff by opendal's `RetryLayer`.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{Buffer, ErrorKind, Operator, Writer};

use super::{
    BucketProblem, ByteStream, ObjectInfo, ObjectKey, ObjectStore, StorageError, check_prefix,
    redact_url,
};

/// The hidden folder under the prefix for probes and staged uploads.
const TEMP_DIR: &str = ".tmp";

/// Bytes sent per request (and held in memory) while streaming a body up; GCS and S3 both take
/// parts of this size.
// TODO(#5): a body over one chunk always goes up in parts, even when its length is known (as in
// a restore); on the emulators that is 2 to 6 times slower than one streamed request, so such
// bodies should go up in one request when the service allows it.
pub(super) const CHUNK: usize = 8 * 1024 * 1024;

/// How long one request may take before it counts as failed and is retried.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one chunk of a body may take to move.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Installs reqwest as opendal's HTTP client for the process, before any bucket request; calls
/// after the first do nothing.
pub(super) fn install_http_client() {
    opendal::install_default();
}

/// A `gs://` or `s3://` URL taken apart: the bucket and the optional prefix inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BucketUrl {
    /// `gs` or `s3`.
    pub scheme: String,
    /// The bucket's name.
    pub bucket: String,
    /// The folder inside the bucket, without slashes at either end; empty for the whole bucket.
    pub prefix: String,
}

impl BucketUrl {
    /// Parses `url`, whose text after `scheme://` is `location`.
    pub(super) fn parse(url: &str, location: &str) -> Result<BucketUrl, StorageError> {
        let invalid = |reason| StorageError::InvalidUrl {
            url: redact_url(url),
            reason,
        };
        let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
        if location.contains(['?', '#']) {
            return Err(invalid(
                "it has a query or fragment; settings come from variables",
            ));
        }
        let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
        if bucket.contains('@') {
            return Err(invalid(
                "it carries credentials; give them through the backend's own variables",
            ));
        }
        if let Some(reason) = bucket_name_problem(bucket) {
            return Err(invalid(reason));
        }

        let prefix = prefix.trim_end_matches('/');
        if !prefix.is_empty() && ObjectKey::parse(prefix).is_err() {
            return Err(invalid(
                "its prefix has an empty, `.` or `..` segment or a character keys cannot hold",
            ));
        }
        Ok(BucketUrl {
            scheme: scheme.to_ascii_lowercase(),
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    /// The prefix as opendal's root: `/` or `/prefix/`.
    pub(super) fn root(&self) -> String {
        match self.prefix.is_empty() {
            true => "/".to_owned(),
            false => format!("/{}/", self.prefix),
        }
    }
}

impl std::fmt::Display for BucketUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.bucket)?;
        match self.prefix.is_empty() {
            true => Ok(()),
            false => write!(f, "/{}", self.prefix),
        }
    }
}

/// What is wrong with `name` as a bucket name, if anything. The rules are the ones GCS and S3
/// share: 3 to 222 characters of lowercase letters, digits, `-`, `_` and `.`, starting and ending
/// with a letter or digit.
fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.is_empty() {
        Some("it names no bucket")
    } else if !(3..=222).contains(&name.len()) {
        Some("its bucket name is not 3 to 222 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
    {
        Some("its bucket name has characters other than a-z, 0-9, `-`, `_` and `.`")
    } else if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        Some("its bucket name does not start and end with a letter or digit")
    } else {
        None
    }
}

/// What the operator should change, per problem, naming this backend's variables.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fixes {
    pub missing: &'static str,
    pub denied: &'static str,
    pub credentials: &'static str,
    pub unreachable: &'static str,
    pub failed: &'static str,
}

/// How a replacing write of a body larger than one chunk reaches the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LargeReplace {
    /// The service's multipart upload, assembled into the object at the end (S3).
    Multipart,
    /// A create-only upload to a staged object under `.tmp/`, copied over the key by the service
    /// and then deleted (GCS: opendal's unconditional GCS multipart upload goes through the XML
    /// API, which GCS emulators lack, while the create-only path is a resumable upload that works
    /// on both).
    StageAndCopy,
}

/// A bucket backend; made by `gcs::open` and `s3::open`.
#[derive(Debug)]
pub(super) struct BucketStore {
    op: Operator,
    location: String,
    fixes: Fixes,
    large_replace: LargeReplace,
}

impl BucketStore {
    /// Wraps `op` with timeouts and retries. `location` is what messages and `describe` show,
    /// e.g. `s3://bucket/prefix (endpoint http://127.0.0.1:9000)`.
    pub(super) fn new(
        op: Operator,
        location: String,
        fixes: Fixes,
        large_replace: LargeReplace,
    ) -> BucketStore {
        let timeouts = TimeoutLayer::new()
            .with_timeout(REQUEST_TIMEOUT)
            .with_io_timeout(IO_TIMEOUT);
        let retries = RetryLayer::new()
            .with_jitter()
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(5))
            .with_max_times(4);
        BucketStore {
            op: op.layer(timeouts).layer(retries),
            location,
            fixes,
            large_replace,
        }
    }

    /// Streams `body` to `path` through opendal's writer, part by part.
    async fn stream_to(
        &self,
        path: &str,
        key: &ObjectKey,
        create_only: bool,
        body: ByteStream,
    ) -> Result<u64, StorageError> {
        let mut writer = self
            .op
            .writer_with(path)
            .chunk(CHUNK)
            .if_not_exists(create_only)
            .await
            .map_err(|err| self.write_failure(key, err))?;

        let finished = match copy_into(&mut writer, key, body).await {
            Ok(written) => match writer.close().await {
                Ok(_) => Ok(written),
                Err(err) => Err(self.write_failure(key, err)),
            },
            Err(err) => Err(err),
        };

        if finished.is_err() {
            // Drops the uploaded parts; the object under the key, if any, was never touched.
            let _ = writer.abort().await;
        }
        finished
    }

    /// Uploads `body` create-only to a fresh name under `.tmp/`, has the service copy it over
    /// `key`, and deletes the staged object.
    async fn stage_then_copy(
        &self,
        key: &ObjectKey,
        body: ByteStream,
    ) -> Result<u64, StorageError> {
        let staged = format!("{TEMP_DIR}/stage-{}", uuid::Uuid::new_v4());
        let written = self.stream_to(&staged, key, true, body).await?;

        let copied = self.op.copy(&staged, key.as_str()).await;
        let _ = self.op.delete(&staged).await;
        copied.map_err(|err| self.failure("copying into place", key, err))?;
        Ok(written)
    }

    fn write_failure(&self, key: &ObjectKey, err: opendal::Error) -> StorageError {
        match err.kind() {
            ErrorKind::ConditionNotMatch | ErrorKind::AlreadyExists => {
                StorageError::AlreadyExists {
                    key: key.to_string(),
                }
            }
            _ => self.failure("writing", key, err),
        }
    }

    fn failure(&self, action: &str, key: &ObjectKey, err: opendal::Error) -> StorageError {
        StorageError::Io {
            what: format!("{action} `{key}` in {} failed", self.location),
            source: err.into(),
        }
    }

    /// The probe's failure, told apart as missing bucket, refusal or unreachable service.
    fn unusable(&self, err: opendal::Error) -> StorageError {
        let problem = classify(&err);
        let fix = match problem {
            BucketProblem::Missing => self.fixes.missing,
            BucketProblem::Denied => self.fixes.denied,
            BucketProblem::Credentials => self.fixes.credentials,
            BucketProblem::Unreachable => self.fixes.unreachable,
            BucketProblem::Failed => self.fixes.failed,
        };
        StorageError::Bucket {
            location: self.location.clone(),
            problem,
            detail: short_detail(&err),
            fix,
            source: err.into(),
        }
    }
}

/// The gist of an opendal error for a one-line message: its kind and message on one line,
/// without the request context.
fn short_detail(err: &opendal::Error) -> String {
    let message: String = err
        .message()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut detail = format!("{}: {message}", err.kind());
    if detail.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|i| detail.is_char_boundary(*i))
            .unwrap_or(0);
        detail.truncate(cut);
        detail.push('…');
    }
    detail
}

/// S3 error codes that mean the credentials were refused; opendal reports some of them as
/// configuration errors rather than as denied access.
const DENIED_CODES: [&str; 5] = [
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
];

/// Which [`BucketProblem`] an opendal error shows.
fn classify(err: &opendal::Error) -> BucketProblem {
    let message = err.message();
    let mentions = |text: &str| message.contains(text);
    match err.kind() {
        ErrorKind::NotFound => BucketProblem::Missing,
        ErrorKind::PermissionDenied => BucketProblem::Denied,
        // opendal reports S3's `NoSuchBucket` as a configuration error.
        _ if mentions("NoSuchBucket") => BucketProblem::Missing,
        _ if DENIED_CODES.iter().any(|code| mentions(code)) => BucketProblem::Denied,
        _ if mentions("credential") || mentions("signing") => BucketProblem::Credentials,
        _ if mentions("send http request") || mentions("timeout") => BucketProblem::Unreachable,
        _ => BucketProblem::Failed,
    }
}

#[async_trait::async_trait]
impl ObjectStore for BucketStore {
    async fn put(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError> {
        let (head, rest) = take_head(key, body).await?;
        let Some(rest) = rest else {
            let written = head.iter().map(|chunk| chunk.len() as u64).sum();
            let write = self.op.write(key.as_str(), Buffer::from(head)).await;
            write.map_err(|err| self.write_failure(key, err))?;
            return Ok(written);
        };

        let body = futures::stream::iter(head.into_iter().map(Ok))
            .chain(rest)
            .boxed();
        match self.large_replace {
            LargeReplace::Multipart => self.stream_to(key.as_str(), key, false, body).await,
            LargeReplace::StageAndCopy => self.stage_then_copy(key, body).await,
        }
    }

    async fn put_if_absent(&self, key: &ObjectKey, body: ByteStream) -> Result<u64, StorageError> {
        // Fail fast without reading the body. The create-only upload below is what decides when
        // two writers race (`ifGenerationMatch=0` on GCS, `If-None-Match: *` on S3).
        if self.exists(key).await? {
            return Err(StorageError::AlreadyExists {
                key: key.to_string(),
            });
        }
        self.stream_to(key.as_str(), key, true, body).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<ByteStream, StorageError> {
        let reader = self.op.reader(key.as_str()).await;
        let reader = reader.map_err(|err| self.failure("reading", key, err))?;
        let mut stream = reader
            .into_bytes_stream(..)
            .await
            .map_err(|err| self.failure("reading", key, err))?;

        // Opens the request now, so a missing object is `NotFound` here rather than an error
        // halfway through the caller's copy.
        match stream.metadata().await {
            Ok(_) => {}
            Err(err) if err.kind() == ErrorKind::NotFound => {
                return Err(StorageError::NotFound {
                    key: key.to_string(),
                });
            }
            Err(err) => return Err(self.failure("reading", key, err)),
        }

        let what = format!("reading `{key}` in {}", self.location);
        Ok(stream
            .map_err(move |err| io::Error::new(err.kind(), format!("{what}: {err}")))
            .boxed())
    }

    async fn exists(&self, key: &ObjectKey) -> Result<bool, StorageError> {
        match self.op.stat(key.as_str()).await {
            Ok(meta) => Ok(meta.is_file()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(err) => Err(self.failure("looking up", key, err)),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        self.op
            .delete(key.as_str())
            .await
            .map_err(|err| self.failure("deleting", key, err))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        check_prefix(prefix)?;
        let listing_failed = |err: opendal::Error| StorageError::Io {
            what: format!("listing `{prefix}` in {} failed", self.location),
            source: err.into(),
        };

        // List under the deepest folder the prefix names, keeping the keys that really match.
        let folder = prefix.rfind('/').map_or("/", |end| &prefix[..=end]);
        let mut lister = self
            .op
            .lister_with(folder)
            .recursive(true)
            .await
            .map_err(listing_failed)?;

        let mut objects = Vec::new();
        while let Some(entry) = lister.try_next().await.map_err(listing_failed)? {
            let matches = entry.metadata().is_file() && entry.path().starts_with(prefix);
            // Skips `.tmp/` and any object whose name is not a key.
            if let (true, Ok(key)) = (matches, ObjectKey::parse(entry.path())) {
                let size = entry.metadata().content_length();
                objects.push(ObjectInfo { key, size });
            }
        }
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    async fn check_writable(&self) -> Result<(), StorageError> {
        let probe = format!("{TEMP_DIR}/probe-{}", uuid::Uuid::new_v4());
        let expected = Bytes::from_static(b"datapm-registry storage probe");

        let write = self.op.write(&probe, expected.clone()).await;
        write.map_err(|err| self.unusable(err))?;
        let read = self.op.read(&probe).await;
        let deleted = self.op.delete(&probe).await;

        let read = read.map_err(|err| self.unusable(err))?;
        if read.to_bytes() != expected {
            let differs = opendal::Error::new(ErrorKind::Unexpected, "the probe read back differs");
            return Err(self.unusable(differs));
        }
        deleted.map_err(|err| self.unusable(err))
    }

    fn describe(&self) -> String {
        self.location.clone()
    }
}

/// Reads `body` until it ends or holds more than [`CHUNK`] bytes. Returns the chunks read and,
/// when the body goes on, the rest of it.
async fn take_head(
    key: &ObjectKey,
    mut body: ByteStream,
) -> Result<(Vec<Bytes>, Option<ByteStream>), StorageError> {
    let (mut head, mut held) = (Vec::new(), 0);
    while held <= CHUNK {
        match body.next().await {
            Some(chunk) => {
                let chunk = chunk.map_err(|source| body_failure(key, source))?;
                held += chunk.len();
                head.push(chunk);
            }
            None => return Ok((head, None)),
        }
    }
    Ok((head, Some(body)))
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
        writer.write(chunk).await.map_err(|err| StorageError::Io {
            what: format!("writing `{key}` failed"),
            source: err.into(),
        })?;
    }
    Ok(written)
}

fn body_failure(key: &ObjectKey, source: io::Error) -> StorageError {
    StorageError::Body {
        key: key.to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Result<BucketUrl, StorageError> {
        let (_, location) = url.split_once("://").unwrap();
        BucketUrl::parse(url, location)
    }

    #[test]
    fn a_bucket_url_gives_its_bucket_and_prefix() {
        let url = parsed("gs://my-bucket/registry/prod/").unwrap();

        assert_eq!(
            (url.bucket.as_str(), url.prefix.as_str()),
            ("my-bucket", "registry/prod")
        );
        assert_eq!(url.root(), "/registry/prod/");
        assert_eq!(url.to_string(), "gs://my-bucket/registry/prod");
    }

    #[test]
    fn a_bucket_url_without_a_prefix_uses_the_whole_bucket() {
        let url = parsed("s3://data.example.com").unwrap();

        assert_eq!(url.prefix, "");
        assert_eq!(url.root(), "/");
        assert_eq!(url.to_string(), "s3://data.example.com");
    }

    #[test]
    fn bad_bucket_urls_are_refused_with_the_reason() {
        for (url, reason) in [
            ("s3://", "it names no bucket"),
            ("s3:///prefix", "it names no bucket"),
            ("gs://ab", "its bucket name is not 3 to 222 characters long"),
            (
                "gs://My_Bucket",
                "its bucket name has characters other than a-z, 0-9, `-`, `_` and `.`",
            ),
            (
                "gs://-bucket",
                "its bucket name does not start and end with a letter or digit",
            ),
            (
                "s3://key:secret@bucket/p",
                "it carries credentials; give them through the backend's own variables",
            ),
            (
                "s3://bucket/p?region=x",
                "it has a query or fragment; settings come from variables",
            ),
        ] {
            match parsed(url) {
                Err(StorageError::InvalidUrl { reason: got, .. }) => {
                    assert_eq!(got, reason, "{url}")
                }
                other => panic!("{url} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn an_escaping_prefix_is_refused() {
        for url in [
            "gs://bucket/../other",
            "gs://bucket/a//b",
            "gs://bucket/.tmp",
            "gs://bucket/a\\b",
        ] {
            assert!(
                matches!(parsed(url), Err(StorageError::InvalidUrl { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn refused_urls_never_show_their_credentials() {
        let message = parsed("s3://key:hunter2@bucket/p").unwrap_err().to_string();

        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn opendal_errors_are_told_apart() {
        let error = |kind, message| opendal::Error::new(kind, message);

        assert_eq!(
            classify(&error(ErrorKind::NotFound, "NoSuchBucket")),
            BucketProblem::Missing
        );
        assert_eq!(
            classify(&error(ErrorKind::PermissionDenied, "x")),
            BucketProblem::Denied
        );
        assert_eq!(
            classify(&error(ErrorKind::Unexpected, "send http request")),
            BucketProblem::Unreachable
        );
        assert_eq!(
            classify(&error(
                ErrorKind::Unexpected,
                "loading credential to sign http request"
            )),
            BucketProblem::Credentials
        );
        assert_eq!(
            classify(&error(ErrorKind::Unexpected, "odd")),
            BucketProblem::Failed
        );
    }
}
