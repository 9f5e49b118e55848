//! Packages: listings in a catalog that hold versions. Lookups ignore the case of the catalog
//! slug and match the package slug exactly, as DataPM clients expect.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationDef, Set,
};

use super::catalogs::{self, required_text};
use super::permissions::{self, Permissions, visible_packages};
use super::values::{CatalogSlug, PackageSlug};
use crate::activity::ActivityEvent;
use crate::app::AppState;
use crate::auth::Viewer;
use crate::entity::{catalog, package, package_permission, user, version};
use crate::error::{ApiError, ApiResult};
use crate::storage::{ObjectKey, ObjectStore};

/// A package with the catalog it is in.
#[derive(Clone, Debug)]
pub struct Located {
    pub catalog: catalog::Model,
    pub package: package::Model,
}

impl Located {
    /// `catalog/package`, as people write it.
    pub fn identifier(&self) -> String {
        format!("{}/{}", self.catalog.slug, self.package.slug)
    }
}

/// The package named by its catalog and slug, or the `CATALOG_NOT_FOUND` / `PACKAGE_NOT_FOUND`
/// errors the CLI matches.
pub async fn find(
    db: &impl ConnectionTrait,
    catalog_slug: &str,
    package_slug: &str,
) -> ApiResult<Located> {
    let catalog = catalogs::find(db, catalog_slug).await?;
    let package = package::Entity::find()
        .filter(package::Column::CatalogId.eq(catalog.id))
        .filter(package::Column::Slug.eq(package_slug))
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::failed(format!("PACKAGE_NOT_FOUND - {catalog_slug}/{package_slug}"))
        })?;
    Ok(Located { catalog, package })
}

/// Looks a package up by id, with its catalog.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> ApiResult<Located> {
    let package = package::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::failed("PACKAGE_NOT_FOUND"))?;
    let catalog = catalog::Entity::find_by_id(package.catalog_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::failed("CATALOG_NOT_FOUND"))?;
    Ok(Located { catalog, package })
}

/// What a new package is made of.
pub struct NewPackage {
    pub slug: PackageSlug,
    pub display_name: String,
    pub description: Option<String>,
}

/// Creates a private package in `catalog`; its creator may view, edit and manage it.
pub async fn create(
    state: &AppState,
    creator: &Viewer,
    catalog: catalog::Model,
    new: NewPackage,
) -> ApiResult<Located> {
    let display_name = required_text(&new.display_name, "PACKAGE_DISPLAY_NAME_REQUIRED", 256)?;
    let description = new.description.unwrap_or_default();
    let description = required_text(&description, "PACKAGE_DESCRIPTION_REQUIRED", 10_000)?;
    let txn = crate::db::write(&state.db).await?;
    ensure_slug_free(&txn, catalog.id, &new.slug).await?;
    let now = Utc::now();
    let row = package::ActiveModel {
        catalog_id: Set(catalog.id),
        slug: Set(new.slug.as_str().to_owned()),
        display_name: Set(display_name),
        description: Set(Some(description)),
        is_public: Set(false),
        creator_id: Set(Some(creator.user.id)),
        view_count: Set(0),
        fetch_count: Set(0),
        readme_markdown: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let created = package::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    grant(&txn, created.id, creator.user.id, Permissions::ALL).await?;
    let located = Located {
        catalog,
        package: created,
    };
    state
        .activity
        .record(&txn, event("PACKAGE_CREATED", creator, &located))
        .await?;
    state
        .activity
        .record(&txn, event("CATALOG_PACKAGE_ADDED", creator, &located))
        .await?;
    txn.commit().await?;
    Ok(located)
}

async fn ensure_slug_free(
    db: &impl ConnectionTrait,
    catalog_id: i64,
    slug: &PackageSlug,
) -> ApiResult<()> {
    let existing = package::Entity::find()
        .filter(package::Column::CatalogId.eq(catalog_id))
        .filter(package::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?;
    match existing {
        Some(_) => Err(ApiError::invalid(format!(
            "PACKAGE_SLUG_NOT_AVAILABLE - {slug}"
        ))),
        None => Ok(()),
    }
}

/// Writes a user's grant on a package, replacing any earlier one; an empty set removes it.
pub async fn grant(
    db: &impl ConnectionTrait,
    package_id: i64,
    user_id: i64,
    held: Permissions,
) -> ApiResult<()> {
    package_permission::Entity::delete_many()
        .filter(package_permission::Column::PackageId.eq(package_id))
        .filter(package_permission::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if held.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let row = package_permission::ActiveModel {
        package_id: Set(package_id),
        user_id: Set(user_id),
        can_view: Set(held.view),
        can_edit: Set(held.edit),
        can_manage: Set(held.manage),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    package_permission::Entity::insert(row).exec(db).await?;
    Ok(())
}

/// Changes to a package; `None` leaves a field alone.
#[derive(Default)]
pub struct PackageChanges {
    pub new_catalog_slug: Option<CatalogSlug>,
    pub new_package_slug: Option<PackageSlug>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub is_public: Option<bool>,
}

/// Applies changes by a viewer who may edit the package. A new catalog slug moves it, which
/// needs EDIT on the target catalog. A package can be public only in a public catalog and
/// once it has a version.
pub async fn update(
    state: &AppState,
    viewer: &Viewer,
    mut located: Located,
    changes: PackageChanges,
) -> ApiResult<Located> {
    let new_catalog = changes.new_catalog_slug.as_ref();
    let target = match new_catalog.filter(|t| t.lowercase() != located.catalog.slug_key) {
        Some(slug) => Some(move_target(state, viewer, &located, slug.as_str()).await?),
        None => None,
    };
    // The move and the other changes commit together or not at all.
    let txn = crate::db::write(&state.db).await?;
    if let Some(target) = target {
        located = move_within(&txn, viewer, located, target).await?;
    }
    let mut edited = Vec::new();
    let mut row = package::ActiveModel::from(located.package.clone());
    if let Some(slug) = changes
        .new_package_slug
        .filter(|s| s.as_str() != located.package.slug)
    {
        ensure_slug_free(&txn, located.catalog.id, &slug).await?;
        row.slug = Set(slug.as_str().to_owned());
        edited.push("slug");
    }
    if let Some(name) = changes.display_name {
        row.display_name = Set(required_text(&name, "PACKAGE_DISPLAY_NAME_REQUIRED", 256)?);
        edited.push("displayName");
    }
    if let Some(description) = changes.description {
        let description = required_text(&description, "PACKAGE_DESCRIPTION_REQUIRED", 10_000)?;
        row.description = Set(Some(description));
        edited.push("description");
    }
    if let Some(public) = changes.is_public {
        if public {
            check_can_be_public(&txn, &located).await?;
        }
        row.is_public = Set(public);
        edited.push("isPublic");
    }
    row.updated_at = Set(Utc::now());
    located.package = row.update(&txn).await?;
    let mut edit = event("PACKAGE_EDIT", viewer, &located);
    edit.properties_edited = Some(edited.iter().map(|p| p.to_string()).collect());
    state.activity.record(&txn, edit).await?;
    if let Some(public) = changes.is_public {
        let mut changed = event("PACKAGE_PUBLIC_CHANGED", viewer, &located);
        changed.change_type = Some(if public {
            "PUBLIC_ENABLED"
        } else {
            "PUBLIC_DISABLED"
        });
        state.activity.record(&txn, changed).await?;
    }
    txn.commit().await?;
    Ok(located)
}

async fn check_can_be_public(db: &impl ConnectionTrait, located: &Located) -> ApiResult<()> {
    if !located.catalog.is_public {
        return Err(ApiError::invalid("CATALOG_NOT_PUBLIC"));
    }
    let versions = version::Entity::find()
        .filter(version::Column::PackageId.eq(located.package.id))
        .count(db)
        .await?;
    if versions == 0 {
        return Err(ApiError::invalid("PACKAGE_HAS_NO_VERSIONS"));
    }
    Ok(())
}

/// Moves a package to another catalog the viewer may edit. Grants on the package are dropped
/// and the mover keeps their target-catalog permissions on it; a private target makes the
/// package private.
pub async fn move_to(
    state: &AppState,
    viewer: &Viewer,
    located: Located,
    target_slug: &str,
) -> ApiResult<Located> {
    let target = move_target(state, viewer, &located, target_slug).await?;
    let txn = crate::db::write(&state.db).await?;
    let moved = move_within(&txn, viewer, located, target).await?;
    txn.commit().await?;
    Ok(moved)
}

/// The catalog a package may move to, with the mover's permissions on it.
async fn move_target(
    state: &AppState,
    viewer: &Viewer,
    located: &Located,
    target_slug: &str,
) -> ApiResult<(catalog::Model, Permissions)> {
    let target = catalogs::find(&state.db, target_slug).await?;
    if target.id == located.catalog.id {
        return Err(ApiError::invalid("MOVE_TO_SAME_CATALOG_NOT_ALLOWED"));
    }
    let held = permissions::on_catalog(
        &state.db,
        Some(viewer),
        &target,
        permissions::Unclaimed::Apply,
    )
    .await?;
    permissions::require(Some(viewer), held, permissions::Permission::Edit)?;
    Ok((target, held))
}

async fn move_within(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    located: Located,
    (target, held): (catalog::Model, Permissions),
) -> ApiResult<Located> {
    let slug = PackageSlug::parse(&located.package.slug)?;
    if ensure_slug_free(txn, target.id, &slug).await.is_err() {
        return Err(ApiError::invalid("PACKAGE_IDENTIFIER_NOT_AVAILABLE"));
    }
    package_permission::Entity::delete_many()
        .filter(package_permission::Column::PackageId.eq(located.package.id))
        .exec(txn)
        .await?;
    let mut row = package::ActiveModel::from(located.package.clone());
    row.catalog_id = Set(target.id);
    row.is_public = Set(located.package.is_public && target.is_public);
    row.updated_at = Set(Utc::now());
    let moved = row.update(txn).await?;
    grant(txn, moved.id, viewer.user.id, held).await?;
    Ok(Located {
        catalog: target,
        package: moved,
    })
}

/// Deletes a package with its versions and grants, then its stored files.
pub async fn delete(state: &AppState, viewer: &Viewer, located: Located) -> ApiResult<()> {
    let txn = crate::db::write(&state.db).await?;
    package::Entity::delete_by_id(located.package.id)
        .exec(&txn)
        .await?;
    let mut deleted = event("PACKAGE_DELETED", viewer, &located);
    deleted.target_package_id = None;
    deleted.removed_item_id = Some(located.package.id);
    deleted.removed_item_name = Some(located.identifier());
    state.activity.record(&txn, deleted.clone()).await?;
    let mut removed = deleted;
    removed.event_type = "CATALOG_PACKAGE_REMOVED";
    state.activity.record(&txn, removed).await?;
    txn.commit().await?;
    delete_stored_files(&*state.store, &[located.package.id]).await;
    Ok(())
}

/// Where a package's files are stored: `package/<id>/…`.
pub fn storage_prefix(package_id: i64) -> String {
    format!("package/{package_id}/")
}

/// Removes the stored files of deleted packages. Their rows are already gone, so a failure
/// only leaves unreachable files behind; it is logged for the operator.
pub async fn delete_stored_files(store: &dyn ObjectStore, package_ids: &[i64]) {
    for id in package_ids {
        let objects = match store.list(&storage_prefix(*id)).await {
            Ok(objects) => objects,
            Err(error) => {
                tracing::error!(%error, package_id = id, "could not list a deleted package's files");
                continue;
            }
        };
        for object in objects {
            if let Err(error) = store.delete(&object.key).await {
                tracing::error!(%error, package_id = id, "could not delete a deleted package's file");
            }
        }
    }
}

/// Counts a view of the package (written with the next batch of views), and logs it for a
/// signed-in viewer.
pub async fn record_view(
    state: &AppState,
    viewer: Option<&Viewer>,
    located: &Located,
) -> ApiResult<()> {
    state.views.add(located.package.id);
    if let Some(viewer) = viewer {
        state
            .activity
            .record(&state.db, event("PACKAGE_VIEWED", viewer, located))
            .await?;
    }
    Ok(())
}

/// Counts a fetch of a version of the package.
pub async fn record_fetch(
    state: &AppState,
    viewer: Option<&Viewer>,
    located: &Located,
    version_id: Option<i64>,
) -> ApiResult<()> {
    package::Entity::update_many()
        .col_expr(
            package::Column::FetchCount,
            Expr::col(package::Column::FetchCount).add(1),
        )
        .filter(package::Column::Id.eq(located.package.id))
        .exec(&state.db)
        .await?;
    let mut fetched = ActivityEvent::new("PACKAGE_FETCHED");
    fetched.target_package_id = Some(located.package.id);
    fetched.target_package_identifier = Some(located.identifier());
    fetched.target_package_version_id = version_id;
    if let Some(viewer) = viewer {
        fetched.user_id = Some(viewer.user.id);
        fetched.username = Some(viewer.user.username.clone());
    }
    state.activity.record(&state.db, fetched).await?;
    Ok(())
}

/// Which packages a list shows, newest first.
pub enum Listing<'a> {
    /// Every package the viewer may see, by creation.
    Latest,
    /// Packages the viewer created, by last update.
    CreatedByViewer(&'a user::Model),
    /// Packages a user created outside unclaimed catalogs, that the viewer may see.
    CreatedBy(&'a user::Model),
    /// The packages of one catalog that the viewer may see, by last update.
    InCatalog(i64),
}

/// One page of a listing, and how many packages it has in all.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    listing: Listing<'_>,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<Located>, u64)> {
    let mut query = package::Entity::find();
    query = match listing {
        Listing::Latest => query
            .filter(visible_packages(viewer))
            .order_by_desc(package::Column::CreatedAt),
        Listing::CreatedByViewer(me) => query
            .filter(package::Column::CreatorId.eq(me.id))
            .order_by_desc(package::Column::UpdatedAt),
        Listing::CreatedBy(owner) => query
            .join(JoinType::InnerJoin, catalog_relation())
            .filter(catalog::Column::Unclaimed.eq(false))
            .filter(package::Column::CreatorId.eq(owner.id))
            .filter(visible_packages(viewer))
            .order_by_desc(package::Column::UpdatedAt),
        Listing::InCatalog(catalog_id) => query
            .filter(package::Column::CatalogId.eq(catalog_id))
            .filter(visible_packages(viewer))
            .order_by_desc(package::Column::UpdatedAt),
    };
    let count = query.clone().count(db).await?;
    let page = query
        .order_by_asc(package::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((with_catalogs(db, page).await?, count))
}

fn catalog_relation() -> RelationDef {
    package::Entity::belongs_to(catalog::Entity)
        .from(package::Column::CatalogId)
        .to(catalog::Column::Id)
        .into()
}

/// Pairs packages with their catalogs in one query.
pub async fn with_catalogs(
    db: &impl ConnectionTrait,
    packages: Vec<package::Model>,
) -> ApiResult<Vec<Located>> {
    let ids: Vec<i64> = packages.iter().map(|p| p.catalog_id).collect();
    let catalogs = catalog::Entity::find()
        .filter(catalog::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(packages
        .into_iter()
        .filter_map(|package| {
            let catalog = catalogs
                .iter()
                .find(|c| c.id == package.catalog_id)?
                .clone();
            Some(Located { catalog, package })
        })
        .collect())
}

fn event(kind: &'static str, viewer: &Viewer, located: &Located) -> ActivityEvent {
    let mut event = ActivityEvent::new(kind);
    event.user_id = Some(viewer.user.id);
    event.username = Some(viewer.user.username.clone());
    event.target_package_id = Some(located.package.id);
    event.target_package_identifier = Some(located.identifier());
    event.target_catalog_id = Some(located.catalog.id);
    event.target_catalog_slug = Some(located.catalog.slug.clone());
    event
}

/// The storage key of a version's package file.
pub fn package_file_key(package_id: i64, major: i64, minor: i64, patch: i64) -> ObjectKey {
    ObjectKey::parse(&format!(
        "package/{package_id}/{major}/{minor}/{patch}/package_file"
    ))
    .expect("numbers make a valid key")
}
