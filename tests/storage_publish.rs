//! Publishing and fetching the fixture packages through the real server, with its package files
//! kept on each storage backend: local files, GCS (fake-gcs-server) and S3 (moto).

mod support;

use std::collections::BTreeMap;

use datapm_registry::storage::open_with;
use serde_json::Value;
use support::accounts::new_account;
use support::package_files::{all_fixtures, cli_publish_body};
use support::publish::{cli_publish, files_parsed, get_package};
use support::server::{As, Backend, TestConfig, TestServer};
use support::storage::fresh_store;

/// What `datapm fetch` and `info` read: the latest package file of `catalog/slug`.
async fn fetched_file(server: &TestServer, who: &As, slug: &str) -> Value {
    let reply = get_package(server, who, "ada", slug).await;
    let package = files_parsed(reply.data("package").clone());
    package["latestVersion"]["packageFile"].clone()
}

on_every_store! {
    async fn every_fixture_publishes_and_fetches_back_from_the_store(kind: StoreKind) {
        let test_store = fresh_store(kind).await;
        let mut config = TestConfig::new(Backend::Sqlite);
        config.store = Some(test_store.store.clone());
        let server = config.start().await;
        let ada = new_account(&server, "ada").await;

        let mut latest: BTreeMap<String, Value> = BTreeMap::new();
        for path in all_fixtures() {
            let body = cli_publish_body(&path);
            let run = cli_publish(&server, &ada.key(), "ada", &body).await;
            run.last().data("createVersion");
            let file: Value = serde_json::from_str(&body).unwrap();
            latest.insert(file["packageSlug"].as_str().unwrap().to_owned(), file);
        }

        let stored = test_store.store.list("").await.unwrap();
        assert_eq!(stored.len(), all_fixtures().len(), "one object per version: {stored:?}");
        assert!(stored.iter().all(|object| object.size > 0), "{stored:?}");
        for (slug, file) in &latest {
            assert_eq!(fetched_file(&server, &ada.key(), slug).await, *file, "{slug}");
        }

        // A registry started again on the same database and bucket serves the same files.
        let (mut config, database) = server.stop().await;
        let reopened = open_with(&test_store.url, &test_store.env).await.unwrap();
        config.store = Some(reopened);
        let again = config.start_on(database).await;
        for (slug, file) in &latest {
            assert_eq!(fetched_file(&again, &ada.key(), slug).await, *file, "{slug}");
        }
        again.finish().await;
    }
}
