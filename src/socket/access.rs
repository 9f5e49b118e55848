//! Finding the package a request names and checking the caller's permission on it, with the
//! refusals the DataPM clients expect.

use crate::domain::packages::{self, Located};
use crate::domain::permissions::{self, Permission};
use crate::error::ApiError;

use super::Connection;
use super::wire::{ErrorType, Refusal};

/// `catalog_slug/package_slug` if the caller holds `needed` on it.
pub async fn package(
    connection: &Connection,
    catalog_slug: &str,
    package_slug: &str,
    needed: Permission,
) -> Result<Located, Refusal> {
    let db = &connection.state.db;
    let located = packages::find(db, catalog_slug, package_slug)
        .await
        .map_err(|error| match error {
            ApiError::Failed(_) => {
                Refusal::new(ErrorType::NotFound, "PACKAGE_OR_CATALOG_NOT_FOUND")
            }
            other => refusal(other),
        })?;
    let viewer = connection.viewer.as_ref();
    let held = permissions::on_package(db, viewer, &located.package, &located.catalog)
        .await
        .map_err(refusal)?;
    if held.has(needed) {
        return Ok(located);
    }
    Err(Refusal::new(
        ErrorType::NotAuthorized,
        format!(
            "NOT_AUTHORIZED: You don't have  {} permission to the package {}",
            permission_name(needed),
            located.identifier()
        ),
    ))
}

/// The signed-in user's id, or the refusal anonymous callers get for requests that change data.
pub fn signed_in(connection: &Connection) -> Result<i64, Refusal> {
    connection
        .user_id()
        .ok_or_else(|| Refusal::new(ErrorType::NotAuthorized, "Not authenticated"))
}

/// What a domain error looks like on the socket. Internal failures are logged here and reach
/// the client as an opaque message.
pub fn refusal(error: ApiError) -> Refusal {
    match error {
        ApiError::Internal(detail) => {
            tracing::error!(error = format!("{detail:#}"), "Socket.IO request failed");
            Refusal::new(ErrorType::ServerError, "Internal server error")
        }
        ApiError::NotAuthenticated => Refusal::new(ErrorType::NotAuthorized, "Not authenticated"),
        ApiError::NotAuthorized | ApiError::Forbidden(_) | ApiError::Unauthenticated(_) => {
            Refusal::new(ErrorType::NotAuthorized, error.message())
        }
        other => Refusal::new(ErrorType::NotValid, other.message()),
    }
}

fn permission_name(permission: Permission) -> &'static str {
    match permission {
        Permission::View => "VIEW",
        Permission::Edit => "EDIT",
        Permission::Manage => "MANAGE",
    }
}
