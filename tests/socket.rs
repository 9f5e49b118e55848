//! The Socket.IO data channel at `/ws/`, driven by the client libraries the DataPM CLI uses
//! (`socket.io-client` 4 with `socket.io-msgpack-parser` 3) from `tests/socket-client/`: uploads
//! and fetches of the fixture data, permissions, stream locking and dropped connections. The
//! Node script checks every record; this test prepares the registry, runs it and checks what
//! it left behind.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use datapm_registry::domain::batch_chunks::{self, OffsetRecord};
use datapm_registry::domain::batches::{self, StreamKey};
use datapm_registry::entity::activity_log;
use datapm_registry::socket::locks::StreamLocks;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use support::accounts::{Account, new_account};
use support::package_files::{cli_publish_body_to, fixture, fixtures_dir};
use support::publish::{cli_publish, get_package, package_row, update_catalog, update_package};
use support::server::{As, TestConfig, TestServer};

/// Every scenario of `data-channel.js`; each must report `ok`.
const SCENARIOS: [&str; 10] = [
    "handshake with a bad API key is refused",
    "a JWT in auth.bearer connects and a bad one is refused",
    "sensor-readings round trip with dates and nulls",
    "append to a batch, switch the active batch and read from an offset",
    "orders-large 200,000 rows up and down",
    "anonymous fetch of a public package works and of a private one is refused",
    "upload without EDIT is refused",
    "an unknown package or schema is refused",
    "a second concurrent uploader gets streamLocked",
    "a connection dropped mid-upload leaves the acknowledged records readable",
];

fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/socket-client")
}

/// Fails, never skips, when the Node libraries are not installed.
fn require_node_modules() {
    let dir = client_dir();
    let installed = dir
        .join("node_modules/socket.io-client/package.json")
        .is_file()
        && dir
            .join("node_modules/socket.io-msgpack-parser/package.json")
            .is_file();
    assert!(
        installed,
        "the Socket.IO test client is not installed: run `npm ci` in {}",
        dir.display()
    );
}

/// Publishes a fixture with `SCHEMA_AND_DATA` to ada's catalog.
async fn publish_with_data(server: &TestServer, ada: &Account, package: &str, public: bool) {
    let body = cli_publish_body_to(
        &fixture(package, "1.0.0"),
        &server.url,
        "ada",
        "SCHEMA_AND_DATA",
    );
    let run = cli_publish(server, &ada.key(), "ada", &body).await;
    run.last().data("createVersion");
    if public {
        let reply = update_catalog(server, &ada.key(), "ada", json!({"isPublic": true})).await;
        reply.data("updateCatalog");
        let reply = update_package(
            server,
            &ada.key(),
            "ada",
            package,
            json!({"isPublic": true}),
        )
        .await;
        reply.data("updatePackage");
    }
}

async fn run_client(server: &TestServer, ada: &Account, bob: &Account) -> Output {
    let data_dir = fixtures_dir().join("../data");
    tokio::process::Command::new("node")
        .arg(client_dir().join("data-channel.js"))
        .env("REGISTRY_URL", &server.url)
        .env("OWNER_KEY", &ada.api_key)
        .env("OWNER_JWT", &ada.jwt)
        .env("READER_KEY", &bob.api_key)
        .env("CATALOG", "ada")
        .env("DATA_DIR", data_dir)
        .output()
        .await
        .expect("node runs (Node.js 20 must be installed)")
}

async fn event_types(server: &TestServer) -> Vec<String> {
    activity_log::Entity::find()
        .filter(activity_log::Column::EventType.like("DATA_%"))
        .all(&server.state().db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.event_type)
        .collect()
}

on_both_databases! {
    async fn the_cli_libraries_upload_and_fetch_records_through_the_data_channel(
        backend: Backend
    ) {
        require_node_modules();
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        publish_with_data(&server, &ada, "sensor-readings", true).await;
        publish_with_data(&server, &ada, "orders-large", true).await;
        publish_with_data(&server, &ada, "people-unicode", false).await;

        let output = run_client(&server, &ada, &bob).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!("{stdout}");
        assert!(output.status.success(), "the client failed:\n{stdout}\n{stderr}");
        for scenario in SCENARIOS {
            assert!(stdout.contains(&format!("ok {scenario}\n")), "{scenario} did not pass:\n{stdout}");
        }

        let events = event_types(&server).await;
        for expected in [
            "DATA_BATCH_UPLOAD_STARTED",
            "DATA_BATCH_UPLOAD_STOPPED",
            "DATA_BATCH_ACTIVE_CHANGED",
            "DATA_BATCH_DOWNLOAD_STARTED",
            "DATA_BATCH_DOWNLOAD_STOPPED",
            "DATA_SINK_STATE_REQUESTED",
        ] {
            assert!(events.iter().any(|e| e == expected), "no {expected} in {events:?}");
        }
        server.finish().await;
    }

    async fn a_package_with_data_in_the_registry_points_its_sources_here(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        publish_with_data(&server, &ada, "sensor-readings", true).await;

        let reply = get_package(&server, &As::Anonymous, "ada", "sensor-readings").await;
        let text = reply.data("package")["latestVersion"]["packageFile"].as_str().unwrap();
        let file: Value = serde_json::from_str(text).unwrap();
        let source = &file["sources"][0];
        assert_eq!(source["type"], "datapm");
        assert_eq!(source["connectionConfiguration"]["url"], json!(server.url));
        assert_eq!(
            source["configuration"],
            json!({"catalogSlug": "ada", "packageSlug": "sensor-readings", "version": 1})
        );
        server.finish().await;
    }

    async fn a_chunk_never_committed_is_never_read_and_data_goes_with_its_package(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        publish_with_data(&server, &ada, "sensor-readings", false).await;
        let state = server.state();
        let package = package_row(&server, "ada", "sensor-readings").await.unwrap();
        let stream = StreamKey {
            package_id: package.id,
            major_version: 1,
            schema_title: "sensor-readings".into(),
            source_type: "file".into(),
            source_slug: "file".into(),
            stream_set_slug: "sensor-readings".into(),
            stream_slug: "sensor-readings".into(),
        };
        let row = batches::create(&state.db, &stream, "BATCH_FULL_SET", package.creator_id.unwrap())
            .await
            .unwrap();
        let records = |range: std::ops::Range<i64>| -> Vec<OffsetRecord> {
            range.map(|offset| OffsetRecord { offset, record: rmpv::Value::from(offset) }).collect()
        };
        batch_chunks::write(&state.store, (&row).into(), &records(0..10)).await.unwrap();
        batches::commit_offset(&state.db, row.id, 9).await.unwrap();
        // A server killed here has stored the chunk but not moved the batch's last offset.
        batch_chunks::write(&state.store, (&row).into(), &records(10..20)).await.unwrap();

        let keys = batch_chunks::readable(&state.store, (&row).into(), 5, 9).await.unwrap();
        assert_eq!(keys, [batch_chunks::key((&row).into(), 0)]);
        let read = batch_chunks::read(&state.store, &keys[0], 5, 9).await.unwrap();
        assert_eq!(read, records(5..10));

        batch_chunks::remove_unreadable(&state.store, (&row).into(), 9).await.unwrap();
        let left = state.store.list(&batch_chunks::prefix((&row).into())).await.unwrap();
        assert_eq!(left.len(), 1, "{left:?}");

        // Deleting the package deletes its data too.
        let deleted = server
            .graphql_as(
                &ada.key(),
                "mutation($identifier: PackageIdentifierInput!) { deletePackage(identifier: $identifier) }",
                json!({"identifier": {"catalogSlug": "ada", "packageSlug": "sensor-readings"}}),
            )
            .await;
        assert_eq!(deleted.body, json!({ "data": { "deletePackage": null } }));
        let left = state.store.list(&batch_chunks::prefix((&row).into())).await.unwrap();
        assert!(left.is_empty(), "{left:?}");
        server.finish().await;
    }

    async fn servers_sharing_a_database_let_one_upload_at_a_time_hold_a_stream(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let db = server.state().db.clone();
        // Two servers' lock tables over the one database.
        let (here, there) = (StreamLocks::new(db.clone()), StreamLocks::new(db.clone()));
        let stream = StreamKey {
            package_id: 7,
            major_version: 1,
            schema_title: "readings".into(),
            source_type: "file".into(),
            source_slug: "file".into(),
            stream_set_slug: "readings".into(),
            stream_slug: "readings".into(),
        };
        let other_stream = StreamKey { major_version: 2, ..stream.clone() };

        let held = here.try_lock(&stream).await.unwrap().expect("a free stream is leased");
        assert!(there.try_lock(&stream).await.unwrap().is_none(), "a held stream is refused");
        let other = there.try_lock(&other_stream).await.unwrap();
        assert!(other.is_some(), "another major version is another stream");
        assert!(held.renew().await.unwrap());
        held.release().await.unwrap();
        let taken = there.try_lock(&stream).await.unwrap().expect("a released stream is free");

        // The holder's server died: its lease lapses, another takes the stream over, and the
        // first holder's renewal and release no longer touch it.
        db.execute_unprepared("UPDATE stream_uploads SET expires_at = 0").await.unwrap();
        let after = here.try_lock(&stream).await.unwrap().expect("a lapsed lease is taken over");
        assert!(!taken.renew().await.unwrap(), "the lapsed holder learns it lost the stream");
        taken.release().await.unwrap();
        assert!(there.try_lock(&stream).await.unwrap().is_none(), "the new lease stands");

        // A lease dropped without release is given up in the background.
        drop(after);
        let mut free = None;
        for _ in 0..50 {
            free = there.try_lock(&stream).await.unwrap();
            if free.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(free.is_some(), "a dropped lease was given up");
        server.finish().await;
    }
}
