//! Publishing and fetching packages over real HTTP, with the DataPM CLI's own operations:
//! the create-then-update sequence of `datapm publish`, version rules, what `info` and `fetch`
//! read back, and the activity rows a publish leaves.

mod support;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::accounts::{assert_refused, new_account};
use support::package_files::{
    all_fixtures, cli_publish_body, cli_publish_body_to, fixture, to_js_json,
};
use support::publish::*;
use support::server::{As, Reply, TestConfig};

const ALL: [&str; 3] = ["VIEW", "EDIT", "MANAGE"];

/// Asserts a `Createversion` answer is the whole expected one: `file` under `catalog/slug` at
/// `number`, created within the test.
#[track_caller]
fn assert_published(url: &str, reply: &Reply, catalog: &str, number: &str, file: &Value) {
    let mut answer = files_parsed(reply.data("createVersion").clone());
    let created_at = answer["createdAt"].take();
    let created_at = created_at.as_str().expect("createdAt is a date string");
    assert!(
        DateTime::parse_from_rfc3339(created_at).is_ok(),
        "{created_at}"
    );
    let mut identifier = version_number(number);
    identifier["registryURL"] = json!(url);
    identifier["catalogSlug"] = json!(catalog);
    identifier["packageSlug"] = file["packageSlug"].clone();
    let expected = json!({
        "identifier": identifier, "packageFile": file, "createdAt": null, "__typename": "Version",
    });
    assert_eq!(answer, expected);
}

/// The whole `UpdatePackage` answer for a package of `owner`'s whose latest version is
/// `latest` (a file and its number), after the CLI sent `file`'s name and description.
fn update_answer(owner: &str, file: &Value, latest: &(String, Value)) -> Value {
    json!({ "data": { "updatePackage": {
        "identifier": { "catalogSlug": owner, "packageSlug": file["packageSlug"],
                        "__typename": "PackageIdentifier" },
        "catalog": { "myPermissions": ALL, "displayName": owner, "__typename": "Catalog" },
        "displayName": file["displayName"],
        "description": file["description"],
        "myPermissions": ALL,
        "isPublic": false,
        "latestVersion": {
            "identifier": version_number(&latest.0), "packageFile": latest.1,
            "__typename": "Version",
        },
        "__typename": "Package",
    }}})
}

/// The whole `GetPackage` answer: `versions` highest first, the latest file as sent.
fn get_package_answer(
    url: &str,
    (catalog, file): (&str, &Value),
    permissions: &[&str],
    versions: &[&str],
    canonical: Option<&Value>,
) -> Value {
    let listed = version_listing(versions);
    json!({ "data": { "package": {
        "displayName": file["displayName"],
        "description": file["description"],
        "myPermissions": permissions,
        "identifier": { "registryURL": url, "catalogSlug": catalog,
                        "packageSlug": file["packageSlug"], "__typename": "PackageIdentifier" },
        "versions": listed,
        "latestVersion": {
            "identifier": version_number(versions[0]),
            "packageFile": file,
            "canonicalPackageFile": canonical,
            "updatedAt": file["updatedDate"],
            "__typename": "Version",
        },
        "__typename": "Package",
    }}})
}

on_both_databases! {
    async fn every_fixture_publishes_with_the_clis_create_then_update_sequence(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let mut latest: HashMap<String, (String, Value)> = HashMap::new();

        for path in all_fixtures() {
            let body = cli_publish_body(&path);
            let file: Value = serde_json::from_str(&body).unwrap();
            let slug = file["packageSlug"].as_str().unwrap().to_owned();
            let number = file["version"].as_str().unwrap().to_owned();

            let first = cli_publish(&server, &ada.key(), "ada", &body).await;
            match latest.get(&slug) {
                None => {
                    assert_eq!(
                        first.names(),
                        ["GetPackage", "CreatePackage", "Createversion"]
                    );
                    assert_eq!(
                        first.reply("GetPackage").body,
                        json!({ "data": null, "errors": [{
                            "message": format!("PACKAGE_NOT_FOUND - ada/{slug}"),
                            "locations": [{ "line": 2, "column": 3 }],
                            "path": ["package"],
                            "extensions": { "code": "INTERNAL_SERVER_ERROR" },
                        }]})
                    );
                    let identifier = json!({ "registryURL": server.url, "catalogSlug": "ada",
                        "packageSlug": slug, "__typename": "PackageIdentifier" });
                    assert_eq!(
                        first.reply("CreatePackage").body,
                        json!({ "data": { "createPackage": {
                            "identifier": identifier, "__typename": "Package",
                        }}})
                    );
                }
                Some(previous) => {
                    assert_eq!(
                        first.names(),
                        ["GetPackage", "UpdatePackage", "Createversion"]
                    );
                    let answer = files_parsed(first.reply("UpdatePackage").body.clone());
                    assert_eq!(answer, update_answer("ada", &file, previous), "{slug}");
                }
            }
            assert_published(&server.url, first.last(), "ada", &number, &file);
            latest.insert(slug.clone(), (number.clone(), file.clone()));

            // Publishing the same file again (as `datapm update` does) goes the update way.
            let again = cli_publish(&server, &ada.key(), "ada", &body).await;
            assert_eq!(
                again.names(),
                ["GetPackage", "UpdatePackage", "Createversion"]
            );
            let answer = files_parsed(again.reply("UpdatePackage").body.clone());
            assert_eq!(answer, update_answer("ada", &file, &latest[&slug]));
            assert_published(&server.url, again.last(), "ada", &number, &file);
        }

        let countries = get_package(&server, &ada.key(), "ada", "countries").await;
        let listed = &countries.data("package")["versions"];
        let numbers = version_listing(&["2.0.0", "1.1.0", "1.0.0"]);
        assert_eq!(*listed, numbers);
        assert_eq!(
            latest.len(),
            4,
            "four fixture packages: {:?}",
            latest.keys()
        );
        server.finish().await;
    }

    async fn a_removed_column_submitted_as_a_minor_version_is_refused_with_the_version_it_needs(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        publish_fixture(&server, &ada.key(), "ada", "countries", "1.0.0").await;
        publish_fixture(&server, &ada.key(), "ada", "countries", "1.1.0").await;
        let id = package_row(&server, "ada", "countries").await.unwrap().id;
        let files_before = stored_files_of(&server, id);

        let mut file = sent_file("countries", "2.0.0");
        file["version"] = json!("1.2.0");
        let body = to_js_json(file.as_object().unwrap());
        let run = cli_publish(&server, &ada.key(), "ada", &body).await;
        assert_eq!(
            run.names(),
            ["GetPackage", "UpdatePackage", "Createversion"]
        );
        let message = "ada/countries has current version 1.1.0, and this new version has \
            breaking changes - requiring a minimum version number of 2.0.0, but you submitted \
            version number 1.2.0";
        assert_eq!(
            run.last().body,
            json!({ "data": null, "errors": [{
                "message": message,
                "locations": [{ "line": 2, "column": 3 }],
                "path": ["createVersion"],
                "extensions": { "code": "HIGHER_VERSION_REQUIRED",
                                "existingVersion": "1.1.0", "minNextVersion": "2.0.0" },
            }]})
        );
        assert_eq!(version_rows(&server, id).await.len(), 2);
        assert_eq!(stored_files_of(&server, id), files_before);

        // The CLI takes `minNextVersion` and repeats the whole upload.
        let next = run.last().body["errors"][0]["extensions"]["minNextVersion"].clone();
        file["version"] = next;
        let retry = cli_publish(
            &server,
            &ada.key(),
            "ada",
            &to_js_json(file.as_object().unwrap()),
        )
        .await;
        assert_published(
            &server.url,
            retry.last(),
            "ada",
            "2.0.0",
            &sent_file("countries", "2.0.0"),
        );
        let versions = get_package(&server, &ada.key(), "ada", "countries").await;
        let numbers = version_listing(&["2.0.0", "1.1.0", "1.0.0"]);
        assert_eq!(versions.data("package")["versions"], numbers);
        server.finish().await;
    }

    async fn an_identical_resubmission_is_a_trivial_update_that_adds_no_version(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        publish_fixture(&server, &ada.key(), "ada", "countries", "1.0.0").await;
        publish_fixture(&server, &ada.key(), "ada", "countries", "1.1.0").await;
        let id = package_row(&server, "ada", "countries").await.unwrap().id;
        let before = get_package(&server, &ada.key(), "ada", "countries").await;
        let rows_before = version_rows(&server, id).await;
        assert_eq!(
            before.data("package")["latestVersion"]["updatedAt"],
            sent_file("countries", "1.1.0")["updatedDate"],
            "a new version is dated by its file"
        );

        let started = Utc::now();
        let run = publish_fixture(&server, &ada.key(), "ada", "countries", "1.1.0").await;
        let finished = Utc::now();
        assert_published(
            &server.url,
            run.last(),
            "ada",
            "1.1.0",
            &sent_file("countries", "1.1.0"),
        );

        let after = get_package(&server, &ada.key(), "ada", "countries").await;
        assert_eq!(
            after.data("package")["versions"],
            before.data("package")["versions"]
        );
        let rows_after = version_rows(&server, id).await;
        let ids = |rows: &[datapm_registry::entity::version::Model]| {
            rows.iter()
                .map(|r| (r.id, r.major, r.minor, r.patch))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&rows_after), ids(&rows_before));
        let bumped = after.data("package")["latestVersion"]["updatedAt"]
            .as_str()
            .unwrap();
        let bumped = DateTime::parse_from_rfc3339(bumped)
            .unwrap()
            .with_timezone(&Utc);
        let window = started - chrono::TimeDelta::milliseconds(1)..=finished;
        assert!(
            window.contains(&bumped),
            "updatedAt {bumped} is the resubmission time"
        );
        assert_eq!(stored_files_of(&server, id).len(), 2);
        server.finish().await;
    }

    async fn get_package_gives_back_the_published_file_as_info_and_fetch_read_it(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        for version in ["1.0.0", "1.1.0", "2.0.0"] {
            publish_fixture(&server, &ada.key(), "ada", "countries", version).await;
        }
        set_package_permissions(
            &server,
            &ada.key(),
            ("ada", "countries"),
            "bob",
            &["VIEW"],
            "",
        )
        .await
        .data("setPackagePermissions");

        // `datapm info <url>`: a plain GET names the registry, then GetPackage there.
        let page = server.get("/ada/countries").send().await.unwrap();
        let registry = page.headers()["x-datapm-registry-url"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(registry, server.url);

        let latest = sent_file("countries", "2.0.0");
        let versions = ["2.0.0", "1.1.0", "1.0.0"];
        let as_owner = get_package(&server, &ada.key(), "ada", "countries").await;
        assert_eq!(
            files_parsed(as_owner.body),
            get_package_answer(&registry, ("ada", &latest), &ALL, &versions, Some(&latest))
        );
        let as_viewer = get_package(&server, &bob.key(), "ada", "countries").await;
        assert_eq!(
            files_parsed(as_viewer.body.clone()),
            get_package_answer(&registry, ("ada", &latest), &["VIEW"], &versions, None)
        );
        // A catalog slug is matched whatever its case; the answer names the stored one.
        let any_case = get_package(&server, &bob.key(), "ADA", "countries").await;
        assert_eq!(files_parsed(any_case.body), files_parsed(as_viewer.body));
        let anonymous = get_package(&server, &As::Anonymous, "ada", "countries").await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        let missing_catalog = get_package(&server, &ada.key(), "nobody", "countries").await;
        assert_refused(
            &missing_catalog,
            "CATALOG_NOT_FOUND: nobody",
            "INTERNAL_SERVER_ERROR",
        );
        server.finish().await;
    }

    async fn a_file_published_with_schema_and_data_reads_back_with_sources_in_this_registry(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let path = fixture("countries", "1.0.0");
        let body = cli_publish_body_to(&path, &server.url, "ada", "SCHEMA_AND_DATA");
        let run = cli_publish(&server, &ada.key(), "ada", &body).await;
        assert_eq!(
            run.names(),
            ["GetPackage", "CreatePackage", "Createversion"]
        );

        let canonical: Value = serde_json::from_str(&body).unwrap();
        let mut expected = canonical.clone();
        expected["sources"] = json!([{
            "connectionConfiguration": { "url": server.url },
            "slug": "countries",
            "type": "datapm",
            "configuration": { "catalogSlug": "ada", "packageSlug": "countries", "version": 1 },
            "streamSets": [{
                "schemaTitles": ["countries"],
                "slug": "countries",
                "configuration": { "schemaSlug": "countries" },
                "streamStats": { "inspectedCount": 0 },
                "updateMethods": ["BATCH_FULL_SET"],
            }],
        }]);
        expected["canonical"] = json!(false);
        expected["modifiedProperties"] = json!(["sources"]);
        assert_published(&server.url, run.last(), "ada", "1.0.0", &expected);

        let read = get_package(&server, &ada.key(), "ada", "countries").await;
        let latest = files_parsed(read.data("package")["latestVersion"].clone());
        assert_eq!(latest["packageFile"], expected);
        assert_eq!(latest["canonicalPackageFile"], canonical);
        assert_eq!(
            canonical["registries"],
            json!([{ "url": server.url, "catalogSlug": "ada", "publishMethod": "SCHEMA_AND_DATA" }])
        );
        server.finish().await;
    }

    async fn publishing_records_the_new_package_and_how_each_version_changed(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        for version in ["1.0.0", "1.1.0", "2.0.0", "2.0.0"] {
            publish_fixture(&server, &ada.key(), "ada", "countries", version).await;
        }

        let id = package_row(&server, "ada", "countries").await.unwrap().id;
        let rows = version_rows(&server, id).await;
        let (v1, v2, v3) = (rows[0].id, rows[1].id, rows[2].id);
        let row = |event: &str, change: Option<&str>, version: Option<i64>| {
            (
                event.to_owned(),
                change.map(str::to_owned),
                Some(id),
                version,
            )
        };
        assert_eq!(
            package_activity(&server).await,
            vec![
                row("PACKAGE_CREATED", None, None),
                row("CATALOG_PACKAGE_ADDED", None, None),
                row("VERSION_CREATED", Some("VERSION_FIRST_VERSION"), Some(v1)),
                row("PACKAGE_VIEWED", None, None),
                row("PACKAGE_EDIT", None, None),
                row("VERSION_CREATED", Some("VERSION_MINOR_CHANGE"), Some(v2)),
                row("PACKAGE_VIEWED", None, None),
                row("PACKAGE_EDIT", None, None),
                row("VERSION_CREATED", Some("VERSION_MAJOR_CHANGE"), Some(v3)),
                row("PACKAGE_VIEWED", None, None),
                row("PACKAGE_EDIT", None, None),
                row("VERSION_UPDATED", Some("VERSION_TRIVIAL_CHANGE"), Some(v3)),
            ]
        );
        server.finish().await;
    }
}
