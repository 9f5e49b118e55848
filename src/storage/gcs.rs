//! Google Cloud Storage (`gs://bucket/prefix`), through opendal's `Gcs` service.
//!
//! Credentials are found the ways Google's own libraries find them: the key file named by
//! `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's application-default file, then the metadata server
//! of a Google Cloud machine. `STORAGE_EMULATOR_HOST` (`host:port` or a URL) points the backend at
//! an emulator or private gateway and, as in Google's libraries, sends requests unsigned.

use opendal::Operator;
use opendal::services::Gcs;

use super::bucket::{BucketStore, BucketUrl, Fixes, LargeReplace, install_http_client};
use super::{StorageEnv, StorageError};

const FIXES: Fixes = Fixes {
    missing: "create the bucket, or correct its name in STORAGE_URL (--storage-url)",
    denied: "give the service account read, write and delete access to the bucket's objects \
             (the Storage Object Admin role), or point GOOGLE_APPLICATION_CREDENTIALS at another key",
    credentials: "set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run on a \
                  Google Cloud machine with a service account",
    unreachable: "check the network, and STORAGE_EMULATOR_HOST when using an emulator or gateway",
    failed: "check STORAGE_URL (--storage-url) and the bucket's settings",
};

/// Builds the store for `url`; nothing is sent until the first operation.
pub(super) fn open(url: &BucketUrl, env: &StorageEnv) -> Result<BucketStore, StorageError> {
    install_http_client();
    let mut builder = Gcs::default().bucket(&url.bucket).root(&url.root());
    let mut location = url.to_string();

    if let Some(host) = env.get("STORAGE_EMULATOR_HOST") {
        let endpoint = emulator_endpoint(host)?;
        builder = builder.endpoint(&endpoint).skip_signature();
        location = format!("{location} (endpoint {endpoint})");
    } else if let Some(path) = env.get("GOOGLE_APPLICATION_CREDENTIALS") {
        builder = builder.credential_path(path);
    }

    let op = Operator::new(builder).map_err(|err| StorageError::Config {
        what: format!("{location} cannot be used: {err}"),
    })?;
    Ok(BucketStore::new(
        op,
        location,
        FIXES,
        LargeReplace::StageAndCopy,
    ))
}

/// `STORAGE_EMULATOR_HOST` as a base URL: Google's libraries take `host:port` (plain HTTP) or a
/// whole `http://` or `https://` URL.
fn emulator_endpoint(host: &str) -> Result<String, StorageError> {
    let endpoint = match host.contains("://") {
        true => host.trim_end_matches('/').to_owned(),
        false => format!("http://{}", host.trim_end_matches('/')),
    };
    let parsed = url::Url::parse(&endpoint).ok();
    let usable = parsed.as_ref().is_some_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
            && url.username().is_empty()
            && url.password().is_none()
    });
    match usable {
        true => Ok(endpoint),
        false => Err(StorageError::Config {
            what: "STORAGE_EMULATOR_HOST must be `host:port` or an http(s) URL without \
                   credentials"
                .to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emulator_host_without_a_scheme_is_plain_http() {
        assert_eq!(
            emulator_endpoint("127.0.0.1:4443").unwrap(),
            "http://127.0.0.1:4443"
        );
        assert_eq!(
            emulator_endpoint("https://gcs.internal/").unwrap(),
            "https://gcs.internal"
        );
    }

    #[test]
    fn an_emulator_host_with_credentials_is_refused_without_showing_them() {
        let err = emulator_endpoint("http://user:hunter2@host:1").unwrap_err();

        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("STORAGE_EMULATOR_HOST"), "{err}");
    }
}
