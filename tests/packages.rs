//! Package operations over real HTTP: moving, deleting, counting views and fetches, deleting
//! versions, and the differences between versions.

mod support;

use serde_json::{Value, json};
use support::accounts::{assert_refused, new_account};
use support::publish::*;
use support::server::{As, Reply, TestConfig, TestServer};

const ALL: [&str; 3] = ["VIEW", "EDIT", "MANAGE"];

async fn move_package(server: &TestServer, who: &As, from: (&str, &str), to: &str) -> Reply {
    let query = "mutation($identifier: PackageIdentifierInput!,
                          $catalogIdentifier: CatalogIdentifierInput!) {
        movePackage(identifier: $identifier, catalogIdentifier: $catalogIdentifier) }";
    let variables = json!({ "identifier": package_identifier(from.0, from.1),
                            "catalogIdentifier": { "catalogSlug": to } });
    server.graphql_as(who, query, variables).await
}

async fn delete_package(server: &TestServer, who: &As, catalog: &str, package: &str) -> Reply {
    let query = "mutation($identifier: PackageIdentifierInput!) {
        deletePackage(identifier: $identifier) }";
    let variables = json!({ "identifier": package_identifier(catalog, package) });
    server.graphql_as(who, query, variables).await
}

async fn versioned(server: &TestServer, who: &As, field: &str, number: &str) -> Reply {
    let query = format!(
        "mutation($identifier: VersionIdentifierInput!) {{ {field}(identifier: $identifier) }}"
    );
    let variables = json!({ "identifier": version_identifier("bob", "countries", number) });
    server.graphql_as(who, &query, variables).await
}

/// `packageVersionsDiff` between two versions of `bob/countries`.
async fn diff(server: &TestServer, who: &As, new: &str, old: &str) -> Reply {
    let query = "query($new: VersionIdentifierInput!, $old: VersionIdentifierInput!) {
        packageVersionsDiff(newVersion: $new, oldVersion: $old) {
            newVersion { versionMajor versionMinor versionPatch }
            oldVersion { versionMajor versionMinor versionPatch }
            differences { type pointer }
        } }";
    let variables = json!({ "new": version_identifier("bob", "countries", new),
                            "old": version_identifier("bob", "countries", old) });
    server.graphql_as(who, query, variables).await
}

/// The whole `PackageDifferences` for `new` over `old` with `differences` as `type pointer`.
fn differences(new: &str, old: &str, found: &[&str]) -> Value {
    let number = |v: &str| {
        let mut n = version_number(v);
        n.as_object_mut().unwrap().shift_remove("__typename");
        n
    };
    let found: Vec<Value> = found
        .iter()
        .map(|d| {
            let (kind, pointer) = d.split_once(' ').unwrap();
            json!({ "type": kind, "pointer": pointer })
        })
        .collect();
    json!({ "newVersion": number(new), "oldVersion": number(old), "differences": found })
}

const ADDED: [&str; 5] = [
    "CHANGE_PACKAGE_DESCRIPTION #",
    "CHANGE_VERSION #",
    "CHANGE_UPDATED_DATE #",
    "ADD_PROPERTY #/countries/properties/calling_code",
    "CHANGE_SOURCE_CONFIGURATION #",
];

const REMOVED: [&str; 6] = [
    "CHANGE_PACKAGE_DESCRIPTION #",
    "CHANGE_VERSION #",
    "CHANGE_UPDATED_DATE #",
    "REMOVE_PROPERTY #/countries/properties/capital",
    "REMOVE_PROPERTY #/countries/properties/calling_code",
    "CHANGE_SOURCE_CONFIGURATION #",
];

on_both_databases! {
    async fn moving_a_package_takes_its_versions_and_drops_its_grants(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        let carol = new_account(&server, "carol").await;
        create_catalog(&server, &bob.key(), "open", true)
            .await
            .data("createCatalog");
        create_catalog(&server, &bob.key(), "acme", false)
            .await
            .data("createCatalog");
        publish_fixture(&server, &bob.key(), "open", "countries", "1.0.0").await;
        update_package(
            &server,
            &bob.key(),
            "open",
            "countries",
            json!({ "isPublic": true }),
        )
        .await
        .data("updatePackage");
        set_package_permissions(
            &server,
            &bob.key(),
            ("open", "countries"),
            "carol",
            &["VIEW", "EDIT"],
            "",
        )
        .await
        .data("setPackagePermissions");

        let by_editor = move_package(&server, &carol.key(), ("open", "countries"), "carol").await;
        assert_refused(&by_editor, "NOT_AUTHORIZED", "FORBIDDEN");
        let elsewhere = move_package(&server, &bob.key(), ("open", "countries"), "carol").await;
        assert_refused(&elsewhere, "NOT_AUTHORIZED", "FORBIDDEN");
        let same = move_package(&server, &bob.key(), ("open", "countries"), "open").await;
        assert_refused(
            &same,
            "MOVE_TO_SAME_CATALOG_NOT_ALLOWED",
            "GRAPHQL_VALIDATION_FAILED",
        );

        let moved = move_package(&server, &bob.key(), ("open", "countries"), "acme").await;
        assert_eq!(moved.body, json!({ "data": { "movePackage": null } }));
        let old = get_package(&server, &bob.key(), "open", "countries").await;
        assert_refused(
            &old,
            "PACKAGE_NOT_FOUND - open/countries",
            "INTERNAL_SERVER_ERROR",
        );
        let read = get_package(&server, &bob.key(), "acme", "countries").await;
        let latest = files_parsed(read.data("package")["latestVersion"].clone());
        let sent = sent_file("countries", "1.0.0");
        assert_eq!(latest["packageFile"], sent);
        assert!(
            !package_row(&server, "acme", "countries")
                .await
                .unwrap()
                .is_public,
            "a private catalog makes the package private"
        );
        let users = "query { usersByPackage(identifier: { catalogSlug: \"acme\",
            packageSlug: \"countries\" }) { user { username } permissions } }";
        let holders = server.graphql_as(&bob.key(), users, json!({})).await;
        assert_eq!(
            holders.data("usersByPackage"),
            &json!([{ "user": { "username": "bob" }, "permissions": ALL }])
        );
        let by_carol = get_package(&server, &carol.key(), "acme", "countries").await;
        assert_refused(&by_carol, "NOT_AUTHORIZED", "FORBIDDEN");

        publish_fixture(&server, &bob.key(), "open", "countries", "1.0.0").await;
        let taken = move_package(&server, &bob.key(), ("open", "countries"), "acme").await;
        assert_refused(
            &taken,
            "PACKAGE_IDENTIFIER_NOT_AVAILABLE",
            "GRAPHQL_VALIDATION_FAILED",
        );
        server.finish().await;
    }

    async fn a_refused_update_does_not_move_the_package_either(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        create_catalog(&server, &bob.key(), "acme", false)
            .await
            .data("createCatalog");
        publish_fixture(&server, &bob.key(), "bob", "countries", "1.0.0").await;

        let change = json!({ "newCatalogSlug": "acme", "displayName": "   " });
        let reply = update_package(&server, &bob.key(), "bob", "countries", change).await;
        assert_refused(
            &reply,
            "PACKAGE_DISPLAY_NAME_REQUIRED",
            "INTERNAL_SERVER_ERROR",
        );
        assert!(
            package_row(&server, "bob", "countries").await.is_some(),
            "the package is still where it was"
        );
        assert!(package_row(&server, "acme", "countries").await.is_none());
        server.finish().await;
    }

    async fn deleting_a_package_removes_its_versions_and_stored_files(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        let carol = new_account(&server, "carol").await;
        for version in ["1.0.0", "1.1.0", "2.0.0"] {
            publish_fixture(&server, &bob.key(), "bob", "countries", version).await;
        }
        publish_fixture(&server, &bob.key(), "bob", "people-unicode", "1.0.0").await;
        let id = package_row(&server, "bob", "countries").await.unwrap().id;
        let kept = package_row(&server, "bob", "people-unicode")
            .await
            .unwrap()
            .id;
        assert_eq!(stored_files_of(&server, id).len(), 3);
        set_package_permissions(
            &server,
            &bob.key(),
            ("bob", "countries"),
            "carol",
            &["VIEW", "EDIT"],
            "",
        )
        .await
        .data("setPackagePermissions");

        let by_editor = delete_package(&server, &carol.key(), "bob", "countries").await;
        assert_refused(&by_editor, "NOT_AUTHORIZED", "FORBIDDEN");
        let deleted = delete_package(&server, &bob.key(), "bob", "countries").await;
        assert_eq!(deleted.body, json!({ "data": { "deletePackage": null } }));

        let gone = get_package(&server, &bob.key(), "bob", "countries").await;
        assert_refused(
            &gone,
            "PACKAGE_NOT_FOUND - bob/countries",
            "INTERNAL_SERVER_ERROR",
        );
        assert!(version_rows(&server, id).await.is_empty());
        assert_eq!(stored_files_of(&server, id), Vec::<String>::new());
        assert_eq!(stored_files_of(&server, kept).len(), 1);
        // The slug is free again.
        publish_fixture(&server, &bob.key(), "bob", "countries", "1.0.0").await;
        server.finish().await;
    }

    async fn views_and_fetches_of_a_package_are_counted(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        publish_fixture(&server, &bob.key(), "bob", "countries", "1.0.0").await;
        let counts = "{ latestPackages(offSet: 0, limit: 10) {
            packages { identifier { packageSlug } viewedCount fetchedCount } } }";
        let count_of = |reply: Reply| reply.data("latestPackages")["packages"][0].clone();

        let before = count_of(server.graphql_as(&bob.key(), counts, json!({})).await);
        let zero = json!({ "identifier": { "packageSlug": "countries" },
                           "viewedCount": 0, "fetchedCount": 0 });
        assert_eq!(before, zero, "publishing is neither a view nor a fetch");

        for _ in 0..3 {
            get_package(&server, &bob.key(), "bob", "countries")
                .await
                .data("package");
        }
        for _ in 0..2 {
            let fetched = versioned(&server, &bob.key(), "packageFetched", "1.0.0").await;
            assert_eq!(fetched.body, json!({ "data": { "packageFetched": null } }));
        }
        let refused = get_package(&server, &As::Anonymous, "bob", "countries").await;
        assert_refused(&refused, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        let missing = versioned(&server, &bob.key(), "packageFetched", "9.9.9").await;
        assert_refused(
            &missing,
            "VERSION_NOT_FOUND - bob/countries@9.9.9",
            "INTERNAL_SERVER_ERROR",
        );

        let after = count_of(server.graphql_as(&bob.key(), counts, json!({})).await);
        assert_eq!(
            after,
            json!({ "identifier": { "packageSlug": "countries" },
                                  "viewedCount": 3, "fetchedCount": 2 })
        );
        let id = package_row(&server, "bob", "countries").await.unwrap().id;
        let version = version_rows(&server, id).await[0].id;
        let events: Vec<_> = package_activity(&server)
            .await
            .into_iter()
            .skip(3)
            .collect();
        let viewed = ("PACKAGE_VIEWED".to_owned(), None, Some(id), None);
        let fetched = ("PACKAGE_FETCHED".to_owned(), None, Some(id), Some(version));
        assert_eq!(
            events,
            [
                viewed.clone(),
                viewed.clone(),
                viewed,
                fetched.clone(),
                fetched
            ]
        );

        // Views are written in batches; stopping the server writes those not yet written.
        let (config, database) = server.stop().await;
        let server = config.start_on(database).await;
        let stored = package_row(&server, "bob", "countries").await.unwrap();
        assert_eq!((stored.view_count, stored.fetch_count), (3, 2));
        let restarted = count_of(server.graphql_as(&bob.key(), counts, json!({})).await);
        assert_eq!(restarted, after, "the counts survive a restart");
        server.finish().await;
    }

    async fn deleting_a_version_keeps_the_others_and_removes_its_file(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        let carol = new_account(&server, "carol").await;
        for version in ["1.0.0", "1.1.0", "2.0.0"] {
            publish_fixture(&server, &bob.key(), "bob", "countries", version).await;
        }
        set_package_permissions(
            &server,
            &bob.key(),
            ("bob", "countries"),
            "carol",
            &["VIEW"],
            "",
        )
        .await
        .data("setPackagePermissions");
        let id = package_row(&server, "bob", "countries").await.unwrap().id;

        let by_viewer = versioned(&server, &carol.key(), "deleteVersion", "2.0.0").await;
        assert_refused(&by_viewer, "NOT_AUTHORIZED", "FORBIDDEN");
        let missing = versioned(&server, &bob.key(), "deleteVersion", "3.0.0").await;
        assert_refused(
            &missing,
            "VERSION_NOT_FOUND - bob/countries@3.0.0",
            "INTERNAL_SERVER_ERROR",
        );
        let deleted = versioned(&server, &bob.key(), "deleteVersion", "2.0.0").await;
        assert_eq!(deleted.body, json!({ "data": { "deleteVersion": null } }));

        let read = get_package(&server, &bob.key(), "bob", "countries").await;
        let package = files_parsed(read.data("package").clone());
        assert_eq!(package["versions"], version_listing(&["1.1.0", "1.0.0"]));
        let sent = sent_file("countries", "1.1.0");
        assert_eq!(package["latestVersion"]["packageFile"], sent);
        assert_eq!(
            stored_files_of(&server, id),
            [
                format!("package/{id}/1/0/0/package_file"),
                format!("package/{id}/1/1/0/package_file")
            ]
        );

        // The number is free again and compared with the version now latest.
        let again = publish_fixture(&server, &bob.key(), "bob", "countries", "2.0.0").await;
        assert_eq!(
            again.last().data("createVersion")["identifier"]["versionMajor"],
            2
        );
        let reply = diff(&server, &bob.key(), "2.0.0", "1.1.0").await;
        assert_eq!(
            reply.data("packageVersionsDiff"),
            &differences("2.0.0", "1.1.0", &REMOVED)
        );
        server.finish().await;
    }

    async fn a_number_published_again_serves_the_new_file(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        publish_fixture(&server, &bob.key(), "bob", "countries", "1.0.0").await;
        let first = get_package(&server, &bob.key(), "bob", "countries").await;
        let first = files_parsed(first.data("package").clone());
        assert_eq!(
            first["latestVersion"]["packageFile"],
            sent_file("countries", "1.0.0")
        );

        let deleted = versioned(&server, &bob.key(), "deleteVersion", "1.0.0").await;
        assert_eq!(deleted.body, json!({ "data": { "deleteVersion": null } }));
        let mut changed = sent_file("countries", "1.0.0");
        changed["description"] = json!("Countries, described again");
        let created =
            create_version(&server, &bob.key(), "bob", "countries", &changed.to_string()).await;
        created.data("createVersion");

        let read = get_package(&server, &bob.key(), "bob", "countries").await;
        let read = files_parsed(read.data("package").clone());
        assert_eq!(read["latestVersion"]["packageFile"], changed);
        assert_eq!(read["latestVersion"]["canonicalPackageFile"], changed);
        server.finish().await;
    }

    async fn version_diffs_name_the_added_and_the_removed_column(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        for version in ["1.0.0", "1.1.0", "2.0.0"] {
            publish_fixture(&server, &bob.key(), "bob", "countries", version).await;
        }
        publish_fixture(&server, &bob.key(), "bob", "people-unicode", "1.0.0").await;

        let added = differences("1.1.0", "1.0.0", &ADDED);
        let reply = diff(&server, &bob.key(), "1.1.0", "1.0.0").await;
        assert_eq!(
            reply.body,
            json!({ "data": { "packageVersionsDiff": added } })
        );
        let reversed = diff(&server, &bob.key(), "1.0.0", "1.1.0").await;
        assert_eq!(
            reversed.data("packageVersionsDiff"),
            &added,
            "the higher is the new one"
        );
        let removed = differences("2.0.0", "1.1.0", &REMOVED);
        let reply = diff(&server, &bob.key(), "2.0.0", "1.1.0").await;
        assert_eq!(reply.data("packageVersionsDiff"), &removed);
        let same = diff(&server, &bob.key(), "2.0.0", "2.0.0").await;
        assert_eq!(
            same.data("packageVersionsDiff"),
            &differences("2.0.0", "2.0.0", &[])
        );

        let query = "query { packageVersionsDiffs(packageIdentifier: { catalogSlug: \"bob\",
            packageSlug: \"countries\" }, offset: 0, limit: 10) {
                newVersion { versionMajor versionMinor versionPatch }
                oldVersion { versionMajor versionMinor versionPatch }
                differences { type pointer } } }";
        let all = server.graphql_as(&bob.key(), query, json!({})).await;
        assert_eq!(all.data("packageVersionsDiffs"), &json!([removed, added]));

        let missing = diff(&server, &bob.key(), "3.0.0", "1.0.0").await;
        assert_refused(
            &missing,
            "INVALID_VERSIONS_TO_COMPARE",
            "INTERNAL_SERVER_ERROR",
        );
        let query = "query($new: VersionIdentifierInput!, $old: VersionIdentifierInput!) {
            packageVersionsDiff(newVersion: $new, oldVersion: $old) { differences { type } } }";
        let variables = json!({ "new": version_identifier("bob", "people-unicode", "1.0.0"),
                                "old": version_identifier("bob", "countries", "1.0.0") });
        let mixed = server.graphql_as(&bob.key(), query, variables).await;
        assert_refused(
            &mixed,
            "DIFFERENT_VERSIONS_PACKAGES",
            "INTERNAL_SERVER_ERROR",
        );
        let anonymous = diff(&server, &As::Anonymous, "1.1.0", "1.0.0").await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        server.finish().await;
    }
}
