//! The upgrade chain: a package file of any known format, rewritten step by step into 0.32.1.
//!
//! Each step works on the raw JSON object, as the original's `upgradePackageFile` does, and
//! leaves alone what does not have the shape it expects: the typed parse that follows reports
//! such a file with a path. Keys keep their places; a key the original adds by assignment goes
//! last, as it does in JavaScript.
//!
//! Where the original loses data or throws, the step here keeps the data instead (each such
//! place says so): every schema's `source` is kept rather than only the last one, `sources`
//! defaults to `[]`, nested properties also get `types`, and a number that does not parse is
//! dropped rather than stored as `null`.

use semver::Version;
use serde_json::{Map, Number, Value};

/// The formats the original knows, oldest first; the last is the current one.
pub const KNOWN_VERSIONS: [&str; 12] = [
    "0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "0.8.1", "0.9.0",
    "0.31.5", "0.32.1",
];

/// The `$schema` URL of a format version.
pub fn schema_url(version: &str) -> String {
    format!("https://datapm.io/docs/package-file-schema-v{version}.json")
}

/// Whether `version` is one of [`KNOWN_VERSIONS`].
pub fn is_known(version: &Version) -> bool {
    KNOWN_VERSIONS
        .iter()
        .any(|known| *known == version.to_string())
}

type Step = fn(&mut Map<String, Value>);

/// The step that upgrades a file *from* `KNOWN_VERSIONS[i]` to `KNOWN_VERSIONS[i + 1]`.
const STEPS: [Step; 11] = [
    from_0_1_0,
    from_0_2_0,
    from_0_3_0,
    from_0_4_0,
    from_0_5_0,
    from_0_6_0,
    from_0_7_0,
    from_0_8_0,
    from_0_8_1,
    from_0_9_0,
    from_0_31_5,
];

/// Upgrades `file`, written in format `from` (one of [`KNOWN_VERSIONS`]), to the current format.
/// A file already current is left exactly as it is.
pub fn upgrade(file: &mut Map<String, Value>, from: &Version) {
    let from = from.to_string();
    let Some(start) = KNOWN_VERSIONS.iter().position(|known| *known == from) else {
        return;
    };

    for (index, step) in STEPS.iter().enumerate().skip(start) {
        step(file);
        let next = KNOWN_VERSIONS[index + 1];
        file.insert("$schema".into(), Value::String(schema_url(next)));
    }
}

/// 0.1.0 → 0.2.0: a schema's `recordCount` is also its inspected count, and the boolean
/// `recordCountApproximate` becomes `recordCountPrecision`.
fn from_0_1_0(file: &mut Map<String, Value>) {
    for schema in objects_in(file, "schemas") {
        match schema.get("recordCount").cloned() {
            Some(count) => schema.insert("recordsInspectedCount".into(), count),
            None => schema.shift_remove("recordsInspectedCount"),
        };

        let approximate = schema.get("recordCountApproximate") == Some(&Value::Bool(true));
        let precision = if approximate { "APPROXIMATE" } else { "EXACT" };
        schema.insert("recordCountPrecision".into(), precision.into());
        schema.shift_remove("recordCountApproximate");
    }
}

/// 0.2.0 → 0.3.0: each schema's `source` becomes an entry of the top-level `sources`, with one
/// stream set for that schema. (The original keeps only the last schema's source, and leaves
/// `sources` out when no schema has one, which later steps then fail on.)
fn from_0_2_0(file: &mut Map<String, Value>) {
    let mut sources = Vec::new();
    for schema in objects_in(file, "schemas") {
        let Some(Value::Object(source)) = schema.shift_remove("source") else {
            continue;
        };
        sources.push(Value::Object(source_from_schema(schema, source)));
    }

    if !sources.is_empty() {
        file.insert("sources".into(), Value::Array(sources));
    } else if !file.contains_key("sources") {
        file.insert("sources".into(), Value::Array(Vec::new()));
    }
}

fn source_from_schema(schema: &Map<String, Value>, old: Map<String, Value>) -> Map<String, Value> {
    let uri = old.get("uri").cloned();
    let inspected = match schema.get("recordsInspectedCount") {
        Some(count) if is_truthy(count) => count.clone(),
        _ => Value::from(0),
    };

    let mut stats = Map::new();
    stats.insert("inspectedCount".into(), inspected);
    for key in [
        "byteCount",
        "byteCountPrecision",
        "recordCount",
        "recordCountPrecision",
    ] {
        copy_key(schema, &mut stats, key);
    }

    let mut stream_set = Map::new();
    set_optional(&mut stream_set, "slug", uri.clone());
    stream_set.insert("configuration".into(), Value::Object(Map::new()));
    let title = schema.get("title").cloned().unwrap_or(Value::Null);
    stream_set.insert("schemaTitles".into(), Value::Array(vec![title]));
    copy_key(&old, &mut stream_set, "lastUpdateHash");
    stream_set.insert("streamStats".into(), Value::Object(stats));

    let mut source = Map::new();
    set_optional(&mut source, "slug", uri.clone());
    copy_key(&old, &mut source, "type");
    source.insert(
        "uris".into(),
        Value::Array(vec![uri.unwrap_or(Value::Null)]),
    );
    copy_key(&old, &mut source, "configuration");
    source.insert("streamSets".into(), Value::Array(vec![stream_set.into()]));
    source
}

/// 0.3.0 → 0.4.0: in the value statistics of each property, `null` date bounds are removed and
/// number bounds written as strings become numbers.
fn from_0_3_0(file: &mut Map<String, Value>) {
    for schema in objects_in(file, "schemas") {
        for property in object_values(schema, "properties") {
            for stats in object_values(property, "valueTypes") {
                for key in ["dateMaxValue", "dateMinValue"] {
                    if stats.get(key) == Some(&Value::Null) {
                        stats.shift_remove(key);
                    }
                }
                for key in ["numberMaxValue", "numberMinValue"] {
                    number_from_string(stats, key);
                }
            }
        }
    }
}

/// A float when the text has a `.`, else an integer, as the original decides. Text that is no
/// number is dropped (the original stores `NaN`, which becomes `null`).
fn number_from_string(stats: &mut Map<String, Value>, key: &str) {
    let Some(Value::String(text)) = stats.get(key) else {
        return;
    };

    let text = text.trim();
    let number = if text.contains('.') {
        text.parse::<f64>().ok().and_then(Number::from_f64)
    } else {
        text.parse::<i64>().ok().map(Number::from)
    };
    match number {
        Some(number) => stats.insert(key.into(), Value::Number(number)),
        None => stats.shift_remove(key),
    };
}

/// 0.4.0 → 0.5.0: a source's `uris` are copied into its `configuration`.
fn from_0_4_0(file: &mut Map<String, Value>) {
    for source in objects_in(file, "sources") {
        let uris = source.get("uris").cloned();
        match (uris, source.get_mut("configuration")) {
            (Some(uris), Some(Value::Object(configuration))) => {
                configuration.insert("uris".into(), uris);
            }
            (Some(uris), _) => {
                let configuration = Map::from_iter([("uris".to_owned(), uris)]);
                source.insert("configuration".into(), Value::Object(configuration));
            }
            (None, Some(Value::Object(configuration))) => {
                configuration.shift_remove("uris");
            }
            (None, _) => {}
        }
    }
}

/// 0.5.0 → 0.6.0: `connectionConfiguration` starts as a copy of `configuration` (or `{}`).
fn from_0_5_0(file: &mut Map<String, Value>) {
    for source in objects_in(file, "sources") {
        let connection = match source.get("configuration") {
            Some(configuration) if is_truthy(configuration) => configuration.clone(),
            _ => Value::Object(Map::new()),
        };
        source.insert("connectionConfiguration".into(), connection);
    }
}

/// 0.6.0 → 0.7.0: every registry entry is published `SCHEMA_ONLY`.
fn from_0_6_0(file: &mut Map<String, Value>) {
    for registry in objects_in(file, "registries") {
        registry.insert("publishMethod".into(), "SCHEMA_ONLY".into());
    }
}

/// 0.7.0 → 0.8.0: a file that does not say otherwise is canonical.
fn from_0_7_0(file: &mut Map<String, Value>) {
    if !is_present(file, "canonical") {
        file.insert("canonical".into(), Value::Bool(true));
    }
}

/// 0.8.0 → 0.8.1: a stream set without `updateMethods` gets `[]`.
fn from_0_8_0(file: &mut Map<String, Value>) {
    for source in objects_in(file, "sources") {
        for stream_set in objects_in(source, "streamSets") {
            if !is_present(stream_set, "updateMethods") {
                stream_set.insert("updateMethods".into(), Value::Array(Vec::new()));
            }
        }
    }
}

/// 0.8.1 → 0.9.0: `configuration.filePattern` is renamed `fileRegex`, and each property's
/// `valueTypes` becomes `types`, keeping only the known kinds of value. (The original converts
/// top-level properties only; nested ones are converted here too, so that they still have
/// `types` once the next step moves them.)
fn from_0_8_1(file: &mut Map<String, Value>) {
    for source in objects_in(file, "sources") {
        let Some(Value::Object(configuration)) = source.get_mut("configuration") else {
            continue;
        };
        if let Some(pattern) = configuration.get("filePattern").filter(|v| !v.is_null()) {
            let pattern = pattern.clone();
            configuration.insert("fileRegex".into(), pattern);
            configuration.shift_remove("filePattern");
        }
    }

    for schema in objects_in(file, "schemas") {
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            value_types_to_types(properties);
        }
    }
}

const KINDS_OF_VALUE: [&str; 9] = [
    "integer",
    "number",
    "string",
    "boolean",
    "date",
    "date-time",
    "object",
    "array",
    "null",
];

fn value_types_to_types(properties: &mut Map<String, Value>) {
    for property in properties.values_mut().filter_map(Value::as_object_mut) {
        let old = match property.shift_remove("valueTypes") {
            Some(Value::Object(old)) => old,
            _ => Map::new(),
        };
        let types = old
            .into_iter()
            .filter(|(kind, _)| KINDS_OF_VALUE.contains(&kind.as_str()));
        property.insert("types".into(), Value::Object(types.collect()));

        if let Some(Value::Object(nested)) = property.get_mut("properties") {
            value_types_to_types(nested);
        }
    }
}

/// 0.9.0 → 0.31.5: nested `properties` of an object property move into
/// `types.object.objectProperties`.
fn from_0_9_0(file: &mut Map<String, Value>) {
    for schema in objects_in(file, "schemas") {
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            nest_object_properties(properties);
        }
    }
}

fn nest_object_properties(properties: &mut Map<String, Value>) {
    for property in properties.values_mut().filter_map(Value::as_object_mut) {
        let has_object_type = property
            .get("types")
            .and_then(|types| types.get("object"))
            .is_some_and(|object| !object.is_null());
        let has_nested = property.get("properties").is_some_and(|p| !p.is_null());
        if !(has_object_type && has_nested) {
            continue;
        }

        let mut nested = property.shift_remove("properties").unwrap_or_default();
        if let Value::Object(nested) = &mut nested {
            nest_object_properties(nested);
        }
        let object = property
            .get_mut("types")
            .and_then(|types| types.get_mut("object"))
            .and_then(Value::as_object_mut);
        if let Some(object) = object {
            object.insert("objectProperties".into(), nested);
        }
    }
}

/// 0.31.5 → 0.32.1: a readme or license file name is dropped when its text is inline, and
/// placeholders fill in a missing readme or license.
fn from_0_31_5(file: &mut Map<String, Value>) {
    if is_present(file, "readmeFile") && is_present(file, "readmeMarkdown") {
        file.shift_remove("readmeFile");
    }
    if is_present(file, "licenseFile") && is_present(file, "licenseMarkdown") {
        file.shift_remove("licenseFile");
    }

    // The original means "# <displayName or slug>\n\n No readme defined", but operator
    // precedence makes it "# " + displayName; clients have seen that text, so it stays.
    if !is_present(file, "readmeFile") && !is_present(file, "readmeMarkdown") {
        let name = match file.get("displayName") {
            Some(Value::String(name)) => name.clone(),
            Some(other) => other.to_string(),
            None => "undefined".to_owned(),
        };
        file.insert("readmeMarkdown".into(), format!("# {name}").into());
    }
    if !is_present(file, "licenseFile") && !is_present(file, "licenseMarkdown") {
        file.insert("licenseMarkdown".into(), "No license defined".into());
    }
}

/// The objects in the array under `key`, skipping anything that is not an object.
fn objects_in<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    let items: &mut [Value] = match map.get_mut(key) {
        Some(Value::Array(items)) => items,
        _ => &mut [],
    };
    items.iter_mut().filter_map(Value::as_object_mut)
}

/// The object values of the object under `key`, skipping anything that is not an object.
fn object_values<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Box<dyn Iterator<Item = &'a mut Map<String, Value>> + 'a> {
    match map.get_mut(key) {
        Some(Value::Object(inner)) => Box::new(inner.values_mut().filter_map(Value::as_object_mut)),
        _ => Box::new(std::iter::empty()),
    }
}

/// JavaScript's `!= null`: the key is there and not `null`.
fn is_present(map: &Map<String, Value>, key: &str) -> bool {
    map.get(key).is_some_and(|value| !value.is_null())
}

/// JavaScript truthiness of a JSON value.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

fn copy_key(from: &Map<String, Value>, to: &mut Map<String, Value>, key: &str) {
    set_optional(to, key, from.get(key).cloned());
}

/// An `undefined` value in JavaScript disappears from the JSON, so `None` sets nothing.
fn set_optional(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.into(), value);
    }
}

#[cfg(test)]
mod tests;
