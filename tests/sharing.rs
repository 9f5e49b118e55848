//! Sharing a package with people over real HTTP: invitations for unknown addresses, share
//! notices for existing users, the rules for the message, and that a refused share changes
//! nothing.

mod support;

use std::time::Duration;

use datapm_registry::entity::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use support::accounts::*;
use support::publish::*;
use support::server::{As, Reply, TestServer};
use support::smtp::SmtpCatcher;

const INVITE: &str = "🚀 Invite to Collaborate";
const SHARED: &str = "📦 Data Shared";

/// The site administrator `ada`, and `bob` with his package `bob/countries`, on a server that
/// sends email.
async fn bob_with_a_package(
    backend: support::server::Backend,
) -> (TestServer, SmtpCatcher, Account) {
    let (server, smtp) = server_with_email(backend).await;
    sign_up_and_verify(&server, &smtp, "ada").await;
    let bob = sign_up_and_verify(&server, &smtp, "bob").await;
    publish_fixture(&server, &bob.key(), "bob", "countries", "1.0.0").await;
    (server, smtp, bob)
}

/// `setPackagePermissions` on `bob/countries` by bob with several entries.
async fn share(server: &TestServer, bob: &Account, entries: Value, message: &str) -> Reply {
    let query = "mutation($identifier: PackageIdentifierInput!,
                          $value: [SetPackagePermissionInput!]!, $message: String!) {
        setPackagePermissions(identifier: $identifier, value: $value, message: $message)
    }";
    let variables = json!({ "identifier": package_identifier("bob", "countries"),
                            "value": entries, "message": message });
    server.graphql_as(&bob.key(), query, variables).await
}

/// (displayName, permissions) of everyone holding a grant on `bob/countries`, sorted.
async fn holders(server: &TestServer, bob: &Account) -> Vec<(String, Value)> {
    let query = "{ usersByPackage(identifier: { catalogSlug: \"bob\", packageSlug: \"countries\" })
        { user { displayName } permissions } }";
    let reply = server.graphql_as(&bob.key(), query, json!({})).await;
    let mut found: Vec<(String, Value)> = reply
        .data("usersByPackage")
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let name = h["user"]["displayName"].as_str().unwrap().to_owned();
            (name, h["permissions"].clone())
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

async fn user_with_address(server: &TestServer, address: &str) -> Option<user::Model> {
    user::Entity::find()
        .filter(user::Column::EmailKey.eq(address.to_lowercase()))
        .one(&server.state().db)
        .await
        .unwrap()
}

/// The messages to `address` with `subject` so far, after giving the mail queue a moment.
async fn mails_so_far(smtp: &SmtpCatcher, address: &str, subject: &str) -> usize {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = smtp.messages().into_iter();
    messages
        .filter(|m| m.to.iter().any(|to| to == address) && m.subject() == subject)
        .count()
}

const ALL: [&str; 3] = ["VIEW", "EDIT", "MANAGE"];

on_both_databases! {
    async fn sharing_with_an_unknown_address_invites_a_pending_user(backend: Backend) {
        let (server, smtp, bob) = bob_with_a_package(backend).await;
        let reply = set_package_permissions(
            &server,
            &bob.key(),
            ("bob", "countries"),
            "Newbie@Example.com",
            &["VIEW"],
            "Have a look",
        )
        .await;
        assert_eq!(
            reply.body,
            json!({ "data": { "setPackagePermissions": null } })
        );

        let mail = mail_to(&smtp, "newbie@example.com", INVITE).await;
        let text = mail.text_body().unwrap();
        assert!(
            text.contains("bob has invited you to collaborate on countries on Test Registry."),
            "{text}"
        );
        assert!(text.contains("Have a look"), "{text}");
        let token = link_token(&mail, &format!("{}/accept-invite", server.url));
        let pending = user_with_address(&server, "newbie@example.com")
            .await
            .unwrap();
        assert_eq!(pending.status, "PENDING_SIGN_UP");
        assert_eq!(
            holders(&server, &bob).await,
            [
                ("bob".to_owned(), json!(ALL)),
                ("newbie (pending sign up)".to_owned(), json!(["VIEW"]))
            ]
        );

        let query = "mutation($t: String!, $u: String!, $p: String!) {
            acceptInvite(token: $t, username: $u, password: $p) }";
        let accepted = server
            .graphql(query, json!({ "t": token, "u": "newbie", "p": PASSWORD }))
            .await;
        assert_eq!(accepted.body, json!({ "data": { "acceptInvite": null } }));
        let newbie = As::Bearer(jwt_for(&server, "newbie", PASSWORD).await);
        let read = get_package(&server, &newbie, "bob", "countries").await;
        assert_eq!(read.data("package")["myPermissions"], json!(["VIEW"]));
        server.finish().await;
    }

    async fn sharing_with_an_existing_user_tells_them_by_email(backend: Backend) {
        let (server, smtp, bob) = bob_with_a_package(backend).await;
        let carol = sign_up_and_verify(&server, &smtp, "carol").await;
        set_package_permissions(
            &server,
            &bob.key(),
            ("bob", "countries"),
            "carol",
            &["VIEW", "EDIT"],
            "Enjoy",
        )
        .await
        .data("setPackagePermissions");

        let mail = mail_to(&smtp, "carol@example.com", SHARED).await;
        let text = mail.text_body().unwrap();
        assert!(
            text.contains("bob has shared countries with you on Test Registry."),
            "{text}"
        );
        assert!(text.contains("Enjoy"), "{text}");
        assert!(
            text.contains(&format!("{}/bob/countries", server.url)),
            "{text}"
        );
        let read = get_package(&server, &carol.key(), "bob", "countries").await;
        assert_eq!(
            read.data("package")["myPermissions"],
            json!(["VIEW", "EDIT"])
        );

        // Named by address, an existing user is told again rather than invited.
        set_package_permissions(
            &server,
            &bob.key(),
            ("bob", "countries"),
            "CAROL@example.com",
            &["VIEW"],
            "",
        )
        .await
        .data("setPackagePermissions");
        mails_to(&smtp, "carol@example.com", SHARED, 2).await;
        assert_eq!(mails_so_far(&smtp, "carol@example.com", INVITE).await, 0);
        let read = get_package(&server, &carol.key(), "bob", "countries").await;
        assert_eq!(read.data("package")["myPermissions"], json!(["VIEW"]));
        server.finish().await;
    }

    async fn a_share_message_with_html_tags_is_refused_and_shares_nothing(backend: Backend) {
        let (server, smtp, bob) = bob_with_a_package(backend).await;
        let carol = sign_up_and_verify(&server, &smtp, "carol").await;
        for name in ["carol", "someone@example.com"] {
            let reply = set_package_permissions(
                &server,
                &bob.key(),
                ("bob", "countries"),
                name,
                &["VIEW"],
                "<b>Look</b>",
            )
            .await;
            assert_refused(
                &reply,
                "MESSAGE_CANNOT_CONTAIN_HTML_TAGS",
                "GRAPHQL_VALIDATION_FAILED",
            );
        }
        assert!(
            user_with_address(&server, "someone@example.com")
                .await
                .is_none()
        );
        let read = get_package(&server, &carol.key(), "bob", "countries").await;
        assert_refused(&read, "NOT_AUTHORIZED", "FORBIDDEN");

        set_package_permissions(
            &server,
            &bob.key(),
            ("bob", "countries"),
            "carol",
            &["VIEW"],
            "Look",
        )
        .await
        .data("setPackagePermissions");
        let mail = mail_to(&smtp, "carol@example.com", SHARED).await;
        assert!(mail.text_body().unwrap().contains("Look"));
        assert_eq!(mails_so_far(&smtp, "carol@example.com", SHARED).await, 1);
        assert_eq!(mails_so_far(&smtp, "someone@example.com", INVITE).await, 0);
        server.finish().await;
    }

    async fn a_share_refused_part_way_grants_nothing_and_emails_no_one(backend: Backend) {
        let (server, smtp, bob) = bob_with_a_package(backend).await;
        let carol = sign_up_and_verify(&server, &smtp, "carol").await;
        let entries = json!([
            { "usernameOrEmailAddress": "carol", "permissions": ["VIEW"] },
            { "usernameOrEmailAddress": "newbie@example.com", "permissions": ["VIEW"] },
            { "usernameOrEmailAddress": "nobody-here", "permissions": ["VIEW"] },
        ]);
        let reply = share(&server, &bob, entries, "").await;
        assert_refused(
            &reply,
            "USER_NOT_FOUND - nobody-here",
            "GRAPHQL_VALIDATION_FAILED",
        );

        let read = get_package(&server, &carol.key(), "bob", "countries").await;
        assert_refused(&read, "NOT_AUTHORIZED", "FORBIDDEN");
        assert_eq!(
            holders(&server, &bob).await,
            [("bob".to_owned(), json!(ALL))]
        );
        assert_eq!(mails_so_far(&smtp, "carol@example.com", SHARED).await, 0);
        assert_eq!(mails_so_far(&smtp, "newbie@example.com", INVITE).await, 0);
        server.finish().await;
    }

    async fn taking_permissions_from_an_unknown_address_invites_no_one(backend: Backend) {
        let (server, smtp, bob) = bob_with_a_package(backend).await;
        let entries = json!([
            { "usernameOrEmailAddress": "stranger@example.com", "permissions": [] },
        ]);
        let reply = share(&server, &bob, entries, "").await;
        assert_eq!(
            reply.body,
            json!({ "data": { "setPackagePermissions": null } })
        );

        assert!(
            user_with_address(&server, "stranger@example.com")
                .await
                .is_none(),
            "no pending account is made for someone losing access"
        );
        assert_eq!(mails_so_far(&smtp, "stranger@example.com", INVITE).await, 0);
        assert_eq!(
            holders(&server, &bob).await,
            [("bob".to_owned(), json!(ALL))]
        );
        server.finish().await;
    }
}
