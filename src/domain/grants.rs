//! Granting and removing users' permissions on catalogs and packages.
//!
//! Naming an address that has no account creates a pending account and emails an invitation;
//! an existing user is told by email that something was shared with them. Creators' own
//! grants cannot be changed, so nobody locks the owner out.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::catalogs;
use super::packages::{self, Located};
use super::permissions::{CatalogGrant, Permissions};
use super::users::{self, status};
use super::values::{EmailAddress, UsernameOrEmail};
use crate::activity::ActivityEvent;
use crate::app::AppState;
use crate::auth::Viewer;
use crate::email::Email;
use crate::entity::{catalog, catalog_permission, package_permission, user};
use crate::error::{ApiError, ApiResult};

/// Checks the note sent along with a share: short, and free of addresses, links and markup.
pub fn check_message(message: &str) -> ApiResult<()> {
    if message.chars().count() > 250 {
        return Err(ApiError::invalid("MESSAGE_TOO_LONG"));
    }
    let lower = message.to_lowercase();
    let has_address = lower.split_whitespace().any(|word| {
        let (local, domain) = word.split_once('@').unwrap_or_default();
        !local.is_empty() && domain.contains('.')
    });
    if has_address {
        return Err(ApiError::invalid("MESSAGE_CANNOT_CONTAIN_EMAIL_ADDRESS"));
    }
    if ["http://", "https://", "ftp://", "file://"]
        .iter()
        .any(|s| lower.contains(s))
    {
        return Err(ApiError::invalid("MESSAGE_CANNOT_CONTAIN_URL"));
    }
    let tag = message
        .find('<')
        .is_some_and(|start| message[start..].contains('>'));
    if tag {
        return Err(ApiError::invalid("MESSAGE_CANNOT_CONTAIN_HTML_TAGS"));
    }
    Ok(())
}

/// Who a grant entry names, once every entry has been checked.
enum Grantee {
    Existing(Box<user::Model>),
    /// An address with no account yet: it gets a pending one and an invitation.
    New(EmailAddress),
}

/// The grantee an entry names. Taking permissions away from an unknown address names
/// nobody; granting to an unknown username is refused.
async fn resolve(
    state: &AppState,
    name: &UsernameOrEmail,
    removing: bool,
) -> ApiResult<Option<Grantee>> {
    if let Some(found) = users::by_username_or_email(&state.db, name).await? {
        return Ok(Some(Grantee::Existing(Box::new(found))));
    }
    match name {
        _ if removing => Ok(None),
        UsernameOrEmail::Email(address) => Ok(Some(Grantee::New(address.clone()))),
        UsernameOrEmail::Username(username) => {
            Err(ApiError::invalid(format!("USER_NOT_FOUND - {username}")))
        }
    }
}

async fn account_for(db: &impl ConnectionTrait, grantee: Grantee) -> ApiResult<user::Model> {
    match grantee {
        Grantee::Existing(user) => Ok(*user),
        Grantee::New(address) => users::create_pending(db, &address).await,
    }
}

/// What to tell a grantee once the grants have committed.
struct Notice {
    user: user::Model,
    removing: bool,
}

/// Invites pending accounts and tells existing users what was shared with them.
async fn notify(
    state: &AppState,
    actor: &Viewer,
    notices: Vec<Notice>,
    url: &str,
    data_name: &str,
    message: &str,
) {
    for notice in notices.into_iter().filter(|n| !n.removing) {
        if notice.user.status == status::PENDING_SIGN_UP {
            let sent =
                users::send_invitation(state, &notice.user, &actor.user, data_name, message).await;
            if let Err(error) = sent {
                tracing::error!(
                    ?error,
                    user_id = notice.user.id,
                    "could not send an invitation"
                );
            }
        } else {
            tell_shared(
                state,
                actor,
                &notice.user,
                url.to_owned(),
                data_name,
                message,
            );
        }
    }
}

fn tell_shared(
    state: &AppState,
    actor: &Viewer,
    to: &user::Model,
    url: String,
    data_name: &str,
    message: &str,
) {
    let email = Email::DataShared {
        username: to.username.clone(),
        url,
        data_name: data_name.to_owned(),
        inviter_name: users::display_name(&actor.user),
        message: message.to_owned(),
    };
    state.mailer.send(&users::recipient(to), email);
}

/// One entry of a catalog grant.
pub struct CatalogGrantRequest {
    pub name: UsernameOrEmail,
    pub on_catalog: Permissions,
    pub on_packages: Permissions,
}

/// Sets users' permissions on a catalog; an empty set on both removes the user's grant. Every
/// entry is checked before anything is written, all are written in one transaction, and
/// emails go out only after it commits.
pub async fn set_on_catalog(
    state: &AppState,
    actor: &Viewer,
    catalog: &catalog::Model,
    requests: Vec<CatalogGrantRequest>,
    message: &str,
) -> ApiResult<()> {
    check_message(message)?;
    let mut checked = Vec::new();
    for request in requests {
        let removing = request.on_catalog.is_empty() && request.on_packages.is_empty();
        let Some(grantee) = resolve(state, &request.name, removing).await? else {
            continue;
        };
        if let Grantee::Existing(user) = &grantee {
            protect_creator(
                catalog.creator_id,
                user,
                "CANNOT_CHANGE_CATALOG_CREATOR_PERMISSIONS",
            )?;
        }
        checked.push((grantee, request, removing));
    }
    let txn = crate::db::write(&state.db).await?;
    let mut notices = Vec::new();
    for (grantee, request, removing) in checked {
        let user = account_for(&txn, grantee).await?;
        remove_catalog_grant(&txn, catalog.id, user.id).await?;
        if !removing {
            catalogs::grant(
                &txn,
                catalog.id,
                user.id,
                request.on_catalog,
                request.on_packages,
            )
            .await?;
        }
        let kind = match removing {
            true => "CATALOG_USER_PERMISSION_REMOVED",
            false => "CATALOG_USER_PERMISSION_ADDED_UPDATED",
        };
        let mut event = catalog_event(kind, actor, catalog, &user);
        event.permissions = (!removing).then(|| names(request.on_catalog));
        state.activity.record(&txn, event).await?;
        notices.push(Notice { user, removing });
    }
    txn.commit().await?;
    let url = format!("/{}", catalog.slug);
    notify(state, actor, notices, &url, &catalog.display_name, message).await;
    Ok(())
}

/// Removes a user's grant on a catalog.
pub async fn remove_from_catalog(
    state: &AppState,
    actor: &Viewer,
    catalog: &catalog::Model,
    name: &UsernameOrEmail,
) -> ApiResult<()> {
    let user = existing(state, name).await?;
    protect_creator(
        catalog.creator_id,
        &user,
        "CANNOT_REMOVE_CREATOR_PERMISSIONS",
    )?;
    let txn = crate::db::write(&state.db).await?;
    remove_catalog_grant(&txn, catalog.id, user.id).await?;
    let event = catalog_event("CATALOG_USER_PERMISSION_REMOVED", actor, catalog, &user);
    state.activity.record(&txn, event).await?;
    txn.commit().await?;
    Ok(())
}

async fn remove_catalog_grant(
    db: &impl ConnectionTrait,
    catalog_id: i64,
    user_id: i64,
) -> ApiResult<()> {
    catalog_permission::Entity::delete_many()
        .filter(catalog_permission::Column::CatalogId.eq(catalog_id))
        .filter(catalog_permission::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// One entry of a package grant.
pub struct PackageGrantRequest {
    pub name: UsernameOrEmail,
    pub permissions: Permissions,
}

/// Sets users' permissions on a package; an empty set removes the user's grant. Checked,
/// written and announced like `set_on_catalog`.
pub async fn set_on_package(
    state: &AppState,
    actor: &Viewer,
    located: &Located,
    requests: Vec<PackageGrantRequest>,
    message: &str,
) -> ApiResult<()> {
    check_message(message)?;
    let mut checked = Vec::new();
    for request in requests {
        let removing = request.permissions.is_empty();
        let Some(grantee) = resolve(state, &request.name, removing).await? else {
            continue;
        };
        if let Grantee::Existing(user) = &grantee {
            protect_creator(
                located.package.creator_id,
                user,
                "CANNOT_SET_PACKAGE_CREATOR_PERMISSIONS",
            )?;
        }
        checked.push((grantee, request, removing));
    }
    let txn = crate::db::write(&state.db).await?;
    let mut notices = Vec::new();
    for (grantee, request, removing) in checked {
        let user = account_for(&txn, grantee).await?;
        packages::grant(&txn, located.package.id, user.id, request.permissions).await?;
        let kind = match removing {
            true => "PACKAGE_USER_PERMISSION_REMOVED",
            false => "PACKAGE_USER_PERMISSION_ADDED_UPDATED",
        };
        let mut event = package_event(kind, actor, located, &user);
        event.permissions = removing.then(Vec::new);
        state.activity.record(&txn, event).await?;
        notices.push(Notice { user, removing });
    }
    txn.commit().await?;
    let url = format!("/{}", located.identifier());
    notify(
        state,
        actor,
        notices,
        &url,
        &located.package.display_name,
        message,
    )
    .await;
    Ok(())
}

/// Removes a user's grant on a package.
pub async fn remove_from_package(
    state: &AppState,
    actor: &Viewer,
    located: &Located,
    name: &UsernameOrEmail,
) -> ApiResult<()> {
    let user = existing(state, name).await?;
    protect_creator(
        located.package.creator_id,
        &user,
        "CANNOT_REMOVE_CREATOR_PERMISSIONS",
    )?;
    let txn = crate::db::write(&state.db).await?;
    packages::grant(&txn, located.package.id, user.id, Permissions::NONE).await?;
    let event = package_event("PACKAGE_USER_PERMISSION_REMOVED", actor, located, &user);
    state.activity.record(&txn, event).await?;
    txn.commit().await?;
    Ok(())
}

async fn existing(state: &AppState, name: &UsernameOrEmail) -> ApiResult<user::Model> {
    users::by_username_or_email(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::invalid(format!("USER_NOT_FOUND - {}", name.as_str())))
}

fn protect_creator(creator_id: Option<i64>, user: &user::Model, message: &str) -> ApiResult<()> {
    match creator_id == Some(user.id) {
        true => Err(ApiError::invalid(message)),
        false => Ok(()),
    }
}

/// Users with a grant on a catalog, with what they hold on it and on its packages.
pub async fn on_catalog(
    db: &impl ConnectionTrait,
    catalog_id: i64,
) -> ApiResult<Vec<(user::Model, CatalogGrant)>> {
    let rows = catalog_permission::Entity::find()
        .filter(catalog_permission::Column::CatalogId.eq(catalog_id))
        .all(db)
        .await?;
    let holders = holders(db, rows.iter().map(|r| r.user_id).collect()).await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some((
                holders.iter().find(|u| u.id == row.user_id)?.clone(),
                CatalogGrant::from(row),
            ))
        })
        .collect())
}

async fn holders(db: &impl ConnectionTrait, ids: Vec<i64>) -> ApiResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// Users with a grant on a package, with what they hold.
pub async fn on_package(
    db: &impl ConnectionTrait,
    package_id: i64,
) -> ApiResult<Vec<(user::Model, Permissions)>> {
    let rows = package_permission::Entity::find()
        .filter(package_permission::Column::PackageId.eq(package_id))
        .all(db)
        .await?;
    let holders = holders(db, rows.iter().map(|r| r.user_id).collect()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let holder = holders.iter().find(|u| u.id == row.user_id)?.clone();
            Some((holder, Permissions::from(&row)))
        })
        .collect())
}

fn names(held: Permissions) -> Vec<String> {
    held.list()
        .iter()
        .map(|p| format!("{p:?}").to_uppercase())
        .collect()
}

fn catalog_event(
    kind: &'static str,
    actor: &Viewer,
    catalog: &catalog::Model,
    target: &user::Model,
) -> ActivityEvent {
    let mut event = ActivityEvent::new(kind);
    event.user_id = Some(actor.user.id);
    event.username = Some(actor.user.username.clone());
    event.target_catalog_id = Some(catalog.id);
    event.target_catalog_slug = Some(catalog.slug.clone());
    event.target_user_id = Some(target.id);
    event.target_username = Some(target.username.clone());
    event
}

fn package_event(
    kind: &'static str,
    actor: &Viewer,
    located: &Located,
    target: &user::Model,
) -> ActivityEvent {
    let mut event = ActivityEvent::new(kind);
    event.user_id = Some(actor.user.id);
    event.username = Some(actor.user.username.clone());
    event.target_package_id = Some(located.package.id);
    event.target_package_identifier = Some(located.identifier());
    event.target_user_id = Some(target.id);
    event.target_username = Some(target.username.clone());
    event
}
