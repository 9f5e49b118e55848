//! Signing in and passwords: login with throttling, password change and recovery.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};

use super::credentials::{PasswordCheck, verify_password};
use super::tokens::{self, Purpose};
use super::users::{self, hash_in_background, status};
use super::values::{EmailAddress, Password, UsernameOrEmail};
use crate::app::AppState;
use crate::email::Email;
use crate::entity::user;
use crate::error::{ApiError, ApiResult};

/// Failed logins allowed per account within `WINDOW` before it is locked for the rest of it.
const ACCOUNT_LIMIT: u32 = 5;
/// Failed logins allowed per client address within `WINDOW`.
const ADDRESS_LIMIT: u32 = 20;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept before old ones are swept, so a flood of names cannot grow memory unbounded.
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    since: Instant,
}

/// Counts failed logins per account and per client address, in this process's memory.
///
/// A locked account or address is refused at once with the wait time, instead of being slowed
/// down; a successful login clears the account's count.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl LoginThrottle {
    /// Seconds to wait before `account` may try again from `address`, if either is locked.
    fn wait(&self, account: &AccountKey, address: IpAddr) -> Option<u64> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let locked = |key: String, limit: u32| {
            failures.get(&key).and_then(|f| {
                let elapsed = f.since.elapsed();
                (f.count >= limit && elapsed < WINDOW).then(|| (WINDOW - elapsed).as_secs() + 1)
            })
        };
        locked(account_key(account), ACCOUNT_LIMIT).or(locked(address_key(address), ADDRESS_LIMIT))
    }

    fn record_failure(&self, account: &AccountKey, address: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= SWEEP_AT {
            failures.retain(|_, f| f.since.elapsed() < WINDOW);
        }
        for key in [account_key(account), address_key(address)] {
            let entry = failures.entry(key).or_insert(Failures {
                count: 0,
                since: Instant::now(),
            });
            if entry.since.elapsed() >= WINDOW {
                *entry = Failures {
                    count: 0,
                    since: Instant::now(),
                };
            }
            entry.count += 1;
        }
    }

    fn record_success(&self, account: &AccountKey) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&account_key(account));
    }
}

/// What failures are counted against: the account when the name finds one (so its username
/// and its address share one count), else the name as typed.
enum AccountKey {
    Id(i64),
    Unknown(String),
}

fn account_key(account: &AccountKey) -> String {
    match account {
        AccountKey::Id(id) => format!("account:{id}"),
        AccountKey::Unknown(name) => format!("name:{}", name.to_lowercase()),
    }
}

fn address_key(address: IpAddr) -> String {
    format!("address:{address}")
}

/// Checks a username or address and password and returns a login token.
pub async fn login(
    state: &AppState,
    name: &UsernameOrEmail,
    password: String,
    client: IpAddr,
) -> ApiResult<String> {
    let found = users::by_username_or_email(&state.db, name).await?;
    let key = match &found {
        Some(account) => AccountKey::Id(account.id),
        None => AccountKey::Unknown(name.as_str().to_owned()),
    };
    if let Some(seconds) = state.throttle.wait(&key, client) {
        return Err(ApiError::Coded {
            code: "TOO_MANY_LOGIN_ATTEMPTS",
            message: format!(
                "TOO_MANY_LOGIN_ATTEMPTS - too many failed logins; try again in {seconds} seconds"
            ),
            extra: vec![("retryAfterSeconds", seconds.into())],
        });
    }
    let Some(account) = check_password(state, found, password).await? else {
        state.throttle.record_failure(&key, client);
        tracing::info!("login refused: wrong credentials");
        return Err(ApiError::Unauthenticated("WRONG_CREDENTIALS".into()));
    };
    state.throttle.record_success(&key);
    if !account.email_verified {
        return Err(ApiError::BadInput("EMAIL_ADDRESS_NOT_VERIFIED".into()));
    }
    if account.status == status::SUSPENDED {
        return Err(ApiError::BadInput("ACCOUNT_SUSPENDED".into()));
    }
    let mut row = user::ActiveModel {
        id: Set(account.id),
        ..Default::default()
    };
    row.last_login = Set(Some(Utc::now()));
    row.update(&state.db).await?;
    state.jwt.issue(account.id).map_err(ApiError::internal)
}

/// A hash that no password matches, checked when there is no account, so an unknown name
/// takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| super::credentials::hash_any_password(&super::credentials::random_token()))
}

/// The account when the password matches. An original-format hash that matches is replaced
/// by an argon2id hash on the spot.
async fn check_password(
    state: &AppState,
    account: Option<user::Model>,
    candidate: String,
) -> ApiResult<Option<user::Model>> {
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let salt = account
        .as_ref()
        .and_then(|a| a.legacy_password_salt.clone());
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| decoy_hash().to_owned());
    let check = {
        let candidate = candidate.clone();
        tokio::task::spawn_blocking(move || verify_password(&candidate, &stored, salt.as_deref()))
            .await
            .map_err(ApiError::internal)?
    };
    let Some(account) = account.filter(|_| known) else {
        return Ok(None);
    };
    match check {
        PasswordCheck::Mismatch => Ok(None),
        PasswordCheck::Match => Ok(Some(account)),
        PasswordCheck::MatchNeedsRehash => {
            // The candidate matched a stored hash, so it is a password the account really had;
            // it is rehashed as is, even if today's rules would refuse it as a new password.
            let rehashed = rehash(candidate).await?;
            let mut row = user::ActiveModel::from(account);
            row.password_hash = Set(Some(rehashed));
            row.legacy_password_salt = Set(None);
            let upgraded = row.update(&state.db).await?;
            tracing::info!(user_id = upgraded.id, "password hash upgraded to argon2id");
            Ok(Some(upgraded))
        }
    }
}

async fn rehash(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || super::credentials::hash_any_password(&password))
        .await
        .map_err(ApiError::internal)
}

/// Changes the signed-in user's password after checking the old one.
pub async fn change_password(
    state: &AppState,
    account: &user::Model,
    old_password: String,
    new_password: Password,
) -> ApiResult<()> {
    if check_password(state, Some(account.clone()), old_password)
        .await?
        .is_none()
    {
        return Err(wrong_credentials());
    }
    store_password(state, account.id, new_password).await
}

fn wrong_credentials() -> ApiError {
    ApiError::Unauthenticated("WRONG_CREDENTIALS".into())
}

async fn store_password(state: &AppState, user_id: i64, password: Password) -> ApiResult<()> {
    let hash = hash_in_background(password).await?;
    let mut row = user::ActiveModel {
        id: Set(user_id),
        ..Default::default()
    };
    row.password_hash = Set(Some(hash));
    row.legacy_password_salt = Set(None);
    row.updated_at = Set(Utc::now());
    row.update(&state.db).await?;
    Ok(())
}

/// Emails a recovery link when the address belongs to an account. The answer is the same
/// either way, so the call cannot be used to find out who has an account.
pub async fn forgot_password(state: &AppState, email: &EmailAddress) -> ApiResult<()> {
    let Some(account) = users::by_email(&state.db, email.as_str()).await? else {
        return Ok(());
    };
    if account.status == status::PENDING_SIGN_UP {
        return Ok(());
    }
    let token = tokens::issue(&state.db, account.id, Purpose::RecoverPassword).await?;
    let mail = Email::RecoverPassword {
        username: account.username.clone(),
        token,
    };
    state.mailer.send(&users::recipient(&account), mail);
    Ok(())
}

/// Sets a new password with a recovery token. Following the emailed link also proves the
/// address, so it is marked verified.
pub async fn recover_password(state: &AppState, token: &str, password: Password) -> ApiResult<()> {
    let hash = hash_in_background(password).await?;
    let txn = crate::db::write(&state.db).await?;
    let user_id = tokens::consume(&txn, token, Purpose::RecoverPassword).await;
    // An expired token is deleted even though the recovery fails.
    let user_id = match user_id {
        Ok(id) => id,
        Err(error) => {
            txn.commit().await?;
            return Err(error);
        }
    };
    let mut row = user::ActiveModel {
        id: Set(user_id),
        ..Default::default()
    };
    row.password_hash = Set(Some(hash));
    row.legacy_password_salt = Set(None);
    row.email_verified = Set(true);
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}
