//! Signing in over real HTTP: login tokens, legacy passwords, password change and recovery,
//! and the login throttle.

mod support;

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use datapm_registry::entity::user;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use sha2::Sha256;
use support::accounts::*;
use support::server::{As, Reply, TestConfig, TestServer};

/// Signs `claims` with `secret`, with `kid: JWT_KEY` unless `with_kid` is false.
fn sign(claims: &Value, secret: &[u8], with_kid: bool) -> String {
    let mut header = Header::new(Algorithm::HS256);
    if with_kid {
        header.kid = Some("JWT_KEY".into());
    }
    let key = EncodingKey::from_secret(secret).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// The key the server signs with, as it keeps it in its data directory.
fn server_secret(server: &TestServer) -> Vec<u8> {
    let text = std::fs::read_to_string(server.data_dir().join("jwt-key")).unwrap();
    text.trim().as_bytes().to_vec()
}

/// Claims the server would put in a token for `user_id`, issued `age` ago.
fn claims_for(server: &TestServer, user_id: i64, age: chrono::TimeDelta) -> Value {
    let iat = (chrono::Utc::now() - age).timestamp();
    json!({ "sub": user_id.to_string(), "aud": server.url, "iss": server.url,
            "iat": iat, "exp": iat + 86_400 })
}

/// `base64(HMAC-SHA256(key = salt, message = password))`: the original registry's hash.
fn legacy_hash(salt: &str, password: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(salt.as_bytes()).unwrap();
    mac.update(password.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn assert_throttled(reply: &Reply) {
    let (message, code) = only_error(reply);
    assert_eq!(code, "TOO_MANY_LOGIN_ATTEMPTS", "{:#}", reply.body);
    assert!(message.starts_with("TOO_MANY_LOGIN_ATTEMPTS"), "{message}");
    let seconds = retry_after_seconds(reply);
    assert!(
        (1..=15 * 60 + 1).contains(&seconds),
        "retryAfterSeconds {seconds}"
    );
}

/// `extensions.retryAfterSeconds`, read leniently: whether it is sent as a number is
/// checked by its own test.
fn retry_after_seconds(reply: &Reply) -> u64 {
    let retry = &reply.body["errors"][0]["extensions"]["retryAfterSeconds"];
    let text = retry
        .as_str()
        .map(str::to_owned)
        .unwrap_or(retry.to_string());
    text.parse()
        .unwrap_or_else(|_| panic!("retryAfterSeconds {retry} is a count of seconds"))
}

/// Fails `count` logins of `name` with a wrong (but well-formed) password.
async fn fail_logins(server: &TestServer, name: &str, count: usize) {
    for _ in 0..count {
        let reply = login(server, name, "wr0ng-password").await;
        assert_refused(&reply, "WRONG_CREDENTIALS", "UNAUTHENTICATED");
    }
}

on_both_databases! {
    async fn a_login_token_is_an_hs256_jwt_for_this_registry_valid_for_a_day(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        let before = chrono::Utc::now().timestamp();
        let jwt = jwt_for(&server, "ada", PASSWORD).await;
        let ada = user_row(&server, "ada").await;

        assert_eq!(
            jwt_part(&jwt, 0),
            json!({ "alg": "HS256", "typ": "JWT", "kid": "JWT_KEY" })
        );
        let claims = jwt_part(&jwt, 1);
        let keys: Vec<_> = claims.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 5, "{claims}");
        assert_eq!(claims["iss"], server.url.as_str());
        assert_eq!(claims["aud"], server.url.as_str());
        assert_eq!(claims["sub"], ada.id.to_string());
        let iat = claims["iat"].as_i64().unwrap();
        assert!(
            (before - 1..=before + 5).contains(&iat),
            "iat {iat}, now {before}"
        );
        assert_eq!(claims["exp"].as_i64().unwrap() - iat, 86_400);
        assert!(ada.last_login.is_some(), "login records the time");

        let me = me(&server, &As::Bearer(jwt)).await;
        assert_eq!(
            me.body,
            json!({ "data": { "me": { "isAdmin": true, "user": { "username": "ada" } } } })
        );
        server.stop().await;
    }

    async fn a_tampered_or_foreign_login_token_is_refused_with_400(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        let bob_id = user_row(&server, "bob").await.id;

        // Ada's token, claiming to be Bob, with Ada's signature.
        let mut claims = jwt_part(&ada.jwt, 1);
        claims["sub"] = json!(bob_id.to_string());
        let parts: Vec<_> = ada.jwt.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let tampered = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
        let foreign = sign(
            &claims_for(&server, bob_id, chrono::TimeDelta::zero()),
            b"somebody else's key",
            true,
        );
        for token in [tampered, foreign] {
            let reply = me(&server, &As::Bearer(token)).await;
            assert_request_refused(
                &reply,
                "Context creation failed: invalid signature",
                "INVALID_AUTHENTICATION",
            );
        }

        let mut elsewhere = claims_for(&server, bob_id, chrono::TimeDelta::zero());
        elsewhere["aud"] = json!("https://registry.elsewhere.example");
        let reply = me(
            &server,
            &As::Bearer(sign(&elsewhere, &server_secret(&server), true)),
        )
        .await;
        assert_request_refused(
            &reply,
            "Context creation failed: jwt audience invalid",
            "INVALID_AUTHENTICATION",
        );
        assert_request_refused(
            &me(&server, &As::Bearer("not.a.jwt".into())).await,
            "Context creation failed: jwt malformed",
            "INVALID_AUTHENTICATION",
        );
        // Bob's own token still works.
        assert_eq!(
            me(&server, &bob.bearer()).await.data("me")["user"]["username"],
            "bob"
        );
        server.stop().await;
    }

    async fn an_expired_login_token_is_refused_with_jwt_expired(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        let ada_id = user_row(&server, "ada").await.id;
        let secret = server_secret(&server);

        let fresh = sign(
            &claims_for(&server, ada_id, chrono::TimeDelta::hours(23)),
            &secret,
            true,
        );
        assert_eq!(
            me(&server, &As::Bearer(fresh)).await.data("me")["user"]["username"],
            "ada"
        );
        let old = claims_for(&server, ada_id, chrono::TimeDelta::hours(25));
        let reply = me(&server, &As::Bearer(sign(&old, &secret, true))).await;
        assert_request_refused(
            &reply,
            "Context creation failed: jwt expired",
            "INVALID_AUTHENTICATION",
        );
        server.stop().await;
    }

    async fn a_login_token_without_a_key_id_is_refused_as_invalid(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        let ada_id = user_row(&server, "ada").await.id;
        let claims = claims_for(&server, ada_id, chrono::TimeDelta::zero());

        let token = sign(&claims, &server_secret(&server), false);
        let reply = me(&server, &As::Bearer(token)).await;
        assert_request_refused(
            &reply,
            "Context creation failed: invalid token",
            "UNAUTHENTICATED",
        );
        server.stop().await;
    }

    async fn an_authorization_header_that_is_not_bearer_counts_as_anonymous(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let response = server
            .http
            .post(format!("{}/graphql", server.url))
            .header("Authorization", format!("Token {}", ada.jwt))
            .json(&json!({ "query": "{ me { isAdmin } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["message"], "NOT_AUTHENTICATED");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        server.stop().await;
    }

    async fn a_token_for_a_deleted_user_counts_as_anonymous(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        let deleted = server
            .graphql_as(&bob.bearer(), "mutation { deleteMe }", json!({}))
            .await;
        assert_eq!(deleted.body, json!({ "data": { "deleteMe": null } }));

        let reply = me(&server, &bob.bearer()).await;
        assert_refused(&reply, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        server.stop().await;
    }

    async fn a_legacy_password_hash_is_accepted_and_upgraded_to_argon2id(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        let salt = uuid::Uuid::new_v4().to_string();
        let legacy = "0ld-registry-pass";
        let mut row: user::ActiveModel = user_row(&server, "ada").await.into();
        row.password_hash = Set(Some(legacy_hash(&salt, legacy)));
        row.legacy_password_salt = Set(Some(salt));
        row.update(&server.state().db).await.unwrap();

        let wrong = login(&server, "ada", PASSWORD).await;
        assert_refused(&wrong, "WRONG_CREDENTIALS", "UNAUTHENTICATED");
        let jwt = jwt_for(&server, "ada", legacy).await;
        assert_eq!(
            me(&server, &As::Bearer(jwt)).await.data("me")["user"]["username"],
            "ada"
        );

        let upgraded = user_row(&server, "ada").await;
        let hash = upgraded.password_hash.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert_eq!(upgraded.legacy_password_salt, None);
        jwt_for(&server, "ADA@example.com", legacy).await;
        server.stop().await;
    }

    async fn changing_my_password_needs_the_old_one(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;

        let wrong =
            change_password(&server, &ada.bearer(), "n0t-my-password", "n3w-password").await;
        assert_refused(&wrong, "WRONG_CREDENTIALS", "UNAUTHENTICATED");
        jwt_for(&server, "ada", PASSWORD).await;

        let changed = change_password(&server, &ada.key(), PASSWORD, "n3w-password").await;
        assert_eq!(
            changed.body,
            json!({ "data": { "updateMyPassword": null } })
        );
        jwt_for(&server, "ada", "n3w-password").await;
        let old = login(&server, "ada", PASSWORD).await;
        assert_refused(&old, "WRONG_CREDENTIALS", "UNAUTHENTICATED");

        let anonymous = change_password(&server, &As::Anonymous, "n3w-password", PASSWORD).await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        server.stop().await;
    }

    async fn forgetting_my_password_emails_a_link_only_to_known_addresses(backend: Backend) {
        let (server, smtp) = server_with_email(backend).await;
        let ada = sign_up_and_verify(&server, &smtp, "ada").await;
        server.state().mailer.flush().await;
        let sent_before = smtp.messages().len();

        let unknown = forgot_password(&server, "nobody@example.com").await;
        assert_eq!(
            unknown.body,
            json!({ "data": { "forgotMyPassword": null } })
        );
        server.state().mailer.flush().await;
        assert_eq!(
            smtp.messages().len(),
            sent_before,
            "nothing is sent to an unknown address"
        );

        let known = forgot_password(&server, "ADA@example.com").await;
        assert_eq!(known.body, unknown.body);
        let mail = mail_to(&smtp, &ada.email, "⚠ Recover Your Account").await;
        let token = link_token(&mail, &format!("{}/password-recovery", server.url));
        assert_eq!(uuid::Uuid::parse_str(&token).unwrap().get_version_num(), 4);
        server.state().mailer.flush().await;
        assert_eq!(smtp.messages().len(), sent_before + 1);
        server.stop().await;
    }

    async fn recovering_my_password_sets_the_new_one_and_uses_up_the_token(backend: Backend) {
        let (server, smtp) = server_with_email(backend).await;
        let ada = sign_up_and_verify(&server, &smtp, "ada").await;
        forgot_password(&server, &ada.email)
            .await
            .data("forgotMyPassword");
        let mail = mail_to(&smtp, &ada.email, "⚠ Recover Your Account").await;
        let token = link_token(&mail, &format!("{}/password-recovery", server.url));

        let bad = recover_password(&server, &token, "short1").await;
        assert_refused(&bad, "PASSWORD_TOO_SHORT", "GRAPHQL_VALIDATION_FAILED");
        let recovered = recover_password(&server, &token, "n3w-password").await;
        assert_eq!(
            recovered.body,
            json!({ "data": { "recoverMyPassword": null } })
        );
        jwt_for(&server, "ada", "n3w-password").await;
        let old = login(&server, "ada", PASSWORD).await;
        assert_refused(&old, "WRONG_CREDENTIALS", "UNAUTHENTICATED");

        let again = recover_password(&server, &token, "an0ther-password").await;
        assert_refused(&again, "TOKEN_NOT_VALID", "BAD_USER_INPUT");
        let unknown = recover_password(&server, "not-a-token", "an0ther-password").await;
        assert_refused(&unknown, "TOKEN_NOT_VALID", "BAD_USER_INPUT");
        jwt_for(&server, "ada", "n3w-password").await;
        server.stop().await;
    }

    async fn five_wrong_passwords_lock_the_account_but_not_other_accounts(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        new_account(&server, "bob").await;
        fail_logins(&server, "ada", 5).await;

        let started = Instant::now();
        let locked = login(&server, "ada", PASSWORD).await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        assert_throttled(&locked);
        assert_throttled(&login(&server, "ADA", PASSWORD).await);

        jwt_for(&server, "bob", PASSWORD).await;
        server.stop().await;
    }

    async fn the_wait_before_another_login_is_sent_as_a_json_number(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        fail_logins(&server, "ada", 5).await;

        let reply = login(&server, "ada", PASSWORD).await;
        let retry = &reply.body["errors"][0]["extensions"]["retryAfterSeconds"];
        assert!(retry.is_u64(), "retryAfterSeconds is {retry}");
        server.stop().await;
    }

    async fn failed_logins_by_username_also_lock_logins_by_address(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        fail_logins(&server, "ada", 5).await;

        let reply = login(&server, "ada@example.com", PASSWORD).await;
        assert_throttled(&reply);
        server.stop().await;
    }

    async fn twenty_failures_from_one_address_lock_the_address(backend: Backend) {
        // Every test client is 127.0.0.1, so this needs a server of its own (which it has).
        let server = TestConfig::new(backend).start().await;
        let names = ["ada", "bob", "carol", "dan", "eve"];
        for name in names {
            new_account(&server, name).await;
        }
        new_account(&server, "zed").await;

        // Four failures each: no account reaches its own limit of five.
        for name in names {
            fail_logins(&server, name, 4).await;
        }
        let started = Instant::now();
        assert_throttled(&login(&server, "zed", PASSWORD).await);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        assert_throttled(&login(&server, "nobody", PASSWORD).await);
        server.stop().await;
    }

    async fn nineteen_failures_from_one_address_still_let_a_right_password_in(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        for index in 0..19 {
            let reply = login(&server, &format!("nobody{index}"), "wr0ng-password").await;
            assert_refused(&reply, "WRONG_CREDENTIALS", "UNAUTHENTICATED");
        }
        jwt_for(&server, "ada", PASSWORD).await;
        fail_logins(&server, "nobody19", 1).await;
        assert_throttled(&login(&server, "ada", PASSWORD).await);
        server.stop().await;
    }
}
