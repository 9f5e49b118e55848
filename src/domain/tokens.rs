//! One-time tokens that travel by email: email verification, password recovery, invitations.
//!
//! Only a SHA-256 of each token is stored, so a copy of the database cannot be used to take
//! over accounts. A token works once and only until it expires.

use chrono::{TimeDelta, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use super::credentials::random_token;
use crate::entity::user_token;
use crate::error::{ApiError, ApiResult};

/// What a token is for; a token for one purpose is never accepted for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    RecoverPassword,
    Invite,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "VERIFY_EMAIL",
            Purpose::RecoverPassword => "RECOVER_PASSWORD",
            Purpose::Invite => "INVITE",
        }
    }

    /// How long a token stays valid.
    pub fn lifetime(self) -> TimeDelta {
        match self {
            Purpose::VerifyEmail => TimeDelta::days(2),
            Purpose::RecoverPassword => TimeDelta::hours(4),
            Purpose::Invite => TimeDelta::days(14),
        }
    }

    /// The message for a token that has expired, as the original named it.
    fn expired_message(self) -> &'static str {
        match self {
            Purpose::VerifyEmail | Purpose::Invite => "TOKEN_IS_TOO_OLD",
            Purpose::RecoverPassword => "TOKEN_NO_LONGER_VALID",
        }
    }
}

fn digest(token: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(token.trim().as_bytes()))
}

/// Deletes the user's tokens for `purpose`.
pub async fn revoke(db: &impl ConnectionTrait, user_id: i64, purpose: Purpose) -> ApiResult<()> {
    user_token::Entity::delete_many()
        .filter(user_token::Column::UserId.eq(user_id))
        .filter(user_token::Column::Purpose.eq(purpose.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces the user's tokens for `purpose` with a new one and returns it (to be emailed).
pub async fn issue(db: &impl ConnectionTrait, user_id: i64, purpose: Purpose) -> ApiResult<String> {
    revoke(db, user_id, purpose).await?;
    let token = random_token();
    let now = Utc::now();
    let row = user_token::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(digest(&token)),
        created_at: Set(now),
        expires_at: Set(now + purpose.lifetime()),
        ..Default::default()
    };
    user_token::Entity::insert(row).exec(db).await?;
    Ok(token)
}

/// Uses up a token: returns its user id and deletes it. Unknown tokens give `TOKEN_NOT_VALID`;
/// expired ones are deleted and refused with the purpose's expiry message.
pub async fn consume(db: &impl ConnectionTrait, token: &str, purpose: Purpose) -> ApiResult<i64> {
    let found = user_token::Entity::find()
        .filter(user_token::Column::TokenHash.eq(digest(token)))
        .filter(user_token::Column::Purpose.eq(purpose.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::BadInput("TOKEN_NOT_VALID".into()))?;
    user_token::Entity::delete_by_id(found.id).exec(db).await?;
    if found.expires_at <= Utc::now() {
        return Err(ApiError::BadInput(purpose.expired_message().into()));
    }
    Ok(found.user_id)
}

/// The user a still-valid token belongs to, without using it up.
pub async fn peek(db: &impl ConnectionTrait, token: &str, purpose: Purpose) -> ApiResult<i64> {
    let found = user_token::Entity::find()
        .filter(user_token::Column::TokenHash.eq(digest(token)))
        .filter(user_token::Column::Purpose.eq(purpose.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::BadInput("TOKEN_NOT_VALID".into()))?;
    if found.expires_at <= Utc::now() {
        return Err(ApiError::BadInput(purpose.expired_message().into()));
    }
    Ok(found.user_id)
}
