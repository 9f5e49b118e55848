//! One test per step of the upgrade chain on small hand-written files, then whole old files
//! read with `parse` and checked to come out as valid current files.

use serde_json::{Map, Value, json};

use super::*;
use crate::domain::package_file::{CURRENT_FORMAT, max_supported_version, parse};

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn run(step: Step, file: Value) -> Value {
    let mut file = object(file);
    step(&mut file);
    Value::Object(file)
}

#[test]
fn a_record_count_of_format_0_1_0_becomes_the_inspected_count_and_a_precision() {
    let file = json!({"schemas": [
        {"title": "a", "recordCount": 12, "recordCountApproximate": true},
        {"title": "b", "recordCount": 3, "recordCountApproximate": false},
        {"title": "c"},
    ]});

    let upgraded = run(from_0_1_0, file);

    assert_eq!(
        upgraded,
        json!({"schemas": [
            {"title": "a", "recordCount": 12, "recordsInspectedCount": 12,
             "recordCountPrecision": "APPROXIMATE"},
            {"title": "b", "recordCount": 3, "recordsInspectedCount": 3,
             "recordCountPrecision": "EXACT"},
            {"title": "c", "recordCountPrecision": "EXACT"},
        ]})
    );
}

#[test]
fn a_per_schema_source_of_format_0_2_0_becomes_a_top_level_source() {
    let file = json!({"schemas": [{
        "title": "legislators",
        "recordsInspectedCount": 100,
        "recordCount": 540,
        "recordCountPrecision": "APPROXIMATE",
        "byteCount": 2048,
        "source": {
            "type": "http",
            "uri": "https://example.com/legislators.csv",
            "configuration": {"delimiter": ","},
            "lastUpdateHash": "abc",
        },
    }]});

    let upgraded = run(from_0_2_0, file);

    let uri = "https://example.com/legislators.csv";
    assert_eq!(upgraded["schemas"][0].get("source"), None);
    assert_eq!(
        upgraded["sources"],
        json!([{
            "slug": uri,
            "type": "http",
            "uris": [uri],
            "configuration": {"delimiter": ","},
            "streamSets": [{
                "slug": uri,
                "configuration": {},
                "schemaTitles": ["legislators"],
                "lastUpdateHash": "abc",
                "streamStats": {
                    "inspectedCount": 100,
                    "byteCount": 2048,
                    "recordCount": 540,
                    "recordCountPrecision": "APPROXIMATE",
                },
            }],
        }])
    );
}

#[test]
fn every_schema_source_is_kept_and_a_file_without_any_gets_empty_sources() {
    let two = json!({"schemas": [
        {"title": "a", "source": {"type": "file", "uri": "file:///a.csv"}},
        {"title": "b", "source": {"type": "file", "uri": "file:///b.csv"}},
    ]});
    let upgraded = run(from_0_2_0, two);
    let slugs: Vec<&Value> = upgraded["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["slug"])
        .collect();
    assert_eq!(slugs, [&json!("file:///a.csv"), &json!("file:///b.csv")]);
    assert_eq!(
        upgraded["sources"][0]["streamSets"][0]["streamStats"],
        json!({"inspectedCount": 0})
    );

    let none = run(from_0_2_0, json!({"schemas": [{"title": "a"}]}));
    assert_eq!(none["sources"], json!([]));
}

#[test]
fn number_bounds_written_as_text_become_numbers_and_null_dates_go() {
    let file = json!({"schemas": [{"title": "a", "properties": {"x": {"valueTypes": {
        "number": {"recordCount": 1, "numberMaxValue": "12.5", "numberMinValue": "-3"},
        "date": {"recordCount": 1, "dateMaxValue": null, "dateMinValue": "2020-01-01"},
        "string": {"recordCount": 1, "numberMaxValue": "not a number", "numberMinValue": 4},
    }}}}]});

    let upgraded = run(from_0_3_0, file);

    assert_eq!(
        upgraded["schemas"][0]["properties"]["x"]["valueTypes"],
        json!({
            "number": {"recordCount": 1, "numberMaxValue": 12.5, "numberMinValue": -3},
            "date": {"recordCount": 1, "dateMinValue": "2020-01-01"},
            "string": {"recordCount": 1, "numberMinValue": 4},
        })
    );
}

#[test]
fn source_uris_are_copied_into_the_configuration() {
    let file = json!({"sources": [
        {"slug": "a", "uris": ["file:///a.csv"], "configuration": {"delimiter": ","}},
        {"slug": "b", "uris": ["file:///b.csv"]},
        {"slug": "c", "configuration": {"uris": ["stale"]}},
    ]});

    let upgraded = run(from_0_4_0, file);

    assert_eq!(
        upgraded["sources"],
        json!([
            {"slug": "a", "uris": ["file:///a.csv"],
             "configuration": {"delimiter": ",", "uris": ["file:///a.csv"]}},
            {"slug": "b", "uris": ["file:///b.csv"], "configuration": {"uris": ["file:///b.csv"]}},
            {"slug": "c", "configuration": {}},
        ])
    );
}

#[test]
fn the_connection_configuration_starts_as_a_copy_of_the_configuration() {
    let file = json!({"sources": [{"slug": "a", "configuration": {"host": "db"}}, {"slug": "b"}]});

    let upgraded = run(from_0_5_0, file);

    assert_eq!(
        upgraded["sources"][0]["connectionConfiguration"],
        json!({"host": "db"})
    );
    assert_eq!(upgraded["sources"][1]["connectionConfiguration"], json!({}));
}

#[test]
fn registries_of_format_0_6_0_are_published_schema_only() {
    let file = json!({"registries": [{"url": "https://datapm.io", "catalogSlug": "x"}]});

    let upgraded = run(from_0_6_0, file);

    assert_eq!(upgraded["registries"][0]["publishMethod"], "SCHEMA_ONLY");
}

#[test]
fn a_file_is_canonical_unless_it_says_otherwise() {
    assert_eq!(run(from_0_7_0, json!({}))["canonical"], true);
    assert_eq!(
        run(from_0_7_0, json!({"canonical": null}))["canonical"],
        true
    );
    assert_eq!(
        run(from_0_7_0, json!({"canonical": false}))["canonical"],
        false
    );
}

#[test]
fn stream_sets_without_update_methods_get_none() {
    let file = json!({"sources": [{"streamSets": [{"slug": "a"}, {"slug": "b", "updateMethods": ["CONTINUOUS"]}]}]});

    let upgraded = run(from_0_8_0, file);

    let sets = &upgraded["sources"][0]["streamSets"];
    assert_eq!(sets[0]["updateMethods"], json!([]));
    assert_eq!(sets[1]["updateMethods"], json!(["CONTINUOUS"]));
}

#[test]
fn value_types_of_format_0_8_1_become_types_and_file_pattern_becomes_file_regex() {
    let file = json!({
        "sources": [{"configuration": {"filePattern": "*.csv", "delimiter": ","}}],
        "schemas": [{"title": "a", "properties": {
            "x": {"title": "x", "valueTypes": {"string": {"recordCount": 2}, "bogus": {}}},
            "y": {"title": "y"},
            "z": {"title": "z", "valueTypes": {"object": {"recordCount": 1}}, "properties": {
                "inner": {"title": "inner", "valueTypes": {"boolean": {"recordCount": 1}}},
            }},
        }}],
    });

    let upgraded = run(from_0_8_1, file);

    assert_eq!(
        upgraded["sources"][0]["configuration"],
        json!({"delimiter": ",", "fileRegex": "*.csv"})
    );
    let properties = &upgraded["schemas"][0]["properties"];
    assert_eq!(
        properties["x"],
        json!({"title": "x", "types": {"string": {"recordCount": 2}}})
    );
    assert_eq!(properties["y"], json!({"title": "y", "types": {}}));
    assert_eq!(
        properties["z"]["properties"]["inner"],
        json!({"title": "inner", "types": {"boolean": {"recordCount": 1}}})
    );
}

#[test]
fn nested_properties_of_format_0_9_0_move_into_the_object_type() {
    let inner = json!({"title": "street", "types": {"string": {"recordCount": 1}}});
    let file = json!({"schemas": [{"title": "a", "properties": {
        "address": {
            "title": "address",
            "types": {"object": {"recordCount": 1}},
            "properties": {
                "street": inner,
                "geo": {"title": "geo", "types": {"object": {"recordCount": 1}},
                        "properties": {"lat": inner}},
            },
        },
        "loose": {"title": "loose", "types": {"string": {"recordCount": 1}}, "properties": {}},
    }}]});

    let upgraded = run(from_0_9_0, file);

    let address = &upgraded["schemas"][0]["properties"]["address"];
    assert_eq!(address.get("properties"), None);
    let nested = &address["types"]["object"]["objectProperties"];
    assert_eq!(nested["street"], inner);
    assert_eq!(
        nested["geo"]["types"]["object"]["objectProperties"]["lat"],
        inner
    );
    // Without an object type there is nowhere to move them, so they stay.
    assert_eq!(
        upgraded["schemas"][0]["properties"]["loose"]["properties"],
        json!({})
    );
}

#[test]
fn readme_and_license_file_names_give_way_to_inline_text_in_format_0_32_1() {
    let both = json!({"displayName": "X", "readmeFile": "R.md", "readmeMarkdown": "# R",
                      "licenseFile": "L.md", "licenseMarkdown": "MIT"});
    assert_eq!(
        run(from_0_31_5, both),
        json!({"displayName": "X", "readmeMarkdown": "# R", "licenseMarkdown": "MIT"})
    );

    let names_only = json!({"displayName": "X", "readmeFile": "R.md", "licenseFile": "L.md"});
    assert_eq!(run(from_0_31_5, names_only.clone()), names_only);

    let neither = run(
        from_0_31_5,
        json!({"displayName": "Legislators", "packageSlug": "l"}),
    );
    assert_eq!(neither["readmeMarkdown"], "# Legislators");
    assert_eq!(neither["licenseMarkdown"], "No license defined");
}

#[test]
fn each_step_writes_the_next_schema_url_and_a_current_file_is_left_alone() {
    let mut file = object(json!({"displayName": "x"}));
    upgrade(&mut file, &Version::new(0, 31, 5));
    assert_eq!(file["$schema"], schema_url(CURRENT_FORMAT));

    let current = object(json!({"$schema": "anything-v0.32.1.json", "z": 1, "a": 2}));
    let mut untouched = current.clone();
    upgrade(&mut untouched, &Version::new(0, 32, 1));
    assert_eq!(untouched, current);
}

const OLD_0_1_0: &str = r#"{
    "packageSlug": "legislators",
    "displayName": "Legislators",
    "description": "Members of congress",
    "version": "1.0.0",
    "updatedDate": "2020-10-01T13:54:29.442Z",
    "generatedBy": "test",
    "schemas": [{
        "title": "legislators",
        "type": "object",
        "recordCount": 540,
        "recordCountApproximate": true,
        "source": {"type": "http", "uri": "https://example.com/l.csv",
                   "configuration": {"delimiter": ",", "filePattern": "*.csv"}},
        "properties": {
            "name": {"title": "name", "valueTypes": {"string": {"recordCount": 540}}},
            "age": {"title": "age", "valueTypes": {"integer": {"recordCount": 538,
                    "numberMaxValue": "99", "numberMinValue": "18"}}}
        }
    }],
    "registries": [{"url": "https://datapm.io", "catalogSlug": "congress"}]
}"#;

#[test]
fn a_file_of_format_0_1_0_comes_out_as_a_valid_current_file() {
    let parsed = parse(OLD_0_1_0, &max_supported_version()).expect("the old file parses");

    assert_eq!(parsed.sent_format, Version::new(0, 1, 0));
    assert!(parsed.was_upgraded());
    let value = &parsed.value;
    assert_eq!(value["$schema"], schema_url(CURRENT_FORMAT));
    assert_eq!(value["canonical"], true);
    assert_eq!(value["readmeMarkdown"], "# Legislators");
    assert_eq!(value["licenseMarkdown"], "No license defined");
    assert_eq!(value["registries"][0]["publishMethod"], "SCHEMA_ONLY");

    let source = &value["sources"][0];
    assert_eq!(source["slug"], "https://example.com/l.csv");
    assert_eq!(source["configuration"]["fileRegex"], "*.csv");
    assert_eq!(
        source["configuration"]["uris"],
        json!(["https://example.com/l.csv"])
    );
    assert_eq!(source["connectionConfiguration"]["delimiter"], ",");
    assert_eq!(source["streamSets"][0]["updateMethods"], json!([]));
    assert_eq!(
        source["streamSets"][0]["streamStats"]["inspectedCount"],
        540
    );

    let age = &value["schemas"][0]["properties"]["age"];
    assert_eq!(age["types"]["integer"]["numberMaxValue"], 99);
    assert_eq!(age.get("valueTypes"), None);
}

#[test]
fn a_file_of_format_0_9_0_with_nested_properties_parses_into_object_properties() {
    let text = json!({
        "$schema": schema_url("0.9.0"),
        "packageSlug": "people", "displayName": "People", "description": "d",
        "version": "2.1.0", "updatedDate": "2021-01-01T00:00:00.000Z", "canonical": true,
        "readmeFile": "people.README.md", "licenseMarkdown": "MIT",
        "sources": [],
        "schemas": [{"title": "people", "properties": {"address": {
            "title": "address", "types": {"object": {"recordCount": 3}},
            "properties": {"city": {"title": "city", "types": {"string": {"recordCount": 3}}}},
        }}}],
    })
    .to_string();

    let parsed = parse(&text, &max_supported_version()).expect("the 0.9.0 file parses");

    let address = &parsed.file.schemas[0].properties()[0].1;
    let object = address.types.object.as_ref().unwrap();
    let city = object
        .object_properties
        .as_ref()
        .unwrap()
        .get("city")
        .unwrap();
    assert_eq!(city.title, "city");
    assert_eq!(parsed.file.readme_file.as_deref(), Some("people.README.md"));
}
