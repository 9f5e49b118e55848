//! Comparing two versions of a package file (the original's `comparePackages` in
//! `lib/src/PackageUtil.ts`): [`compare`] lists the differences in its order and with its
//! pointers, and [`check_new_version`] adds what they mean for the version number in
//! `createVersion`.

use semver::Version;
use serde_json::{Map, Value};

use super::PackageFileError;
use super::difference::{Compatibility, Difference, DifferenceType, compatibility, next_version};
use super::model::{PackageFile, Properties, Property, Schema, Source, StreamSet};

/// Everything that changed from `old` to `new`, in the original's order: the package fields,
/// then each old schema (its properties, recursively), then each old source and stream set.
pub fn compare(old: &PackageFile, new: &PackageFile) -> Vec<Difference> {
    let mut differences = compare_package_fields(old, new);

    for old_schema in &old.schemas {
        let matching = new.schemas.iter().filter(|s| s.title == old_schema.title);
        let mut found = false;
        for new_schema in matching {
            found = true;
            let pointer = format!("#/{}", new_schema.title);
            compare_properties(
                old_schema.properties(),
                new_schema.properties(),
                &pointer,
                &mut differences,
            );
        }
        if !found {
            differences.push(Difference::new(removed_schema_kind(old_schema), ""));
        }
    }

    for old_source in &old.sources {
        let matching = new.sources.iter().filter(|s| s.slug == old_source.slug);
        let mut found = false;
        for new_source in matching {
            found = true;
            compare_source(old_source, new_source, &mut differences);
        }
        if !found {
            differences.push(Difference::new(DifferenceType::RemoveSource, ""));
        }
    }

    differences
}

fn compare_package_fields(old: &PackageFile, new: &PackageFile) -> Vec<Difference> {
    use DifferenceType::*;
    let checks = [
        (old.description != new.description, ChangePackageDescription),
        (
            old.display_name != new.display_name,
            ChangePackageDisplayName,
        ),
        (old.version != new.version, ChangeVersion),
        (old.readme_file != new.readme_file, ChangeReadmeFile),
        (old.website != new.website, ChangeWebsite),
        (old.contact_email != new.contact_email, ChangeContactEmail),
        (
            old.readme_markdown != new.readme_markdown,
            ChangeReadmeMarkdown,
        ),
        (old.license_file != new.license_file, ChangeLicenseFile),
        (
            old.license_markdown != new.license_markdown,
            ChangeLicenseMarkdown,
        ),
        (old.generated_by != new.generated_by, ChangeGeneratedBy),
        (
            !same_instant(&old.updated_date, &new.updated_date),
            ChangeUpdatedDate,
        ),
    ];

    let changed = checks.into_iter().filter(|(changed, _)| *changed);
    changed
        .map(|(_, kind)| Difference::new(kind, "#"))
        .collect()
}

/// The original compares the dates as instants; text that is no date is compared as text.
fn same_instant(old: &str, new: &str) -> bool {
    let parse = chrono::DateTime::parse_from_rfc3339;
    match (parse(old), parse(new)) {
        (Ok(old), Ok(new)) => old == new,
        _ => old == new,
    }
}

fn removed_schema_kind(schema: &Schema) -> DifferenceType {
    if schema.hidden == Some(true) {
        DifferenceType::RemoveHiddenSchema
    } else {
        DifferenceType::RemoveSchema
    }
}

/// First every old property (removed, or changed in place), then every new one (added, or
/// recursed into when both sides are objects), as the original does.
fn compare_properties(
    old: &[(String, Property)],
    new: &[(String, Property)],
    pointer: &str,
    differences: &mut Vec<Difference>,
) {
    for (key, old_property) in old {
        let property_pointer = format!("{pointer}/properties/{key}");
        match find_property(new, key) {
            Some(new_property) => {
                compare_property(old_property, new_property, &property_pointer, differences)
            }
            None => differences.push(Difference::new(
                removed_property_kind(old_property),
                property_pointer,
            )),
        }
    }

    for (key, new_property) in new {
        let property_pointer = format!("{pointer}/properties/{key}");
        let Some(old_property) = find_property(old, key) else {
            differences.push(Difference::new(
                DifferenceType::AddProperty,
                property_pointer,
            ));
            continue;
        };

        let old_nested = old_property.types.object.as_ref();
        let old_nested = old_nested.and_then(|o| o.object_properties.as_ref());
        if let (Some(old_nested), Some(new_object)) = (old_nested, &new_property.types.object) {
            let new_nested = new_object.object_properties.as_ref();
            let new_nested = new_nested.map_or(&[][..], Properties::entries);
            compare_properties(
                old_nested.entries(),
                new_nested,
                &property_pointer,
                differences,
            );
        }
    }
}

fn find_property<'a>(properties: &'a [(String, Property)], key: &str) -> Option<&'a Property> {
    properties.iter().find(|(k, _)| k == key).map(|(_, p)| p)
}

fn removed_property_kind(property: &Property) -> DifferenceType {
    if property.hidden == Some(true) {
        DifferenceType::RemoveHiddenProperty
    } else {
        DifferenceType::RemoveProperty
    }
}

fn compare_property(old: &Property, new: &Property, pointer: &str, out: &mut Vec<Difference>) {
    use DifferenceType::*;
    let mut push = |kind| out.push(Difference::new(kind, pointer));

    if old.description != new.description {
        push(ChangePropertyDescription);
    }

    let old_kinds = old.types.names();
    let new_kinds = new.types.names();
    let same_kinds = old_kinds.iter().all(|k| new_kinds.contains(k))
        && new_kinds.iter().all(|k| old_kinds.contains(k));
    if !same_kinds {
        push(ChangePropertyType);
    }

    let (was_hidden, is_hidden) = (old.hidden == Some(true), new.hidden == Some(true));
    if !was_hidden && is_hidden {
        push(HideProperty);
    } else if was_hidden && !is_hidden {
        push(UnhideProperty);
    }

    if old.unit != new.unit {
        push(ChangePropertyUnit);
    }
}

/// Every pointer here is `#`, as in the original.
fn compare_source(old: &Source, new: &Source, out: &mut Vec<Difference>) {
    use DifferenceType::*;
    let mut push = |kind| out.push(Difference::new(kind, "#"));

    if old.r#type != new.r#type {
        push(ChangeSource);
    } else {
        if !same_optional_object(old.configuration.as_ref(), new.configuration.as_ref()) {
            push(ChangeSourceConfiguration);
        }
        let (old_connection, new_connection) =
            (&old.connection_configuration, &new.connection_configuration);
        if !same_optional_object(Some(old_connection), Some(new_connection)) {
            push(ChangeSourceConnection);
        }
        if old.credentials_identifier != new.credentials_identifier {
            push(ChangeSourceCredentials);
        }
    }

    for old_set in &old.stream_sets {
        match new.stream_sets.iter().find(|s| s.slug == old_set.slug) {
            Some(new_set) => compare_stream_set(old_set, new_set, &mut push),
            None => push(RemoveStreamSet),
        }
    }
}

fn compare_stream_set(old: &StreamSet, new: &StreamSet, push: &mut impl FnMut(DifferenceType)) {
    if old.update_methods != new.update_methods {
        push(DifferenceType::ChangeStreamUpdateMethod);
    }

    let inspected = |set: &StreamSet| {
        set.stream_stats
            .as_ref()
            .map(|s| s.inspected_count.as_f64())
    };
    if inspected(old) != inspected(new) {
        push(DifferenceType::ChangeStreamStats);
    }

    // A hash that appears for the first time is not a change.
    if old.last_update_hash.is_some() && old.last_update_hash != new.last_update_hash {
        push(DifferenceType::ChangeStreamUpdateHash);
    }
}

fn same_optional_object(
    old: Option<&Map<String, Value>>,
    new: Option<&Map<String, Value>>,
) -> bool {
    match (old, new) {
        (None, None) => true,
        (Some(old), Some(new)) => same_maps(old, new),
        _ => false,
    }
}

/// Deep equality as JavaScript's `fast-deep-equal` sees JSON: key order does not matter, and
/// numbers are equal when their values are (`1` equals `1.0`).
fn same_values(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_values(a, b))
        }
        (Value::Object(a), Value::Object(b)) => same_maps(a, b),
        _ => old == new,
    }
}

fn same_maps(old: &Map<String, Value>, new: &Map<String, Value>) -> bool {
    old.len() == new.len()
        && old
            .iter()
            .all(|(key, value)| new.get(key).is_some_and(|other| same_values(value, other)))
}

/// What `createVersion` learns by comparing a proposed file with the latest stored one.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionCheck {
    pub differences: Vec<Difference>,
    pub compatibility: Compatibility,
    /// The latest stored version.
    pub existing: Version,
    /// The smallest version number the proposed file may have.
    pub min_next: Version,
    /// The proposed file's version.
    pub proposed: Version,
}

impl VersionCheck {
    /// Identical files are a trivial update; anything else needs at least `min_next`.
    pub fn is_allowed(&self) -> bool {
        self.compatibility == Compatibility::Identical || self.proposed >= self.min_next
    }
}

/// Compares `proposed` with the `latest` stored file (in that order, as `createVersion` does).
pub fn check_new_version(
    latest: &PackageFile,
    proposed: &PackageFile,
) -> Result<VersionCheck, PackageFileError> {
    let differences = compare(latest, proposed);
    let compatibility = compatibility(&differences);
    let existing = parse_version(&latest.version)?;

    Ok(VersionCheck {
        min_next: next_version(&existing, compatibility),
        proposed: parse_version(&proposed.version)?,
        existing,
        differences,
        compatibility,
    })
}

fn parse_version(version: &str) -> Result<Version, PackageFileError> {
    Version::parse(version)
        .map_err(|e| PackageFileError::Parse(format!("version: {version:?} is not valid: {e}")))
}
