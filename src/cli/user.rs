//! `datapm-registry user …`: an administrator's shell access to accounts, straight on the
//! database, whether or not the server is running.
//!
//! Each subcommand has its own file and its own options (which flatten `DatabaseOptions`, so
//! `--data-dir` and `DATABASE_URL` work as for `serve`); this file holds what they share: opening
//! the database, finding a user, and [`UserCommandError`], whose
//! [`exit_code`](UserCommandError::exit_code) `main` uses. These are operator actions without a
//! signed-in user, so they write no activity-log rows.

mod api_key;
mod change;
mod create;
mod delete;
mod list;
mod password;

use clap::{Args, Subcommand};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::config::DatabaseOptions;
use crate::domain::users;
use crate::domain::values::ValueError;
use crate::entity::user;
use crate::error::ApiError;

/// `datapm-registry user` and its subcommands.
#[derive(Debug, Args)]
pub struct UserOptions {
    #[command(subcommand)]
    pub command: UserCommand,
}

/// What to do to which user.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an active, verified account with its personal catalog
    Create(create::CreateOptions),
    /// List every user as a table, or as JSON with --json
    List(list::ListOptions),
    /// Set a user's password, from a prompt or with --password-stdin
    SetPassword(change::SetPasswordOptions),
    /// Make a user a site administrator
    SetAdmin(UserTarget),
    /// Take site administration away from a user
    UnsetAdmin(UserTarget),
    /// Suspend a user's account with a message saying why
    Suspend(change::SuspendOptions),
    /// Make a suspended account active again
    Activate(UserTarget),
    /// Delete a user and their personal catalog
    Delete(delete::DeleteOptions),
    /// Make an API key for a user and print it, alone on the last line
    CreateApiKey(api_key::CreateApiKeyOptions),
}

/// The database, and the user a subcommand acts on.
///
/// Flatten it last: its database flags open a `Database` help heading, which would also take
/// every flag that comes after them.
#[derive(Debug, Args)]
pub struct UserTarget {
    /// The user's name, in any case
    #[arg(long)]
    pub username: String,

    #[command(flatten, next_help_heading = "Database")]
    pub database: DatabaseOptions,
}

/// Runs one `user` subcommand to completion.
pub async fn run(options: UserOptions) -> anyhow::Result<()> {
    match options.command {
        UserCommand::Create(options) => create::run(options).await,
        UserCommand::List(options) => list::run(options).await,
        UserCommand::SetPassword(options) => change::set_password(options).await,
        UserCommand::SetAdmin(target) => change::set_admin(target, true).await,
        UserCommand::UnsetAdmin(target) => change::set_admin(target, false).await,
        UserCommand::Suspend(options) => change::suspend(options).await,
        UserCommand::Activate(target) => change::activate(target).await,
        UserCommand::Delete(options) => delete::run(options).await,
        UserCommand::CreateApiKey(options) => api_key::run(options).await,
    }
}

/// A refusal with its own exit code; anything else a subcommand returns exits with 1.
#[derive(Debug, thiserror::Error)]
pub enum UserCommandError {
    /// A value broke its rule; `code` is the rule's code, as the API would send it.
    #[error("invalid {field}: {code}")]
    Invalid {
        field: &'static str,
        code: &'static str,
    },
    /// No user has this name.
    #[error("no user named {0}")]
    UnknownUser(String),
    /// A name, address or label that must be unique is in use.
    #[error("{0}")]
    Taken(String),
}

impl UserCommandError {
    /// 2 for an invalid value, 3 for an unknown user, 4 for a name or address in use.
    pub fn exit_code(&self) -> u8 {
        match self {
            UserCommandError::Invalid { .. } => 2,
            UserCommandError::UnknownUser(_) => 3,
            UserCommandError::Taken(_) => 4,
        }
    }
}

/// The `map_err` for a value that failed to parse as `field`.
fn invalid(field: &'static str) -> impl Fn(ValueError) -> UserCommandError {
    move |error| UserCommandError::Invalid {
        field,
        code: error.code(),
    }
}

/// A domain failure as an operator's error: the detail for an internal one, else its message
/// (`ApiError` has no `Display` on purpose).
fn api_error(error: ApiError) -> anyhow::Error {
    match error {
        ApiError::Internal(detail) => anyhow::anyhow!("{detail:#}"),
        other => anyhow::anyhow!("{}", other.message()),
    }
}

/// Connects to the configured database and brings its schema up to date.
async fn open(options: &DatabaseOptions) -> anyhow::Result<DatabaseConnection> {
    let target = options.resolve()?;
    let db = crate::db::connect(&target).await?;
    crate::db::migrate(&db).await?;
    Ok(db)
}

/// The user named `username`, in any case, or [`UserCommandError::UnknownUser`].
async fn find_user(db: &impl ConnectionTrait, username: &str) -> anyhow::Result<user::Model> {
    users::by_username(db, username)
        .await
        .map_err(api_error)?
        .ok_or_else(|| UserCommandError::UnknownUser(username.to_owned()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_has_its_own_exit_code() {
        let invalid = UserCommandError::Invalid {
            field: "username",
            code: "INVALID_CHARACTERS",
        };
        assert_eq!(invalid.exit_code(), 2);
        assert_eq!(invalid.to_string(), "invalid username: INVALID_CHARACTERS");
        assert_eq!(UserCommandError::UnknownUser("x".into()).exit_code(), 3);
        assert_eq!(UserCommandError::Taken("taken".into()).exit_code(), 4);
    }

    #[test]
    fn a_refusal_keeps_its_exit_code_through_anyhow() {
        let error = anyhow::Error::from(UserCommandError::UnknownUser("ghost".into()));
        let found = error
            .downcast_ref::<UserCommandError>()
            .map(|e| e.exit_code());
        assert_eq!(found, Some(3));
        assert_eq!(format!("{error:#}"), "no user named ghost");
    }
}
