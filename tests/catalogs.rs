//! Catalogs over real HTTP: creating, naming, renaming, publishing, listing and deleting them.

mod support;

use serde_json::{Value, json};
use support::accounts::{assert_refused, new_account};
use support::publish::*;
use support::server::{As, Reply, TestConfig, TestServer};

const ALL: [&str; 3] = ["VIEW", "EDIT", "MANAGE"];

async fn slug_available(server: &TestServer, slug: &str) -> Reply {
    let query = "query($s: String!) { catalogSlugAvailable(catalogSlug: $s) }";
    server.graphql(query, json!({ "s": slug })).await
}

async fn create_catalog_with(server: &TestServer, who: &As, value: Value) -> Reply {
    let query = "mutation($value: CreateCatalogInput!) {
        createCatalog(value: $value) { identifier { catalogSlug } isPublic unclaimed }
    }";
    server
        .graphql_as(who, query, json!({ "value": value }))
        .await
}

/// The catalog slugs `myCatalogs` lists for `who`.
async fn my_catalogs(server: &TestServer, who: &As) -> Vec<String> {
    let reply = server.graphql_as(who, MY_CATALOGS, json!({})).await;
    let list = reply.data("myCatalogs").as_array().unwrap().clone();
    list.iter()
        .map(|c| c["identifier"]["catalogSlug"].as_str().unwrap().to_owned())
        .collect()
}

async fn user_catalogs(server: &TestServer, who: &As, username: &str) -> Value {
    let query = "query($u: String!) { userCatalogs(username: $u, offSet: 0, limit: 10) {
        count hasMore catalogs { identifier { catalogSlug } } } }";
    let reply = server
        .graphql_as(who, query, json!({ "u": username }))
        .await;
    reply.data("userCatalogs").clone()
}

async fn catalog_packages(server: &TestServer, who: &As, slug: &str) -> Reply {
    let query = "query($s: String!) { catalogPackages(identifier: { catalogSlug: $s },
        offset: 0, limit: 10) { identifier { catalogSlug packageSlug } isPublic } }";
    server.graphql_as(who, query, json!({ "s": slug })).await
}

fn slugs(list: &[&str]) -> Value {
    let catalogs: Vec<Value> = list
        .iter()
        .map(|s| json!({ "identifier": { "catalogSlug": s } }))
        .collect();
    json!(catalogs)
}

on_both_databases! {
    async fn a_new_catalog_belongs_to_its_creator_and_takes_its_slug(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        assert_eq!(
            slug_available(&server, "acme")
                .await
                .data("catalogSlugAvailable"),
            true
        );

        let created = create_catalog(&server, &bob.key(), "acme", false).await;
        assert_eq!(
            created.body,
            json!({ "data": { "createCatalog": {
                "identifier": { "catalogSlug": "acme" }, "isPublic": false, "myPermissions": ALL,
            }}})
        );
        for (slug, available) in [
            ("acme", false),
            ("ACME", false),
            ("bob", false),
            ("admin", false),
            ("acme-2", true),
        ] {
            let reply = slug_available(&server, slug).await;
            assert_eq!(reply.data("catalogSlugAvailable"), available, "{slug}");
        }
        assert_eq!(my_catalogs(&server, &bob.key()).await, ["acme", "bob"]);
        assert_eq!(my_catalogs(&server, &ada.key()).await, ["ada"]);

        let refusals = [
            (
                "admin",
                bob.key(),
                false,
                "RESERVED_KEYWORD",
                "INTERNAL_SERVER_ERROR",
            ),
            (
                "ACME",
                bob.key(),
                false,
                "CATALOG_SLUG_NOT_AVAILABLE ACME",
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "ada",
                bob.key(),
                false,
                "CATALOG_SLUG_NOT_AVAILABLE ada",
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "bad_slug",
                bob.key(),
                false,
                "CATALOG_SLUG_INVALID",
                "GRAPHQL_VALIDATION_FAILED",
            ),
            ("unowned", bob.key(), true, "NOT_AUTHORIZED", "FORBIDDEN"),
            (
                "mine",
                As::Anonymous,
                false,
                "NOT_AUTHENTICATED",
                "UNAUTHENTICATED",
            ),
        ];
        for (slug, who, unclaimed, message, code) in refusals {
            let value = json!({ "slug": slug, "displayName": slug, "isPublic": false,
                                "unclaimed": unclaimed });
            let reply = create_catalog_with(&server, &who, value).await;
            assert_refused(&reply, message, code);
        }

        // Only a site administrator makes an unclaimed catalog, which `myCatalogs` shows them.
        let value = json!({ "slug": "unowned", "displayName": "Unowned", "isPublic": true,
                            "unclaimed": true });
        let reply = create_catalog_with(&server, &ada.key(), value).await;
        assert_eq!(reply.data("createCatalog")["unclaimed"], true);
        assert_eq!(my_catalogs(&server, &ada.key()).await, ["ada", "unowned"]);
        assert_eq!(my_catalogs(&server, &bob.key()).await, ["acme", "bob"]);
        server.finish().await;
    }

    async fn renaming_a_catalog_takes_its_packages_to_the_new_slug(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        create_catalog(&server, &bob.key(), "acme", false)
            .await
            .data("createCatalog");
        publish_fixture(&server, &bob.key(), "acme", "countries", "1.0.0").await;

        let change = json!({ "newSlug": "acme-data", "displayName": "Acme Data" });
        let reply = update_catalog(&server, &bob.key(), "ACME", change).await;
        assert_eq!(
            reply.body,
            json!({ "data": { "updateCatalog": {
                "identifier": { "catalogSlug": "acme-data" }, "displayName": "Acme Data",
                "description": null, "isPublic": false,
            }}})
        );
        let moved = get_package(&server, &bob.key(), "acme-data", "countries").await;
        assert_eq!(
            moved.data("package")["identifier"]["catalogSlug"],
            "acme-data"
        );
        assert!(moved.data("package")["latestVersion"]["packageFile"].is_string());
        let old = get_package(&server, &bob.key(), "acme", "countries").await;
        assert_refused(&old, "CATALOG_NOT_FOUND: acme", "INTERNAL_SERVER_ERROR");
        assert_eq!(
            slug_available(&server, "acme")
                .await
                .data("catalogSlugAvailable"),
            true
        );

        let taken = update_catalog(
            &server,
            &bob.key(),
            "acme-data",
            json!({ "newSlug": "bob" }),
        )
        .await;
        assert_refused(
            &taken,
            "CATALOG_SLUG_NOT_AVAILABLE bob",
            "GRAPHQL_VALIDATION_FAILED",
        );
        let personal =
            update_catalog(&server, &bob.key(), "bob", json!({ "newSlug": "robert" })).await;
        assert_refused(
            &personal,
            "CANNOT_RENAME_PERSONAL_CATALOG - a personal catalog is renamed with its user",
            "GRAPHQL_VALIDATION_FAILED",
        );
        server.finish().await;
    }

    async fn editing_a_catalog_needs_edit_and_changing_its_visibility_needs_manage(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        let carol = new_account(&server, "carol").await;
        let dave = new_account(&server, "dave").await;
        create_catalog(&server, &bob.key(), "acme", false)
            .await
            .data("createCatalog");
        set_catalog_permission(&server, &bob.key(), "acme", "carol", &["VIEW", "EDIT"], &[])
            .await
            .data("setUserCatalogPermission");
        set_catalog_permission(&server, &bob.key(), "acme", "dave", &["VIEW"], &[])
            .await
            .data("setUserCatalogPermission");

        let described = update_catalog(
            &server,
            &carol.key(),
            "acme",
            json!({ "description": "Shared data" }),
        )
        .await;
        assert_eq!(
            described.data("updateCatalog")["description"],
            "Shared data"
        );
        let public = json!({ "isPublic": true });
        let by_editor = update_catalog(&server, &carol.key(), "acme", public.clone()).await;
        assert_refused(
            &by_editor,
            "NOT_AUTHORIZED - must be manager to set public status",
            "FORBIDDEN",
        );
        let by_viewer =
            update_catalog(&server, &dave.key(), "acme", json!({ "description": "x" })).await;
        assert_refused(&by_viewer, "NOT_AUTHORIZED", "FORBIDDEN");
        let anonymous = update_catalog(&server, &As::Anonymous, "acme", public.clone()).await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");

        let by_manager = update_catalog(&server, &bob.key(), "acme", public).await;
        assert_eq!(
            by_manager.body,
            json!({ "data": { "updateCatalog": {
                "identifier": { "catalogSlug": "acme" }, "displayName": "acme",
                "description": "Shared data", "isPublic": true,
            }}})
        );
        let read = server
            .graphql(
                "{ catalog(identifier: { catalogSlug: \"acme\" }) { description } }",
                json!({}),
            )
            .await;
        assert_eq!(
            read.data("catalog"),
            &json!({ "description": "Shared data" })
        );
        server.finish().await;
    }

    async fn deleting_a_catalog_removes_its_packages_and_their_stored_files(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        create_catalog(&server, &bob.key(), "acme", false)
            .await
            .data("createCatalog");
        publish_fixture(&server, &bob.key(), "acme", "countries", "1.0.0").await;
        publish_fixture(&server, &bob.key(), "acme", "countries", "1.1.0").await;
        publish_fixture(&server, &bob.key(), "acme", "people-unicode", "1.0.0").await;
        publish_fixture(&server, &bob.key(), "bob", "countries", "1.0.0").await;
        let countries = package_row(&server, "acme", "countries").await.unwrap().id;
        let people = package_row(&server, "acme", "people-unicode")
            .await
            .unwrap()
            .id;
        let kept = package_row(&server, "bob", "countries").await.unwrap().id;
        assert_eq!(stored_files_of(&server, countries).len(), 2);

        let query = "mutation($s: String!) { deleteCatalog(identifier: { catalogSlug: $s }) }";
        let deleted = server
            .graphql_as(&bob.key(), query, json!({ "s": "acme" }))
            .await;
        assert_eq!(deleted.body, json!({ "data": { "deleteCatalog": null } }));

        let gone = get_package(&server, &bob.key(), "acme", "countries").await;
        assert_refused(&gone, "CATALOG_NOT_FOUND: acme", "INTERNAL_SERVER_ERROR");
        assert!(
            package_row(&server, "acme", "people-unicode")
                .await
                .is_none()
        );
        assert!(version_rows(&server, countries).await.is_empty());
        assert_eq!(
            all_stored_package_files(&server),
            [format!("package/{kept}/1/0/0/package_file")],
            "the files of packages {countries} and {people} are gone"
        );
        let personal = server
            .graphql_as(&bob.key(), query, json!({ "s": "bob" }))
            .await;
        assert_refused(
            &personal,
            "CANNOT_DELETE_PERSONAL_CATALOG - a personal catalog is deleted with its user",
            "GRAPHQL_VALIDATION_FAILED",
        );
        server.finish().await;
    }

    async fn catalog_lists_show_only_what_the_requester_may_see(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        let carol = new_account(&server, "carol").await;
        create_catalog(&server, &bob.key(), "acme", false)
            .await
            .data("createCatalog");
        create_catalog(&server, &bob.key(), "open", true)
            .await
            .data("createCatalog");
        publish_fixture(&server, &bob.key(), "open", "people-unicode", "1.0.0").await;
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

        let public_only = json!({ "count": 1, "hasMore": false, "catalogs": slugs(&["open"]) });
        assert_eq!(
            user_catalogs(&server, &As::Anonymous, "bob").await,
            public_only
        );
        assert_eq!(
            user_catalogs(&server, &carol.key(), "bob").await,
            public_only
        );
        assert_eq!(
            user_catalogs(&server, &bob.key(), "bob").await,
            json!({ "count": 3, "hasMore": false, "catalogs": slugs(&["acme", "bob", "open"]) })
        );

        let countries = json!({ "catalogSlug": "open", "packageSlug": "countries" });
        let public_package = json!([{ "identifier": countries, "isPublic": true }]);
        let anonymous = catalog_packages(&server, &As::Anonymous, "open").await;
        assert_eq!(anonymous.data("catalogPackages"), &public_package);
        let stranger = catalog_packages(&server, &carol.key(), "open").await;
        assert_eq!(stranger.data("catalogPackages"), &public_package);
        let owner = catalog_packages(&server, &bob.key(), "open").await;
        assert_eq!(
            owner.data("catalogPackages"),
            &json!([
                { "identifier": { "catalogSlug": "open", "packageSlug": "countries" },
                  "isPublic": true },
                { "identifier": { "catalogSlug": "open", "packageSlug": "people-unicode" },
                  "isPublic": false },
            ])
        );
        let private = catalog_packages(&server, &As::Anonymous, "acme").await;
        assert_refused(&private, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        let private = catalog_packages(&server, &carol.key(), "acme").await;
        assert_refused(&private, "NOT_AUTHORIZED", "FORBIDDEN");
        server.finish().await;
    }
}
