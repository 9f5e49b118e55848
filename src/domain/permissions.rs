//! Who may do what with catalogs and packages.
//!
//! Permissions are explicit sets of VIEW, EDIT and MANAGE; none implies another. A user's set on
//! a package is the union of: VIEW when the package is public, their own grant on the package,
//! the package grant of their grant on its catalog, and everything in their personal catalog.
//! Site administrators get no automatic access to private data. Suspended users act as
//! anonymous ones, and are told so when refused.

use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::users::status;
use crate::auth::Viewer;
use crate::entity::{catalog, catalog_permission, package, package_permission};
use crate::error::{ApiError, ApiResult};

/// One permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    View,
    Edit,
    Manage,
}

/// A set of permissions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    pub view: bool,
    pub edit: bool,
    pub manage: bool,
}

impl Permissions {
    pub const NONE: Permissions = Permissions {
        view: false,
        edit: false,
        manage: false,
    };
    pub const ALL: Permissions = Permissions {
        view: true,
        edit: true,
        manage: true,
    };
    pub const VIEW: Permissions = Permissions {
        view: true,
        edit: false,
        manage: false,
    };

    pub fn union(self, other: Permissions) -> Permissions {
        Permissions {
            view: self.view || other.view,
            edit: self.edit || other.edit,
            manage: self.manage || other.manage,
        }
    }

    pub fn has(self, permission: Permission) -> bool {
        match permission {
            Permission::View => self.view,
            Permission::Edit => self.edit,
            Permission::Manage => self.manage,
        }
    }

    /// The members, in the order VIEW, EDIT, MANAGE.
    pub fn list(self) -> Vec<Permission> {
        [
            (self.view, Permission::View),
            (self.edit, Permission::Edit),
            (self.manage, Permission::Manage),
        ]
        .into_iter()
        .filter_map(|(held, p)| held.then_some(p))
        .collect()
    }

    pub fn from_list(list: &[Permission]) -> Permissions {
        Permissions {
            view: list.contains(&Permission::View),
            edit: list.contains(&Permission::Edit),
            manage: list.contains(&Permission::Manage),
        }
    }

    pub fn is_empty(self) -> bool {
        self == Permissions::NONE
    }
}

/// The viewer whose grants count: signed in and not suspended.
pub fn acting(viewer: Option<&Viewer>) -> Option<&Viewer> {
    viewer.filter(|v| v.user.status == status::ACTIVE && v.user.email_verified)
}

/// Refuses unless `held` contains `needed`: anonymous callers are asked to sign in, suspended
/// ones are told so, others are not authorised.
pub fn require(viewer: Option<&Viewer>, held: Permissions, needed: Permission) -> ApiResult<()> {
    if held.has(needed) {
        return Ok(());
    }
    match viewer {
        None => Err(ApiError::NotAuthenticated),
        Some(v) if v.user.status == status::SUSPENDED => {
            Err(ApiError::invalid("ACCOUNT_SUSPENDED"))
        }
        Some(v) if !v.user.email_verified => Err(ApiError::invalid("EMAIL_ADDRESS_NOT_VERIFIED")),
        Some(_) => Err(ApiError::NotAuthorized),
    }
}

/// Whether the unclaimed-catalog rule applies: guards use it (everyone may view an unclaimed
/// catalog and administrators may change it), `myPermissions` does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unclaimed {
    Apply,
    Ignore,
}

/// The viewer's permissions on a catalog.
pub async fn on_catalog(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    catalog: &catalog::Model,
    unclaimed: Unclaimed,
) -> ApiResult<Permissions> {
    if catalog.unclaimed && unclaimed == Unclaimed::Apply {
        let admin = acting(viewer).is_some_and(|v| v.is_admin);
        return Ok(if admin {
            Permissions::ALL
        } else {
            Permissions::VIEW
        });
    }
    let public = if catalog.is_public {
        Permissions::VIEW
    } else {
        Permissions::NONE
    };
    let Some(viewer) = acting(viewer) else {
        return Ok(public);
    };
    if catalog.slug_key == viewer.user.username_key {
        return Ok(Permissions::ALL);
    }
    let grant = catalog_grant(db, viewer.user.id, catalog.id).await?;
    Ok(public.union(grant.map(|g| g.catalog).unwrap_or_default()))
}

/// The viewer's permissions on a package in `catalog`.
pub async fn on_package(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    package: &package::Model,
    catalog: &catalog::Model,
) -> ApiResult<Permissions> {
    let public = if package.is_public {
        Permissions::VIEW
    } else {
        Permissions::NONE
    };
    let Some(viewer) = acting(viewer) else {
        return Ok(public);
    };
    if catalog.slug_key == viewer.user.username_key {
        return Ok(Permissions::ALL);
    }
    let direct = package_grant(db, viewer.user.id, package.id)
        .await?
        .unwrap_or_default();
    let catalog_wide = catalog_grant(db, viewer.user.id, catalog.id)
        .await?
        .map(|g| g.packages);
    Ok(public.union(direct).union(catalog_wide.unwrap_or_default()))
}

/// A user's grant on a catalog: on the catalog itself and on every package in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CatalogGrant {
    pub catalog: Permissions,
    pub packages: Permissions,
}

impl From<&catalog_permission::Model> for CatalogGrant {
    fn from(row: &catalog_permission::Model) -> Self {
        CatalogGrant {
            catalog: Permissions {
                view: row.can_view,
                edit: row.can_edit,
                manage: row.can_manage,
            },
            packages: Permissions {
                view: row.package_view,
                edit: row.package_edit,
                manage: row.package_manage,
            },
        }
    }
}

pub async fn catalog_grant(
    db: &impl ConnectionTrait,
    user_id: i64,
    catalog_id: i64,
) -> ApiResult<Option<CatalogGrant>> {
    let row = catalog_permission::Entity::find()
        .filter(catalog_permission::Column::UserId.eq(user_id))
        .filter(catalog_permission::Column::CatalogId.eq(catalog_id))
        .one(db)
        .await?;
    Ok(row.as_ref().map(CatalogGrant::from))
}

pub async fn package_grant(
    db: &impl ConnectionTrait,
    user_id: i64,
    package_id: i64,
) -> ApiResult<Option<Permissions>> {
    let row = package_permission::Entity::find()
        .filter(package_permission::Column::UserId.eq(user_id))
        .filter(package_permission::Column::PackageId.eq(package_id))
        .one(db)
        .await?;
    Ok(row.as_ref().map(Permissions::from))
}

/// A filter on `packages` keeping those the viewer may view, for lists and search.
pub fn visible_packages(viewer: Option<&Viewer>) -> SimpleExpr {
    let public = Expr::col((package::Entity, package::Column::IsPublic)).eq(true);
    let Some(viewer) = acting(viewer) else {
        return public;
    };
    use catalog_permission::Column as C;
    use package_permission::Column as P;
    let user_id = viewer.user.id;
    let granted =
        granted_ids::<package_permission::Entity>(P::PackageId, P::UserId, P::CanView, user_id);
    let catalog_wide =
        granted_ids::<catalog_permission::Entity>(C::CatalogId, C::UserId, C::PackageView, user_id);
    let personal = Query::select()
        .column(catalog::Column::Id)
        .from(catalog::Entity)
        .and_where(catalog::Column::SlugKey.eq(viewer.user.username_key.clone()))
        .to_owned();
    let catalog_id = || Expr::col((package::Entity, package::Column::CatalogId));
    public
        .or(Expr::col((package::Entity, package::Column::Id)).in_subquery(granted))
        .or(catalog_id().in_subquery(catalog_wide))
        .or(catalog_id().in_subquery(personal))
}

/// A filter on `catalogs` keeping those the viewer may view.
pub fn visible_catalogs(viewer: Option<&Viewer>) -> SimpleExpr {
    let public = Expr::col((catalog::Entity, catalog::Column::IsPublic)).eq(true);
    let Some(viewer) = acting(viewer) else {
        return public;
    };
    use catalog_permission::Column as C;
    let granted = granted_ids::<catalog_permission::Entity>(
        C::CatalogId,
        C::UserId,
        C::CanView,
        viewer.user.id,
    );
    let own =
        Expr::col((catalog::Entity, catalog::Column::SlugKey)).eq(viewer.user.username_key.clone());
    public
        .or(Expr::col((catalog::Entity, catalog::Column::Id)).in_subquery(granted))
        .or(own)
}

/// `SELECT <id> FROM <grants> WHERE <user> = user_id AND <flag>`: what a user holds a flag on.
fn granted_ids<E: EntityTrait>(
    id: E::Column,
    user: E::Column,
    flag: E::Column,
    user_id: i64,
) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(id)
        .from(E::default())
        .and_where(user.eq(user_id))
        .and_where(flag.eq(true))
        .to_owned()
}

impl From<&package_permission::Model> for Permissions {
    fn from(row: &package_permission::Model) -> Self {
        Permissions {
            view: row.can_view,
            edit: row.can_edit,
            manage: row.can_manage,
        }
    }
}
