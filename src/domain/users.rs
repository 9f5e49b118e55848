//! Accounts: sign-up, email verification, invitations, profiles, status and deletion.
//!
//! Usernames and addresses are stored as given and matched through their lower-cased keys, so
//! `Ada` and `ada` are the same account. Password checks live in `sessions`.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::catalogs;
use super::credentials::hash_password;
use super::tokens::{self, Purpose};
use super::values::{EmailAddress, Password, Username, UsernameOrEmail, is_reserved_word};
use crate::activity::ActivityEvent;
use crate::app::AppState;
use crate::email::{Email, Recipient};
use crate::entity::user;
use crate::error::{ApiError, ApiResult};

/// `UserStatus` values as stored.
pub mod status {
    pub const PENDING_SIGN_UP: &str = "PENDING_SIGN_UP";
    pub const ACTIVE: &str = "ACTIVE";
    pub const SUSPENDED: &str = "SUSPENDED";
}

/// What sign-up asks for.
pub struct NewAccount {
    pub username: Username,
    pub email: EmailAddress,
    pub password: Password,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub ui_dark_mode_enabled: bool,
}

/// The user with this id.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// The user with this username, ignoring case.
pub async fn by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> ApiResult<Option<user::Model>> {
    let key = username.to_lowercase();
    Ok(user::Entity::find()
        .filter(user::Column::UsernameKey.eq(key))
        .one(db)
        .await?)
}

/// The user with this address, ignoring case.
pub async fn by_email(db: &impl ConnectionTrait, email: &str) -> ApiResult<Option<user::Model>> {
    let key = email.to_lowercase();
    Ok(user::Entity::find()
        .filter(user::Column::EmailKey.eq(key))
        .one(db)
        .await?)
}

/// The user a login name or address names.
pub async fn by_username_or_email(
    db: &impl ConnectionTrait,
    name: &UsernameOrEmail,
) -> ApiResult<Option<user::Model>> {
    match name {
        UsernameOrEmail::Username(username) => by_username(db, username.as_str()).await,
        UsernameOrEmail::Email(email) => by_email(db, email.as_str()).await,
    }
}

/// Whether a new account may take this username: not a reserved word (`RESERVED_KEYWORD`), and
/// used by no user and no catalog.
pub async fn username_available(db: &impl ConnectionTrait, username: &Username) -> ApiResult<bool> {
    if is_reserved_word(username.as_str()) {
        return Err(ApiError::failed("RESERVED_KEYWORD"));
    }
    let taken_by_user = by_username(db, username.as_str()).await?.is_some();
    Ok(!taken_by_user && !catalogs::slug_taken(db, username.as_str()).await?)
}

/// Whether a new account may use this address: unused, or held only by an invitation.
pub async fn email_available(db: &impl ConnectionTrait, email: &EmailAddress) -> ApiResult<bool> {
    Ok(match by_email(db, email.as_str()).await? {
        None => true,
        Some(holder) => holder.status == status::PENDING_SIGN_UP,
    })
}

/// Self sign-up. The very first account becomes site administrator; every account gets a
/// private personal catalog named after it. Without email, the account is verified at once.
pub async fn sign_up(state: &AppState, account: NewAccount) -> ApiResult<user::Model> {
    let password_hash = hash_in_background(account.password).await?;
    let txn = crate::db::write(&state.db).await?;
    crate::db::lock_users(&txn).await?;
    if !email_available(&txn, &account.email).await? {
        return Err(ApiError::invalid("EMAIL_ADDRESS_NOT_AVAILABLE"));
    }
    if !username_available(&txn, &account.username).await? {
        return Err(ApiError::invalid("USERNAME_NOT_AVAILABLE"));
    }
    let invited = by_email(&txn, account.email.as_str()).await?;
    let first_user = user::Entity::find().count(&txn).await? == 0;
    let verified = invited.as_ref().is_some_and(|u| u.email_verified) || !state.mailer.is_enabled();
    let now = Utc::now();
    let mut row = match invited {
        Some(pending) => user::ActiveModel::from(pending),
        None => user::ActiveModel {
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.username = Set(account.username.as_str().to_owned());
    row.username_key = Set(account.username.lowercase());
    row.email_address = Set(account.email.as_str().to_owned());
    row.email_key = Set(account.email.lowercase());
    row.first_name = Set(trimmed(account.first_name));
    row.last_name = Set(trimmed(account.last_name));
    row.ui_dark_mode_enabled = Set(account.ui_dark_mode_enabled);
    row.password_hash = Set(Some(password_hash));
    row.legacy_password_salt = Set(None);
    row.is_site_admin = Set(first_user);
    row.email_verified = Set(verified);
    row.status = Set(status::ACTIVE.to_owned());
    row.updated_at = Set(now);
    let created = row.save(&txn).await.map_err(unique_violation_as_taken)?;
    let created = user::Entity::find_by_id(created.id.unwrap())
        .one(&txn)
        .await?
        .unwrap();
    catalogs::create_personal(&txn, &created).await?;
    let token = match verified {
        true => None,
        false => Some(tokens::issue(&txn, created.id, Purpose::VerifyEmail).await?),
    };
    let mut event = ActivityEvent::new("USER_CREATED");
    event.user_id = Some(created.id);
    event.username = Some(created.username.clone());
    state.activity.record(&txn, event).await?;
    txn.commit().await?;

    if let Some(token) = token {
        let email = Email::VerifyEmail {
            username: created.username.clone(),
            token,
        };
        state.mailer.send(&recipient(&created), email);
    }
    tracing::info!(user_id = created.id, first_user, "account created");
    Ok(created)
}

/// Marks the address of the token's owner as verified.
pub async fn verify_email(state: &AppState, token: &str) -> ApiResult<()> {
    let txn = crate::db::write(&state.db).await?;
    let user_id = match tokens::consume(&txn, token, Purpose::VerifyEmail).await {
        Ok(id) => id,
        Err(error) => {
            // Keep the deletion of an expired token.
            txn.commit().await?;
            return Err(error);
        }
    };
    let mut row = user::ActiveModel {
        id: Set(user_id),
        ..Default::default()
    };
    row.email_verified = Set(true);
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Creates a pending account for an address that has none and emails an invitation to join.
/// Returns the existing user when the address already has an account.
pub async fn invite(
    state: &AppState,
    email: &EmailAddress,
    inviter: &user::Model,
    data_name: &str,
    message: &str,
) -> ApiResult<user::Model> {
    let (user, pending) = match by_email(&state.db, email.as_str()).await? {
        Some(existing) => {
            let pending = existing.status == status::PENDING_SIGN_UP;
            (existing, pending)
        }
        None => (create_pending(&state.db, email).await?, true),
    };
    if pending {
        send_invitation(state, &user, inviter, data_name, message).await?;
    }
    Ok(user)
}

/// Inserts a pending account for an invited address, without telling anyone yet.
pub async fn create_pending(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> ApiResult<user::Model> {
    let placeholder = format!(
        "invited-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let now = Utc::now();
    let row = user::ActiveModel {
        username: Set(placeholder.clone()),
        username_key: Set(placeholder),
        email_address: Set(email.lowercase()),
        email_key: Set(email.lowercase()),
        status: Set(status::PENDING_SIGN_UP.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok(row.insert(db).await?)
}

/// Emails a pending account its invitation, with a fresh token.
pub async fn send_invitation(
    state: &AppState,
    pending: &user::Model,
    inviter: &user::Model,
    data_name: &str,
    message: &str,
) -> ApiResult<()> {
    let token = tokens::issue(&state.db, pending.id, Purpose::Invite).await?;
    let email = Email::Invite {
        username: pending.username.clone(),
        token,
        data_name: data_name.to_owned(),
        inviter_name: display_name(inviter),
        message: message.to_owned(),
    };
    state.mailer.send(&recipient(pending), email);
    Ok(())
}

/// Completes an invited account with the username and password its owner chose.
pub async fn accept_invite(
    state: &AppState,
    token: &str,
    username: Username,
    password: Password,
) -> ApiResult<()> {
    let password_hash = hash_in_background(password).await?;
    let txn = crate::db::write(&state.db).await?;
    let user_id = tokens::peek(&txn, token, Purpose::Invite).await?;
    if !username_available(&txn, &username).await? {
        return Err(ApiError::invalid("USERNAME_NOT_AVAILABLE"));
    }
    tokens::consume(&txn, token, Purpose::Invite).await?;
    let pending = user::Entity::find_by_id(user_id).one(&txn).await?;
    let pending = pending
        .filter(|u| u.status == status::PENDING_SIGN_UP)
        .ok_or_else(|| ApiError::BadInput("TOKEN_NOT_VALID".into()))?;
    let mut row = user::ActiveModel::from(pending);
    row.username = Set(username.as_str().to_owned());
    row.username_key = Set(username.lowercase());
    row.password_hash = Set(Some(password_hash));
    row.email_verified = Set(true);
    row.status = Set(status::ACTIVE.to_owned());
    row.updated_at = Set(Utc::now());
    let joined = row.update(&txn).await.map_err(unique_violation_as_taken)?;
    catalogs::create_personal(&txn, &joined).await?;
    let mut event = ActivityEvent::new("USER_CREATED");
    event.user_id = Some(joined.id);
    event.username = Some(joined.username.clone());
    state.activity.record(&txn, event).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes an account with its personal catalog; keys, tokens and grants go with it.
pub async fn delete(state: &AppState, actor: &user::Model, target: user::Model) -> ApiResult<()> {
    let mut event = ActivityEvent::new("USER_DELETED");
    event.user_id = Some(actor.id);
    event.username = Some(actor.username.clone());
    event.target_user_id = Some(target.id);
    event.target_username = Some(target.username.clone());
    let txn = crate::db::write(&state.db).await?;
    let package_ids = catalogs::delete_personal(&txn, &target).await?;
    user::Entity::delete_by_id(target.id).exec(&txn).await?;
    // The event's row would vanish with the deleted actor, so it is only printed then.
    match actor.id == target.id {
        true => state.activity.print(&event),
        false => state.activity.record(&txn, event).await?,
    }
    txn.commit().await?;
    super::packages::delete_stored_files(&*state.store, &package_ids).await;
    tracing::info!(user_id = target.id, "account deleted");
    Ok(())
}

/// Sets a user's status; suspension emails them the administrator's message.
pub async fn set_status(
    state: &AppState,
    actor: &user::Model,
    target: user::Model,
    new_status: &str,
    message: Option<String>,
) -> ApiResult<()> {
    let mut event = ActivityEvent::new("USER_STATUS_CHANGED");
    event.user_id = Some(actor.id);
    event.username = Some(actor.username.clone());
    event.target_user_id = Some(target.id);
    event.target_username = Some(target.username.clone());
    let suspended = new_status == status::SUSPENDED;
    let mut row = user::ActiveModel::from(target.clone());
    row.status = Set(new_status.to_owned());
    row.suspension_message = Set(if suspended { message.clone() } else { None });
    row.updated_at = Set(Utc::now());
    let txn = crate::db::write(&state.db).await?;
    row.update(&txn).await?;
    state.activity.record(&txn, event).await?;
    txn.commit().await?;
    if suspended {
        let email = Email::AccountSuspended {
            username: target.username.clone(),
            message,
        };
        state.mailer.send(&recipient(&target), email);
    }
    Ok(())
}

/// Grants or removes site administration.
pub async fn set_admin(
    db: &impl ConnectionTrait,
    target: user::Model,
    is_admin: bool,
) -> ApiResult<()> {
    let mut row = user::ActiveModel::from(target);
    row.is_site_admin = Set(is_admin);
    row.updated_at = Set(Utc::now());
    row.update(db).await?;
    Ok(())
}

/// One page of users whose name matches `value`, and how many match in all. Anonymous
/// searches see usernames and public names only; administrators also match addresses and
/// see pending invitations.
pub async fn search(
    db: &impl ConnectionTrait,
    value: &str,
    limit: u64,
    offset: u64,
    as_admin: bool,
) -> ApiResult<(Vec<user::Model>, u64)> {
    let pattern = format!("%{}%", value.to_lowercase().replace(['%', '_'], ""));
    let lower = |column: user::Column| Expr::expr(Func::lower(Expr::col(column)));
    let public_name = Condition::all()
        .add(user::Column::NameIsPublic.eq(true))
        .add(
            Condition::any()
                .add(lower(user::Column::FirstName).like(&pattern))
                .add(lower(user::Column::LastName).like(&pattern)),
        );
    let mut matches = Condition::any().add(user::Column::UsernameKey.like(&pattern));
    matches = match as_admin {
        true => matches
            .add(user::Column::EmailKey.like(&pattern))
            .add(lower(user::Column::FirstName).like(&pattern))
            .add(lower(user::Column::LastName).like(&pattern)),
        false => matches.add(public_name),
    };
    let mut query = user::Entity::find().filter(matches);
    if !as_admin {
        query = query.filter(user::Column::Status.ne(status::PENDING_SIGN_UP));
    }
    let count = query.clone().count(db).await?;
    let page = query
        .order_by_asc(user::Column::UsernameKey)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((page, count))
}

/// The name shown for a user: "First Last" when the name is public, else the username.
pub fn display_name(user: &user::Model) -> String {
    let name = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    match user.name_is_public && !name.trim().is_empty() {
        true => name.trim().to_owned(),
        false => user.username.clone(),
    }
}

/// The address and names an email to this user goes to.
pub fn recipient(user: &user::Model) -> Recipient {
    Recipient {
        address: user.email_address.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
    }
}

/// argon2 is slow on purpose; keep it off the async workers.
pub async fn hash_in_background(password: Password) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Two sign-ups racing for one name: the unique index decides, and the loser hears it plainly.
pub fn unique_violation_as_taken(error: sea_orm::DbErr) -> ApiError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) if detail.contains("email") => {
            ApiError::invalid("EMAIL_ADDRESS_NOT_AVAILABLE")
        }
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::invalid("USERNAME_NOT_AVAILABLE")
        }
        _ => error.into(),
    }
}

/// Profile fields a user may change; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProfileChanges {
    pub username: Option<Username>,
    pub email: Option<EmailAddress>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub website: Option<String>,
    pub twitter_handle: Option<String>,
    pub github_handle: Option<String>,
    pub name_is_public: Option<bool>,
    pub location_is_public: Option<bool>,
    pub twitter_handle_is_public: Option<bool>,
    pub github_handle_is_public: Option<bool>,
    pub email_address_is_public: Option<bool>,
    pub website_is_public: Option<bool>,
    pub ui_dark_mode_enabled: Option<bool>,
    /// The names of the fields supplied, for the activity log.
    pub supplied: Vec<String>,
}

/// Applies a user's changes to their own profile. A new username renames the personal
/// catalog with it.
pub async fn update_profile(
    state: &AppState,
    current: &user::Model,
    changes: ProfileChanges,
) -> ApiResult<user::Model> {
    let txn = crate::db::write(&state.db).await?;
    let mut row = user::ActiveModel::from(current.clone());
    if let Some(username) = &changes.username {
        let renamed = username.lowercase() != current.username_key;
        if renamed && !username_available(&txn, username).await? {
            return Err(ApiError::invalid("USERNAME_NOT_AVAILABLE"));
        }
        row.username = Set(username.lowercase());
        row.username_key = Set(username.lowercase());
    }
    if let Some(email) = &changes.email {
        let changed = email.lowercase() != current.email_key;
        if changed && by_email(&txn, email.as_str()).await?.is_some() {
            return Err(ApiError::invalid("EMAIL_ADDRESS_NOT_AVAILABLE"));
        }
        row.email_address = Set(email.as_str().to_owned());
        row.email_key = Set(email.lowercase());
    }
    apply_text(&mut row.first_name, changes.first_name);
    apply_text(&mut row.last_name, changes.last_name);
    apply_text(&mut row.description, changes.description);
    apply_text(&mut row.location, changes.location);
    apply_text(&mut row.website, changes.website);
    apply_text(&mut row.twitter_handle, changes.twitter_handle);
    apply_text(&mut row.github_handle, changes.github_handle);
    apply_flag(&mut row.name_is_public, changes.name_is_public);
    apply_flag(&mut row.location_is_public, changes.location_is_public);
    apply_flag(
        &mut row.twitter_handle_is_public,
        changes.twitter_handle_is_public,
    );
    apply_flag(
        &mut row.github_handle_is_public,
        changes.github_handle_is_public,
    );
    apply_flag(
        &mut row.email_address_is_public,
        changes.email_address_is_public,
    );
    apply_flag(&mut row.website_is_public, changes.website_is_public);
    apply_flag(&mut row.ui_dark_mode_enabled, changes.ui_dark_mode_enabled);
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await.map_err(unique_violation_as_taken)?;
    if updated.username_key != current.username_key {
        catalogs::rename_personal(&txn, &current.username_key, &updated).await?;
    }
    let mut event = ActivityEvent::new("USER_EDIT");
    event.user_id = Some(updated.id);
    event.username = Some(updated.username.clone());
    event.target_user_id = Some(updated.id);
    event.target_username = Some(updated.username.clone());
    event.properties_edited = Some(changes.supplied);
    state.activity.record(&txn, event).await?;
    txn.commit().await?;
    Ok(updated)
}

fn apply_text(field: &mut sea_orm::ActiveValue<Option<String>>, value: Option<String>) {
    if let Some(value) = value {
        *field = Set(Some(value.trim().to_owned()).filter(|v| !v.is_empty()));
    }
}

fn apply_flag(field: &mut sea_orm::ActiveValue<bool>, value: Option<bool>) {
    if let Some(value) = value {
        *field = Set(value);
    }
}
