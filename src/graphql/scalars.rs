//! Custom scalars of the DataPM schema: `Date` and `Void`.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, SecondsFormat, Utc};

/// A point in time, written as ISO-8601 in UTC with milliseconds (`2023-07-19T20:57:26.000Z`),
/// the way the original server's JavaScript dates serialise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub DateTime<Utc>);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => DateTime::parse_from_rfc3339(text)
                .map(|d| Date(d.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom("expected an ISO-8601 date")),
            Value::Number(n) => n
                .as_i64()
                .and_then(DateTime::from_timestamp_millis)
                .map(Date)
                .ok_or_else(|| InputValueError::custom("expected milliseconds since 1970")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl From<DateTime<Utc>> for Date {
    fn from(value: DateTime<Utc>) -> Self {
        Date(value)
    }
}

/// The return type of mutations that answer nothing; always `null`.
#[derive(Clone, Copy, Debug)]
pub struct Void;

#[Scalar(name = "Void")]
impl ScalarType for Void {
    fn parse(_value: Value) -> InputValueResult<Self> {
        Ok(Void)
    }

    fn to_value(&self) -> Value {
        Value::Null
    }
}

/// `PackageFileJSON`: a package file that travels as a JSON *string*, both ways, as the
/// original server's clients expect.
#[derive(Clone, Debug, PartialEq)]
pub enum PackageFileJson {
    /// A file as a client sent it: a string, or an object.
    Sent(serde_json::Value),
    /// A file's JSON text, as the server answers it.
    Text(std::sync::Arc<str>),
}

impl PackageFileJson {
    /// The text to parse: the string sent, or, from a client that sent an object, its JSON.
    pub fn into_text(self) -> String {
        match self {
            PackageFileJson::Sent(serde_json::Value::String(text)) => text,
            PackageFileJson::Sent(other) => other.to_string(),
            PackageFileJson::Text(text) => text.to_string(),
        }
    }
}

#[Scalar(name = "PackageFileJSON")]
impl ScalarType for PackageFileJson {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(PackageFileJson::Sent(serde_json::Value::String(text))),
            Value::Object(_) => Ok(PackageFileJson::Sent(
                value.into_json().map_err(InputValueError::custom)?,
            )),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            PackageFileJson::Sent(value) => Value::String(value.to_string()),
            PackageFileJson::Text(text) => Value::String(text.to_string()),
        }
    }
}
