//! The messages of the data protocol as they travel (api.md §1.4): requests the client emits,
//! the acknowledgements and channel messages the server sends, and the JavaScript `Date` form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::domain::batch_chunks::OffsetRecord;
use crate::domain::batches::StreamKey;
use crate::entity::data_batch;

/// A JavaScript `Date` as `socket.io-msgpack-parser` 3 (notepack 2.2) writes it: msgpack
/// extension type 0 holding the milliseconds since the epoch as a big-endian 64-bit integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsDate(pub DateTime<Utc>);

/// The notepack extension type for dates.
pub const DATE_EXT: i8 = 0;

impl JsDate {
    /// The extension value notepack decodes as this date.
    pub fn to_ext(self) -> rmpv::Value {
        let millis = self.0.timestamp_millis();
        rmpv::Value::Ext(DATE_EXT, millis.to_be_bytes().to_vec())
    }
}

impl Serialize for JsDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_ext().serialize(serializer)
    }
}

/// `errorType` of an error response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorType {
    NotAuthorized,
    NotFound,
    NotValid,
    StreamLocked,
    ServerError,
}

/// A refused request: `{responseType: "error", message, errorType}`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    response_type: &'static str,
    pub message: String,
    pub error_type: ErrorType,
}

impl Refusal {
    pub fn new(error_type: ErrorType, message: impl Into<String>) -> Self {
        Refusal {
            response_type: "error",
            message: message.into(),
            error_type,
        }
    }
}

/// A response carrying only its `responseType`, such as `{responseType: "uploadResponse"}`.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    pub response_type: &'static str,
}

/// A server message carrying only its `requestType`, such as `{requestType: "fetchDataStop"}`.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub request_type: &'static str,
}

/// `MajorVersionIdentifier`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MajorVersionIdentifier {
    #[serde(default)]
    pub registry_url: String,
    pub catalog_slug: String,
    pub package_slug: String,
    pub major_version: i64,
}

/// `SchemaRepositoryStreamIdentifier`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamIdentifier {
    #[serde(default)]
    pub registry_url: String,
    pub catalog_slug: String,
    pub package_slug: String,
    pub major_version: i64,
    pub schema_title: String,
    pub source_type: String,
    pub source_slug: String,
    pub stream_set_slug: String,
    pub stream_slug: String,
}

impl StreamIdentifier {
    /// The stream within the package whose id is `package_id`.
    pub fn key(&self, package_id: i64) -> StreamKey {
        StreamKey {
            package_id,
            major_version: self.major_version,
            schema_title: self.schema_title.clone(),
            source_type: self.source_type.clone(),
            source_slug: self.source_slug.clone(),
            stream_set_slug: self.stream_set_slug.clone(),
            stream_slug: self.stream_slug.clone(),
        }
    }

    /// This stream's batch numbered `batch`, as clients name it.
    pub fn with_batch(&self, registry_url: &str, batch: i64) -> BatchIdentifier {
        BatchIdentifier {
            registry_url: registry_url.to_owned(),
            catalog_slug: self.catalog_slug.clone(),
            package_slug: self.package_slug.clone(),
            major_version: self.major_version,
            schema_title: self.schema_title.clone(),
            source_type: self.source_type.clone(),
            source_slug: self.source_slug.clone(),
            stream_set_slug: self.stream_set_slug.clone(),
            stream_slug: self.stream_slug.clone(),
            batch,
        }
    }
}

/// `BatchRepositoryIdentifier`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchIdentifier {
    #[serde(default)]
    pub registry_url: String,
    pub catalog_slug: String,
    pub package_slug: String,
    pub major_version: i64,
    pub schema_title: String,
    pub source_type: String,
    pub source_slug: String,
    pub stream_set_slug: String,
    pub stream_slug: String,
    pub batch: i64,
}

impl BatchIdentifier {
    /// The identifier of a stored batch of `catalog_slug/package_slug`.
    pub fn of(
        registry_url: &str,
        catalog_slug: &str,
        package_slug: &str,
        row: &data_batch::Model,
    ) -> Self {
        BatchIdentifier {
            registry_url: registry_url.to_owned(),
            catalog_slug: catalog_slug.to_owned(),
            package_slug: package_slug.to_owned(),
            major_version: row.major_version,
            schema_title: row.schema_title.clone(),
            source_type: row.source_type.clone(),
            source_slug: row.source_slug.clone(),
            stream_set_slug: row.stream_set_slug.clone(),
            stream_slug: row.stream_slug.clone(),
            batch: row.batch,
        }
    }

    /// The stream part of the identifier.
    pub fn stream(&self) -> StreamIdentifier {
        StreamIdentifier {
            registry_url: self.registry_url.clone(),
            catalog_slug: self.catalog_slug.clone(),
            package_slug: self.package_slug.clone(),
            major_version: self.major_version,
            schema_title: self.schema_title.clone(),
            source_type: self.source_type.clone(),
            source_slug: self.source_slug.clone(),
            stream_set_slug: self.stream_set_slug.clone(),
            stream_slug: self.stream_slug.clone(),
        }
    }
}

/// A record as it travels: `{offset, record}`.
#[derive(Debug, Deserialize)]
pub struct WireRecord {
    pub offset: i64,
    pub record: rmpv::Value,
}

impl From<WireRecord> for OffsetRecord {
    fn from(wire: WireRecord) -> Self {
        OffsetRecord {
            offset: wire.offset,
            record: wire.record,
        }
    }
}

/// A stored record on its way to a client.
#[derive(Debug, Serialize)]
pub struct OutgoingRecord<'a> {
    pub offset: i64,
    pub record: &'a rmpv::Value,
}

/// A message on an upload or fetch channel: `requestType` says which, other fields are there
/// when that type has them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelRequest {
    pub request_type: String,
    #[serde(default)]
    pub records: Vec<WireRecord>,
    #[serde(default)]
    pub offset: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_written_as_notepack_writes_it() {
        let date = DateTime::parse_from_rfc3339("2026-01-01T00:15:00Z").unwrap();
        let bytes = rmp_serde::to_vec(&JsDate(date.with_timezone(&Utc))).unwrap();
        let mut expected = vec![0xd7, 0x00];
        expected.extend_from_slice(&1_767_226_500_000_i64.to_be_bytes());
        assert_eq!(bytes, expected);
    }
}
