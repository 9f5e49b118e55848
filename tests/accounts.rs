//! Accounts over real HTTP: sign-up with and without email, verification links, names,
//! validation rules, invitations, profiles and the activity log.

mod support;

use chrono::Utc;
use datapm_registry::domain::users;
use datapm_registry::domain::values::EmailAddress;
use datapm_registry::entity::{activity_log, catalog};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder, Set};
use serde_json::{Value, json};
use support::accounts::*;
use support::server::{As, Reply, TestConfig, TestServer};

const VERIFY_SUBJECT: &str = "✓ Verify Your New Account";

async fn user_count(server: &TestServer) -> u64 {
    datapm_registry::entity::user::Entity::find()
        .count(&server.state().db)
        .await
        .unwrap()
}

async fn update_me(server: &TestServer, who: &As, value: Value, selection: &str) -> Reply {
    let query = format!(
        "mutation($value: UpdateUserInput!) {{ updateMe(value: $value) {{ {selection} }} }}"
    );
    server
        .graphql_as(who, &query, json!({ "value": value }))
        .await
}

async fn accept_invite(server: &TestServer, token: &str, username: &str) -> Reply {
    let query = "mutation($t: String!, $u: String!, $p: String!) {
        acceptInvite(token: $t, username: $u, password: $p)
    }";
    let variables = json!({ "t": token, "u": username, "p": PASSWORD });
    server.graphql(query, variables).await
}

on_both_databases! {
    async fn signing_up_with_email_requires_verifying_the_address_before_logging_in(
        backend: Backend
    ) {
        let (server, smtp) = server_with_email(backend).await;

        let reply = sign_up(&server, "ada").await;
        assert_eq!(reply.body, json!({ "data": { "createMe": null } }));
        let mail = mail_to(&smtp, "ada@example.com", VERIFY_SUBJECT).await;
        let token = link_token(&mail, &format!("{}/validate-email", server.url));
        assert_eq!(uuid::Uuid::parse_str(&token).unwrap().get_version_num(), 4);

        let early = login(&server, "ada", PASSWORD).await;
        assert_refused(&early, "EMAIL_ADDRESS_NOT_VERIFIED", "BAD_USER_INPUT");

        let verified = verify_email(&server, &token).await;
        assert_eq!(
            verified.body,
            json!({ "data": { "verifyEmailAddress": null } })
        );
        let jwt = jwt_for(&server, "ada", PASSWORD).await;
        assert_eq!(jwt.split('.').count(), 3);
        let me = me(&server, &As::Bearer(jwt)).await;
        assert_eq!(
            me.body,
            json!({ "data": { "me": { "isAdmin": true, "user": { "username": "ada" } } } })
        );

        let again = verify_email(&server, &token).await;
        assert_refused(&again, "TOKEN_NOT_VALID", "BAD_USER_INPUT");
        server.stop().await;
    }

    async fn an_unknown_verification_token_is_not_valid(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let reply = verify_email(&server, &uuid::Uuid::new_v4().to_string()).await;
        assert_refused(&reply, "TOKEN_NOT_VALID", "BAD_USER_INPUT");
        server.stop().await;
    }

    async fn an_expired_verification_token_is_refused_as_too_old(backend: Backend) {
        let (server, smtp) = server_with_email(backend).await;
        sign_up(&server, "ada").await.data("createMe");
        let mail = mail_to(&smtp, "ada@example.com", VERIFY_SUBJECT).await;
        let token = link_token(&mail, &format!("{}/validate-email", server.url));

        expire_tokens(&server, user_row(&server, "ada").await.id).await;
        let reply = verify_email(&server, &token).await;
        assert_refused(&reply, "TOKEN_IS_TOO_OLD", "BAD_USER_INPUT");
        let login = login(&server, "ada", PASSWORD).await;
        assert_refused(&login, "EMAIL_ADDRESS_NOT_VERIFIED", "BAD_USER_INPUT");
        server.stop().await;
    }

    async fn an_expired_recovery_token_is_refused_as_no_longer_valid(backend: Backend) {
        let (server, smtp) = server_with_email(backend).await;
        let ada = sign_up_and_verify(&server, &smtp, "ada").await;
        forgot_password(&server, &ada.email)
            .await
            .data("forgotMyPassword");
        let mail = mail_to(&smtp, &ada.email, "⚠ Recover Your Account").await;
        let token = link_token(&mail, &format!("{}/password-recovery", server.url));

        expire_tokens(&server, user_row(&server, "ada").await.id).await;
        let reply = recover_password(&server, &token, "n3w-password").await;
        assert_refused(&reply, "TOKEN_NO_LONGER_VALID", "BAD_USER_INPUT");
        jwt_for(&server, "ada", PASSWORD).await;
        let refused = login(&server, "ada", "n3w-password").await;
        assert_refused(&refused, "WRONG_CREDENTIALS", "UNAUTHENTICATED");
        server.stop().await;
    }

    async fn without_email_an_account_is_verified_at_once_and_only_the_first_is_site_admin(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;

        assert_eq!(
            me(&server, &ada.bearer()).await.body,
            json!({ "data": { "me": { "isAdmin": true, "user": { "username": "ada" } } } })
        );
        assert_eq!(
            me(&server, &bob.key()).await.body,
            json!({ "data": { "me": { "isAdmin": false, "user": { "username": "bob" } } } })
        );
        for name in ["ada", "bob"] {
            let row = user_row(&server, name).await;
            assert!(row.email_verified, "{name} is verified");
            assert_eq!(row.status, "ACTIVE");
            assert!(row.password_hash.unwrap().starts_with("$argon2id$"));
        }
        server.stop().await;
    }

    async fn every_account_gets_a_private_personal_catalog_named_after_it(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        new_account(&server, "Bob").await;

        for name in ["ada", "Bob"] {
            let owner = user_row(&server, name).await;
            let catalog = catalog_row(&server, name)
                .await
                .expect("a personal catalog");
            assert_eq!(catalog.slug, name);
            assert_eq!(catalog.display_name, name);
            assert!(!catalog.is_public, "the personal catalog is private");
            assert_eq!(catalog.creator_id, Some(owner.id));
        }
        server.stop().await;
    }

    async fn a_username_equal_to_an_existing_catalog_slug_is_not_available(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let now = Utc::now();
        let acme = catalog::ActiveModel {
            slug: Set("Acme".into()),
            slug_key: Set("acme".into()),
            display_name: Set("Acme Inc.".into()),
            is_public: Set(true),
            unclaimed: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        catalog::Entity::insert(acme)
            .exec(&server.state().db)
            .await
            .unwrap();

        let available = server
            .graphql("{ usernameAvailable(username: \"acme\") }", json!({}))
            .await;
        assert_eq!(
            available.body,
            json!({ "data": { "usernameAvailable": false } })
        );
        let reply = sign_up(&server, "ACME").await;
        assert_refused(
            &reply,
            "USERNAME_NOT_AVAILABLE",
            "GRAPHQL_VALIDATION_FAILED",
        );
        assert_eq!(user_count(&server).await, 0);
        server.stop().await;
    }

    async fn reserved_words_cannot_be_usernames(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        for name in ["admin", "Graphql", "ME", "accept-invite"] {
            let reply = sign_up(&server, name).await;
            assert_refused(&reply, "RESERVED_KEYWORD", "INTERNAL_SERVER_ERROR");
            let query = "query($u: String!) { usernameAvailable(username: $u) }";
            let available = server.graphql(query, json!({ "u": name })).await;
            assert_refused(&available, "RESERVED_KEYWORD", "INTERNAL_SERVER_ERROR");
        }
        assert_eq!(user_count(&server).await, 0);
        server.stop().await;
    }

    async fn usernames_and_email_addresses_are_case_insensitive(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let reply = sign_up_with(&server, "Ada", "Ada@Example.com", PASSWORD).await;
        assert_eq!(reply.body, json!({ "data": { "createMe": null } }));

        let same_name = sign_up_with(&server, "ada", "other@example.com", PASSWORD).await;
        assert_refused(
            &same_name,
            "USERNAME_NOT_AVAILABLE",
            "GRAPHQL_VALIDATION_FAILED",
        );
        let same_address = sign_up_with(&server, "other", "ADA@EXAMPLE.COM", PASSWORD).await;
        assert_refused(
            &same_address,
            "EMAIL_ADDRESS_NOT_AVAILABLE",
            "GRAPHQL_VALIDATION_FAILED",
        );

        for name in ["ADA@Example.com", "aDA", "ada@example.com"] {
            let jwt = jwt_for(&server, name, PASSWORD).await;
            let me = me(&server, &As::Bearer(jwt)).await;
            assert_eq!(
                me.data("me")["user"]["username"],
                "Ada",
                "logged in as {name}"
            );
        }
        assert_eq!(user_count(&server).await, 1);
        server.stop().await;
    }

    async fn bad_usernames_are_refused_with_the_rule_they_break(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let cases = [
            ("", "USERNAME_REQUIRED"),
            (&*"a".repeat(40), "USERNAME_TOO_LONG"),
            ("bad_name", "INVALID_CHARACTERS"),
            ("-ada", "INVALID_CHARACTERS"),
            ("ada-", "INVALID_CHARACTERS"),
            ("ad--a", "INVALID_CHARACTERS"),
            ("ädä", "INVALID_CHARACTERS"),
        ];
        for (name, message) in cases {
            let reply = sign_up_with(&server, name, "ada@example.com", PASSWORD).await;
            assert_refused(&reply, message, "GRAPHQL_VALIDATION_FAILED");
            let query = "query($u: String!) { usernameAvailable(username: $u) }";
            let available = server.graphql(query, json!({ "u": name })).await;
            assert_refused(&available, message, "GRAPHQL_VALIDATION_FAILED");
            let login = login(&server, name, PASSWORD).await;
            assert_refused(&login, message, "GRAPHQL_VALIDATION_FAILED");
        }
        assert_eq!(user_count(&server).await, 0);
        server.stop().await;
    }

    async fn a_username_of_the_greatest_length_gets_its_personal_catalog(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let longest = "a".repeat(39);
        let reply = sign_up(&server, &longest).await;
        assert_eq!(reply.body, json!({ "data": { "createMe": null } }));
        let catalog = catalog_row(&server, &longest)
            .await
            .expect("a personal catalog");
        assert_eq!(catalog.slug, longest);
        jwt_for(&server, &longest, PASSWORD).await;
        server.stop().await;
    }

    async fn a_long_first_name_is_never_an_internal_error(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let long_name = "Bartholomew-Maximilian Alexander";
        assert!(long_name.len() > 30);

        let value = json!({ "username": "bob", "emailAddress": "bob@example.com",
                            "password": PASSWORD, "firstName": long_name });
        let create = "mutation($value: CreateUserInput!) { createMe(value: $value) }";
        let signed_up = server.graphql(create, json!({ "value": value })).await;
        let updated = update_me(
            &server,
            &ada.bearer(),
            json!({ "firstName": long_name }),
            "user { firstName }",
        )
        .await;
        for reply in [signed_up, updated] {
            let code = &reply.body["errors"][0]["extensions"]["code"];
            assert_ne!(code, "INTERNAL_SERVER_ERROR", "{:#}", reply.body);
        }
        server.stop().await;
    }

    async fn bad_email_addresses_are_refused_with_the_rule_they_break(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let too_long = format!("{}@{}.com", "a".repeat(64), "b".repeat(186));
        assert_eq!(too_long.len(), 255);
        let cases = [
            ("", "REQUIRED"),
            ("   ", "REQUIRED"),
            (too_long.as_str(), "TOO_LONG"),
            ("not-an-address", "INVALID_EMAIL_ADDRESS_FORMAT"),
            ("ada@example", "INVALID_EMAIL_ADDRESS_FORMAT"),
            ("ada@@example.com", "INVALID_EMAIL_ADDRESS_FORMAT"),
            ("a b@example.com", "INVALID_EMAIL_ADDRESS_FORMAT"),
        ];
        for (address, message) in cases {
            let reply = sign_up_with(&server, "ada", address, PASSWORD).await;
            assert_refused(&reply, message, "GRAPHQL_VALIDATION_FAILED");
            let query = "query($e: String!) { emailAddressAvailable(emailAddress: $e) }";
            let available = server.graphql(query, json!({ "e": address })).await;
            assert_refused(&available, message, "GRAPHQL_VALIDATION_FAILED");
            let forgot = forgot_password(&server, address).await;
            assert_refused(&forgot, message, "GRAPHQL_VALIDATION_FAILED");
        }
        // Login takes the address rule only for values with an `@`.
        let login = login(&server, "ada@example", PASSWORD).await;
        assert_refused(
            &login,
            "INVALID_EMAIL_ADDRESS_FORMAT",
            "GRAPHQL_VALIDATION_FAILED",
        );
        assert_eq!(user_count(&server).await, 0);
        server.stop().await;
    }

    async fn bad_passwords_are_refused_with_the_rule_they_break(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let cases = [
            (String::new(), "PASSWORD_REQUIRED"),
            ("abc1".to_owned(), "PASSWORD_TOO_SHORT"),
            ("abcdef1".to_owned(), "PASSWORD_TOO_SHORT"),
            ("a1".repeat(50), "PASSWORD_TOO_LONG"),
            ("abcdefghij".to_owned(), "INVALID_CHARACTERS"),
            ("abcdefghijklmno".to_owned(), "INVALID_CHARACTERS"),
        ];
        for (password, message) in &cases {
            let reply = sign_up_with(&server, "bob", "bob@example.com", password).await;
            assert_refused(&reply, message, "GRAPHQL_VALIDATION_FAILED");
            let login = login(&server, "ada", password).await;
            assert_refused(&login, message, "GRAPHQL_VALIDATION_FAILED");
            let change = change_password(&server, &ada.bearer(), PASSWORD, password).await;
            assert_refused(&change, message, "GRAPHQL_VALIDATION_FAILED");
        }
        // Sixteen characters need no digit or symbol; eight with one are enough.
        for password in ["abcdefghijklmnop", "abcdefg!"] {
            let reply = sign_up_with(&server, "bob", "bob@example.com", password).await;
            assert_eq!(reply.body, json!({ "data": { "createMe": null } }));
            let bob = As::Bearer(jwt_for(&server, "bob", password).await);
            let deleted = server
                .graphql_as(&bob, "mutation { deleteMe }", json!({}))
                .await;
            assert_eq!(deleted.body, json!({ "data": { "deleteMe": null } }));
        }
        jwt_for(&server, "ada", PASSWORD).await;
        server.stop().await;
    }

    async fn a_validation_failure_answers_with_the_whole_error_shape(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let reply = sign_up_with(&server, &"a".repeat(40), "ada@example.com", PASSWORD).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.body,
            json!({
                "data": { "createMe": null },
                "errors": [{
                    "message": "USERNAME_TOO_LONG",
                    "locations": [{ "line": 1, "column": 38 }],
                    "path": ["createMe"],
                    "extensions": { "code": "GRAPHQL_VALIDATION_FAILED" },
                }],
            })
        );
        server.stop().await;
    }

    async fn accepting_an_invitation_completes_the_account(backend: Backend) {
        let (server, smtp) = server_with_email(backend).await;
        sign_up_and_verify(&server, &smtp, "ada").await;
        let inviter = user_row(&server, "ada").await;
        let address = EmailAddress::parse("Newbie@Example.com").unwrap();
        let pending = users::invite(server.state(), &address, &inviter, "a package", "hello")
            .await
            .unwrap();
        assert_eq!(pending.status, "PENDING_SIGN_UP");

        let mail = mail_to(&smtp, "newbie@example.com", "🚀 Invite to Collaborate").await;
        let token = link_token(&mail, &format!("{}/accept-invite", server.url));
        let text = mail.text_body().unwrap();
        assert!(
            text.contains("a package") && text.contains("hello"),
            "{text}"
        );
        let early = login(&server, "newbie@example.com", PASSWORD).await;
        assert_refused(&early, "WRONG_CREDENTIALS", "UNAUTHENTICATED");

        let accepted = accept_invite(&server, &token, "newbie").await;
        assert_eq!(accepted.body, json!({ "data": { "acceptInvite": null } }));
        let jwt = jwt_for(&server, "newbie", PASSWORD).await;
        assert_eq!(
            me(&server, &As::Bearer(jwt)).await.body,
            json!({ "data": { "me": { "isAdmin": false, "user": { "username": "newbie" } } } })
        );
        jwt_for(&server, "newbie@example.com", PASSWORD).await;
        let catalog = catalog_row(&server, "newbie")
            .await
            .expect("a personal catalog");
        assert_eq!(catalog.creator_id, Some(pending.id));

        let again = accept_invite(&server, &token, "newbie2").await;
        assert_refused(&again, "TOKEN_NOT_VALID", "BAD_USER_INPUT");
        server.stop().await;
    }

    async fn an_invitation_cannot_take_a_username_in_use(backend: Backend) {
        let (server, smtp) = server_with_email(backend).await;
        sign_up_and_verify(&server, &smtp, "ada").await;
        let inviter = user_row(&server, "ada").await;
        let address = EmailAddress::parse("newbie@example.com").unwrap();
        users::invite(server.state(), &address, &inviter, "a package", "hello")
            .await
            .unwrap();
        let mail = mail_to(&smtp, "newbie@example.com", "🚀 Invite to Collaborate").await;
        let token = link_token(&mail, &format!("{}/accept-invite", server.url));

        let taken = accept_invite(&server, &token, "ADA").await;
        assert_refused(
            &taken,
            "USERNAME_NOT_AVAILABLE",
            "GRAPHQL_VALIDATION_FAILED",
        );
        let reserved = accept_invite(&server, &token, "admin").await;
        assert_refused(&reserved, "RESERVED_KEYWORD", "INTERNAL_SERVER_ERROR");
        // A refused attempt leaves the token usable.
        accept_invite(&server, &token, "newbie")
            .await
            .data("acceptInvite");
        jwt_for(&server, "newbie", PASSWORD).await;
        server.stop().await;
    }

    async fn a_users_private_fields_show_only_to_them_and_admins_unless_made_public(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        let carol = new_account(&server, "carol").await;
        let profile = json!({
            "firstName": "Bob", "lastName": "Builder", "location": "Paris",
            "website": "https://bob.example", "twitterHandle": "bobtweets",
            "gitHubHandle": "bobcodes",
        });
        update_me(&server, &bob.bearer(), profile, "isAdmin")
            .await
            .data("updateMe");

        let query = "{ user(username: \"BOB\") { username displayName firstName lastName
            emailAddress location website twitterHandle gitHubHandle } }";
        let private = json!({ "data": { "user": {
            "username": "bob", "displayName": "bob", "firstName": null, "lastName": null,
            "emailAddress": null, "location": null, "website": null, "twitterHandle": null,
            "gitHubHandle": null,
        }}});
        let full = |display_name: &str| {
            json!({ "data": { "user": {
                "username": "bob", "displayName": display_name, "firstName": "Bob",
                "lastName": "Builder", "emailAddress": "bob@example.com", "location": "Paris",
                "website": "https://bob.example", "twitterHandle": "bobtweets",
                "gitHubHandle": "bobcodes",
            }}})
        };
        for who in [As::Anonymous, carol.bearer(), carol.key()] {
            let reply = server.graphql_as(&who, query, json!({})).await;
            assert_eq!(reply.body, private, "as {who:?}");
        }
        for who in [bob.bearer(), bob.key(), ada.bearer()] {
            let reply = server.graphql_as(&who, query, json!({})).await;
            assert_eq!(reply.body, full("bob"), "as {who:?}");
        }

        let public = json!({
            "nameIsPublic": true, "emailAddressIsPublic": true, "locationIsPublic": true,
            "websiteIsPublic": true, "twitterHandleIsPublic": true, "gitHubHandleIsPublic": true,
        });
        update_me(&server, &bob.bearer(), public, "isAdmin")
            .await
            .data("updateMe");
        for who in [As::Anonymous, carol.bearer()] {
            let reply = server.graphql_as(&who, query, json!({})).await;
            assert_eq!(reply.body, full("Bob Builder"), "as {who:?}");
        }
        server.stop().await;
    }

    async fn an_unknown_user_is_not_found(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let reply = server
            .graphql("{ user(username: \"nobody\") { username } }", json!({}))
            .await;
        assert_refused(&reply, "USER_NOT_FOUND - nobody", "INTERNAL_SERVER_ERROR");
        server.stop().await;
    }

    async fn updating_my_profile_answers_with_the_changed_profile(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        let selection = "isAdmin user { username firstName lastName description
            uiDarkModeEnabled nameIsPublic }";

        let changes = json!({
            "firstName": "  Bob ", "description": "Builds things", "uiDarkModeEnabled": true,
        });
        let reply = update_me(&server, &bob.bearer(), changes, selection).await;
        let changed = json!({ "isAdmin": false, "user": {
            "username": "bob", "firstName": "Bob", "lastName": null,
            "description": "Builds things", "uiDarkModeEnabled": true, "nameIsPublic": false,
        }});
        assert_eq!(reply.body, json!({ "data": { "updateMe": changed } }));

        // Fields left out stay as they were.
        let reply = update_me(
            &server,
            &bob.key(),
            json!({ "lastName": "Builder" }),
            selection,
        )
        .await;
        let mut expected = changed.clone();
        expected["user"]["lastName"] = json!("Builder");
        assert_eq!(reply.body, json!({ "data": { "updateMe": expected } }));
        let me = server
            .graphql_as(
                &bob.bearer(),
                &format!("{{ me {{ {selection} }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(me.body, json!({ "data": { "me": expected } }));

        let anonymous = update_me(&server, &As::Anonymous, json!({}), selection).await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        server.stop().await;
    }

    async fn renaming_myself_renames_my_personal_catalog(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        let catalog_id = catalog_row(&server, "bob").await.unwrap().id;

        let reply = update_me(
            &server,
            &bob.bearer(),
            json!({ "username": "Robert" }),
            "user { username }",
        )
        .await;
        assert_eq!(
            reply.body,
            json!({ "data": { "updateMe": { "user": { "username": "robert" } } } })
        );
        assert!(catalog_row(&server, "bob").await.is_none());
        let renamed = catalog_row(&server, "robert")
            .await
            .expect("the renamed catalog");
        assert_eq!((renamed.id, renamed.slug.as_str()), (catalog_id, "robert"));

        jwt_for(&server, "robert", PASSWORD).await;
        let old_name = login(&server, "bob", PASSWORD).await;
        assert_refused(&old_name, "WRONG_CREDENTIALS", "UNAUTHENTICATED");
        assert_eq!(
            me(&server, &bob.key()).await.data("me")["user"]["username"],
            "robert"
        );
        server.stop().await;
    }

    async fn renaming_myself_to_a_taken_or_reserved_name_is_refused(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        let cases = [
            ("ADA", "USERNAME_NOT_AVAILABLE", "GRAPHQL_VALIDATION_FAILED"),
            ("admin", "RESERVED_KEYWORD", "INTERNAL_SERVER_ERROR"),
            (
                "bad_name",
                "INVALID_CHARACTERS",
                "GRAPHQL_VALIDATION_FAILED",
            ),
        ];
        for (name, message, code) in cases {
            let changes = json!({ "username": name });
            let reply = update_me(&server, &bob.bearer(), changes, "isAdmin").await;
            assert_refused(&reply, message, code);
        }
        let taken_address = json!({ "emailAddress": "Ada@Example.com" });
        let reply = update_me(&server, &bob.bearer(), taken_address, "isAdmin").await;
        assert_refused(
            &reply,
            "EMAIL_ADDRESS_NOT_AVAILABLE",
            "GRAPHQL_VALIDATION_FAILED",
        );

        assert!(catalog_row(&server, "bob").await.is_some());
        assert_eq!(
            user_row(&server, "bob").await.email_address,
            "bob@example.com"
        );
        server.stop().await;
    }

    async fn an_invitation_link_is_dead_once_the_invited_address_has_signed_up(backend: Backend) {
        let (server, smtp) = server_with_email(backend).await;
        sign_up_and_verify(&server, &smtp, "ada").await;
        let inviter = user_row(&server, "ada").await;
        let address = EmailAddress::parse("newbie@example.com").unwrap();
        users::invite(server.state(), &address, &inviter, "a package", "hello")
            .await
            .unwrap();
        let mail = mail_to(&smtp, "newbie@example.com", "🚀 Invite to Collaborate").await;
        let invite_token = link_token(&mail, &format!("{}/accept-invite", server.url));

        // The invited person signs up directly instead, which reuses the pending row.
        let newbie = sign_up_and_verify(&server, &smtp, "newbie").await;
        let reply = accept_invite(&server, &invite_token, "renamed").await;
        assert_refused(&reply, "TOKEN_NOT_VALID", "BAD_USER_INPUT");
        jwt_for(&server, "newbie", &newbie.password).await;
        assert!(catalog_row(&server, "renamed").await.is_none());
        server.stop().await;
    }

    async fn simultaneous_first_sign_ups_all_succeed_and_make_one_site_admin(backend: Backend) {
        let server = TestConfig::new(backend).start().await;
        let names = ["ada", "bob", "carol", "dan"];
        let replies = futures::future::join_all(names.map(|name| sign_up(&server, name))).await;
        for (name, reply) in names.iter().zip(replies) {
            assert_eq!(
                reply.body,
                json!({ "data": { "createMe": null } }),
                "{name}"
            );
        }
        let mut admins = Vec::new();
        for name in names {
            if user_row(&server, name).await.is_site_admin {
                admins.push(name);
            }
        }
        assert_eq!(admins.len(), 1, "site administrators: {admins:?}");
        server.stop().await;
    }

    async fn account_events_are_stored_in_the_activity_log(backend: Backend) {
        let mut config = TestConfig::new(backend);
        config.activity_log = true;
        let server = config.start().await;
        let ada = new_account(&server, "ada").await;
        let bob = new_account(&server, "bob").await;
        let changes = json!({ "firstName": "Bob", "location": "Paris" });
        update_me(&server, &bob.bearer(), changes, "isAdmin")
            .await
            .data("updateMe");
        let query = "mutation { adminSetUserStatus(username: \"bob\", status: SUSPENDED) }";
        server
            .graphql_as(&ada.bearer(), query, json!({}))
            .await
            .data("adminSetUserStatus");

        let (ada_id, bob_id) = (
            user_row(&server, "ada").await.id,
            user_row(&server, "bob").await.id,
        );
        let rows = activity_log::Entity::find()
            .order_by_asc(activity_log::Column::Id)
            .all(&server.state().db)
            .await
            .unwrap();
        let events: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.event_type.as_str(),
                    r.user_id,
                    r.target_user_id,
                    r.properties_edited.clone(),
                )
            })
            .collect();
        assert_eq!(
            events,
            vec![
                ("USER_CREATED", ada_id, None, None),
                ("USER_CREATED", bob_id, None, None),
                (
                    "USER_EDIT",
                    bob_id,
                    Some(bob_id),
                    Some(json!(["firstName", "location"]))
                ),
                ("USER_STATUS_CHANGED", ada_id, Some(bob_id), None),
            ]
        );
        server.stop().await;
    }
}
