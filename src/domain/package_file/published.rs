//! What readers get: `Version.packageFile` is the stored file with its `sources` rewritten for
//! the way it was published to this registry (behavior.md §5.4, the original's
//! `modifiedPackageFile`). `canonicalPackageFile` is the stored file unchanged.

use serde_json::{Map, Value, json};

use super::PackageFileError;
use super::model::{PackageFile, PublishMethod};

/// How `file` was published to the registry at `registry_url`: the method of the first
/// `registries` entry whose `url` is exactly `registry_url`, else `SCHEMA_ONLY`.
pub fn publish_method(file: &PackageFile, registry_url: &str) -> PublishMethod {
    let registries = file.registries.as_deref().unwrap_or_default();
    registries
        .iter()
        .find(|registry| registry.url == registry_url)
        .map_or(PublishMethod::SchemaOnly, |registry| {
            registry.publish_method
        })
}

/// Every stream set's update methods, source by source, duplicates kept (the version row's
/// `update_methods`).
pub fn update_methods(file: &PackageFile) -> Vec<String> {
    let stream_sets = file.sources.iter().flat_map(|source| &source.stream_sets);
    stream_sets
        .flat_map(|set| &set.update_methods)
        .map(|method| method.as_str().to_owned())
        .collect()
}

/// The file `Version.packageFile` returns for the `stored` file of a version of
/// `catalog_slug/package_slug`, on the registry whose public URL is `registry_url`:
/// - `SCHEMA_ONLY`: the stored file unchanged;
/// - `SCHEMA_AND_DATA`: one `datapm` source per schema, reading the data from this registry;
/// - `SCHEMA_PROXY_DATA`: each source becomes a `datapmRegistryProxy` source.
///
/// A rewritten file has `canonical: false` and `modifiedProperties: ["sources"]`. A stored
/// schema without a title gives [`PackageFileError::SchemaHasNoTitle`], as in the original.
pub fn published_view(
    stored: &Value,
    registry_url: &str,
    catalog_slug: &str,
    package_slug: &str,
) -> Result<Value, PackageFileError> {
    check_schema_titles(stored)?;
    let file: PackageFile = serde_json::from_value(stored.clone())
        .map_err(|e| PackageFileError::Parse(format!("stored package file: {e}")))?;

    let target = Target {
        registry_url,
        catalog_slug,
        package_slug,
    };
    let sources = match publish_method(&file, registry_url) {
        PublishMethod::SchemaOnly => return Ok(stored.clone()),
        PublishMethod::SchemaAndData => registry_sources(&file, &target)?,
        PublishMethod::SchemaProxyData => proxy_sources(stored, &target),
    };

    let mut view = stored.clone();
    if let Value::Object(view) = &mut view {
        view.insert("sources".into(), Value::Array(sources));
        view.insert("canonical".into(), Value::Bool(false));
        view.insert("modifiedProperties".into(), json!(["sources"]));
    }
    Ok(view)
}

struct Target<'a> {
    registry_url: &'a str,
    catalog_slug: &'a str,
    package_slug: &'a str,
}

fn check_schema_titles(stored: &Value) -> Result<(), PackageFileError> {
    let schemas = stored.get("schemas").and_then(Value::as_array);
    let untitled = schemas
        .into_iter()
        .flatten()
        .any(|schema| schema.get("title").is_none_or(Value::is_null));
    if untitled {
        Err(PackageFileError::SchemaHasNoTitle)
    } else {
        Ok(())
    }
}

/// One `datapm` source per schema, named after it, with one stream set that carries the update
/// methods of every original stream set that feeds the schema (each once, first seen first).
/// Keys are in the original's order.
fn registry_sources(file: &PackageFile, target: &Target) -> Result<Vec<Value>, PackageFileError> {
    let major = semver::Version::parse(&file.version)
        .map_err(|e| PackageFileError::Parse(format!("version: {e}")))?
        .major;

    let sources = file.schemas.iter().map(|schema| {
        let title = &schema.title;
        let feeding = file
            .sources
            .iter()
            .flat_map(|source| &source.stream_sets)
            .filter(|set| set.schema_titles.contains(title));
        let mut methods: Vec<&str> = Vec::new();
        for method in feeding.flat_map(|set| &set.update_methods) {
            if !methods.contains(&method.as_str()) {
                methods.push(method.as_str());
            }
        }

        json!({
            "connectionConfiguration": { "url": target.registry_url },
            "slug": title,
            "type": "datapm",
            "configuration": {
                "catalogSlug": target.catalog_slug,
                "packageSlug": target.package_slug,
                "version": major,
            },
            "streamSets": [{
                "schemaTitles": [title],
                "slug": title,
                "configuration": { "schemaSlug": title },
                "streamStats": { "inspectedCount": 0 },
                "updateMethods": methods,
            }],
        })
    });
    Ok(sources.collect())
}

/// Each stored source as a `datapmRegistryProxy` source; its stream sets are kept as they are,
/// unknown keys included, except for their `configuration`.
fn proxy_sources(stored: &Value, target: &Target) -> Vec<Value> {
    let sources = stored.get("sources").and_then(Value::as_array);
    let sources = sources.into_iter().flatten();

    sources
        .map(|source| {
            let slug = source.get("slug").cloned().unwrap_or(Value::Null);
            let stream_sets = source.get("streamSets").and_then(Value::as_array);
            let stream_sets: Vec<Value> = stream_sets
                .into_iter()
                .flatten()
                .map(proxied_stream_set)
                .collect();

            json!({
                "connectionConfiguration": { "url": target.registry_url },
                "slug": slug,
                "type": "datapmRegistryProxy",
                "configuration": {
                    "catalogSlug": target.catalog_slug,
                    "packageSlug": target.package_slug,
                    "sourceSlug": slug,
                },
                "streamSets": stream_sets,
            })
        })
        .collect()
}

fn proxied_stream_set(stream_set: &Value) -> Value {
    let mut stream_set = stream_set.clone();
    if let Value::Object(set) = &mut stream_set {
        let slug = set.get("slug").cloned().unwrap_or(Value::Null);
        let configuration = Map::from_iter([("streamSetSlug".to_owned(), slug)]);
        set.insert("configuration".into(), Value::Object(configuration));
    }
    stream_set
}
