//! Publishes that must store nothing: package files the registry cannot read, a body over the
//! size limit, and a file that storage refuses to keep.

mod support;

use serde_json::{Value, json};
use support::accounts::{Account, assert_refused, new_account, only_error};
use support::package_files::{cli_publish_body, fixture, to_js_json};
use support::publish::*;
use support::server::{TestConfig, TestServer};

/// The countries 1.0.0 file the CLI sends, with `change` applied, as the CLI would send it.
fn edited(change: impl FnOnce(&mut Value)) -> String {
    let mut file: Value = sent_file("countries", "1.0.0");
    change(&mut file);
    to_js_json(file.as_object().unwrap())
}

/// Creates `ada/countries` the way the CLI does before its first `Createversion`.
async fn empty_package(server: &TestServer, ada: &Account) -> i64 {
    let file: Value = sent_file("countries", "1.0.0");
    create_package(server, &ada.key(), "ada", "countries", &file)
        .await
        .data("createPackage");
    package_row(server, "ada", "countries").await.unwrap().id
}

/// Asserts `ada/countries` has no version: not listed, no row, no stored file.
async fn assert_nothing_stored(server: &TestServer, ada: &Account, id: i64) {
    let read = get_package(server, &ada.key(), "ada", "countries").await;
    let package = read.data("package");
    assert_eq!(
        (&package["versions"], &package["latestVersion"]),
        (&json!([]), &Value::Null)
    );
    assert!(version_rows(server, id).await.is_empty());
    assert_eq!(stored_files_of(server, id), Vec::<String>::new());
    assert_eq!(all_stored_package_files(server), Vec::<String>::new());
}

on_both_databases! {
    async fn package_files_the_registry_cannot_read_are_refused_and_nothing_is_stored(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let id = empty_package(&server, &ada).await;
        let prefix = "ERROR_PARSING_PACKAGE_FILE - ";
        let whole = cli_publish_body(&fixture("countries", "1.0.0"));
        let half = whole.len() / 2;

        let cases = [
            (
                "broken JSON",
                r#"{"displayName": }"#.to_owned(),
                format!("{prefix}expected value at line 1 column 17"),
            ),
            (
                "a wrongly typed field",
                edited(|f| f["schemas"][0]["properties"]["name"]["title"] = json!(5)),
                format!(
                    "{prefix}schemas[0].properties.name.title: \
                      invalid type: integer `5`, expected a string"
                ),
            ),
            (
                "a missing required field",
                edited(|f| {
                    f.as_object_mut().unwrap().shift_remove("updatedDate");
                }),
                format!("{prefix}top level: missing field `updatedDate`"),
            ),
            (
                "a format newer than the registry",
                edited(|f| {
                    f["$schema"] = json!("https://datapm.io/docs/package-file-schema-v9.0.0.json");
                }),
                "ERROR_SCHEMA_VERSION_TOO_NEW - 9.0.0".to_owned(),
            ),
        ];
        for (what, body, message) in cases {
            let reply = create_version(&server, &ada.key(), "ada", "countries", &body).await;
            let (got, code) = only_error(&reply);
            assert_eq!(
                (got.as_str(), code.as_str()),
                (message.as_str(), "GRAPHQL_VALIDATION_FAILED"),
                "{what}"
            );
            assert_eq!(reply.body["data"], Value::Null, "{what}");
        }

        // A file cut short says where it ends.
        let truncated = &whole[..half];
        let reply = create_version(&server, &ada.key(), "ada", "countries", truncated).await;
        let (message, _) = only_error(&reply);
        assert!(
            message.starts_with(&format!("{prefix}EOF while parsing")),
            "{message}"
        );
        assert!(
            message.ends_with(&format!(" at line 1 column {half}")),
            "{message}"
        );

        assert_nothing_stored(&server, &ada, id).await;
        server.finish().await;
    }

    async fn a_package_file_over_twenty_megabytes_is_refused_with_413_and_nothing_is_stored(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let id = empty_package(&server, &ada).await;
        let body = edited(|f| f["readmeMarkdown"] = json!("#".repeat(21 * 1024 * 1024)));

        let reply = create_version(&server, &ada.key(), "ada", "countries", &body).await;
        assert_eq!(reply.status, 413);
        assert_eq!(
            reply.body,
            json!({ "errors": [{
                "message": "Request body is larger than 20971520 bytes",
                "extensions": { "code": "BAD_REQUEST" },
            }]})
        );
        assert_nothing_stored(&server, &ada, id).await;
        server.finish().await;
    }

    async fn a_publish_whose_file_cannot_be_stored_leaves_no_version_behind(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let storage = server.data_dir().join("storage");
        // A plain file where the storage folder was refuses writes, even to root.
        std::fs::remove_dir_all(&storage).unwrap();
        std::fs::write(&storage, b"not a folder").unwrap();

        let body = cli_publish_body(&fixture("countries", "1.0.0"));
        let run = cli_publish(&server, &ada.key(), "ada", &body).await;
        assert_eq!(
            run.names(),
            ["GetPackage", "CreatePackage", "Createversion"]
        );
        assert_refused(run.last(), "Internal server error", "INTERNAL_SERVER_ERROR");

        let package = package_row(&server, "ada", "countries").await.unwrap();
        assert_eq!(
            package.readme_markdown, None,
            "the package row is as before"
        );
        std::fs::remove_file(&storage).unwrap();
        std::fs::create_dir_all(storage.join(".tmp")).unwrap();
        assert_nothing_stored(&server, &ada, package.id).await;

        // Once storage takes writes again, the same publish goes through.
        let again = cli_publish(&server, &ada.key(), "ada", &body).await;
        assert_eq!(
            again.names(),
            ["GetPackage", "UpdatePackage", "Createversion"]
        );
        again.last().data("createVersion");
        assert_eq!(
            stored_files_of(&server, package.id),
            [format!("package/{}/1/0/0/package_file", package.id)]
        );
        server.finish().await;
    }
}
