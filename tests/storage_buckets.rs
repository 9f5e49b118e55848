//! What only buckets do: find out at start-up (and on `/readyz`) that a bucket is missing or its
//! service out of reach, say so in a message an operator can act on without ever showing a
//! credential, and keep registries under different prefixes of one bucket apart.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use datapm_registry::storage::*;
use support::server::{Backend, TestConfig};
use support::storage::{StoreKind, create_bucket, fresh_store, gcs_env, s3_env};

/// A made-up secret that must never reach a message.
const SECRET: &str = "datapm-secret-that-must-not-leak";

/// An address where nothing listens.
const NOWHERE: &str = "http://127.0.0.1:1";

fn env_of(kind: StoreKind) -> StorageEnv {
    match kind {
        StoreKind::Gcs => gcs_env(),
        StoreKind::S3 => s3_env().with("AWS_SECRET_ACCESS_KEY", SECRET),
        StoreKind::Files => StorageEnv::empty(),
    }
}

fn url_of(kind: StoreKind, bucket: &str) -> String {
    match kind {
        StoreKind::Gcs => format!("gs://{bucket}/registry"),
        _ => format!("s3://{bucket}/registry"),
    }
}

/// Opens `url`, expecting a refusal, and checks its message shows no secret.
async fn refusal(url: &str, env: &StorageEnv) -> StorageError {
    let err = open_with(url, env).await.expect_err("the open is refused");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    err
}

async fn a_missing_bucket_is_named_as_missing(kind: StoreKind) {
    let err = refusal(&url_of(kind, "no-such-bucket"), &env_of(kind)).await;

    let StorageError::Bucket { problem, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*problem, BucketProblem::Missing, "{err}");
    let message = err.to_string();
    assert!(message.contains("no-such-bucket"), "{message}");
    assert!(message.contains("create the bucket"), "{message}");
}

mod a_missing_bucket_stops_the_open_with_what_to_do {
    use super::*;

    #[tokio::test]
    #[cfg_attr(
        not(gcs_tests),
        ignore = "skipped: start fake-gcs-server and set DATAPM_TEST_GCS_ENDPOINT"
    )]
    async fn gcs() {
        a_missing_bucket_is_named_as_missing(StoreKind::Gcs).await
    }

    #[tokio::test]
    #[cfg_attr(
        not(s3_tests),
        ignore = "skipped: start moto_server and set DATAPM_TEST_S3_ENDPOINT"
    )]
    async fn s3() {
        a_missing_bucket_is_named_as_missing(StoreKind::S3).await
    }
}

mod an_endpoint_where_nothing_listens_is_reported_unreachable {
    use super::*;

    async fn check(url: &str, env: StorageEnv, variable: &str) {
        let err = refusal(url, &env).await;

        let StorageError::Bucket { problem, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*problem, BucketProblem::Unreachable);
        let message = err.to_string();
        assert!(message.contains(NOWHERE), "names the endpoint: {message}");
        assert!(message.contains(variable), "names the variable: {message}");
    }

    #[tokio::test]
    async fn gcs() {
        let env = StorageEnv::empty().with("STORAGE_EMULATOR_HOST", NOWHERE);
        check("gs://some-bucket", env, "STORAGE_EMULATOR_HOST").await
    }

    #[tokio::test]
    async fn s3() {
        let env = StorageEnv::empty()
            .with("AWS_ENDPOINT_URL", NOWHERE)
            .with("AWS_ACCESS_KEY_ID", "id")
            .with("AWS_SECRET_ACCESS_KEY", SECRET);
        check("s3://some-bucket", env, "AWS_ENDPOINT_URL").await
    }
}

async fn prefixes_keep_apart(kind: StoreKind) {
    let first = fresh_store(kind).await.store;
    let second = fresh_store(kind).await.store;
    let k = ObjectKey::parse("package/1/package_file").unwrap();

    put_bytes(first.as_ref(), &k, Bytes::from_static(b"first"))
        .await
        .unwrap();

    assert!(!second.exists(&k).await.unwrap());
    assert!(second.list("").await.unwrap().is_empty());
    assert_eq!(first.list("").await.unwrap().len(), 1);
}

mod two_registries_under_different_prefixes_do_not_see_each_other {
    use super::*;

    #[tokio::test]
    #[cfg_attr(
        not(gcs_tests),
        ignore = "skipped: start fake-gcs-server and set DATAPM_TEST_GCS_ENDPOINT"
    )]
    async fn gcs() {
        prefixes_keep_apart(StoreKind::Gcs).await
    }

    #[tokio::test]
    #[cfg_attr(
        not(s3_tests),
        ignore = "skipped: start moto_server and set DATAPM_TEST_S3_ENDPOINT"
    )]
    async fn s3() {
        prefixes_keep_apart(StoreKind::S3).await
    }
}

#[tokio::test]
async fn a_bucket_url_with_credentials_is_refused_without_showing_them() {
    let err = refusal(
        &format!("s3://AKIA:{SECRET}@bucket/prefix"),
        &StorageEnv::empty(),
    )
    .await;

    assert!(matches!(err, StorageError::InvalidUrl { .. }), "{err:?}");
}

/// Readiness follows the bucket: ready while it takes writes, not once it is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(s3_tests),
    ignore = "skipped: start moto_server and set DATAPM_TEST_S3_ENDPOINT"
)]
async fn readiness_fails_when_the_bucket_goes_away() {
    let bucket = format!("ready-{}", uuid::Uuid::new_v4().simple());
    create_bucket(StoreKind::S3, &bucket).await;
    let store = open_with(&format!("s3://{bucket}"), &s3_env())
        .await
        .unwrap();
    let mut config = TestConfig::new(Backend::Sqlite);
    config.store = Some(store);
    let server = config.start().await;
    let ready = server.get("/readyz").send().await.unwrap();
    assert_eq!(ready.status(), 200);

    let endpoint = support::storage::endpoint("DATAPM_TEST_S3_ENDPOINT");
    let deleted = reqwest::Client::new()
        .delete(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());

    let response = server.get("/readyz").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.text().await.unwrap(), "storage not writable\n");
    server.finish().await;
}

// `serve` itself, as an operator starts it: refused starts and their messages.

/// Runs `serve` in `dir` with only `settings` (and PATH) in its environment, expecting it to
/// refuse to start; returns its standard error.
fn refused_start(dir: &Path, settings: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_datapm-registry"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("PORT", "0")
        .env("DATAPM_DATA_DIR", dir.join("data"))
        .envs(settings.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    stderr
}

#[test]
fn serve_refuses_to_start_when_the_storage_endpoint_does_not_answer() {
    let dir = tempfile::tempdir().unwrap();

    let stderr = refused_start(
        dir.path(),
        &[
            ("STORAGE_URL", "s3://some-bucket/registry"),
            ("AWS_ENDPOINT_URL", NOWHERE),
            ("AWS_ACCESS_KEY_ID", "id"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ],
    );

    assert!(stderr.contains("STORAGE_URL (--storage-url)"), "{stderr}");
    assert!(stderr.contains("cannot be reached"), "{stderr}");
}

#[test]
#[cfg_attr(
    not(gcs_tests),
    ignore = "skipped: start fake-gcs-server and set DATAPM_TEST_GCS_ENDPOINT"
)]
fn serve_refuses_to_start_on_a_missing_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = support::storage::endpoint("DATAPM_TEST_GCS_ENDPOINT");

    let stderr = refused_start(
        dir.path(),
        &[
            ("STORAGE_URL", "gs://no-such-bucket/registry"),
            ("STORAGE_EMULATOR_HOST", &emulator),
        ],
    );

    assert!(stderr.contains("STORAGE_URL (--storage-url)"), "{stderr}");
    assert!(stderr.contains("the bucket does not exist"), "{stderr}");
}
