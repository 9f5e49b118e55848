//! API keys: what the DataPM CLI authenticates with after `datapm registry login`.

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::credentials::{ApiKeyCredential, api_key_hash};
use super::users;
use crate::app::AppState;
use crate::email::Email;
use crate::entity::{api_key, user};
use crate::error::{ApiError, ApiResult};

/// The scopes a key must name; they are recorded, and every key has all of them.
pub const ALL_SCOPES: [&str; 3] = [
    "MANAGE_API_KEYS",
    "READ_PRIVATE_ASSETS",
    "MANAGE_PRIVATE_ASSETS",
];

/// Longest label accepted.
const LABEL_MAX: usize = 100;

/// A new key and the secret that is shown once.
pub struct CreatedKey {
    pub row: api_key::Model,
    pub credential: ApiKeyCredential,
}

/// The owner's keys, oldest first.
pub async fn list(db: &impl ConnectionTrait, owner_id: i64) -> ApiResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::UserId.eq(owner_id))
        .order_by_asc(api_key::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Makes a key for `owner` and tells them by email that one was made.
pub async fn create(
    state: &AppState,
    owner: &user::Model,
    label: &str,
    scopes: &[String],
) -> ApiResult<CreatedKey> {
    if !ALL_SCOPES
        .iter()
        .all(|scope| scopes.iter().any(|s| s == scope))
    {
        return Err(ApiError::invalid("ALL_SCOPES_REQUIRED"));
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > LABEL_MAX {
        return Err(ApiError::invalid(format!(
            "APIKEY_LABEL_INVALID - a label of 1 to {LABEL_MAX} characters is required"
        )));
    }
    let row = insert(&state.db, owner.id, label).await?;
    let (row, credential) = row;
    let email = Email::ApiKeyCreated {
        username: owner.username.clone(),
        label: label.to_owned(),
    };
    state.mailer.send(&users::recipient(owner), email);
    tracing::info!(user_id = owner.id, key_id = %row.id, "API key created");
    Ok(CreatedKey { row, credential })
}

/// Stores a new key for `owner_id`; also used by the `user create-api-key` command.
pub async fn insert(
    db: &impl ConnectionTrait,
    owner_id: i64,
    label: &str,
) -> ApiResult<(api_key::Model, ApiKeyCredential)> {
    let credential = ApiKeyCredential::generate();
    let row = api_key::ActiveModel {
        id: Set(credential.id.clone()),
        user_id: Set(owner_id),
        label: Set(label.to_owned()),
        scopes: Set(serde_json::json!(ALL_SCOPES)),
        hash: Set(api_key_hash(&credential.id, &credential.secret)),
        created_at: Set(Utc::now()),
        last_used: Set(None),
    };
    let row = api_key::Entity::insert(row)
        .exec_with_returning(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::invalid("APIKEY_LABEL_NOT_AVIALABLE")
            }
            _ => e.into(),
        })?;
    Ok((row, credential))
}

/// Deletes one of the owner's keys. A key of somebody else's is treated as not found, so
/// nobody can delete, or learn of, keys they do not hold.
pub async fn delete(
    db: &impl ConnectionTrait,
    owner_id: i64,
    id: &str,
) -> ApiResult<api_key::Model> {
    let found = api_key::Entity::find_by_id(id.to_owned())
        .filter(api_key::Column::UserId.eq(owner_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::failed("API_KEY_NOT_FOUND"))?;
    api_key::Entity::delete_by_id(found.id.clone())
        .exec(db)
        .await?;
    Ok(found)
}
