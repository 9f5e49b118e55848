//! API keys over real HTTP: what `datapm registry login` creates and the CLI sends as
//! `X-API-Key` on every later call.

mod support;

use serde_json::{Value, json};
use support::accounts::*;
use support::server::{As, Reply, TestConfig, TestServer};

const API_KEY_NOT_FOUND: &str = "Context creation failed: API_KEY_NOT_FOUND";

async fn my_api_keys(server: &TestServer, who: &As) -> Reply {
    let query = "{ myAPIKeys { id label scopes createdAt lastUsed } }";
    server.graphql_as(who, query, json!({})).await
}

async fn delete_api_key(server: &TestServer, who: &As, id: &str) -> Reply {
    let query = "mutation($id: String!) { deleteAPIKey(id: $id) { id label scopes } }";
    server.graphql_as(who, query, json!({ "id": id })).await
}

fn is_uuid_v4(text: &Value) -> bool {
    let text = text.as_str().unwrap_or_default();
    uuid::Uuid::parse_str(text).is_ok_and(|id| id.get_version_num() == 4)
}

/// A `Date` as the original writes it: ISO-8601 UTC with milliseconds.
fn is_api_date(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() == 24 && text.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

on_both_databases! {
    async fn an_api_key_with_every_scope_authenticates_as_its_owner(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        new_account(&server, "bob").await;

        let reply = create_api_key_with(&server, &ada.bearer(), "laptop", &ALL_SCOPES).await;
        let created = reply.data("createAPIKey");
        assert!(
            is_uuid_v4(&created["id"]) && is_uuid_v4(&created["secret"]),
            "{created}"
        );
        assert_ne!(created["id"], created["secret"]);
        assert_eq!(created["label"], "laptop");
        assert_eq!(created["scopes"], json!(ALL_SCOPES));

        let key = api_key_value(
            created["id"].as_str().unwrap(),
            created["secret"].as_str().unwrap(),
        );
        let me = me(&server, &As::ApiKey(key)).await;
        assert_eq!(
            me.body,
            json!({ "data": { "me": { "isAdmin": true, "user": { "username": "ada" } } } })
        );
        server.stop().await;
    }

    async fn my_api_keys_are_listed_without_secrets_and_with_their_last_use(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        let (id, secret) = create_api_key(&server, &ada.bearer(), "laptop").await;

        let listed = my_api_keys(&server, &ada.bearer()).await;
        let keys = listed.data("myAPIKeys").as_array().unwrap().clone();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert_eq!(
            (&keys[0]["id"], &keys[0]["label"], &keys[0]["lastUsed"]),
            (&json!(ada.api_key_id), &json!("test key"), &Value::Null)
        );
        assert_eq!(
            (&keys[1]["id"], &keys[1]["label"], &keys[1]["lastUsed"]),
            (&json!(id), &json!("laptop"), &Value::Null)
        );
        assert_eq!(keys[1]["scopes"], json!(ALL_SCOPES));
        assert!(
            is_api_date(&keys[1]["createdAt"]),
            "{}",
            keys[1]["createdAt"]
        );
        assert!(
            !listed.body.to_string().contains(&secret),
            "the secret is never listed"
        );

        // Listing with the key itself uses it.
        let listed = my_api_keys(&server, &As::ApiKey(api_key_value(&id, &secret))).await;
        let keys = listed.data("myAPIKeys").as_array().unwrap().clone();
        assert!(is_api_date(&keys[1]["lastUsed"]), "{}", keys[1]["lastUsed"]);
        assert_eq!(keys[0]["lastUsed"], Value::Null);

        let bobs = my_api_keys(&server, &bob.bearer()).await;
        let labels: Vec<_> = bobs
            .data("myAPIKeys")
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["label"].clone())
            .collect();
        assert_eq!(labels, vec![json!("test key")]);

        let secret_field = server
            .graphql_as(&ada.bearer(), "{ myAPIKeys { secret } }", json!({}))
            .await;
        assert_eq!(secret_field.status, 400);
        assert_eq!(secret_field.error().1, "GRAPHQL_VALIDATION_FAILED");
        server.stop().await;
    }

    async fn an_api_key_needs_every_scope(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let partial: [&[&str]; 3] = [
            &["MANAGE_API_KEYS", "READ_PRIVATE_ASSETS"],
            &["MANAGE_PRIVATE_ASSETS"],
            &[],
        ];
        for scopes in partial {
            let reply = create_api_key_with(&server, &ada.bearer(), "partial", scopes).await;
            assert_refused(&reply, "ALL_SCOPES_REQUIRED", "GRAPHQL_VALIDATION_FAILED");
        }
        let listed = my_api_keys(&server, &ada.bearer()).await;
        assert_eq!(listed.data("myAPIKeys").as_array().unwrap().len(), 1);
        server.stop().await;
    }

    async fn an_api_key_label_is_unique_per_user(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        create_api_key(&server, &ada.bearer(), "laptop").await;

        let again = create_api_key_with(&server, &ada.key(), "laptop", &ALL_SCOPES).await;
        assert_refused(
            &again,
            "APIKEY_LABEL_NOT_AVIALABLE",
            "GRAPHQL_VALIDATION_FAILED",
        );
        create_api_key(&server, &bob.bearer(), "laptop").await;
        let listed = my_api_keys(&server, &ada.bearer()).await;
        assert_eq!(listed.data("myAPIKeys").as_array().unwrap().len(), 2);
        server.stop().await;
    }

    async fn creating_an_api_key_emails_its_owner(backend: Backend) {
        let (server, smtp) = server_with_email(backend).await;
        let ada = sign_up_and_verify(&server, &smtp, "ada").await;
        create_api_key(&server, &ada.bearer(), "build server").await;

        let mails = mails_to(&smtp, &ada.email, "⚠ New API Key Created", 2).await;
        let text = mails[1].text_body().unwrap();
        assert!(text.contains("build server"), "{text}");
        server.stop().await;
    }

    async fn another_users_api_key_cannot_be_deleted(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;

        let reply = delete_api_key(&server, &bob.bearer(), &ada.api_key_id).await;
        assert_refused(&reply, "API_KEY_NOT_FOUND", "INTERNAL_SERVER_ERROR");
        assert_eq!(
            me(&server, &ada.key()).await.data("me")["user"]["username"],
            "ada"
        );
        server.stop().await;
    }

    async fn a_deleted_api_key_is_refused_with_400(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;

        let reply = delete_api_key(&server, &ada.bearer(), &ada.api_key_id).await;
        assert_eq!(
            reply.body,
            json!({ "data": { "deleteAPIKey": {
                "id": ada.api_key_id, "label": "test key", "scopes": ALL_SCOPES,
            }}})
        );
        assert_request_refused(
            &me(&server, &ada.key()).await,
            API_KEY_NOT_FOUND,
            "UNAUTHENTICATED",
        );
        let listed = my_api_keys(&server, &ada.bearer()).await;
        assert_eq!(listed.body, json!({ "data": { "myAPIKeys": [] } }));
        let again = delete_api_key(&server, &ada.bearer(), &ada.api_key_id).await;
        assert_refused(&again, "API_KEY_NOT_FOUND", "INTERNAL_SERVER_ERROR");
        server.stop().await;
    }

    async fn a_garbage_api_key_is_refused_with_400(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let wrong_secret = api_key_value(&ada.api_key_id, &uuid::Uuid::new_v4().to_string());
        let garbage = [
            "not a key".to_owned(),
            api_key_value("", "secret"),
            base64_of("no separator"),
            wrong_secret,
        ];
        for key in garbage {
            let reply = me(&server, &As::ApiKey(key.clone())).await;
            assert_request_refused(&reply, API_KEY_NOT_FOUND, "UNAUTHENTICATED");
        }
        server.stop().await;
    }

    async fn an_api_key_header_takes_precedence_over_a_login_token(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        let send = |key: &str| {
            server
                .http
                .post(format!("{}/graphql", server.url))
                .header("X-API-Key", key)
                .header("Authorization", format!("Bearer {}", ada.jwt))
                .json(&json!({ "query": "{ me { user { username } } }" }))
                .send()
        };

        let body: Value = send(&bob.api_key).await.unwrap().json().await.unwrap();
        assert_eq!(
            body,
            json!({ "data": { "me": { "user": { "username": "bob" } } } })
        );
        let refused = send("garbage").await.unwrap();
        assert_eq!(refused.status(), 400);
        server.stop().await;
    }

    async fn api_keys_need_a_signed_in_caller(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let replies = [
            my_api_keys(&server, &As::Anonymous).await,
            create_api_key_with(&server, &As::Anonymous, "x", &ALL_SCOPES).await,
            delete_api_key(&server, &As::Anonymous, &ada.api_key_id).await,
        ];
        for reply in replies {
            assert_refused(&reply, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        }
        assert_eq!(
            me(&server, &ada.key()).await.data("me")["user"]["username"],
            "ada"
        );
        server.stop().await;
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
