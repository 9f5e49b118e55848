//! Who is asking: the `X-API-Key` and `Authorization: Bearer` headers turned into a `Viewer`.
//!
//! `authenticate` runs once per request before any resolver. A key or token that is present but
//! wrong fails the whole request (`AuthFailure`), as DataPM clients expect; no header at all
//! means an anonymous request.

pub mod jwt;

use std::net::IpAddr;

use axum::http::{HeaderMap, StatusCode, header};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::app::AppState;
use crate::domain::credentials::{ApiKeyCredential, verify_api_key_hash};
use crate::entity::{api_key, user};

/// How often a key's `lastUsed` time is written back, at most.
const LAST_USED_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// The signed-in user behind a request.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: user::Model,
    /// Site administrator.
    pub is_admin: bool,
}

/// Per-request data handed to resolvers.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub viewer: Option<Viewer>,
    pub client_ip: IpAddr,
}

/// Why a request's credentials were refused.
#[derive(Debug)]
pub enum AuthFailure {
    ApiKeyNotFound,
    /// A bearer token that is malformed, expired, or signed for another registry.
    InvalidToken(String),
    /// A bearer token without a `kid` header.
    TokenWithoutKeyId,
    /// The database could not be asked.
    Unavailable,
}

impl AuthFailure {
    pub fn message(&self) -> String {
        match self {
            AuthFailure::ApiKeyNotFound => "API_KEY_NOT_FOUND".into(),
            AuthFailure::InvalidToken(reason) => reason.clone(),
            AuthFailure::TokenWithoutKeyId => "invalid token".into(),
            AuthFailure::Unavailable => "Internal server error".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AuthFailure::ApiKeyNotFound | AuthFailure::TokenWithoutKeyId => "UNAUTHENTICATED",
            AuthFailure::InvalidToken(_) => "INVALID_AUTHENTICATION",
            AuthFailure::Unavailable => "INTERNAL_SERVER_ERROR",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AuthFailure::Unavailable => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The viewer named by the request's headers: `X-API-Key` first, then a bearer token.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Viewer>, AuthFailure> {
    if let Some(key) = headers.get("x-api-key") {
        let key = key.to_str().map_err(|_| AuthFailure::ApiKeyNotFound)?;
        return by_api_key(state, key).await.map(Some);
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        Some(token) => by_token(state, token).await,
        None => Ok(None),
    }
}

/// The owner of an API key given as `datapm registry add` takes it (base64 of `id.secret`).
pub async fn by_api_key(state: &AppState, key: &str) -> Result<Viewer, AuthFailure> {
    let credential =
        ApiKeyCredential::parse_header(key).map_err(|_| AuthFailure::ApiKeyNotFound)?;
    let row = api_key::Entity::find_by_id(credential.id.clone())
        .one(&state.db)
        .await
        .map_err(unavailable)?
        .filter(|row| verify_api_key_hash(&credential.id, &credential.secret, &row.hash))
        .ok_or(AuthFailure::ApiKeyNotFound)?;
    let owner = user::Entity::find_by_id(row.user_id)
        .one(&state.db)
        .await
        .map_err(unavailable)?;
    let owner = owner.ok_or(AuthFailure::ApiKeyNotFound)?;
    touch_api_key(state, row).await;
    Ok(viewer_for(owner))
}

/// The user a JWT names, or `None` when that user no longer exists.
pub async fn by_token(state: &AppState, token: &str) -> Result<Option<Viewer>, AuthFailure> {
    let user_id = state.jwt.verify(token)?;
    let found = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await
        .map_err(unavailable)?;
    // A token for a deleted user counts as no token, as in the original.
    Ok(found.map(viewer_for))
}

fn viewer_for(user: user::Model) -> Viewer {
    let is_admin = user.is_site_admin;
    Viewer { user, is_admin }
}

/// Records when a key was last used, at most once a minute so reads stay reads.
async fn touch_api_key(state: &AppState, row: api_key::Model) {
    let now = Utc::now();
    if row
        .last_used
        .is_some_and(|at| now - at < LAST_USED_RESOLUTION)
    {
        return;
    }
    let mut active: api_key::ActiveModel = row.into();
    active.last_used = Set(Some(now));
    if let Err(error) = active.update(&state.db).await {
        tracing::warn!(%error, "could not record an API key's last use");
    }
}

fn unavailable(error: sea_orm::DbErr) -> AuthFailure {
    tracing::error!(%error, "authentication could not read the database");
    AuthFailure::Unavailable
}
