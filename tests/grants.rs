//! Reading and taking back grants, and the lists of a user's packages, over real HTTP:
//! `usersByCatalog`, `deleteUserCatalogPermissions`, `removePackagePermissions`, `myPackages`
//! and `userPackages`.

mod support;

use serde_json::{Value, json};
use support::accounts::{Account, assert_refused, new_account};
use support::publish::*;
use support::server::{As, Reply, TestConfig, TestServer};

const ALL: [&str; 3] = ["VIEW", "EDIT", "MANAGE"];

/// (username, permissions, packagePermissions) of everyone holding a grant on `catalog`, sorted.
async fn catalog_holders(server: &TestServer, who: &As, catalog: &str) -> Reply {
    let query = "query($identifier: CatalogIdentifierInput!) {
        usersByCatalog(identifier: $identifier) {
            user { username } permissions packagePermissions } }";
    let variables = json!({ "identifier": { "catalogSlug": catalog } });
    server.graphql_as(who, query, variables).await
}

fn sorted_holders(reply: &Reply) -> Vec<Value> {
    let mut holders = reply.data("usersByCatalog").as_array().unwrap().clone();
    holders.sort_by_key(|h| h["user"]["username"].as_str().unwrap().to_owned());
    holders
}

async fn delete_catalog_grant(server: &TestServer, who: &As, catalog: &str, name: &str) -> Reply {
    let query = "mutation($identifier: CatalogIdentifierInput!, $name: String!) {
        deleteUserCatalogPermissions(identifier: $identifier, usernameOrEmailAddress: $name) }";
    let variables = json!({ "identifier": { "catalogSlug": catalog }, "name": name });
    server.graphql_as(who, query, variables).await
}

async fn remove_package_grant(server: &TestServer, who: &As, package: &str, name: &str) -> Reply {
    let query = "mutation($identifier: PackageIdentifierInput!, $name: String!) {
        removePackagePermissions(identifier: $identifier, usernameOrEmailAddress: $name) }";
    let variables = json!({ "identifier": package_identifier("acme", package), "name": name });
    server.graphql_as(who, query, variables).await
}

async fn catalog_of(server: &TestServer, who: &As, slug: &str) -> Reply {
    let query = "query($identifier: CatalogIdentifierInput!) {
        catalog(identifier: $identifier) { identifier { catalogSlug } myPermissions } }";
    let variables = json!({ "identifier": { "catalogSlug": slug } });
    server.graphql_as(who, query, variables).await
}

/// `identifier`s and counts of a `PackagesResult` page.
async fn packages_page(server: &TestServer, who: &As, field: &str, arguments: &str) -> Value {
    let query = format!(
        "{{ {field}({arguments}) {{ count hasMore packages {{ identifier {{ catalogSlug packageSlug }} }} }} }}"
    );
    let reply = server.graphql_as(who, &query, json!({})).await;
    let page = reply.data(field);
    json!({
        "count": page["count"],
        "hasMore": page["hasMore"],
        "packages": identifiers_in(&page["packages"]),
    })
}

/// bob's private catalog `acme` with the package `acme/countries`, and carol and dave.
async fn acme(server: &TestServer) -> (Account, Account, Account) {
    let bob = new_account(server, "bob").await;
    let carol = new_account(server, "carol").await;
    let dave = new_account(server, "dave").await;
    create_catalog(server, &bob.key(), "acme", false)
        .await
        .data("createCatalog");
    publish_fixture(server, &bob.key(), "acme", "countries", "1.0.0").await;
    (bob, carol, dave)
}

on_both_databases! {
    async fn users_by_catalog_lists_each_grant_to_managers_only(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let (bob, carol, dave) = acme(&server).await;
        set_catalog_permission(&server, &bob.key(), "acme", "carol", &["VIEW"], &["VIEW", "EDIT"])
            .await
            .data("setUserCatalogPermission");
        set_catalog_permission(&server, &bob.key(), "acme", "dave", &ALL, &[])
            .await
            .data("setUserCatalogPermission");

        let listed = catalog_holders(&server, &bob.key(), "acme").await;
        assert_eq!(
            sorted_holders(&listed),
            [
                // Creating a catalog grants it, not its packages (each package grants its
                // creator on its own).
                json!({ "user": { "username": "bob" }, "permissions": ALL,
                        "packagePermissions": [] }),
                json!({ "user": { "username": "carol" }, "permissions": ["VIEW"],
                        "packagePermissions": ["VIEW", "EDIT"] }),
                json!({ "user": { "username": "dave" }, "permissions": ALL,
                        "packagePermissions": [] }),
            ]
        );
        // dave manages the catalog now, so he may read the list; carol only views it.
        let by_dave = catalog_holders(&server, &dave.key(), "acme").await;
        assert_eq!(sorted_holders(&by_dave), sorted_holders(&listed));
        let by_carol = catalog_holders(&server, &carol.key(), "acme").await;
        assert_refused(&by_carol, "NOT_AUTHORIZED", "FORBIDDEN");
        let anonymous = catalog_holders(&server, &As::Anonymous, "acme").await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        server.finish().await;
    }

    async fn a_deleted_catalog_grant_takes_away_its_access(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let (bob, carol, dave) = acme(&server).await;
        set_catalog_permission(&server, &bob.key(), "acme", "carol", &["VIEW"], &["VIEW"])
            .await
            .data("setUserCatalogPermission");
        let seen = catalog_of(&server, &carol.key(), "acme").await;
        assert_eq!(seen.data("catalog")["myPermissions"], json!(["VIEW"]));
        get_package(&server, &carol.key(), "acme", "countries")
            .await
            .data("package");

        let by_carol = delete_catalog_grant(&server, &carol.key(), "acme", "carol").await;
        assert_refused(&by_carol, "NOT_AUTHORIZED", "FORBIDDEN");
        let by_dave = delete_catalog_grant(&server, &dave.key(), "acme", "carol").await;
        assert_refused(&by_dave, "NOT_AUTHORIZED", "FORBIDDEN");
        let unknown = delete_catalog_grant(&server, &bob.key(), "acme", "nobody").await;
        assert_eq!(unknown.error().0, "USER_NOT_FOUND - nobody");
        let creator = delete_catalog_grant(&server, &bob.key(), "acme", "bob").await;
        assert_eq!(creator.error().0, "CANNOT_REMOVE_CREATOR_PERMISSIONS");

        let deleted = delete_catalog_grant(&server, &bob.key(), "acme", "carol").await;
        assert_eq!(
            deleted.body,
            json!({ "data": { "deleteUserCatalogPermissions": null } })
        );
        let listed = catalog_holders(&server, &bob.key(), "acme").await;
        let names: Vec<_> = sorted_holders(&listed)
            .iter()
            .map(|h| h["user"]["username"].clone())
            .collect();
        assert_eq!(names, [json!("bob")]);
        let catalog = catalog_of(&server, &carol.key(), "acme").await;
        assert_refused(&catalog, "NOT_AUTHORIZED", "FORBIDDEN");
        let package = get_package(&server, &carol.key(), "acme", "countries").await;
        assert_refused(&package, "NOT_AUTHORIZED", "FORBIDDEN");
        server.finish().await;
    }

    async fn removed_package_permissions_take_away_every_permission(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let (bob, carol, dave) = acme(&server).await;
        for (name, held) in [("carol", &ALL[..]), ("dave", &["VIEW"][..])] {
            set_package_permissions(&server, &bob.key(), ("acme", "countries"), name, held, "")
                .await
                .data("setPackagePermissions");
        }
        // carol manages the package, so she may take dave's access; dave may not take hers.
        let by_dave = remove_package_grant(&server, &dave.key(), "countries", "carol").await;
        assert_refused(&by_dave, "NOT_AUTHORIZED", "FORBIDDEN");
        let creator = remove_package_grant(&server, &carol.key(), "countries", "bob").await;
        assert_eq!(creator.error().0, "CANNOT_REMOVE_CREATOR_PERMISSIONS");
        let removed = remove_package_grant(&server, &carol.key(), "countries", "dave").await;
        assert_eq!(
            removed.body,
            json!({ "data": { "removePackagePermissions": null } })
        );

        let refused = get_package(&server, &dave.key(), "acme", "countries").await;
        assert_refused(&refused, "NOT_AUTHORIZED", "FORBIDDEN");
        let query = "{ usersByPackage(identifier: { catalogSlug: \"acme\", packageSlug: \"countries\" })
            { user { username } permissions } }";
        let holders = server.graphql_as(&bob.key(), query, json!({})).await;
        let mut holders = holders.data("usersByPackage").as_array().unwrap().clone();
        holders.sort_by_key(|h| h["user"]["username"].as_str().unwrap().to_owned());
        assert_eq!(
            holders,
            [
                json!({ "user": { "username": "bob" }, "permissions": ALL }),
                json!({ "user": { "username": "carol" }, "permissions": ALL }),
            ]
        );
        let gone = remove_package_grant(&server, &bob.key(), "countries", "carol").await;
        gone.data("removePackagePermissions");
        let refused = get_package(&server, &carol.key(), "acme", "countries").await;
        assert_refused(&refused, "NOT_AUTHORIZED", "FORBIDDEN");
        server.finish().await;
    }

    async fn my_packages_lists_what_i_created_last_updated_first(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let (bob, carol, _) = acme(&server).await;
        publish_fixture(&server, &bob.key(), "bob", "people-unicode", "1.0.0").await;
        publish_fixture(&server, &carol.key(), "carol", "countries", "1.0.0").await;
        // A new version makes acme/countries the most recently updated of bob's.
        publish_fixture(&server, &bob.key(), "acme", "countries", "1.1.0").await;

        let mine = packages_page(&server, &bob.key(), "myPackages", "offset: 0, limit: 10").await;
        assert_eq!(
            mine,
            json!({ "count": 2, "hasMore": false,
                    "packages": ["acme/countries", "bob/people-unicode"] })
        );
        let first = packages_page(&server, &bob.key(), "myPackages", "offset: 0, limit: 1").await;
        assert_eq!(
            first,
            json!({ "count": 2, "hasMore": true, "packages": ["acme/countries"] })
        );
        let second = packages_page(&server, &bob.key(), "myPackages", "offset: 1, limit: 1").await;
        assert_eq!(second["packages"], json!(["bob/people-unicode"]));
        let carols = packages_page(&server, &carol.key(), "myPackages", "offset: 0, limit: 10").await;
        assert_eq!(carols["packages"], json!(["carol/countries"]));

        let query = "{ myPackages(offset: 0, limit: 10) { count } }";
        let anonymous = server.graphql_as(&As::Anonymous, query, json!({})).await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        server.finish().await;
    }

    async fn user_packages_shows_only_what_the_reader_may_see(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let (bob, carol, _) = acme(&server).await;
        create_catalog(&server, &bob.key(), "open", true)
            .await
            .data("createCatalog");
        publish_fixture(&server, &bob.key(), "open", "countries", "1.0.0").await;
        update_package(&server, &bob.key(), "open", "countries", json!({ "isPublic": true }))
            .await
            .data("updatePackage");
        set_package_permissions(&server, &bob.key(), ("acme", "countries"), "carol", &["VIEW"], "")
            .await
            .data("setPackagePermissions");

        let arguments = "username: \"bob\", offSet: 0, limit: 10";
        let everyone = packages_page(&server, &As::Anonymous, "userPackages", arguments).await;
        assert_eq!(
            everyone,
            json!({ "count": 1, "hasMore": false, "packages": ["open/countries"] })
        );
        let by_carol = packages_page(&server, &carol.key(), "userPackages", arguments).await;
        assert_eq!(by_carol["count"], 2);
        let mut seen = by_carol["packages"].as_array().unwrap().clone();
        seen.sort_by_key(|p| p.as_str().unwrap().to_owned());
        assert_eq!(seen, [json!("acme/countries"), json!("open/countries")]);

        // Packages in an unclaimed catalog are nobody's.
        let value = json!({ "slug": "legacy", "displayName": "Legacy", "isPublic": true,
                            "unclaimed": true });
        let query = "mutation($value: CreateCatalogInput!) {
            createCatalog(value: $value) { identifier { catalogSlug } } }";
        server
            .graphql_as(&ada.key(), query, json!({ "value": value }))
            .await
            .data("createCatalog");
        publish_fixture(&server, &ada.key(), "legacy", "countries", "1.0.0").await;
        publish_fixture(&server, &ada.key(), "ada", "people-unicode", "1.0.0").await;
        let adas = packages_page(&server, &ada.key(), "userPackages",
            "username: \"ada\", offSet: 0, limit: 10").await;
        assert_eq!(adas["packages"], json!(["ada/people-unicode"]));

        let query = "{ userPackages(username: \"nobody\", offSet: 0, limit: 10) { count } }";
        let unknown = server.graphql_as(&As::Anonymous, query, json!({})).await;
        assert_eq!(unknown.error().0, "USER_NOT_FOUND - nobody");
        server.finish().await;
    }
}
