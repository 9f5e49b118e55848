//! Amazon S3 and S3-compatible stores (`s3://bucket/prefix`), through opendal's `S3` service.
//!
//! Settings come from the variables the AWS SDKs read. Credentials: `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN`), else the shared credentials and config
//! files for `AWS_PROFILE`, web identity, and the ECS or EC2 instance metadata. Region:
//! `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` in the config file, else asked of
//! S3. `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` name an S3-compatible store (MinIO, Ceph, an
//! emulator), addressed path-style (`endpoint/bucket/key`), as those stores expect.

use std::path::PathBuf;

use opendal::Operator;
use opendal::services::S3;

use super::bucket::{BucketStore, BucketUrl, Fixes, LargeReplace, install_http_client};
use super::{StorageEnv, StorageError};

const FIXES: Fixes = Fixes {
    missing: "create the bucket, or correct its name in STORAGE_URL (--storage-url) or the \
              endpoint in AWS_ENDPOINT_URL",
    denied: "allow s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the bucket \
             for these credentials, or check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and \
             AWS_PROFILE",
    credentials: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with \
                  an instance role",
    unreachable: "check the network and AWS_ENDPOINT_URL (for S3-compatible stores) or \
                  AWS_REGION",
    failed: "check STORAGE_URL (--storage-url), AWS_ENDPOINT_URL and AWS_REGION",
};

/// The region S3-compatible stores are addressed with when none is set; most ignore it.
const COMPATIBLE_REGION: &str = "us-east-1";

/// Builds the store for `url`. Without a region set anywhere, asks S3 where the bucket lives.
pub(super) async fn open(url: &BucketUrl, env: &StorageEnv) -> Result<BucketStore, StorageError> {
    install_http_client();
    let endpoint = match env.first(&["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]) {
        Some((name, value)) => Some(checked_endpoint(name, value)?),
        None => None,
    };
    let region = region(env, endpoint.is_some(), &url.bucket).await?;

    let mut builder = S3::default()
        .bucket(&url.bucket)
        .root(&url.root())
        .region(&region);
    let mut location = url.to_string();
    match &endpoint {
        Some(endpoint) => {
            builder = builder.endpoint(endpoint);
            location = format!("{location} (endpoint {endpoint})");
        }
        // Virtual-hosted addressing is what AWS wants; it cannot carry a dotted name over TLS.
        None if !url.bucket.contains('.') => builder = builder.enable_virtual_host_style(),
        None => {}
    }
    builder = with_credentials(builder, env);

    let op = Operator::new(builder).map_err(|err| StorageError::Config {
        what: format!("{location} cannot be used: {err}"),
    })?;
    Ok(BucketStore::new(
        op,
        location,
        FIXES,
        LargeReplace::Multipart,
    ))
}

fn with_credentials(mut builder: S3, env: &StorageEnv) -> S3 {
    let id = env.get("AWS_ACCESS_KEY_ID");
    let secret = env.get("AWS_SECRET_ACCESS_KEY");
    if let (Some(id), Some(secret)) = (id, secret) {
        builder = builder.access_key_id(id).secret_access_key(secret);
        if let Some(token) = env.get("AWS_SESSION_TOKEN") {
            builder = builder.session_token(token);
        }
    }
    if let Some(profile) = env.get("AWS_PROFILE") {
        builder = builder.profile(profile);
    }
    builder
}

/// An endpoint variable's value, if it is an http(s) URL without credentials.
fn checked_endpoint(name: &str, value: &str) -> Result<String, StorageError> {
    let parsed = url::Url::parse(value).ok();
    let usable = parsed.as_ref().is_some_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
            && url.username().is_empty()
            && url.password().is_none()
    });
    match usable {
        true => Ok(value.trim_end_matches('/').to_owned()),
        false => Err(StorageError::Config {
            what: format!(
                "{name} must be an http(s) URL such as http://127.0.0.1:9000, without credentials"
            ),
        }),
    }
}

/// The region to sign requests for.
async fn region(
    env: &StorageEnv,
    custom_endpoint: bool,
    bucket: &str,
) -> Result<String, StorageError> {
    if let Some((_, region)) = env.first(&["AWS_REGION", "AWS_DEFAULT_REGION"]) {
        return Ok(region.to_owned());
    }
    if let Some(region) = profile_region(env) {
        return Ok(region);
    }
    if custom_endpoint {
        return Ok(COMPATIBLE_REGION.to_owned());
    }
    S3::detect_region("https://s3.amazonaws.com", bucket)
        .await
        .ok_or_else(|| StorageError::Config {
            what: format!(
                "the region of bucket `{bucket}` is unknown and S3 did not tell it; set AWS_REGION"
            ),
        })
}

/// The `region` of the profile named by `AWS_PROFILE` (else `default`) in the AWS config file
/// (`AWS_CONFIG_FILE`, else `~/.aws/config`).
fn profile_region(env: &StorageEnv) -> Option<String> {
    let file = match env.get("AWS_CONFIG_FILE") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env.get("HOME")?).join(".aws/config"),
    };
    let text = std::fs::read_to_string(file).ok()?;
    region_in_config(&text, env.get("AWS_PROFILE").unwrap_or("default"))
}

/// Finds `region = …` in the section for `profile` of an AWS config file's text.
fn region_in_config(text: &str, profile: &str) -> Option<String> {
    let wanted = match profile {
        "default" => "default".to_owned(),
        named => format!("profile {named}"),
    };
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = section.trim() == wanted;
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if in_section && name.trim() == "region" && !value.trim().is_empty() {
            return Some(value.trim().to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "[default]\nregion = eu-west-1\n\n[profile archive]\n\
                          output = json\nregion=ap-south-1\n";

    #[test]
    fn the_profile_region_comes_from_its_own_section() {
        assert_eq!(
            region_in_config(CONFIG, "default").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_in_config(CONFIG, "archive").as_deref(),
            Some("ap-south-1")
        );
        assert_eq!(region_in_config(CONFIG, "missing"), None);
    }

    #[tokio::test]
    async fn an_explicit_region_wins_over_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, CONFIG).unwrap();
        let env = StorageEnv::empty().with("AWS_CONFIG_FILE", config.to_str().unwrap());

        assert_eq!(region(&env, false, "b").await.unwrap(), "eu-west-1");
        let env = env.with("AWS_REGION", "us-west-2");
        assert_eq!(region(&env, false, "b").await.unwrap(), "us-west-2");
    }

    #[tokio::test]
    async fn a_compatible_store_needs_no_region() {
        let env = StorageEnv::empty();

        assert_eq!(region(&env, true, "b").await.unwrap(), COMPATIBLE_REGION);
    }

    #[test]
    fn an_endpoint_with_credentials_is_refused_without_showing_them() {
        let err =
            checked_endpoint("AWS_ENDPOINT_URL", "http://key:hunter2@minio:9000").unwrap_err();

        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("AWS_ENDPOINT_URL"), "{err}");
    }
}
