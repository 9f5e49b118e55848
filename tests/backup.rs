//! `datapm-registry backup` and `restore` run as an operator would: the real binary against the
//! database and storage of a real server, and a second server started on what was restored.

mod support;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use datapm_registry::config::DatabaseTarget;
use datapm_registry::domain::archive::manifest::Manifest;
use datapm_registry::domain::archive::schema::DERIVED_TABLES;
use datapm_registry::domain::batch_chunks::{self, OffsetRecord};
use datapm_registry::domain::batches::{self, StreamKey};
use datapm_registry::storage::StorageEnv;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use support::accounts::{PASSWORD, login, new_account};
use support::package_files::{all_fixtures, cli_publish_body, fixture};
use support::publish::{
    all_stored_package_files, cli_publish, publish_fixture, set_catalog_permission,
    set_package_permissions,
};
use support::server::{As, Backend, TestConfig, TestServer, fresh_database};
use support::storage::{TestStore, fresh_store};

/// What one run of the binary did.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A database and store for the binary to work on.
struct Place<'a> {
    database: &'a DatabaseTarget,
    storage_url: String,
    storage_env: StorageEnv,
}

impl Place<'_> {
    /// Where `server` keeps its rows and files.
    fn of(server: &TestServer) -> Place<'_> {
        Place::files(&server.database, &server.data_dir().join("storage"))
    }

    /// `database`, with its files in the folder `storage`.
    fn files<'a>(database: &'a DatabaseTarget, storage: &Path) -> Place<'a> {
        Place {
            database,
            storage_url: format!("file://{}", storage.display()),
            storage_env: StorageEnv::empty(),
        }
    }

    /// `database`, with its files in the test store `store`.
    fn store<'a>(database: &'a DatabaseTarget, store: &TestStore) -> Place<'a> {
        Place {
            database,
            storage_url: store.url.clone(),
            storage_env: store.env.clone(),
        }
    }
}

async fn datapm(place: &Place<'_>, args: &[&str]) -> Outcome {
    let database_url = match place.database {
        DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
        DatabaseTarget::Postgres { url } => url.expose().to_owned(),
    };
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_datapm-registry"))
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("STORAGE_URL", &place.storage_url)
        .envs(place.storage_env.vars())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("the binary runs");
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn backup(place: &Place<'_>, to: &Path) -> Outcome {
    let outcome = datapm(place, &["backup", "--to", to.to_str().unwrap()]).await;
    assert_eq!(outcome.code, 0, "backup failed: {outcome:#?}");
    outcome
}

/// The manifest of an archive, read with the tar and zstd crates rather than the server's code.
fn manifest_of(archive: &Path) -> Manifest {
    let file = std::fs::File::open(archive).unwrap();
    let decoder = zstd::stream::read::Decoder::new(file).unwrap();
    let mut tar = tar::Archive::new(decoder);
    let mut first = tar.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(&*first.path_bytes(), b"manifest.json");
    let mut text = Vec::new();
    first.read_to_end(&mut text).unwrap();
    serde_json::from_slice(&text).unwrap()
}

/// Every entry of an archive but the manifest, by name.
fn entries_of(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(zstd::stream::read::Decoder::new(file).unwrap());
    let mut entries = Vec::new();
    for entry in tar.entries().unwrap().skip(1) {
        let mut entry = entry.unwrap();
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        entries.push((name, body));
    }
    entries
}

/// A registry with users, keys, grants, activity and every fixture package published.
struct Populated {
    server: TestServer,
    ada: support::accounts::Account,
    bob: support::accounts::Account,
}

async fn populated(backend: Backend) -> Populated {
    let server = TestConfig::new(backend).start().await;
    let ada = new_account(&server, "ada").await;
    let bob = new_account(&server, "bob").await;
    for path in all_fixtures() {
        let body = cli_publish_body(&path);
        let run = cli_publish(&server, &ada.key(), "ada", &body).await;
        run.last().data("createVersion");
    }
    let granted = set_package_permissions(
        &server,
        &ada.key(),
        ("ada", "countries"),
        "bob",
        &["VIEW", "EDIT"],
        "have a look",
    )
    .await;
    granted.data("setPackagePermissions");
    set_catalog_permission(&server, &ada.key(), "ada", "bob", &["VIEW"], &["VIEW"])
        .await
        .data("setUserCatalogPermission");
    Populated { server, ada, bob }
}

/// Questions whose answers must not change across a backup and restore, asked as each user and
/// anonymously. Counts of views and fetches are left out: asking moves them.
const QUERIES: &[&str] = &[
    "{ me { isAdmin user { username emailAddress firstName } } }",
    "{ myAPIKeys { id label scopes createdAt } }",
    "{ myCatalogs { identifier { catalogSlug } displayName isPublic myPermissions } }",
    "{ catalogPackages(identifier: { catalogSlug: \"ada\" }, limit: 50, offset: 0) {
         identifier { catalogSlug packageSlug } displayName description myPermissions } }",
    "{ searchPackages(query: \"countries\", limit: 10, offSet: 0) {
         count packages { identifier { catalogSlug packageSlug } } } }",
    "{ usersByPackage(identifier: { catalogSlug: \"ada\", packageSlug: \"countries\" }) {
         user { username } permissions } }",
    "{ package(identifier: { catalogSlug: \"ada\", packageSlug: \"countries\" }) {
         displayName versions { identifier { versionMajor versionMinor versionPatch }
           packageFile createdAt updatedAt } } }",
    "{ packageVersionsDiffs(packageIdentifier: { catalogSlug: \"ada\", packageSlug: \"countries\" },
         offset: 0, limit: 10) { newVersion { versionMajor versionMinor versionPatch }
           differences { type pointer } } }",
];

/// The answers as JSON values: fields that resolve concurrently may come back in another
/// order, which no client depends on.
async fn answers(server: &TestServer, who: &[As]) -> Vec<Value> {
    let mut all = Vec::new();
    for caller in who {
        for query in QUERIES {
            let reply = server.graphql_as(caller, query, json!({})).await;
            assert_eq!(reply.status, 200, "{query}: {:?}", reply.body);
            // Package files name the registry they are served from, which has another port.
            let text = reply.body.to_string().replace(&server.url, "<registry>");
            all.push(serde_json::from_str(&text).unwrap());
        }
    }
    all
}

/// A fresh target database and storage folder, in a server configuration ready to start.
async fn empty_target(backend: Backend) -> (TestConfig, DatabaseTarget) {
    let config = TestConfig::new(backend);
    let database = fresh_database(backend, config.dir.path()).await;
    (config, database)
}

async fn round_trip(from: Backend, to: Backend) {
    let Populated { server, ada, bob } = populated(from).await;
    let callers = [ada.key(), bob.key(), As::Anonymous];
    let before = answers(&server, &callers).await;
    let objects_before = all_stored_package_files(&server);

    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("registry.tar.zst");
    backup(&Place::of(&server), &archive).await;
    let manifest = manifest_of(&archive);
    let archived: Vec<String> = manifest.objects.iter().map(|o| o.key.clone()).collect();
    assert_eq!(
        archived, objects_before,
        "every stored object is in the archive"
    );

    let (config, database) = empty_target(to).await;
    let target = Place::files(&database, &config.dir.path().join("data/storage"));
    let restored = datapm(&target, &["restore", "--from", archive.to_str().unwrap()]).await;
    assert_eq!(restored.code, 0, "{restored:#?}");
    assert!(
        restored.stdout.starts_with("restored 13 tables"),
        "{restored:#?}"
    );
    let again = work.path().join("again.tar.zst");
    backup(&target, &again).await;
    assert_same_rows(&archive, &again, from != to);

    let copy = config.start_on(database).await;
    let after = answers(&copy, &callers).await;
    for (index, (old, new)) in before.iter().zip(&after).enumerate() {
        let query = QUERIES[index % QUERIES.len()];
        assert!(
            old == new,
            "{query} answers differently:\nbefore {old}\nafter  {new}"
        );
    }
    assert_eq!(all_stored_package_files(&copy), objects_before);

    let signed_in = login(&copy, "ada", PASSWORD).await;
    assert!(signed_in.data("login").is_string(), "{signed_in:?}");

    // New rows get fresh ids after explicit ids were loaded.
    let carol = new_account(&copy, "carol").await;
    let me = copy
        .graphql_as(&carol.key(), "{ me { user { username } } }", json!({}))
        .await;
    assert_eq!(me.data("me")["user"]["username"], "carol");

    server.finish().await;
    copy.finish().await;
}

/// The rows of two archives are the same; across engines timestamps are compared to the
/// microsecond, the precision PostgreSQL keeps.
fn assert_same_rows(first: &Path, second: &Path, across_engines: bool) {
    let rows = |path: &Path| -> Vec<(String, Vec<Value>)> {
        entries_of(path)
            .into_iter()
            .filter(|(name, _)| name.starts_with("rows/"))
            .map(|(name, body)| {
                let lines = String::from_utf8(body).unwrap();
                let values = lines
                    .lines()
                    .map(|line| normalised(serde_json::from_str(line).unwrap(), across_engines))
                    .collect();
                (name, values)
            })
            .collect()
    };
    assert_eq!(rows(first), rows(second));
}

fn normalised(row: Value, across_engines: bool) -> Value {
    let Value::Array(cells) = row else {
        return row;
    };
    let cells = cells.into_iter().map(|cell| match cell {
        Value::String(text) if across_engines && is_timestamp(&text) => {
            let time = chrono::DateTime::parse_from_rfc3339(&text).unwrap();
            let micros = time.timestamp_micros();
            Value::from(micros)
        }
        other => other,
    });
    Value::Array(cells.collect())
}

fn is_timestamp(text: &str) -> bool {
    text.len() >= 20 && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_sqlite_restores_every_answer() {
    round_trip(Backend::Sqlite, Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "skipped: set DATAPM_TEST_DATABASE_URL")]
async fn sqlite_to_postgres_restores_every_answer() {
    round_trip(Backend::Sqlite, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "skipped: set DATAPM_TEST_DATABASE_URL")]
async fn postgres_to_sqlite_restores_every_answer() {
    round_trip(Backend::Postgres, Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "skipped: set DATAPM_TEST_DATABASE_URL")]
async fn postgres_to_postgres_restores_every_answer() {
    round_trip(Backend::Postgres, Backend::Postgres).await;
}

/// Every table in the database, listed straight from the engine's catalog, less the derived
/// search tables (and SQLite's shadow tables behind them) and the migrations table.
async fn tables_in(database: &DatabaseTarget) -> BTreeSet<String> {
    let (url, sql) = match database {
        DatabaseTarget::Sqlite { path } => (
            format!("sqlite://{}", path.display()),
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        ),
        DatabaseTarget::Postgres { url } => (
            url.expose().to_owned(),
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        ),
    };
    let db = Database::connect(&url).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    db.close().await.unwrap();
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .filter(|name| {
            name != "seaql_migrations"
                && !DERIVED_TABLES
                    .iter()
                    .any(|d| name == d || name.starts_with(&format!("{d}_")))
        })
        .collect()
}

/// A data batch of ada/countries with records 0..=9 readable and a chunk from 10 on written but
/// never committed (an upload cut off mid-way); the chunk keys of both.
async fn batch_with_a_cut_off_upload(server: &TestServer) -> (String, String) {
    let state = server.state();
    let package = support::publish::package_row(server, "ada", "countries")
        .await
        .unwrap();
    let stream = StreamKey {
        package_id: package.id,
        major_version: 1,
        schema_title: "countries".into(),
        source_type: "file".into(),
        source_slug: "file".into(),
        stream_set_slug: "countries".into(),
        stream_slug: "countries".into(),
    };
    let author = package.creator_id.unwrap();
    let row = batches::create(&state.db, &stream, "BATCH_FULL_SET", author)
        .await
        .unwrap();
    let records = |range: std::ops::Range<i64>| -> Vec<OffsetRecord> {
        range
            .map(|offset| OffsetRecord {
                offset,
                record: rmpv::Value::from(offset),
            })
            .collect()
    };
    batch_chunks::write(&state.store, (&row).into(), &records(0..10))
        .await
        .unwrap();
    batches::commit_offset(&state.db, row.id, 9).await.unwrap();
    batch_chunks::write(&state.store, (&row).into(), &records(10..20))
        .await
        .unwrap();
    let key = |first| batch_chunks::key((&row).into(), first).to_string();
    (key(0), key(10))
}

on_both_databases! {
    async fn stored_data_is_archived_up_to_the_offset_its_batch_made_readable(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        publish_fixture(&server, &ada.key(), "ada", "countries", "1.0.0").await;
        let (readable, cut_off) = batch_with_a_cut_off_upload(&server).await;

        let work = tempfile::tempdir().unwrap();
        let archive = work.path().join("registry.tar.zst");
        backup(&Place::of(&server), &archive).await;
        let archived: Vec<String> =
            manifest_of(&archive).objects.iter().map(|o| o.key.clone()).collect();
        assert!(archived.contains(&readable), "{archived:?}");
        assert!(!archived.contains(&cut_off), "{archived:?}");
        server.finish().await;
    }

    async fn a_table_added_to_the_schema_is_archived_without_being_named(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        let added = "CREATE TABLE bookmarks (id bigint PRIMARY KEY, \
                     user_id bigint NOT NULL REFERENCES users (id), note text)";
        let db = &server.state().db;
        db.execute_unprepared(added).await.unwrap();
        db.execute_unprepared("INSERT INTO bookmarks VALUES (7, 1, 'kept')")
            .await
            .unwrap();

        let work = tempfile::tempdir().unwrap();
        let archive = work.path().join("registry.tar.zst");
        backup(&Place::of(&server), &archive).await;
        let manifest = manifest_of(&archive);

        let archived: BTreeSet<String> = manifest.tables.iter().map(|t| t.name.clone()).collect();
        assert_eq!(archived, tables_in(&server.database).await);
        let bookmarks = manifest.tables.iter().position(|t| t.name == "bookmarks").unwrap();
        let users = manifest.tables.iter().position(|t| t.name == "users").unwrap();
        assert!(users < bookmarks, "parents load first");
        assert_eq!(manifest.tables[bookmarks].rows, 1);
        let (_, rows) = entries_of(&archive)
            .into_iter()
            .find(|(name, _)| name == "rows/bookmarks.jsonl")
            .unwrap();
        assert_eq!(String::from_utf8(rows).unwrap(), "[7,1,\"kept\"]\n");
        server.finish().await;
    }

    async fn a_backup_taken_during_publishes_restores_consistently(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        publish_fixture(&server, &ada.key(), "ada", "countries", "1.0.0").await;
        let template: Value =
            serde_json::from_str(&cli_publish_body(&fixture("countries", "1.0.0"))).unwrap();

        let work = tempfile::tempdir().unwrap();
        let archive = work.path().join("registry.tar.zst");
        let publishing = async {
            for i in 0..30 {
                let mut file = template.clone();
                file["packageSlug"] = json!(format!("countries-{i}"));
                let run = cli_publish(&server, &ada.key(), "ada", &file.to_string()).await;
                run.last().data("createVersion");
            }
        };
        let backing_up = async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            backup(&Place::of(&server), &archive).await
        };
        tokio::join!(publishing, backing_up);

        let manifest = manifest_of(&archive);
        let versions = manifest.tables.iter().find(|t| t.name == "versions").unwrap();
        assert_eq!(manifest.objects.len() as u64, versions.rows, "one file per version");

        let (config, database) = empty_target(Backend::Sqlite).await;
        let target = Place::files(&database, &config.dir.path().join("data/storage"));
        let restored = datapm(&target, &["restore", "--from", archive.to_str().unwrap()]).await;
        assert_eq!(restored.code, 0, "{restored:#?}");
        let copy = config.start_on(database).await;
        let listing = copy
            .graphql_as(
                &ada.key(),
                "{ catalogPackages(identifier: { catalogSlug: \"ada\" }, limit: 100, offset: 0) {
                     identifier { packageSlug } latestVersion { packageFile } } }",
                json!({}),
            )
            .await;
        for package in listing.data("catalogPackages").as_array().unwrap() {
            let file = &package["latestVersion"]["packageFile"];
            assert!(
                file.is_string() || package["latestVersion"].is_null(),
                "{package}"
            );
        }
        assert_eq!(all_stored_package_files(&copy).len() as u64, versions.rows);
        server.finish().await;
        copy.finish().await;
    }

    async fn damaged_or_foreign_archives_are_refused_and_change_nothing(backend: Backend) {
        let source = TestConfig::new(Backend::Sqlite).start().await;
        let ada = new_account(&source, "ada").await;
        publish_fixture(&source, &ada.key(), "ada", "countries", "1.0.0").await;
        let work = tempfile::tempdir().unwrap();
        let good = work.path().join("good.tar.zst");
        backup(&Place::of(&source), &good).await;
        let bytes = std::fs::read(&good).unwrap();

        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x01;
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("truncated", bytes[..bytes.len() * 2 / 3].to_vec(), "the archive is truncated"),
            ("flipped", flipped, "the archive is corrupted"),
            ("gzip", b"\x1f\x8b\x08\x00 not a backup".to_vec(),
             "this is not a datapm-registry backup: it is not a zstd-compressed tar archive"),
            ("plain tar.zst", tar_zst(&[("README.md", b"hello".to_vec())]),
             "this is not a datapm-registry backup: it does not start with manifest.json"),
            ("newer server", with_manifest(&good, |m| {
                m["server_version"] = json!("99.0.0");
                m["migration"] = json!("m20991231_000001_from_the_future");
            }), "the archive was made by datapm-registry 99.0.0 (schema \
                  m20991231_000001_from_the_future), which is newer than this one"),
            ("unknown format", with_manifest(&good, |m| m["format_version"] = json!(2)),
             "the archive has format version 2, which this datapm-registry does not know"),
        ];

        let (config, database) = empty_target(backend).await;
        let target = Place::files(&database, &config.dir.path().join("data/storage"));
        for (case, contents, message) in cases {
            let path = work.path().join(format!("{case}.tar.zst"));
            std::fs::write(&path, contents).unwrap();
            for extra in [&[][..], &["--check"][..]] {
                let mut args = vec!["restore", "--from", path.to_str().unwrap()];
                args.extend(extra);
                let refused = datapm(&target, &args).await;
                assert_eq!(refused.code, 2, "{case} {extra:?}: {refused:#?}");
                assert!(
                    refused.stderr.contains(message),
                    "{case}: expected {message:?}, got {:?}",
                    refused.stderr
                );
            }
            assert!(tables_in(&database).await.is_empty(), "{case} changed the database");
            assert_no_objects(&config.dir.path().join("data/storage"), case);
        }

        let restored = datapm(&target, &["restore", "--from", good.to_str().unwrap()]).await;
        assert_eq!(restored.code, 0, "{restored:#?}");
        let again = datapm(&target, &["restore", "--from", good.to_str().unwrap()]).await;
        assert_eq!(again.code, 2, "{again:#?}");
        assert!(again.stderr.contains("the target registry is not empty"), "{again:#?}");
        let forced = datapm(&target, &["restore", "--force", "--from", good.to_str().unwrap()]).await;
        assert_eq!(forced.code, 0, "{forced:#?}");
        let copy = config.start_on(database).await;
        let me = copy.graphql_as(&ada.key(), "{ me { user { username } } }", json!({})).await;
        assert_eq!(me.data("me")["user"]["username"], "ada", "the API key works after restore");
        source.finish().await;
        copy.finish().await;
    }
}

on_every_store! {
    async fn a_file_storage_registry_restores_into_any_store_and_backs_up_from_it(kind: StoreKind) {
        let Populated { server, ada, bob } = populated(Backend::Sqlite).await;
        let callers = [ada.key(), bob.key(), As::Anonymous];
        let before = answers(&server, &callers).await;
        let work = tempfile::tempdir().unwrap();
        let archive = work.path().join("registry.tar.zst");
        backup(&Place::of(&server), &archive).await;

        let store = fresh_store(kind).await;
        let (mut config, database) = empty_target(Backend::Sqlite).await;
        let target = Place::store(&database, &store);
        let restored = datapm(&target, &["restore", "--from", archive.to_str().unwrap()]).await;
        assert_eq!(restored.code, 0, "{restored:#?}");

        let archived: Vec<String> =
            manifest_of(&archive).objects.into_iter().map(|object| object.key).collect();
        let stored: Vec<String> = store.store.list("").await.unwrap()
            .into_iter().map(|object| object.key.to_string()).collect();
        assert_eq!(stored, archived, "every archived object is in the store");

        // A backup taken from the store holds the very same files.
        let again = work.path().join("again.tar.zst");
        backup(&target, &again).await;
        let objects = |archive: &Path| -> Vec<(String, Vec<u8>)> {
            let entries = entries_of(archive).into_iter();
            entries.filter(|(name, _)| name.starts_with("objects/")).collect()
        };
        let files = objects(&archive);
        assert_eq!(files.len(), archived.len());
        assert!(objects(&again) == files, "the files came back changed");

        config.store = Some(store.store.clone());
        let copy = config.start_on(database).await;
        let after = answers(&copy, &callers).await;
        for (index, (old, new)) in before.iter().zip(&after).enumerate() {
            let query = QUERIES[index % QUERIES.len()];
            assert!(old == new, "{query} answers differently:\nbefore {old}\nafter  {new}");
        }
        server.finish().await;
        copy.finish().await;
    }
}

fn assert_no_objects(storage: &Path, case: &str) {
    let found = walk_files(storage);
    assert!(found.is_empty(), "{case} left objects: {found:?}");
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if path.is_dir() && !hidden {
            found.extend(walk_files(&path));
        } else if path.is_file() && !hidden {
            found.push(path);
        }
    }
    found
}

fn tar_zst(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    let mut tar = tar::Builder::new(encoder);
    for (name, body) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, name, &body[..]).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// The archive at `path` with its manifest changed by `change`, every other entry kept.
fn with_manifest(path: &Path, change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut manifest = serde_json::to_value(manifest_of(path)).unwrap();
    change(&mut manifest);
    let mut entries = vec![(
        "manifest.json".to_owned(),
        manifest.to_string().into_bytes(),
    )];
    entries.extend(entries_of(path));
    let named: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .map(|(name, body)| (name.as_str(), body.clone()))
        .collect();
    tar_zst(&named)
}
