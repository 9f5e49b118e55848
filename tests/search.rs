//! `searchPackages`, `searchCatalogs` and `autoComplete` over real HTTP: ranking, stemming,
//! substrings, what each caller may see, the index following renames, edits and deletes, and
//! input that must not break the query.

mod support;

use serde_json::{Value, json};
use support::accounts::new_account;
use support::package_files::to_js_json;
use support::publish::*;
use support::server::{As, Reply, TestConfig, TestServer};

/// Publishes the `countries` fixture as `catalog/slug` with the given names and README, and
/// makes it public when `public`.
async fn publish_as(
    server: &TestServer,
    who: &As,
    catalog: &str,
    (slug, display_name, description, readme): (&str, &str, &str, &str),
    public: bool,
) {
    let Value::Object(mut file) = sent_file("countries", "1.0.0") else {
        unreachable!("a package file is an object")
    };
    file.insert("packageSlug".into(), json!(slug));
    file.insert("displayName".into(), json!(display_name));
    file.insert("description".into(), json!(description));
    file.insert("readmeMarkdown".into(), json!(readme));
    let run = cli_publish(server, who, catalog, &to_js_json(&file)).await;
    run.last().data("createVersion");
    if public {
        update_package(server, who, catalog, slug, json!({ "isPublic": true }))
            .await
            .data("updatePackage");
    }
}

const RAINFALL: (&str, &str, &str, &str) = (
    "rainfall",
    "Rainfall totals",
    "Daily totals by station",
    "# Rainfall\nMillimetres per day.",
);
const STATIONS: (&str, &str, &str, &str) = (
    "stations",
    "Weather stations",
    "Where the rainfall gauges stand",
    "# Stations\nCoordinates and elevation.",
);
const SOIL: (&str, &str, &str, &str) = (
    "soil",
    "Soil moisture",
    "Moisture by depth",
    "# Soil\nCorrelates with rainfall over the week.",
);
const TRAFFIC: (&str, &str, &str, &str) = (
    "traffic",
    "Road traffic counts",
    "Vehicles per hour",
    "# Traffic\nCounted at junctions.",
);

/// bob's public catalog `open` with four public packages.
async fn registry_with_packages(backend: support::server::Backend) -> (TestServer, As) {
    let server = TestConfig::new(backend).start().await;
    let bob = new_account(&server, "bob").await.key();
    create_catalog(&server, &bob, "open", true)
        .await
        .data("createCatalog");
    for package in [RAINFALL, STATIONS, SOIL, TRAFFIC] {
        publish_as(&server, &bob, "open", package, true).await;
    }
    (server, bob)
}

async fn search(server: &TestServer, who: &As, query: &str, offset: i64, limit: i64) -> Reply {
    let text = "query($q: String!, $offset: Int!, $limit: Int!) {
        searchPackages(query: $q, offSet: $offset, limit: $limit) {
            count hasMore packages { identifier { catalogSlug packageSlug } }
        } }";
    let variables = json!({ "q": query, "offset": offset, "limit": limit });
    server.graphql_as(who, text, variables).await
}

/// The `catalog/package` names found for `query`, in order, and the total count.
async fn found(server: &TestServer, who: &As, query: &str) -> (Vec<String>, i64) {
    let reply = search(server, who, query, 0, 50).await;
    let result = reply.data("searchPackages");
    (
        names(&result["packages"]),
        result["count"].as_i64().unwrap(),
    )
}

fn names(packages: &Value) -> Vec<String> {
    packages
        .as_array()
        .unwrap_or_else(|| panic!("no packages in {packages}"))
        .iter()
        .map(|p| {
            let id = &p["identifier"];
            format!(
                "{}/{}",
                id["catalogSlug"].as_str().unwrap(),
                id["packageSlug"].as_str().unwrap()
            )
        })
        .collect()
}

fn listed(expected: &[&str]) -> (Vec<String>, i64) {
    let names = expected.iter().map(|s| s.to_string()).collect();
    (names, expected.len() as i64)
}

on_both_databases! {
    async fn names_rank_above_descriptions_and_readmes(backend: Backend) {
        let (server, _) = registry_with_packages(backend).await;
        let anyone = As::Anonymous;
        assert_eq!(
            found(&server, &anyone, "rainfall").await,
            listed(&["open/rainfall", "open/stations", "open/soil"])
        );
        // Stemmed: "station" finds "stations" (in a name) before "station" (in a description).
        assert_eq!(
            found(&server, &anyone, "station").await,
            listed(&["open/stations", "open/rainfall"])
        );
        assert_eq!(
            found(&server, &anyone, "junctions").await,
            listed(&["open/traffic"])
        );
        // Every word must match; `or` widens.
        assert_eq!(found(&server, &anyone, "rainfall depth").await, listed(&["open/soil"]));
        assert_eq!(
            found(&server, &anyone, "junctions or elevation").await.1,
            2
        );
        assert_eq!(
            found(&server, &anyone, "rainfall -gauges").await,
            listed(&["open/rainfall", "open/soil"])
        );
        server.finish().await;
    }

    async fn substrings_of_slugs_names_and_full_names_match(backend: Backend) {
        let (server, _) = registry_with_packages(backend).await;
        let anyone = As::Anonymous;
        assert_eq!(found(&server, &anyone, "ainfal").await, listed(&["open/rainfall"]));
        assert_eq!(found(&server, &anyone, "TRAFF").await, listed(&["open/traffic"]));
        assert_eq!(found(&server, &anyone, "oi").await, listed(&["open/soil"]));
        assert_eq!(found(&server, &anyone, "pen/soi").await, listed(&["open/soil"]));
        assert_eq!(found(&server, &anyone, "open/").await.1, 4);
        // An exact slug comes first even when other packages mention it more.
        assert_eq!(found(&server, &anyone, "soil").await.0[0], "open/soil");
        server.finish().await;
    }

    async fn percent_alone_lists_everything_and_wildcards_are_literal(backend: Backend) {
        let (server, _) = registry_with_packages(backend).await;
        let anyone = As::Anonymous;
        assert_eq!(
            found(&server, &anyone, "%").await,
            listed(&["open/rainfall", "open/soil", "open/stations", "open/traffic"])
        );
        assert_eq!(found(&server, &anyone, "").await.1, 4);
        assert_eq!(found(&server, &anyone, "_").await.1, 0);
        assert_eq!(found(&server, &anyone, "s%l").await.1, 0);
        server.finish().await;
    }

    async fn hostile_queries_are_answered_not_failed(backend: Backend) {
        let (server, _) = registry_with_packages(backend).await;
        let anyone = As::Anonymous;
        for query in [
            "\"", "\"\"", "*", "(", ")", "NEAR(", "-", "--", "\\", "'", "rain' OR 1=1 --",
            "col:rain", "^rain", "rain*", "AND", "OR", "NOT", "\"rain", "{}", "💧", "ünïcödé",
        ] {
            let reply = search(&server, &anyone, query, 0, 10).await;
            assert_eq!(reply.status, 200, "{query}: {:?}", reply.body);
            assert!(reply.body.get("errors").is_none(), "{query}: {:?}", reply.body);
        }
        assert_eq!(found(&server, &anyone, "rain").await, listed(&["open/rainfall"]));
        assert_eq!(
            found(&server, &anyone, "\"weather stations\"").await,
            listed(&["open/stations"])
        );
        server.finish().await;
    }

    async fn pages_follow_the_ranking(backend: Backend) {
        let (server, _) = registry_with_packages(backend).await;
        let anyone = As::Anonymous;
        let first = search(&server, &anyone, "rainfall", 0, 2).await;
        let first = first.data("searchPackages");
        assert_eq!(names(&first["packages"]), ["open/rainfall", "open/stations"]);
        assert_eq!((first["count"].clone(), first["hasMore"].clone()), (json!(3), json!(true)));
        let second = search(&server, &anyone, "rainfall", 2, 2).await;
        let second = second.data("searchPackages");
        assert_eq!(names(&second["packages"]), ["open/soil"]);
        assert_eq!((second["count"].clone(), second["hasMore"].clone()), (json!(3), json!(false)));
        server.finish().await;
    }

    async fn only_packages_the_caller_may_view_are_found(backend: Backend) {
        let (server, _) = registry_with_packages(backend).await;
        let carol = new_account(&server, "carol").await.key();
        create_catalog(&server, &carol, "secret", false).await.data("createCatalog");
        let hidden = ("rain-gauges", "Rain gauges", "Private rainfall readings", "# Gauges");
        publish_as(&server, &carol, "secret", hidden, false).await;

        let everyone = ["open/rainfall", "open/stations", "open/soil"];
        assert_eq!(found(&server, &As::Anonymous, "rainfall").await, listed(&everyone));
        let dave = new_account(&server, "dave").await.key();
        assert_eq!(found(&server, &dave, "rainfall").await, listed(&everyone));
        let (names, count) = found(&server, &carol, "rainfall").await;
        assert_eq!(count, 4);
        assert!(names.contains(&"secret/rain-gauges".to_owned()), "{names:?}");
        assert_eq!(found(&server, &As::Anonymous, "gauges").await, listed(&["open/stations"]));
        server.finish().await;
    }

    async fn the_index_follows_edits_renames_and_deletes(backend: Backend) {
        let (server, bob) = registry_with_packages(backend).await;
        let anyone = As::Anonymous;
        update_package(&server, &bob, "open", "traffic",
            json!({ "description": "Rainfall slows the traffic" })).await.data("updatePackage");
        assert_eq!(found(&server, &anyone, "rainfall").await.1, 4);

        update_package(&server, &bob, "open", "soil", json!({ "newPackageSlug": "ground" }))
            .await
            .data("updatePackage");
        assert_eq!(found(&server, &anyone, "ground").await, listed(&["open/ground"]));
        assert_eq!(found(&server, &anyone, "oi").await, listed(&["open/ground"]));

        let query = "mutation($identifier: PackageIdentifierInput!) {
            deletePackage(identifier: $identifier) }";
        server
            .graphql_as(&bob, query, json!({ "identifier": package_identifier("open", "ground") }))
            .await
            .data("deletePackage");
        assert_eq!(found(&server, &anyone, "moisture").await.1, 0);
        assert_eq!(found(&server, &anyone, "rainfall").await.1, 3);
        server.finish().await;
    }

    async fn catalogs_rank_by_words_and_match_slug_prefixes(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await.key();
        for (slug, name, description, public) in [
            ("weather-data", "Weather data", "Observations from stations", true),
            ("climate", "Climate", "Weather models and projections", true),
            ("hidden-weather", "Hidden weather", "Private", false),
        ] {
            let query = "mutation($value: CreateCatalogInput!) {
                createCatalog(value: $value) { identifier { catalogSlug } } }";
            let value = json!({ "slug": slug, "displayName": name,
                                "description": description, "isPublic": public });
            server.graphql_as(&bob, query, json!({ "value": value })).await.data("createCatalog");
        }
        let search = |query: &'static str| {
            let server = &server;
            async move {
                let text = "query($q: String!) { searchCatalogs(query: $q, offSet: 0, limit: 10) {
                    count hasMore catalogs { identifier { catalogSlug } } } }";
                let reply = server.graphql(text, json!({ "q": query })).await;
                let result = reply.data("searchCatalogs").clone();
                let slugs: Vec<String> = result["catalogs"].as_array().unwrap().iter()
                    .map(|c| c["identifier"]["catalogSlug"].as_str().unwrap().to_owned())
                    .collect();
                (slugs, result["count"].as_i64().unwrap())
            }
        };
        assert_eq!(search("weather").await, listed(&["weather-data", "climate"]));
        assert_eq!(search("clim").await, listed(&["climate"]));
        assert_eq!(search("projection").await, listed(&["climate"]));
        // Anonymous callers see the two public catalogs, not bob's own or the private one.
        assert_eq!(search("%").await.1, 2);
        assert_eq!(search("(\"").await.1, 0);
        server.finish().await;
    }

    async fn auto_complete_suggests_what_the_caller_may_view(backend: Backend) {
        let (server, bob) = registry_with_packages(backend).await;
        let carol = new_account(&server, "carol").await.key();
        create_catalog(&server, &carol, "rain-secret", false).await.data("createCatalog");
        let query = "query($s: String!) { autoComplete(startsWith: $s) {
            catalogs { identifier { catalogSlug } }
            packages { identifier { catalogSlug packageSlug } }
            collections { name }
            users { username }
        } }";
        let suggest = |who: As, typed: String| {
            let server = &server;
            async move {
                let reply = server.graphql_as(&who, query, json!({ "s": typed })).await;
                let result = reply.data("autoComplete").clone();
                let catalogs: Vec<String> = result["catalogs"].as_array().unwrap().iter()
                    .map(|c| c["identifier"]["catalogSlug"].as_str().unwrap().to_owned())
                    .collect();
                let users: Vec<String> = result["users"].as_array().unwrap().iter()
                    .map(|u| u["username"].as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(result["collections"], json!([]));
                (catalogs, names(&result["packages"]), users)
            }
        };
        let none: Vec<String> = Vec::new();
        let (catalogs, packages, _) = suggest(As::Anonymous, "Rai".into()).await;
        assert_eq!((catalogs, packages), (none.clone(), vec!["open/rainfall".to_owned()]));
        let (catalogs, _, _) = suggest(carol.clone(), "rai".into()).await;
        assert_eq!(catalogs, ["rain-secret"]);
        // Every typed word somewhere in the display name.
        let (_, packages, _) = suggest(As::Anonymous, "counts traffic".into()).await;
        assert_eq!(packages, ["open/traffic"]);
        let (_, packages, _) = suggest(As::Anonymous, "open/s".into()).await;
        assert_eq!(packages, ["open/soil", "open/stations"]);
        let pasted = format!("{}/open/stat", server.state().config.registry_url);
        let (_, packages, _) = suggest(As::Anonymous, pasted).await;
        assert_eq!(packages, ["open/stations"]);
        // A personal catalog is private: only its owner is offered it; people are public.
        let (catalogs, _, users) = suggest(As::Anonymous, "b".into()).await;
        assert_eq!((catalogs, users), (none.clone(), vec!["bob".to_owned()]));
        let (catalogs, _, _) = suggest(bob, "B".into()).await;
        assert_eq!(catalogs, ["bob"]);
        assert_eq!(suggest(As::Anonymous, "  ".into()).await, (none.clone(), none.clone(), none));
        server.finish().await;
    }
}
