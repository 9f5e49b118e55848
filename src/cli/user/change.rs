//! `user set-password`, `set-admin`, `unset-admin`, `suspend` and `activate`.
//!
//! Unlike the GraphQL mutations these send no email: the command runs without the server's
//! mailer, and the administrator is the one who tells the user.

use chrono::Utc;
use clap::Args;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use super::{UserTarget, api_error, find_user, open, password};
use crate::domain::users::{self, status};
use crate::entity::user;

/// `user set-password`'s flags.
#[derive(Debug, Args)]
pub struct SetPasswordOptions {
    /// Read the password from the first line of standard input instead of asking for it
    #[arg(long)]
    pub password_stdin: bool,

    #[command(flatten)]
    pub target: UserTarget,
}

/// `user suspend`'s flags.
#[derive(Debug, Args)]
pub struct SuspendOptions {
    /// Why the account is suspended; the user sees it when they try to log in
    #[arg(long)]
    pub message: String,

    #[command(flatten)]
    pub target: UserTarget,
}

/// Replaces the user's password hash; an original-format hash goes with its salt.
pub async fn set_password(options: SetPasswordOptions) -> anyhow::Result<()> {
    let (db, target) = open_with_user(&options.target).await?;
    let Some(password) = password::read_new(options.password_stdin)? else {
        anyhow::bail!(
            "standard input is not a terminal, so there is nobody to ask for the password; \
             pass --password-stdin and write it on standard input"
        );
    };
    let hash = users::hash_in_background(password)
        .await
        .map_err(api_error)?;

    let username = target.username.clone();
    let mut row = user::ActiveModel::from(target);
    row.password_hash = Set(Some(hash));
    row.legacy_password_salt = Set(None);
    row.updated_at = Set(Utc::now());
    row.update(&db).await?;
    db.close().await?;
    println!("changed the password of user {username}");
    Ok(())
}

/// Grants (`true`) or removes site administration.
pub async fn set_admin(target: UserTarget, is_admin: bool) -> anyhow::Result<()> {
    let (db, target) = open_with_user(&target).await?;
    let username = target.username.clone();
    users::set_admin(&db, target, is_admin)
        .await
        .map_err(api_error)?;
    db.close().await?;
    match is_admin {
        true => println!("user {username} is now a site administrator"),
        false => println!("user {username} is no longer a site administrator"),
    }
    Ok(())
}

/// Suspends the account; the server then refuses its logins with `ACCOUNT_SUSPENDED`.
pub async fn suspend(options: SuspendOptions) -> anyhow::Result<()> {
    let (db, target) = open_with_user(&options.target).await?;
    let username = target.username.clone();
    set_status(&db, target, status::SUSPENDED, Some(options.message)).await?;
    db.close().await?;
    println!("suspended user {username}");
    Ok(())
}

/// Makes the account active again and forgets the suspension message.
pub async fn activate(target: UserTarget) -> anyhow::Result<()> {
    let (db, target) = open_with_user(&target).await?;
    let username = target.username.clone();
    // An invitation has no password and no catalog yet; only signing up completes it.
    if target.status == status::PENDING_SIGN_UP {
        anyhow::bail!("{username} is a pending invitation, not an account; it cannot be activated");
    }
    set_status(&db, target, status::ACTIVE, None).await?;
    db.close().await?;
    println!("activated user {username}");
    Ok(())
}

async fn open_with_user(target: &UserTarget) -> anyhow::Result<(DatabaseConnection, user::Model)> {
    let db = open(&target.database).await?;
    let found = find_user(&db, &target.username).await?;
    Ok((db, found))
}

async fn set_status(
    db: &DatabaseConnection,
    target: user::Model,
    new_status: &str,
    message: Option<String>,
) -> anyhow::Result<()> {
    let mut row = user::ActiveModel::from(target);
    row.status = Set(new_status.to_owned());
    row.suspension_message = Set(message);
    row.updated_at = Set(Utc::now());
    row.update(db).await?;
    Ok(())
}
