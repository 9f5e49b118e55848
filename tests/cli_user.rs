//! `datapm-registry user …` run as an operator would: the real binary as a child process, with
//! a clean environment, against a fresh database that the tests then read back.

mod support;

use std::process::Stdio;

use datapm_registry::config::DatabaseTarget;
use datapm_registry::domain::credentials::{ApiKeyCredential, PasswordCheck, verify_password};
use datapm_registry::entity::{catalog, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use support::server::{As, Backend, TestConfig, fresh_database};
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;

const PASSWORD: &str = "correct-horse-9";

/// A fresh database and the binary pointed at it through `DATAPM_DATA_DIR` (SQLite) or
/// `DATABASE_URL` (PostgreSQL).
struct Operator {
    dir: TempDir,
    database: DatabaseTarget,
}

/// What one run of the binary did.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn succeeded(self) -> Self {
        assert_eq!(self.code, 0, "the command failed: {self:#?}");
        self
    }

    fn failed_with(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }
}

impl Operator {
    async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = fresh_database(backend, dir.path()).await;
        Operator { dir, database }
    }

    /// `datapm-registry user ARGS` with nothing on standard input, and no terminal.
    async fn user(&self, args: &[&str]) -> Outcome {
        self.user_with_stdin(args, None).await
    }

    async fn user_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Outcome {
        // Without piped input, standard input is no terminal, as in a script.
        let input = match stdin {
            Some(_) => Stdio::piped(),
            None => Stdio::null(),
        };
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_datapm-registry"));
        command
            .env_clear()
            .env("DATAPM_DATA_DIR", self.dir.path())
            .arg("user")
            .args(args)
            .stdin(input)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let DatabaseTarget::Postgres { url } = &self.database {
            command.env("DATABASE_URL", url.expose());
        }
        let mut child = command.spawn().expect("the binary starts");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(text.as_bytes()).await.unwrap();
        }
        let output = child.wait_with_output().await.unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        // Cargo copies each build's binary to the same path in a shared target directory.
        assert!(
            !stderr.contains("unrecognized subcommand 'user'"),
            "{} is another checkout's build; retry, or use a target directory of your own",
            env!("CARGO_BIN_EXE_datapm-registry")
        );
        Outcome {
            code: output.status.code().expect("the binary exits on its own"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr,
        }
    }

    /// Creates `username` (address `<username>@example.com`, password [`PASSWORD`]).
    async fn create(&self, username: &str, extra: &[&str]) -> Outcome {
        let email = format!("{username}@example.com");
        let mut args = vec![
            "create",
            "--username",
            username,
            "--email",
            &email,
            "--password-stdin",
        ];
        args.extend(extra);
        self.user_with_stdin(&args, Some(&format!("{PASSWORD}\n")))
            .await
    }

    async fn connect(&self) -> DatabaseConnection {
        datapm_registry::db::connect(&self.database).await.unwrap()
    }

    /// The user row named `username` (lower case), read back through sea-orm.
    async fn row(&self, username: &str) -> Option<user::Model> {
        let db = self.connect().await;
        let found = user::Entity::find()
            .filter(user::Column::UsernameKey.eq(username))
            .one(&db)
            .await
            .unwrap();
        db.close().await.unwrap();
        found
    }

    async fn personal_catalog(&self, username: &str) -> Option<catalog::Model> {
        let db = self.connect().await;
        let found = catalog::Entity::find()
            .filter(catalog::Column::SlugKey.eq(username))
            .one(&db)
            .await
            .unwrap();
        db.close().await.unwrap();
        found
    }

    async fn listed(&self) -> Vec<Value> {
        let outcome = self.user(&["list", "--json"]).await.succeeded();
        serde_json::from_str(&outcome.stdout).expect("list --json prints a JSON array")
    }
}

fn password_check(row: &user::Model, candidate: &str) -> PasswordCheck {
    let hash = row
        .password_hash
        .as_deref()
        .expect("the user has a password");
    verify_password(candidate, hash, row.legacy_password_salt.as_deref())
}

on_both_databases! {
    async fn a_user_created_with_a_password_on_stdin_is_listed_active_and_verified(
        backend: Backend
    ) {
        let operator = Operator::new(backend).await;
        let created = operator.create("Ada", &["--admin"]).await.succeeded();
        assert_eq!(created.stdout, "created user Ada\n");
        operator.create("bob", &[]).await.succeeded();

        let listed = operator.listed().await;
        let summary: Vec<Value> = listed
            .iter()
            .map(|u| {
                json!([u["username"], u["emailAddress"], u["status"], u["isSiteAdmin"],
                       u["emailVerified"]])
            })
            .collect();
        assert_eq!(
            summary,
            [
                json!(["Ada", "Ada@example.com", "ACTIVE", true, true]),
                json!(["bob", "bob@example.com", "ACTIVE", false, true]),
            ]
        );
        assert!(listed[0]["createdAt"].is_string());

        let ada = operator.row("ada").await.unwrap();
        assert_eq!(password_check(&ada, PASSWORD), PasswordCheck::Match);
        assert!(operator.personal_catalog("ada").await.is_some());
        let table = operator.user(&["list"]).await.succeeded().stdout;
        assert!(table.starts_with("USERNAME  "), "{table}");
        assert!(table.lines().nth(1).unwrap().starts_with("Ada  "), "{table}");
    }

    async fn a_created_user_and_api_key_are_accepted_by_the_running_server(backend: Backend) {
        let operator = Operator::new(backend).await;
        operator.create("ada", &[]).await.succeeded();
        let made = operator
            .user(&["create-api-key", "--username", "ADA", "--label", "laptop"])
            .await
            .succeeded();
        let lines: Vec<&str> = made.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{made:#?}");
        assert_eq!(lines[0], "created API key \"laptop\" for user ada");
        let key = lines[1].to_owned();
        assert!(ApiKeyCredential::parse_header(&key).is_ok(), "{key}");

        let server = TestConfig::new(backend)
            .start_on(operator.database.clone())
            .await;
        let query = "{ registryStatus { status } }";
        let reply = server.graphql_as(&As::ApiKey(key), query, json!({})).await;
        assert_eq!(reply.status, 200, "{:#}", reply.body);
        assert_eq!(reply.data("registryStatus")["status"], "SERVING_REQUESTS");

        // The same request with a key the registry never made is refused, so the 200 above
        // means the printed key was checked and found.
        let unknown = ApiKeyCredential::generate().to_header_value();
        let reply = server.graphql_as(&As::ApiKey(unknown), query, json!({})).await;
        assert_eq!(reply.status, 400, "{:#}", reply.body);
        server.stop().await;
    }

    async fn a_generated_password_is_printed_when_none_is_given(backend: Backend) {
        let operator = Operator::new(backend).await;
        let outcome = operator
            .user(&["create", "--username", "ada", "--email", "ada@example.com"])
            .await
            .succeeded();

        let printed = outcome
            .stdout
            .lines()
            .find_map(|line| line.strip_prefix("generated password: "))
            .unwrap_or_else(|| panic!("no generated password in {outcome:#?}"));
        assert!(printed.len() >= 16, "{printed}");
        let ada = operator.row("ada").await.unwrap();
        assert_eq!(password_check(&ada, printed), PasswordCheck::Match);
    }

    async fn a_taken_username_or_address_is_refused_with_exit_code_4(backend: Backend) {
        let operator = Operator::new(backend).await;
        operator.create("ada", &[]).await.succeeded();

        let same_name = operator.create("ADA", &[]).await.failed_with(4);
        assert!(same_name.stderr.contains("the username ADA is taken"), "{same_name:#?}");
        let same_address = operator
            .user(&["create", "--username", "bob", "--email", "Ada@Example.com"])
            .await
            .failed_with(4);
        assert!(same_address.stderr.contains("email address"), "{same_address:#?}");
        assert!(operator.row("bob").await.is_none());
    }

    async fn an_invalid_value_is_refused_with_exit_code_2_and_the_rule_code(backend: Backend) {
        let operator = Operator::new(backend).await;

        let bad_name = operator.create("a_b", &[]).await.failed_with(2);
        assert_eq!(bad_name.stderr.trim_end(), "error: invalid username: INVALID_CHARACTERS");
        let reserved = operator.create("admin", &[]).await.failed_with(2);
        assert_eq!(reserved.stderr.trim_end(), "error: invalid username: RESERVED_KEYWORD");
        let weak = operator
            .user_with_stdin(
                &["create", "--username", "ada", "--email", "a@example.com", "--password-stdin"],
                Some("short\n"),
            )
            .await
            .failed_with(2);
        assert_eq!(weak.stderr.trim_end(), "error: invalid password: PASSWORD_TOO_SHORT");
        assert!(operator.listed().await.is_empty());
    }

    async fn set_admin_on_an_unknown_user_exits_with_code_3(backend: Backend) {
        let operator = Operator::new(backend).await;
        let outcome = operator.user(&["set-admin", "--username", "ghost"]).await.failed_with(3);
        assert_eq!(outcome.stderr.trim_end(), "error: no user named ghost");
    }

    async fn set_admin_and_unset_admin_change_the_flag(backend: Backend) {
        let operator = Operator::new(backend).await;
        operator.create("ada", &[]).await.succeeded();

        operator.user(&["set-admin", "--username", "Ada"]).await.succeeded();
        assert!(operator.row("ada").await.unwrap().is_site_admin);
        operator.user(&["unset-admin", "--username", "ada"]).await.succeeded();
        assert!(!operator.row("ada").await.unwrap().is_site_admin);
    }

    async fn set_password_replaces_the_stored_hash(backend: Backend) {
        let operator = Operator::new(backend).await;
        operator.create("ada", &[]).await.succeeded();
        let before = operator.row("ada").await.unwrap();

        operator
            .user_with_stdin(
                &["set-password", "--username", "ada", "--password-stdin"],
                Some("another-horse-7\n"),
            )
            .await
            .succeeded();
        let after = operator.row("ada").await.unwrap();
        assert_ne!(after.password_hash, before.password_hash);
        assert_eq!(password_check(&after, "another-horse-7"), PasswordCheck::Match);
        assert_eq!(password_check(&after, PASSWORD), PasswordCheck::Mismatch);

        // Without a terminal or --password-stdin there is nobody to ask.
        operator.user(&["set-password", "--username", "ada"]).await.failed_with(1);
    }

    async fn suspend_and_activate_change_the_status(backend: Backend) {
        let operator = Operator::new(backend).await;
        operator.create("ada", &[]).await.succeeded();

        operator
            .user(&["suspend", "--username", "ada", "--message", "too much spam"])
            .await
            .succeeded();
        let suspended = operator.row("ada").await.unwrap();
        assert_eq!(suspended.status, "SUSPENDED");
        assert_eq!(suspended.suspension_message.as_deref(), Some("too much spam"));

        operator.user(&["activate", "--username", "ada"]).await.succeeded();
        let active = operator.row("ada").await.unwrap();
        assert_eq!(active.status, "ACTIVE");
        assert_eq!(active.suspension_message, None);
    }

    async fn delete_without_yes_and_without_a_terminal_is_refused(backend: Backend) {
        let operator = Operator::new(backend).await;
        operator.create("ada", &[]).await.succeeded();

        let outcome = operator.user(&["delete", "--username", "ada"]).await.failed_with(1);
        assert!(outcome.stderr.contains("--yes"), "{outcome:#?}");
        assert!(operator.row("ada").await.is_some());
        assert!(operator.personal_catalog("ada").await.is_some());
    }

    async fn creating_a_user_for_an_invited_address_completes_the_invitation(backend: Backend) {
        let operator = Operator::new(backend).await;
        let db = operator.connect().await;
        datapm_registry::db::migrate(&db).await.unwrap();
        let now = chrono::Utc::now();
        let invitation = user::ActiveModel {
            username: Set("invited-1a2b3c4d".into()),
            username_key: Set("invited-1a2b3c4d".into()),
            email_address: Set("ada@example.com".into()),
            email_key: Set("ada@example.com".into()),
            status: Set("PENDING_SIGN_UP".into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let invitation = invitation.insert(&db).await.unwrap();
        db.close().await.unwrap();

        operator.create("ada", &[]).await.succeeded();
        let ada = operator.row("ada").await.unwrap();
        assert_eq!(ada.id, invitation.id);
        assert_eq!((ada.status.as_str(), ada.email_verified), ("ACTIVE", true));
        assert_eq!(operator.listed().await.len(), 1);
    }

    async fn delete_with_yes_removes_the_user_and_their_personal_catalog(backend: Backend) {
        let operator = Operator::new(backend).await;
        operator.create("ada", &[]).await.succeeded();
        operator.create("bob", &[]).await.succeeded();
        operator.user(&["create-api-key", "--username", "ada"]).await.succeeded();

        operator.user(&["delete", "--username", "ADA", "--yes"]).await.succeeded();
        assert!(operator.row("ada").await.is_none());
        assert!(operator.personal_catalog("ada").await.is_none());
        assert!(operator.row("bob").await.is_some());
        assert!(operator.personal_catalog("bob").await.is_some());
    }
}
