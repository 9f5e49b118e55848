//! The server foundation over real HTTP: status, error contract, plain routes, restarts.

mod support;

use serde_json::json;
use support::server::{Backend, TestConfig};

on_both_databases! {
    async fn registry_status_names_the_api_version_and_registry_url(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let reply = server
            .graphql("{ registryStatus { status version registryUrl serverVersion } }", json!({}))
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.body,
            json!({ "data": { "registryStatus": {
                "status": "SERVING_REQUESTS",
                "version": "0.32.47",
                "registryUrl": server.url,
                "serverVersion": env!("CARGO_PKG_VERSION"),
            }}})
        );
        server.finish().await;
    }

    async fn a_restarted_server_keeps_its_database_and_signing_key(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let key_before = std::fs::read_to_string(server.data_dir().join("jwt-key")).unwrap();
        let (config, database) = server.stop().await;

        let server = config.start_on(database).await;
        let key_after = std::fs::read_to_string(server.data_dir().join("jwt-key")).unwrap();
        assert_eq!(key_before, key_after);
        let reply = server.graphql("{ registryStatus { status } }", json!({})).await;
        assert_eq!(reply.data("registryStatus")["status"], "SERVING_REQUESTS");
        server.finish().await;
    }

    async fn migrating_twice_changes_nothing(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let target = support::server::fresh_database(backend, dir.path()).await;
        let db = datapm_registry::db::connect(&target).await.unwrap();
        let first = datapm_registry::db::migrate(&db).await.unwrap();
        let second = datapm_registry::db::migrate(&db).await.unwrap();
        assert!(first > 0, "a fresh database needs migrations");
        assert_eq!(second, 0);
        db.close().await.unwrap();
        support::server::drop_database(&target).await;
    }
}

#[tokio::test]
async fn a_body_over_twenty_megabytes_is_refused_with_413_and_an_error_body() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let padding = "x".repeat(21 * 1024 * 1024);
    let body = json!({ "query": "{ registryStatus { status } }", "variables": { "p": padding } });
    let response = server
        .http
        .post(format!("{}/graphql", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("larger than")
    );
    server.finish().await;
}

#[tokio::test]
async fn broken_json_is_refused_with_400_and_says_what_to_send() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let response = server
        .http
        .post(format!("{}/graphql", server.url))
        .header("content-type", "application/json")
        .body("{\"query\": \"{ registryStatus {")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Request body is not a GraphQL request"),
        "{message}"
    );
    server.finish().await;
}

#[tokio::test]
async fn a_query_that_does_not_parse_gets_400_graphql_parse_failed() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let reply = server
        .graphql("{ registryStatus { status ", json!({}))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error().1, "GRAPHQL_PARSE_FAILED");
    server.finish().await;
}

#[tokio::test]
async fn an_unknown_field_gets_400_graphql_validation_failed() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let reply = server
        .graphql("{ registryStatus { colour } }", json!({}))
        .await;
    assert_eq!(reply.status, 400);
    let (message, code) = reply.error();
    assert_eq!(code, "GRAPHQL_VALIDATION_FAILED");
    assert!(message.contains("colour"), "{message}");
    server.finish().await;
}

#[tokio::test]
async fn the_clients_accept_charset_header_is_not_refused() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let response = server
        .http
        .post(format!("{}/graphql", server.url))
        .header("accept", "charset=utf-8")
        .json(&json!({ "query": "{ registryStatus { status } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    server.finish().await;
}

#[tokio::test]
async fn a_get_query_in_the_url_is_answered() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let response = server
        .get("/graphql?query=%7BregistryStatus%7Bstatus%7D%7D")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["data"]["registryStatus"]["status"], "SERVING_REQUESTS");
    server.finish().await;
}

#[tokio::test]
async fn a_browser_get_on_graphql_shows_graphiql() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let response = server
        .get("/graphql")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("graphiql"));
    server.finish().await;
}

#[tokio::test]
async fn a_package_url_answers_with_the_registry_headers() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let response = server
        .get("/some-catalog/some-package")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-datapm-registry-url"],
        server.url.as_str()
    );
    assert_eq!(response.headers()["x-datapm-version"], "0.32.47");
    server.finish().await;
}

#[tokio::test]
async fn a_request_for_another_host_is_redirected_to_the_registry_url() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let response = server
        .get("/cat/pkg?x=1")
        .header("host", "registry.elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 301);
    assert_eq!(
        response.headers()["location"],
        format!("{}/cat/pkg?x=1", server.url).as_str()
    );
    server.finish().await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_graphql_allows_any_origin() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let page = server.get("/").send().await.unwrap();
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["x-frame-options"], "SAMEORIGIN");
    assert!(page.headers().get("access-control-allow-origin").is_none());

    let preflight = server
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", server.url))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    server.finish().await;
}

#[tokio::test]
async fn health_readiness_and_robots_answer() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let apollo = server
        .get("/.well-known/apollo/server-health")
        .send()
        .await
        .unwrap();
    assert_eq!(apollo.text().await.unwrap(), r#"{"status":"pass"}"#);
    assert_eq!(server.get("/healthz").send().await.unwrap().status(), 200);
    assert_eq!(
        server
            .get("/readyz")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ready\n"
    );
    let robots = server
        .get("/robots.txt")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(robots, "User-agent: *\nDisallow: /\n");
    server.finish().await;
}

#[tokio::test]
async fn readiness_fails_when_storage_stops_taking_writes() {
    let server = TestConfig::new(Backend::Sqlite).start().await;
    let storage = server.data_dir().join("storage");
    // A plain file where the storage folder was refuses writes, even to root.
    std::fs::remove_dir_all(&storage).unwrap();
    std::fs::write(&storage, b"not a folder").unwrap();
    let response = server.get("/readyz").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.text().await.unwrap(), "storage not writable\n");
    server.finish().await;
}
