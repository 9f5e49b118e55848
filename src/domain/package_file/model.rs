//! The typed package file, format 0.32.1 (`lib/packageFileSchema-v0.32.1.json` of the original).
//!
//! Field names are the JSON names in camelCase. The fields the JSON schema requires are plain
//! fields; everything else is an `Option` left out when absent, so a file read and written back
//! keeps its shape. Every object keeps the keys this model does not know in `extra`, so nothing a
//! client sent is lost. Dates stay the strings that were sent, and statistics stay
//! [`serde_json::Number`]s, because the schema allows any number there.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

/// A whole package file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageFile {
    /// The URL of the JSON schema of the file's format, e.g.
    /// `https://datapm.io/docs/package-file-schema-v0.32.1.json`.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// False when a registry rewrote the file for its readers (see `modified_properties`).
    pub canonical: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_properties: Option<Vec<String>>,
    pub package_slug: String,
    pub display_name: String,
    pub description: String,
    pub sources: Vec<Source>,
    pub schemas: Vec<Schema>,
    /// `major.minor.patch`; checked when parsing.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_by: Option<String>,
    /// An ISO-8601 date-time, kept as sent.
    pub updated_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readme_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readme_markdown: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_markdown: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registries: Option<Vec<RegistryReference>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PackageFile {
    /// `updatedDate` as an instant, if it is an RFC 3339 date-time (as every client writes it).
    pub fn updated_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let date = chrono::DateTime::parse_from_rfc3339(&self.updated_date).ok()?;
        Some(date.to_utc())
    }
}

/// Where a package file is published, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryReference {
    /// The registry's base URL, compared exactly with `REGISTRY_URL`.
    pub url: String,
    pub catalog_slug: String,
    pub publish_method: PublishMethod,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How a registry hands out the data of a package it holds the schema of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PublishMethod {
    /// Readers connect to the original sources themselves.
    SchemaOnly,
    /// The data was uploaded to the registry, which serves it.
    SchemaAndData,
    /// The registry proxies the original sources.
    SchemaProxyData,
}

impl PublishMethod {
    /// The wire name, e.g. `SCHEMA_AND_DATA`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SchemaOnly => "SCHEMA_ONLY",
            Self::SchemaAndData => "SCHEMA_AND_DATA",
            Self::SchemaProxyData => "SCHEMA_PROXY_DATA",
        }
    }
}

/// How the records of a stream set change over time (GraphQL enum `UpdateMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UpdateMethod {
    Continuous,
    BatchFullSet,
    AppendOnlyLog,
}

impl UpdateMethod {
    /// The wire name, e.g. `BATCH_FULL_SET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continuous => "CONTINUOUS",
            Self::BatchFullSet => "BATCH_FULL_SET",
            Self::AppendOnlyLog => "APPEND_ONLY_LOG",
        }
    }
}

/// Whether a count is exact, estimated, or a lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CountPrecision {
    Exact,
    Approximate,
    GreaterThan,
}

/// Where the data comes from and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The connector that reads it, e.g. `file` or `datapm`.
    pub r#type: String,
    pub slug: String,
    pub connection_configuration: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_configuration: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_credentials_identifier: Option<String>,
    pub stream_sets: Vec<StreamSet>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One logical unit of streamed data within a source (a file pattern, a table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamSet {
    pub slug: String,
    pub schema_titles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_hash: Option<String>,
    /// The TypeScript model requires it, the JSON schema does not; missing counts as no stats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_stats: Option<StreamStats>,
    pub update_methods: Vec<UpdateMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reached: Option<bool>,
    /// Set by registries on the sources they rewrite; not part of the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What was seen while inspecting a stream set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamStats {
    pub inspected_count: Integer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_count: Option<Integer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_count_precision: Option<CountPrecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_count: Option<Integer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_count_precision: Option<CountPrecision>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One schema of the package: a kind of record and its properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// Required here although the JSON schema leaves it out: registries name sources and stream
    /// sets after it, and the original fails on a schema without one.
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Missing counts as no properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_inspected_count: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_count: Option<Integer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_not_present: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_count_precision: Option<CountPrecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_records: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<Vec<DerivedFrom>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Free strings: the JSON schema does not constrain this copy of the stream sets' methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_methods: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Schema {
    /// The schema's properties, empty when the file has none.
    pub fn properties(&self) -> &[(String, Property)] {
        self.properties.as_ref().map_or(&[], |p| p.entries())
    }
}

/// Upstream data a schema was derived from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DerivedFrom {
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_identifier: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The properties of a schema or an object value, in the file's order.
pub type Properties = OrderedMap<Property>;

/// One property (column) of a schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The kinds of value seen, with statistics for each.
    pub types: ValueTypes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The kinds of value a property holds, keyed by `string`, `number`, `integer`, `boolean`,
/// `date`, `date-time`, `object`, `array` and `null`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValueTypes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string: Option<ValueTypeStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<ValueTypeStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integer: Option<ValueTypeStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boolean: Option<ValueTypeStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<ValueTypeStatistics>,
    #[serde(rename = "date-time", default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<ValueTypeStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<ValueTypeStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array: Option<ValueTypeStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null: Option<ValueTypeStatistics>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ValueTypes {
    /// The names of the kinds present, unknown ones included (what `Object.keys` gives).
    pub fn names(&self) -> Vec<&str> {
        let known = [
            ("string", &self.string),
            ("number", &self.number),
            ("integer", &self.integer),
            ("boolean", &self.boolean),
            ("date", &self.date),
            ("date-time", &self.date_time),
            ("object", &self.object),
            ("array", &self.array),
            ("null", &self.null),
        ];
        let present = known.into_iter().filter(|(_, stats)| stats.is_some());
        present
            .map(|(name, _)| name)
            .chain(self.extra.keys().map(String::as_str))
            .collect()
    }
}

/// Statistics about one kind of value of a property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueTypeStatistics {
    pub record_count: Number,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_max_length: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_min_length: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_max_value: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_min_value: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_max_precision: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_max_scale: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_max_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_min_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_options: Option<OrderedMap<Number>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_labels: Option<Vec<ContentLabel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_types: Option<Box<ValueTypes>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_min_length: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_max_length: Option<Number>,
    /// For `object` values: their properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_properties: Option<Properties>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A label a content detector (or a person) put on a property's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentLabel {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_by_content_detector: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A JSON number the schema types as `integer`: any number without a fractional part (so `3.0`
/// passes, as it does for the original's validator), kept as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Integer(pub Number);

impl Integer {
    /// The value as a float, which is how the original compares counts.
    pub fn as_f64(&self) -> f64 {
        self.0.as_f64().unwrap_or(f64::NAN)
    }
}

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = Number::deserialize(deserializer)?;
        let whole =
            number.is_i64() || number.is_u64() || number.as_f64().is_some_and(|f| f.fract() == 0.0);
        if whole {
            Ok(Self(number))
        } else {
            let float = number.as_f64().unwrap_or(f64::NAN);
            Err(de::Error::invalid_value(
                de::Unexpected::Float(float),
                &"an integer",
            ))
        }
    }
}

/// A JSON object whose values all have one type, in the order the keys were sent. (The order of
/// properties is the order of columns, so a sorted map would not do.)
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<V>(Vec<(String, V)>);

impl<V> OrderedMap<V> {
    /// The entries in order.
    pub fn entries(&self) -> &[(String, V)] {
        &self.0
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

impl<V> FromIterator<(String, V)> for OrderedMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        let mut map = Self(Vec::new());
        for (key, value) in iter {
            map.insert(key, value);
        }
        map
    }
}

impl<V> OrderedMap<V> {
    /// Like `JSON.parse`, a repeated key keeps its first place and takes the last value.
    fn insert(&mut self, key: String, value: V) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OrderedMapVisitor(PhantomData))
    }
}

struct OrderedMapVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedMapVisitor<V> {
    type Value = OrderedMap<V>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = OrderedMap(Vec::new());
        while let Some((key, value)) = access.next_entry::<String, V>()? {
            map.insert(key, value);
        }
        Ok(map)
    }
}
