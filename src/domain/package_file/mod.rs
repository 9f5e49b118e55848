//! Package files: reading what a client publishes, comparing versions, and what readers get.
//!
//! Reach for:
//! - [`parse`] with the text of a `PackageFileJSON` argument. It reads any known format,
//!   upgrades it to the current one (0.32.1) and checks it, giving a [`ParsedPackageFile`]: the
//!   typed [`PackageFile`] to reason about, and the upgraded JSON to store.
//! - [`check_new_version`] in `createVersion`, or [`compare`], [`compatibility`],
//!   [`next_version`] and [`change_type`] one by one.
//! - [`published_view`] for `Version.packageFile`, and [`publish_method`] and
//!   [`update_methods`] for the version row.
//!
//! Errors carry the original's message prefixes: `ERROR_PARSING_PACKAGE_FILE - <where>: <what>`
//! and `ERROR_SCHEMA_VERSION_TOO_NEW - <version>` (api.md §3.1, Appendix A).
//!
//! The stored JSON is the client's JSON, upgraded: every key and value a client sent is kept,
//! in the order sent (serde_json's `preserve_order`), and dates stay the strings that were sent.
//! The original turns dates into `Date`s and back, so it stores `…T10:00:00.000Z` where a
//! client sent `…T10:00:00Z`; readers parse either.

mod compare;
mod difference;
mod model;
mod published;
mod upgrade;
mod validate;

use semver::Version;
use serde_json::Value;

pub use compare::{VersionCheck, check_new_version, compare};
pub use difference::{
    Compatibility, Difference, DifferenceType, change_type, compatibility, next_version,
};
pub use model::{
    ContentLabel, CountPrecision, DerivedFrom, Integer, OrderedMap, PackageFile, Properties,
    Property, PublishMethod, RegistryReference, Schema, Source, StreamSet, StreamStats,
    UpdateMethod, ValueTypeStatistics, ValueTypes,
};
pub use published::{publish_method, published_view, update_methods};
pub use upgrade::{KNOWN_VERSIONS, schema_url};

/// The current package file format.
pub const CURRENT_FORMAT: &str = "0.32.1";

/// Why a package file was refused. `Display` gives the message the original sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageFileError {
    /// Not JSON, not a package file of a known format, or not valid in it. The text says where
    /// and what: a line and column for broken JSON, else a path such as
    /// `schemas[0].properties.name.title` followed by what is wrong there.
    #[error("ERROR_PARSING_PACKAGE_FILE - {0}")]
    Parse(String),
    /// `$schema` names a format newer than this registry supports.
    #[error("ERROR_SCHEMA_VERSION_TOO_NEW - {0}")]
    TooNew(Version),
    /// A stored schema has no title, so its data cannot be named (`Version.packageFile`).
    #[error("SCHEMA_HAS_NO_TITLE")]
    SchemaHasNoTitle,
}

/// The newest `$schema` version accepted: the DataPM version this registry implements, as the
/// original compares with its library version (0.32.47), not with the newest format (0.32.1).
pub fn max_supported_version() -> Version {
    Version::parse(crate::config::DATAPM_API_VERSION).expect("DATAPM_API_VERSION is a version")
}

/// A package file accepted by [`parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPackageFile {
    /// The typed file, in the current format.
    pub file: PackageFile,
    /// The same file as JSON, upgraded, with every key the client sent: what to store.
    pub value: Value,
    /// The format the client sent (`$schema`), before any upgrade.
    pub sent_format: Version,
    /// The file's `version`.
    pub version: Version,
}

impl ParsedPackageFile {
    /// The JSON text to store.
    pub fn to_json(&self) -> String {
        self.value.to_string()
    }

    /// Whether the file was sent in an older format and upgraded.
    pub fn was_upgraded(&self) -> bool {
        self.sent_format.to_string() != CURRENT_FORMAT
    }
}

/// Reads a package file sent as JSON text, in any known format up to `max_supported`
/// (normally [`max_supported_version`]), and upgrades it to the current format.
///
/// In order: the text must be a JSON object; its `$schema` (missing means 0.1.0) must not be
/// newer than `max_supported` ([`PackageFileError::TooNew`]) and must be a known format; the
/// upgraded file must fit the typed model (the error names the path) and the schema's rules:
/// `version` is `major.minor.patch`, `packageSlug` is a non-empty slug, every schema has a
/// title, and so on.
pub fn parse(text: &str, max_supported: &Version) -> Result<ParsedPackageFile, PackageFileError> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| parse_error(e.to_string()))?;
    let Value::Object(object) = &mut value else {
        return Err(parse_error(format!(
            "a package file is a JSON object, not {}",
            json_kind(&value)
        )));
    };

    let sent_format = schema_version(object.get("$schema"))?;
    if sent_format > *max_supported {
        return Err(PackageFileError::TooNew(sent_format));
    }
    if !upgrade::is_known(&sent_format) {
        return Err(parse_error(format!(
            "$schema: no package file format {sent_format} is known"
        )));
    }
    upgrade::upgrade(object, &sent_format);

    let file: PackageFile = serde_path_to_error::deserialize(&value).map_err(typed_error)?;
    validate::check(&file).map_err(parse_error)?;
    let version = Version::parse(&file.version).map_err(|e| parse_error(e.to_string()))?;

    Ok(ParsedPackageFile {
        file,
        value,
        sent_format,
        version,
    })
}

/// The format version named by `$schema`: the text between the last `v` and `.json`, as in
/// `https://datapm.io/docs/package-file-schema-v0.32.1.json`. No `$schema` means 0.1.0.
fn schema_version(schema: Option<&Value>) -> Result<Version, PackageFileError> {
    let url = match schema {
        None | Some(Value::Null) => return Ok(Version::new(0, 1, 0)),
        Some(Value::String(url)) => url,
        Some(other) => {
            return Err(parse_error(format!(
                "$schema: expected a URL string, found {}",
                json_kind(other)
            )));
        }
    };

    let lower = url.to_ascii_lowercase();
    let captured = lower
        .strip_suffix(".json")
        .and_then(|stem| stem.rfind('v').map(|at| &url[at + 1..stem.len()]));
    let Some(captured) = captured else {
        return Err(parse_error(format!(
            "ERROR_SCHEMA_VERSION_NOT_RECOGNIZED - {url}"
        )));
    };
    Version::parse(captured)
        .map_err(|e| parse_error(format!("$schema: {captured:?} is not a version: {e}")))
}

/// `<path>: <what>`, where the path reads like `schemas[0].properties.name.title`.
fn typed_error(error: serde_path_to_error::Error<serde_json::Error>) -> PackageFileError {
    let path = error.path().to_string();
    let place = if path == "." {
        "top level"
    } else {
        path.as_str()
    };
    parse_error(format!("{place}: {}", error.inner()))
}

fn parse_error(detail: impl Into<String>) -> PackageFileError {
    PackageFileError::Parse(detail.into())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
