//! Site administration of users over real HTTP, and the user operations anyone may call:
//! search, availability checks and deleting one's own account.

mod support;

use serde_json::{Value, json};
use support::accounts::*;
use support::server::{As, Reply, TestConfig, TestServer};

/// Every admin operation, aimed at `ada`.
const ADMIN_OPERATIONS: [&str; 4] = [
    "{ adminSearchUsers(value: \"a\", limit: 10, offSet: 0) { count } }",
    "mutation { setAsAdmin(username: \"ada\", isAdmin: false) }",
    "mutation { adminSetUserStatus(username: \"ada\", status: SUSPENDED, message: \"x\") }",
    "mutation { adminDeleteUser(usernameOrEmailAddress: \"ada\") }",
];

/// `ada`, the first account and so site administrator, and `bob`, who is not.
async fn admin_and_user(server: &TestServer) -> (Account, Account) {
    (
        new_account(server, "ada").await,
        new_account(server, "bob").await,
    )
}

async fn admin_search(server: &TestServer, who: &As, value: &str, limit: i32) -> Reply {
    let query = "query($v: String!, $l: Int!) {
        adminSearchUsers(value: $v, limit: $l, offSet: 0) {
            count hasMore users { username emailAddress status }
        }
    }";
    server
        .graphql_as(who, query, json!({ "v": value, "l": limit }))
        .await
}

async fn set_status(server: &TestServer, who: &As, username: &str, status: &str) -> Reply {
    let query = "mutation($u: String!, $s: UserStatus!, $m: String) {
        adminSetUserStatus(username: $u, status: $s, message: $m)
    }";
    let variables = json!({ "u": username, "s": status, "m": "Too much spam, sorry." });
    server.graphql_as(who, query, variables).await
}

async fn set_as_admin(server: &TestServer, who: &As, username: &str, is_admin: bool) -> Reply {
    let query = "mutation($u: String!, $a: Boolean!) { setAsAdmin(username: $u, isAdmin: $a) }";
    server
        .graphql_as(who, query, json!({ "u": username, "a": is_admin }))
        .await
}

async fn delete_user(server: &TestServer, who: &As, name: &str) -> Reply {
    let query = "mutation($n: String!) { adminDeleteUser(usernameOrEmailAddress: $n) }";
    server.graphql_as(who, query, json!({ "n": name })).await
}

async fn search_users(server: &TestServer, value: &str) -> Value {
    let query = "query($v: String!) {
        searchUsers(value: $v, limit: 10, offSet: 0) {
            count hasMore users { username emailAddress }
        }
    }";
    let reply = server.graphql(query, json!({ "v": value })).await;
    reply.data("searchUsers").clone()
}

on_both_databases! {
    async fn every_admin_operation_is_refused_to_anonymous_callers_and_other_users(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let (_ada, bob) = admin_and_user(&server).await;

        for query in ADMIN_OPERATIONS {
            let anonymous = server.graphql(query, json!({})).await;
            assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
            for who in [bob.bearer(), bob.key()] {
                let reply = server.graphql_as(&who, query, json!({})).await;
                assert_refused(&reply, "NOT_AUTHORIZED", "FORBIDDEN");
            }
        }
        let ada = user_row(&server, "ada").await;
        assert_eq!((ada.is_site_admin, ada.status.as_str()), (true, "ACTIVE"));
        jwt_for(&server, "ada", PASSWORD).await;
        server.stop().await;
    }

    async fn an_administrator_searches_users_by_name_and_address(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let (ada, _bob) = admin_and_user(&server).await;

        let by_domain = admin_search(&server, &ada.bearer(), "EXAMPLE.com", 10).await;
        assert_eq!(
            by_domain.body,
            json!({ "data": { "adminSearchUsers": { "count": 2, "hasMore": false, "users": [
                { "username": "ada", "emailAddress": "ada@example.com", "status": "ACTIVE" },
                { "username": "bob", "emailAddress": "bob@example.com", "status": "ACTIVE" },
            ]}}})
        );
        let first_page = admin_search(&server, &ada.key(), "example", 1).await;
        let page = first_page.data("adminSearchUsers");
        assert_eq!(
            (&page["count"], &page["hasMore"]),
            (&json!(2), &json!(true))
        );
        let by_address = admin_search(&server, &ada.bearer(), "bob@example.com", 10).await;
        assert_eq!(
            by_address.data("adminSearchUsers")["users"][0]["username"],
            "bob"
        );
        server.stop().await;
    }

    async fn an_administrator_makes_and_unmakes_site_administrators(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let (ada, bob) = admin_and_user(&server).await;

        let granted = set_as_admin(&server, &ada.bearer(), "bob", true).await;
        assert_eq!(granted.body, json!({ "data": { "setAsAdmin": null } }));
        assert_eq!(me(&server, &bob.key()).await.data("me")["isAdmin"], true);
        admin_search(&server, &bob.bearer(), "ada", 10)
            .await
            .data("adminSearchUsers");

        let removed = set_as_admin(&server, &ada.key(), "BOB@example.com", false).await;
        assert_eq!(removed.body, json!({ "data": { "setAsAdmin": null } }));
        assert_eq!(me(&server, &bob.key()).await.data("me")["isAdmin"], false);
        let refused = admin_search(&server, &bob.bearer(), "ada", 10).await;
        assert_refused(&refused, "NOT_AUTHORIZED", "FORBIDDEN");

        let unknown = set_as_admin(&server, &ada.bearer(), "nobody", true).await;
        assert_refused(&unknown, "USER_NOT_FOUND-nobody", "INTERNAL_SERVER_ERROR");
        server.stop().await;
    }

    async fn a_suspended_user_is_locked_out_until_reactivated(backend: Backend) {
        let (server, smtp) = server_with_email(backend).await;
        let ada = sign_up_and_verify(&server, &smtp, "ada").await;
        let bob = sign_up_and_verify(&server, &smtp, "bob").await;

        let suspended = set_status(&server, &ada.bearer(), "bob", "SUSPENDED").await;
        assert_eq!(
            suspended.body,
            json!({ "data": { "adminSetUserStatus": null } })
        );
        let mail = mail_to(&smtp, &bob.email, "Your account has been suspended").await;
        let text = mail.text_body().unwrap();
        assert!(text.contains("Too much spam, sorry."), "{text}");

        let login = login(&server, "bob", PASSWORD).await;
        assert_refused(&login, "ACCOUNT_SUSPENDED", "BAD_USER_INPUT");
        for who in [bob.key(), bob.bearer()] {
            let reply = me(&server, &who).await;
            assert_refused(&reply, "ACCOUNT_SUSPENDED", "GRAPHQL_VALIDATION_FAILED");
        }
        let profile = server
            .graphql("{ user(username: \"bob\") { status } }", json!({}))
            .await;
        assert_eq!(
            profile.body,
            json!({ "data": { "user": { "status": "SUSPENDED" } } })
        );

        server.state().mailer.flush().await;
        let sent = smtp.messages().len();
        let restored = set_status(&server, &ada.key(), "bob", "ACTIVE").await;
        assert_eq!(
            restored.body,
            json!({ "data": { "adminSetUserStatus": null } })
        );
        jwt_for(&server, "bob", PASSWORD).await;
        assert_eq!(
            me(&server, &bob.key()).await.data("me")["user"]["username"],
            "bob"
        );
        server.state().mailer.flush().await;
        assert_eq!(smtp.messages().len(), sent, "no email on reactivation");
        server.stop().await;
    }

    async fn a_status_can_only_be_set_to_active_or_suspended(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let (ada, _bob) = admin_and_user(&server).await;
        let reply = set_status(&server, &ada.bearer(), "bob", "PENDING_SIGN_UP").await;
        let (message, code) = only_error(&reply);
        assert!(message.starts_with("STATUS_NOT_SETTABLE"), "{message}");
        assert_eq!(code, "BAD_USER_INPUT");
        let unknown = set_status(&server, &ada.bearer(), "nobody", "SUSPENDED").await;
        assert_refused(&unknown, "USER_NOT_FOUND-nobody", "INTERNAL_SERVER_ERROR");
        assert_eq!(user_row(&server, "bob").await.status, "ACTIVE");
        server.stop().await;
    }

    async fn an_administrator_deletes_a_user_by_address(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let (ada, bob) = admin_and_user(&server).await;

        let deleted = delete_user(&server, &ada.bearer(), "BOB@example.com").await;
        assert_eq!(deleted.body, json!({ "data": { "adminDeleteUser": null } }));
        let login = login(&server, "bob", PASSWORD).await;
        assert_refused(&login, "WRONG_CREDENTIALS", "UNAUTHENTICATED");
        assert!(catalog_row(&server, "bob").await.is_none());
        assert_request_refused(
            &me(&server, &bob.key()).await,
            "Context creation failed: API_KEY_NOT_FOUND",
            "UNAUTHENTICATED",
        );
        assert_refused(
            &me(&server, &bob.bearer()).await,
            "NOT_AUTHENTICATED",
            "UNAUTHENTICATED",
        );

        let unknown = delete_user(&server, &ada.bearer(), "bob@example.com").await;
        assert_refused(
            &unknown,
            "USER_NOT_FOUND-bob@example.com",
            "INTERNAL_SERVER_ERROR",
        );
        server.stop().await;
    }

    async fn deleting_myself_removes_my_account_and_my_catalog(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let (_ada, bob) = admin_and_user(&server).await;

        let deleted = server
            .graphql_as(&bob.key(), "mutation { deleteMe }", json!({}))
            .await;
        assert_eq!(deleted.body, json!({ "data": { "deleteMe": null } }));
        let login = login(&server, "bob", PASSWORD).await;
        assert_refused(&login, "WRONG_CREDENTIALS", "UNAUTHENTICATED");
        assert!(catalog_row(&server, "bob").await.is_none());

        // The name and address are free again.
        let available = server
            .graphql("{ usernameAvailable(username: \"bob\") }", json!({}))
            .await;
        assert_eq!(
            available.body,
            json!({ "data": { "usernameAvailable": true } })
        );
        new_account(&server, "bob").await;

        let anonymous = server.graphql("mutation { deleteMe }", json!({})).await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        server.stop().await;
    }

    async fn searching_users_anonymously_matches_usernames_not_addresses(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        admin_and_user(&server).await;

        assert_eq!(
            search_users(&server, "BO").await,
            json!({ "count": 1, "hasMore": false,
                    "users": [{ "username": "bob", "emailAddress": null }] })
        );
        assert_eq!(
            search_users(&server, "bob@example.com").await,
            json!({ "count": 0, "hasMore": false, "users": [] })
        );
        assert_eq!(search_users(&server, "example").await["count"], 0);
        server.stop().await;
    }

    async fn usernames_and_addresses_in_use_are_not_available(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        admin_and_user(&server).await;
        let username = "query($u: String!) { usernameAvailable(username: $u) }";
        let address = "query($e: String!) { emailAddressAvailable(emailAddress: $e) }";

        for (name, available) in [("bob", false), ("BOB", false), ("carol", true)] {
            let reply = server.graphql(username, json!({ "u": name })).await;
            assert_eq!(
                reply.body,
                json!({ "data": { "usernameAvailable": available } }),
                "{name}"
            );
        }
        let cases = [
            ("bob@example.com", false),
            ("BOB@EXAMPLE.COM", false),
            ("carol@example.com", true),
        ];
        for (email, available) in cases {
            let reply = server.graphql(address, json!({ "e": email })).await;
            assert_eq!(
                reply.body,
                json!({ "data": { "emailAddressAvailable": available } }),
                "{email}"
            );
        }

        // An address held only by an invitation may still sign up.
        let inviter = user_row(&server, "ada").await;
        let invited =
            datapm_registry::domain::values::EmailAddress::parse("dan@example.com").unwrap();
        datapm_registry::domain::users::invite(server.state(), &invited, &inviter, "data", "")
            .await
            .unwrap();
        let reply = server
            .graphql(address, json!({ "e": "dan@example.com" }))
            .await;
        assert_eq!(
            reply.body,
            json!({ "data": { "emailAddressAvailable": true } })
        );
        server.stop().await;
    }
}
