//! Package files made by the real `datapm package` command, read, compared and rewritten for
//! readers as the original registry does.

mod support;

use datapm_registry::domain::package_file::{
    Compatibility, DifferenceType, PackageFile, PackageFileError, ParsedPackageFile, PublishMethod,
    change_type, check_new_version, compare, max_supported_version, next_version, parse,
    publish_method, published_view, update_methods,
};
use semver::Version;
use serde_json::{Value, json};

use support::package_files::{
    all_fixtures, cli_publish_body, cli_publish_body_to, fixture, read, read_json, to_js_json,
};

const REGISTRY_URL: &str = "http://localhost:4000";

fn parse_text(text: &str) -> Result<ParsedPackageFile, PackageFileError> {
    parse(text, &max_supported_version())
}

fn parsed(package: &str, version: &str) -> ParsedPackageFile {
    parse_text(&read(&fixture(package, version))).expect("the fixture parses")
}

/// The fixture as JSON with `change` applied, sent as text.
fn edited(package: &str, version: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut value = read_json(&fixture(package, version));
    change(&mut value);
    value.to_string()
}

fn refusal(text: &str) -> String {
    parse_text(text)
        .expect_err("the file should be refused")
        .to_string()
}

/// Why countries 1.0.0 with `change` applied is refused.
fn refusal_of_edit(change: impl FnOnce(&mut Value)) -> String {
    refusal(&edited("countries", "1.0.0", change))
}

fn drop_key(object: &mut Value, key: &str) {
    object.as_object_mut().unwrap().shift_remove(key);
}

/// Each difference from `old` to `new` as `"<type> <pointer>"`.
fn differences(old: &PackageFile, new: &PackageFile) -> Vec<String> {
    let differences = compare(old, new).into_iter();
    differences
        .map(|d| format!("{} {}", d.kind, d.pointer))
        .collect()
}

#[test]
fn every_fixture_parses_as_sent_and_as_the_cli_publishes_it() {
    let fixtures = all_fixtures();
    assert!(fixtures.len() >= 6, "six fixture files: {fixtures:?}");

    for path in fixtures {
        let as_file = parse_text(&read(&path));
        assert!(as_file.is_ok(), "{}: {as_file:?}", path.display());
        let as_file = as_file.unwrap();
        assert!(!as_file.was_upgraded());
        assert!(as_file.file.updated_at().is_some(), "{}", path.display());

        let as_published = parse_text(&cli_publish_body(&path));
        assert!(as_published.is_ok(), "{}: {as_published:?}", path.display());
    }
}

#[test]
fn parsing_keeps_every_key_and_value_of_a_current_file() {
    for path in all_fixtures() {
        let (sent, name) = (read_json(&path), path.display());
        let parsed = parse_text(&read(&path)).unwrap();

        let stored: Value = serde_json::from_str(&parsed.to_json()).unwrap();
        let typed = serde_json::to_value(&parsed.file).unwrap();
        assert_eq!(parsed.value, sent, "{name}: the stored value");
        assert_eq!(stored, sent, "{name}: the stored text");
        assert_eq!(typed, sent, "{name}: the typed model");
    }
}

#[test]
fn the_stored_text_is_exactly_what_the_cli_sent() {
    for path in all_fixtures() {
        let body = cli_publish_body_to(&path, REGISTRY_URL, "alice", "SCHEMA_AND_DATA");

        assert_eq!(
            parse_text(&body).unwrap().to_json(),
            body,
            "{}",
            path.display()
        );
    }
}

#[test]
fn keys_nobody_knows_are_kept() {
    let text = edited("countries", "1.0.0", |file| {
        file["x-top"] = json!({"nested": [1, 2.5, null]});
        file["schemas"][0]["properties"]["name"]["x-property"] = json!("kept");
        file["sources"][0]["streamSets"][0]["streamStats"]["x-stats"] = json!(true);
    });

    let parsed = parse_text(&text).unwrap();

    let sent: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.value, sent);
    assert_eq!(serde_json::to_value(&parsed.file).unwrap(), sent);
    assert_eq!(
        parsed.file.extra["x-top"],
        json!({"nested": [1, 2.5, null]})
    );
}

#[test]
fn the_cli_body_orders_keys_as_javascript_does() {
    let object = json!({"b": 1, "10": 2, "2": 3, "a": {"1": 0, "x": 0, "0": 0}, "01": 5});

    let text = to_js_json(object.as_object().unwrap());

    assert_eq!(
        text,
        r#"{"2":3,"10":2,"b":1,"a":{"0":0,"1":0,"x":0},"01":5}"#
    );
}

#[test]
fn the_cli_inlines_the_readme_and_license_and_drops_their_file_names() {
    let path = fixture("countries", "1.0.0");

    let body: Value = serde_json::from_str(&cli_publish_body(&path)).unwrap();

    let beside = |name: &str| read(&path.with_file_name(name));
    assert_eq!(body["readmeMarkdown"], beside("countries.README.md"));
    assert_eq!(body["licenseMarkdown"], beside("countries.LICENSE.md"));
    assert_eq!(body.get("readmeFile"), None);
    assert_eq!(body.get("licenseFile"), None);
    assert_eq!(body.get("registries"), None);
}

#[test]
fn adding_a_column_is_a_compatible_change_needing_the_next_minor_version() {
    let (old, new) = (parsed("countries", "1.0.0"), parsed("countries", "1.1.0"));

    assert_eq!(
        differences(&old.file, &new.file),
        [
            "CHANGE_PACKAGE_DESCRIPTION #",
            "CHANGE_VERSION #",
            "CHANGE_UPDATED_DATE #",
            "ADD_PROPERTY #/countries/properties/calling_code",
            "CHANGE_SOURCE_CONFIGURATION #",
        ]
    );

    let check = check_new_version(&old.file, &new.file).unwrap();
    assert_eq!(check.compatibility, Compatibility::CompatibleChange);
    assert_eq!(check.min_next, Version::new(1, 1, 0));
    assert!(check.is_allowed());
    assert_eq!(
        change_type(check.compatibility, false),
        "VERSION_MINOR_CHANGE"
    );
}

#[test]
fn removing_a_column_is_a_breaking_change_needing_the_next_major_version() {
    let (old, new) = (parsed("countries", "1.0.0"), parsed("countries", "2.0.0"));

    assert_eq!(
        differences(&old.file, &new.file),
        [
            "CHANGE_PACKAGE_DESCRIPTION #",
            "CHANGE_VERSION #",
            "CHANGE_UPDATED_DATE #",
            "REMOVE_PROPERTY #/countries/properties/capital",
            "CHANGE_SOURCE_CONFIGURATION #",
        ]
    );

    let check = check_new_version(&old.file, &new.file).unwrap();
    assert_eq!(check.compatibility, Compatibility::BreakingChange);
    assert_eq!(check.min_next, Version::new(2, 0, 0));
    assert!(check.is_allowed());
    assert_eq!(
        change_type(check.compatibility, false),
        "VERSION_MAJOR_CHANGE"
    );
}

#[test]
fn submitting_a_minor_version_for_a_breaking_change_is_refused() {
    let old = parsed("countries", "1.0.0");
    let text = edited("countries", "2.0.0", |file| {
        file["version"] = json!("1.2.0")
    });
    let new = parse_text(&text).unwrap();

    let check = check_new_version(&old.file, &new.file).unwrap();

    assert_eq!(check.min_next, Version::new(2, 0, 0));
    assert_eq!(check.proposed, Version::new(1, 2, 0));
    assert!(!check.is_allowed());
    assert_eq!(check.compatibility.message_word(), "breaking");
}

#[test]
fn the_same_file_again_is_identical() {
    let file = parsed("countries", "1.0.0").file;

    let check = check_new_version(&file, &file).unwrap();

    assert!(check.differences.is_empty());
    assert_eq!(check.compatibility, Compatibility::Identical);
    assert_eq!(check.min_next, Version::new(1, 0, 0));
    assert!(check.is_allowed());
    assert_eq!(
        change_type(check.compatibility, false),
        "VERSION_TRIVIAL_CHANGE"
    );
}

#[test]
fn changing_only_the_description_is_a_minor_change() {
    let old = parsed("countries", "1.0.0");
    let text = edited("countries", "1.0.0", |file| {
        file["description"] = json!("Better")
    });
    let new = parse_text(&text).unwrap();

    let check = check_new_version(&old.file, &new.file).unwrap();

    assert_eq!(
        differences(&old.file, &new.file),
        ["CHANGE_PACKAGE_DESCRIPTION #"]
    );
    assert_eq!(check.compatibility, Compatibility::MinorChange);
    assert_eq!(check.min_next, Version::new(1, 0, 1));
    assert!(!check.is_allowed(), "the same version number is too low");
}

#[test]
fn what_readers_cannot_see_does_not_count_as_a_change() {
    let old = parsed("countries", "1.0.0");
    let text = edited("countries", "1.0.0", |file| {
        file["generatedBy"] = json!("someone else");
        file["updatedDate"] = json!("2027-01-01T00:00:00.000Z");
        file["sources"][0]["streamSets"][0]["streamStats"]["inspectedCount"] = json!(12);
    });
    let new = parse_text(&text).unwrap();

    let check = check_new_version(&old.file, &new.file).unwrap();

    let ignored = [
        "CHANGE_GENERATED_BY #",
        "CHANGE_UPDATED_DATE #",
        "CHANGE_STREAM_STATS #",
    ];
    assert_eq!(differences(&old.file, &new.file), ignored);
    assert_eq!(check.compatibility, Compatibility::Identical);
    assert!(check.is_allowed());
}

#[test]
fn next_versions_and_change_types_follow_the_grade() {
    let current = Version::new(1, 4, 2);
    let cases = [
        (Compatibility::Identical, "1.4.2", "VERSION_TRIVIAL_CHANGE"),
        (Compatibility::MinorChange, "1.4.3", "VERSION_PATCH_CHANGE"),
        (
            Compatibility::CompatibleChange,
            "1.5.0",
            "VERSION_MINOR_CHANGE",
        ),
        (
            Compatibility::BreakingChange,
            "2.0.0",
            "VERSION_MAJOR_CHANGE",
        ),
    ];

    for (grade, next, change) in cases {
        assert_eq!(next_version(&current, grade).to_string(), next);
        assert_eq!(change_type(grade, false), change);
        assert_eq!(change_type(grade, true), "VERSION_FIRST_VERSION");
    }
}

#[test]
fn difference_types_are_the_graphql_enum_values() {
    let surface: Value =
        serde_json::from_str(include_str!("fixtures/schema-surface.json")).unwrap();
    let expected = &surface["enums"]["PackageDifferenceType"];

    let kinds = DifferenceType::ALL.iter().copied();
    let ours: Vec<&str> = kinds.map(DifferenceType::as_str).collect();

    assert_eq!(json!(ours), *expected);
    for kind in DifferenceType::ALL {
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
    }
}

#[test]
fn broken_json_is_refused_with_its_line_and_column() {
    let message = refusal(r#"{"displayName": }"#);

    assert!(
        message.starts_with("ERROR_PARSING_PACKAGE_FILE - "),
        "{message}"
    );
    assert!(message.contains("line 1 column 17"), "{message}");
}

#[test]
fn a_truncated_file_is_refused_with_where_it_ends() {
    let text = read(&fixture("countries", "1.0.0"));

    let message = refusal(&text[..text.len() / 2]);

    assert!(
        message.starts_with("ERROR_PARSING_PACKAGE_FILE - EOF while parsing"),
        "{message}"
    );
    assert!(message.contains(" at line "), "{message}");
}

#[test]
fn a_value_of_the_wrong_type_is_refused_with_its_path() {
    let schemas = refusal_of_edit(|file| file["schemas"] = json!("x"));
    let title =
        refusal_of_edit(|file| file["schemas"][0]["properties"]["name"]["title"] = json!(5));
    let count = refusal_of_edit(|file| {
        file["sources"][0]["streamSets"][0]["streamStats"]["inspectedCount"] = json!(1.5);
    });

    assert_eq!(
        schemas,
        r#"ERROR_PARSING_PACKAGE_FILE - schemas: invalid type: string "x", expected a sequence"#
    );
    assert_eq!(
        title,
        "ERROR_PARSING_PACKAGE_FILE - schemas[0].properties.name.title: \
         invalid type: integer `5`, expected a string"
    );
    assert_eq!(
        count,
        "ERROR_PARSING_PACKAGE_FILE - sources[0].streamSets[0].streamStats.inspectedCount: \
         invalid value: floating point `1.5`, expected an integer"
    );
}

#[test]
fn a_missing_required_field_is_refused_by_name() {
    let no_date = refusal_of_edit(|file| drop_key(file, "updatedDate"));
    let no_title = refusal_of_edit(|file| drop_key(&mut file["schemas"][0], "title"));

    assert_eq!(
        no_date,
        "ERROR_PARSING_PACKAGE_FILE - top level: missing field `updatedDate`"
    );
    assert_eq!(
        no_title,
        "ERROR_PARSING_PACKAGE_FILE - schemas[0]: missing field `title`"
    );
}

#[test]
fn a_format_newer_than_the_registry_is_refused_as_too_new() {
    let text = edited("countries", "1.0.0", |file| {
        file["$schema"] = json!("https://datapm.io/docs/package-file-schema-v9.0.0.json");
    });

    let error = parse_text(&text).unwrap_err();

    assert_eq!(error, PackageFileError::TooNew(Version::new(9, 0, 0)));
    assert_eq!(error.to_string(), "ERROR_SCHEMA_VERSION_TOO_NEW - 9.0.0");
}

#[test]
fn an_unknown_format_no_newer_than_the_registry_is_refused() {
    let message = refusal_of_edit(|file| {
        file["$schema"] = json!("https://datapm.io/docs/package-file-schema-v0.32.5.json");
    });

    assert_eq!(
        message,
        "ERROR_PARSING_PACKAGE_FILE - $schema: no package file format 0.32.5 is known"
    );
}

#[test]
fn bad_versions_slugs_and_readmes_are_refused() {
    let prefix = "ERROR_PARSING_PACKAGE_FILE - ";
    let version = refusal_of_edit(|file| file["version"] = json!("1.0"));
    let slug = refusal_of_edit(|file| file["packageSlug"] = json!(""));
    let readme = refusal_of_edit(|file| file["readmeMarkdown"] = json!("# Both"));

    let shape = "is not a version number of the form major.minor.patch";
    assert_eq!(version, format!(r#"{prefix}version: "1.0" {shape}"#));
    assert_eq!(slug, format!("{prefix}packageSlug: must not be empty"));
    let both = "readmeMarkdown and readmeFile may not both be given";
    assert_eq!(readme, format!("{prefix}readmeFile: {both}"));
    let array = refusal("[]");
    assert_eq!(
        array,
        format!("{prefix}a package file is a JSON object, not an array")
    );
}

#[test]
fn schema_and_data_replaces_the_sources_with_this_registry() {
    let path = fixture("countries", "1.0.0");
    let body = cli_publish_body_to(&path, REGISTRY_URL, "alice", "SCHEMA_AND_DATA");
    let stored = parse_text(&body).unwrap().value;

    let view = published_view(&stored, REGISTRY_URL, "alice", "countries").unwrap();

    let mut expected = stored.clone();
    expected["canonical"] = json!(false);
    expected["modifiedProperties"] = json!(["sources"]);
    expected["sources"] = json!([{
        "connectionConfiguration": {"url": REGISTRY_URL},
        "slug": "countries",
        "type": "datapm",
        "configuration": {"catalogSlug": "alice", "packageSlug": "countries", "version": 1},
        "streamSets": [{
            "schemaTitles": ["countries"],
            "slug": "countries",
            "configuration": {"schemaSlug": "countries"},
            "streamStats": {"inspectedCount": 0},
            "updateMethods": ["BATCH_FULL_SET"],
        }],
    }]);
    assert_eq!(view, expected);
    assert!(
        parse_text(&view.to_string()).is_ok(),
        "readers can parse the view"
    );
}

#[test]
fn schema_proxy_data_points_each_source_at_this_registry() {
    let path = fixture("sensor-readings", "1.0.0");
    let body = cli_publish_body_to(&path, REGISTRY_URL, "alice", "SCHEMA_PROXY_DATA");
    let stored = parse_text(&body).unwrap().value;

    let view = published_view(&stored, REGISTRY_URL, "alice", "sensor-readings").unwrap();

    let mut stream_set = stored["sources"][0]["streamSets"][0].clone();
    stream_set["configuration"] = json!({"streamSetSlug": "sensor-readings"});
    let mut expected = stored.clone();
    expected["canonical"] = json!(false);
    expected["modifiedProperties"] = json!(["sources"]);
    expected["sources"] = json!([{
        "connectionConfiguration": {"url": REGISTRY_URL},
        "slug": "file",
        "type": "datapmRegistryProxy",
        "configuration": {"catalogSlug": "alice", "packageSlug": "sensor-readings", "sourceSlug": "file"},
        "streamSets": [stream_set],
    }]);
    assert_eq!(view, expected);
}

#[test]
fn schema_only_and_other_registries_leave_the_file_unchanged() {
    let path = fixture("countries", "1.0.0");
    let schema_only = cli_publish_body_to(&path, REGISTRY_URL, "alice", "SCHEMA_ONLY");
    let elsewhere = cli_publish_body_to(&path, "https://other.example", "alice", "SCHEMA_AND_DATA");

    for body in [schema_only, elsewhere, cli_publish_body(&path)] {
        let parsed = parse_text(&body).unwrap();
        let view = published_view(&parsed.value, REGISTRY_URL, "alice", "countries").unwrap();
        assert_eq!(view, parsed.value);
        assert_eq!(
            publish_method(&parsed.file, REGISTRY_URL),
            PublishMethod::SchemaOnly
        );
    }
}

#[test]
fn a_stored_schema_without_a_title_cannot_be_rewritten() {
    let path = fixture("countries", "1.0.0");
    let body = cli_publish_body_to(&path, REGISTRY_URL, "alice", "SCHEMA_AND_DATA");
    let mut stored = parse_text(&body).unwrap().value;
    stored["schemas"][0]
        .as_object_mut()
        .unwrap()
        .shift_remove("title");

    let error = published_view(&stored, REGISTRY_URL, "alice", "countries").unwrap_err();

    assert_eq!(error.to_string(), "SCHEMA_HAS_NO_TITLE");
}

#[test]
fn update_methods_list_every_stream_set_in_order_with_duplicates() {
    let text = edited("countries", "1.0.0", |file| {
        let mut second = file["sources"][0].clone();
        second["slug"] = json!("copy");
        second["streamSets"][0]["updateMethods"] = json!(["APPEND_ONLY_LOG", "BATCH_FULL_SET"]);
        file["sources"].as_array_mut().unwrap().push(second);
    });

    let file = parse_text(&text).unwrap().file;

    assert_eq!(
        update_methods(&file),
        ["BATCH_FULL_SET", "APPEND_ONLY_LOG", "BATCH_FULL_SET"]
    );
}
