//! `user create`: an account an administrator vouches for, so it is active and verified at once.

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};

use super::{UserCommandError, api_error, invalid, open, password};
use crate::config::DatabaseOptions;
use crate::domain::values::{EmailAddress, Username, is_reserved_word};
use crate::domain::{catalogs, users};
use crate::entity::user;
use crate::error::ApiError;

/// `user create`'s flags.
#[derive(Debug, Args)]
pub struct CreateOptions {
    /// The new user's name: letters, digits and single inner hyphens, up to 39
    #[arg(long)]
    pub username: String,

    /// The new user's email address
    #[arg(long)]
    pub email: String,

    /// Make the new user a site administrator
    #[arg(long)]
    pub admin: bool,

    /// Read the password from the first line of standard input. Without it the password is
    /// asked for on a terminal, or generated and printed when there is no terminal.
    #[arg(long)]
    pub password_stdin: bool,

    #[command(flatten, next_help_heading = "Database")]
    pub database: DatabaseOptions,
}

/// The checked values of a new account.
struct NewUser {
    username: Username,
    email: EmailAddress,
    password_hash: String,
    admin: bool,
}

/// Creates the account and prints its name, and the password when it was generated.
pub async fn run(options: CreateOptions) -> anyhow::Result<()> {
    let username = Username::parse(&options.username).map_err(invalid("username"))?;
    if is_reserved_word(username.as_str()) {
        let field = "username";
        let code = "RESERVED_KEYWORD";
        return Err(UserCommandError::Invalid { field, code }.into());
    }
    let email = EmailAddress::parse(&options.email).map_err(invalid("email address"))?;

    // Checked before asking for a password, so nobody types one twice to hear the name is taken.
    let db = open(&options.database).await?;
    ensure_available(&db, &username, &email).await?;

    let (password, generated) = match password::read_new(options.password_stdin)? {
        Some(password) => (password, false),
        None => (password::generate(), true),
    };
    let password_hash = users::hash_in_background(password.clone())
        .await
        .map_err(api_error)?;
    let new_user = NewUser {
        username,
        email,
        password_hash,
        admin: options.admin,
    };
    let created = insert(&db, new_user).await?;
    db.close().await?;

    println!("created user {}", created.username);
    if generated {
        println!("generated password: {}", password.as_str());
    }
    Ok(())
}

/// Refuses a username held by a user or a catalog, and an address held by an account.
async fn ensure_available(
    db: &impl ConnectionTrait,
    username: &Username,
    email: &EmailAddress,
) -> anyhow::Result<()> {
    if !users::username_available(db, username)
        .await
        .map_err(api_error)?
    {
        let message = format!("the username {username} is taken by another user or a catalog");
        return Err(UserCommandError::Taken(message).into());
    }
    if !users::email_available(db, email).await.map_err(api_error)? {
        let message = "the email address is used by another account".to_owned();
        return Err(UserCommandError::Taken(message).into());
    }
    Ok(())
}

/// Stores the account and its personal catalog in one transaction. An invitation to the same
/// address becomes the account, as on sign-up, so what it was granted is kept.
async fn insert(db: &DatabaseConnection, new_user: NewUser) -> anyhow::Result<user::Model> {
    let txn = crate::db::write(db).await?;
    ensure_available(&txn, &new_user.username, &new_user.email).await?;

    let invited = users::by_email(&txn, new_user.email.as_str())
        .await
        .map_err(api_error)?;
    let now = Utc::now();
    let saved = match invited {
        Some(pending) => fill(pending.into(), new_user).update(&txn).await,
        None => {
            let row = user::ActiveModel {
                created_at: Set(now),
                ..Default::default()
            };
            fill(row, new_user).insert(&txn).await
        }
    };
    let created = saved.map_err(|e| taken(users::unique_violation_as_taken(e)))?;

    catalogs::create_personal(&txn, &created)
        .await
        .map_err(api_error)
        .context("cannot create the personal catalog")?;
    txn.commit().await?;
    Ok(created)
}

fn fill(mut row: user::ActiveModel, new_user: NewUser) -> user::ActiveModel {
    row.username = Set(new_user.username.as_str().to_owned());
    row.username_key = Set(new_user.username.lowercase());
    row.email_address = Set(new_user.email.as_str().to_owned());
    row.email_key = Set(new_user.email.lowercase());
    row.password_hash = Set(Some(new_user.password_hash));
    row.legacy_password_salt = Set(None);
    row.is_site_admin = Set(new_user.admin);
    row.email_verified = Set(true);
    row.status = Set(users::status::ACTIVE.to_owned());
    row.suspension_message = Set(None);
    row.updated_at = Set(Utc::now());
    row
}

/// A unique index that refused the row (another command won a race) as exit code 4.
fn taken(error: ApiError) -> anyhow::Error {
    let message = match &error {
        ApiError::Invalid(code) if code == "USERNAME_NOT_AVAILABLE" => "the username is taken",
        ApiError::Invalid(code) if code == "EMAIL_ADDRESS_NOT_AVAILABLE" => {
            "the email address is used by another account"
        }
        _ => return api_error(error),
    };
    UserCommandError::Taken(message.to_owned()).into()
}
