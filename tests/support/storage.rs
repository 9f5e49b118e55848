//! Fresh object stores for tests: a temporary folder, or a new prefix in a bucket of the
//! fake-gcs-server or moto S3 emulator that `.ci/run` starts.
//!
//! The emulators are found through `DATAPM_TEST_GCS_ENDPOINT` and `DATAPM_TEST_S3_ENDPOINT`
//! (`http://127.0.0.1:PORT`). When one was unset at build time, the tests of that backend are
//! compiled as ignored (see `build.rs`) and counted as skipped.

use datapm_registry::storage::{StorageEnv, Store, open_with};
use tempfile::TempDir;

/// The bucket every test shares, each under a prefix of its own.
pub const TEST_BUCKET: &str = "datapm-test";

/// Which backend a store is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    Files,
    Gcs,
    S3,
}

/// A store made for one test, and what it takes to open it again.
pub struct TestStore {
    pub store: Store,
    pub url: String,
    pub env: StorageEnv,
    pub dir: Option<TempDir>,
}

/// A store with nothing in it.
pub async fn fresh_store(kind: StoreKind) -> TestStore {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let (url, env, dir) = match kind {
        StoreKind::Files => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("file://{}", dir.path().join("storage").display());
            (url, StorageEnv::empty(), Some(dir))
        }
        StoreKind::Gcs => {
            create_bucket(kind, TEST_BUCKET).await;
            (format!("gs://{TEST_BUCKET}/{prefix}"), gcs_env(), None)
        }
        StoreKind::S3 => {
            create_bucket(kind, TEST_BUCKET).await;
            (format!("s3://{TEST_BUCKET}/{prefix}"), s3_env(), None)
        }
    };
    let store = open_with(&url, &env)
        .await
        .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    TestStore {
        store,
        url,
        env,
        dir,
    }
}

/// The emulator's base URL from `variable`, which must be set when its tests run.
pub fn endpoint(variable: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} was set when the tests were built but is not set now; start the emulator and set it, or rebuild without it")
    })
}

/// Settings pointing the GCS backend at fake-gcs-server.
pub fn gcs_env() -> StorageEnv {
    StorageEnv::empty().with(
        "STORAGE_EMULATOR_HOST",
        endpoint("DATAPM_TEST_GCS_ENDPOINT"),
    )
}

/// Settings pointing the S3 backend at moto, with the made-up keys moto accepts.
pub fn s3_env() -> StorageEnv {
    StorageEnv::empty()
        .with("AWS_ENDPOINT_URL", endpoint("DATAPM_TEST_S3_ENDPOINT"))
        .with("AWS_REGION", "us-east-1")
        .with("AWS_ACCESS_KEY_ID", "datapm-test-key")
        .with("AWS_SECRET_ACCESS_KEY", "datapm-test-secret")
}

/// Creates `bucket` in the emulator if it is not there yet.
pub async fn create_bucket(kind: StoreKind, bucket: &str) {
    let http = reqwest::Client::new();
    let response = match kind {
        StoreKind::Files => return,
        StoreKind::Gcs => {
            let url = format!("{}/storage/v1/b", endpoint("DATAPM_TEST_GCS_ENDPOINT"));
            http.post(url).json(&serde_json::json!({ "name": bucket }))
        }
        // moto takes an unsigned bucket creation.
        StoreKind::S3 => http.put(format!("{}/{bucket}", endpoint("DATAPM_TEST_S3_ENDPOINT"))),
    };
    let response = response.send().await.expect("the emulator answers");
    let status = response.status().as_u16();
    assert!(
        matches!(status, 200 | 409),
        "creating bucket {bucket}: {status} {}",
        response.text().await.unwrap_or_default()
    );
}

/// Defines a test that runs once on each backend: local files, GCS and S3. The bucket variants
/// are ignored (reported as skipped) unless the emulator's variable was set at build time.
#[macro_export]
macro_rules! on_every_store {
    ($(async fn $name:ident($kind:ident: StoreKind) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($kind: $crate::support::storage::StoreKind) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn local_files() {
                    run($crate::support::storage::StoreKind::Files).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    not(gcs_tests),
                    ignore = "skipped: start fake-gcs-server and set DATAPM_TEST_GCS_ENDPOINT"
                )]
                async fn gcs() {
                    run($crate::support::storage::StoreKind::Gcs).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    not(s3_tests),
                    ignore = "skipped: start moto_server and set DATAPM_TEST_S3_ENDPOINT"
                )]
                async fn s3() {
                    run($crate::support::storage::StoreKind::S3).await
                }
            }
        )*
    };
}
