//! Catalogs: the namespaces packages live in. Every account has a personal catalog named after
//! its username, private, on which its owner holds every permission.

use chrono::Utc;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::permissions::{Permissions, visible_catalogs};
use super::values::{CatalogSlug, is_reserved_word};
use crate::activity::ActivityEvent;
use crate::app::AppState;
use crate::auth::Viewer;
use crate::entity::{catalog, catalog_permission, package, user};
use crate::error::{ApiError, ApiResult};

/// Whether a catalog already uses this slug, ignoring case.
pub async fn slug_taken(db: &impl ConnectionTrait, slug: &str) -> ApiResult<bool> {
    let found = catalog::Entity::find()
        .filter(catalog::Column::SlugKey.eq(slug.to_lowercase()))
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Creates the private catalog named after `owner`, with every permission for them.
pub async fn create_personal(
    db: &impl ConnectionTrait,
    owner: &user::Model,
) -> ApiResult<catalog::Model> {
    let now = Utc::now();
    let row = catalog::ActiveModel {
        slug: Set(owner.username.clone()),
        slug_key: Set(owner.username_key.clone()),
        display_name: Set(owner.username.clone()),
        description: Set(None),
        website: Set(None),
        is_public: Set(false),
        unclaimed: Set(false),
        creator_id: Set(Some(owner.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let created = catalog::Entity::insert(row).exec_with_returning(db).await?;
    let grant = catalog_permission::ActiveModel {
        catalog_id: Set(created.id),
        user_id: Set(owner.id),
        can_view: Set(true),
        can_edit: Set(true),
        can_manage: Set(true),
        package_view: Set(true),
        package_edit: Set(true),
        package_manage: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    catalog_permission::Entity::insert(grant).exec(db).await?;
    Ok(created)
}

/// Renames the personal catalog along with its owner.
pub async fn rename_personal(
    db: &impl ConnectionTrait,
    old_username_key: &str,
    owner: &user::Model,
) -> ApiResult<()> {
    catalog::Entity::update_many()
        .col_expr(catalog::Column::Slug, owner.username.clone().into())
        .col_expr(catalog::Column::SlugKey, owner.username_key.clone().into())
        .col_expr(catalog::Column::UpdatedAt, Utc::now().into())
        .filter(catalog::Column::SlugKey.eq(old_username_key))
        .filter(catalog::Column::CreatorId.eq(owner.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the personal catalog of a departing account, with its packages; returns the
/// packages' ids so their stored files can be removed once this commits.
pub async fn delete_personal(
    db: &impl ConnectionTrait,
    owner: &user::Model,
) -> ApiResult<Vec<i64>> {
    let Some(personal) = catalog::Entity::find()
        .filter(catalog::Column::SlugKey.eq(owner.username_key.clone()))
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    let package_ids = package_ids(db, personal.id).await?;
    catalog::Entity::delete_by_id(personal.id).exec(db).await?;
    Ok(package_ids)
}

/// The catalog with this slug, ignoring case, or `CATALOG_NOT_FOUND: <slug>`.
pub async fn find(db: &impl ConnectionTrait, slug: &str) -> ApiResult<catalog::Model> {
    catalog::Entity::find()
        .filter(catalog::Column::SlugKey.eq(slug.to_lowercase()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::failed(format!("CATALOG_NOT_FOUND: {slug}")))
}

/// Whether `catalog` is the personal catalog of an account.
pub async fn is_personal(db: &impl ConnectionTrait, catalog: &catalog::Model) -> ApiResult<bool> {
    Ok(super::users::by_username(db, &catalog.slug)
        .await?
        .is_some())
}

/// What a new catalog is made of.
pub struct NewCatalog {
    pub slug: CatalogSlug,
    pub display_name: String,
    pub description: Option<String>,
    pub website: Option<String>,
    pub is_public: bool,
    pub unclaimed: bool,
}

/// Creates a catalog; its creator may view, edit and manage it.
pub async fn create(
    state: &AppState,
    creator: &Viewer,
    new: NewCatalog,
) -> ApiResult<catalog::Model> {
    if new.unclaimed && !creator.is_admin {
        return Err(ApiError::NotAuthorized);
    }
    if is_reserved_word(new.slug.as_str()) {
        return Err(ApiError::failed("RESERVED_KEYWORD"));
    }
    let display_name = required_text(&new.display_name, "CATALOG_DISPLAY_NAME_REQUIRED", 64)?;
    let txn = crate::db::write(&state.db).await?;
    let taken = slug_taken(&txn, new.slug.as_str()).await?
        || super::users::by_username(&txn, new.slug.as_str())
            .await?
            .is_some();
    if taken {
        return Err(ApiError::invalid(format!(
            "CATALOG_SLUG_NOT_AVAILABLE {}",
            new.slug
        )));
    }
    let now = Utc::now();
    let row = catalog::ActiveModel {
        slug: Set(new.slug.as_str().to_owned()),
        slug_key: Set(new.slug.lowercase()),
        display_name: Set(display_name),
        description: Set(new.description),
        website: Set(new.website),
        is_public: Set(new.is_public),
        unclaimed: Set(new.unclaimed),
        creator_id: Set(Some(creator.user.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let created = catalog::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    grant(
        &txn,
        created.id,
        creator.user.id,
        Permissions::ALL,
        Permissions::NONE,
    )
    .await?;
    let mut event = event("CATALOG_CREATED", creator, &created);
    event.target_catalog_id = Some(created.id);
    state.activity.record(&txn, event).await?;
    txn.commit().await?;
    Ok(created)
}

/// Writes a user's grant on a catalog, replacing any earlier one.
pub async fn grant(
    db: &impl ConnectionTrait,
    catalog_id: i64,
    user_id: i64,
    on_catalog: Permissions,
    on_packages: Permissions,
) -> ApiResult<()> {
    catalog_permission::Entity::delete_many()
        .filter(catalog_permission::Column::CatalogId.eq(catalog_id))
        .filter(catalog_permission::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let now = Utc::now();
    let row = catalog_permission::ActiveModel {
        catalog_id: Set(catalog_id),
        user_id: Set(user_id),
        can_view: Set(on_catalog.view),
        can_edit: Set(on_catalog.edit),
        can_manage: Set(on_catalog.manage),
        package_view: Set(on_packages.view),
        package_edit: Set(on_packages.edit),
        package_manage: Set(on_packages.manage),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    catalog_permission::Entity::insert(row).exec(db).await?;
    Ok(())
}

/// Changes to a catalog; `None` leaves a field alone.
#[derive(Default)]
pub struct CatalogChanges {
    pub new_slug: Option<CatalogSlug>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub website: Option<String>,
    pub is_public: Option<bool>,
    pub unclaimed: Option<bool>,
}

/// Applies changes by a viewer who may edit the catalog. Changing the public flag needs
/// MANAGE; changing `unclaimed` needs a site administrator. Making a catalog private makes
/// its packages private too.
pub async fn update(
    state: &AppState,
    viewer: &Viewer,
    current: catalog::Model,
    held: Permissions,
    changes: CatalogChanges,
) -> ApiResult<catalog::Model> {
    let public_change = changes.is_public.filter(|p| *p != current.is_public);
    let unclaimed_change = changes.unclaimed.filter(|u| *u != current.unclaimed);
    if public_change.is_some() && !held.manage {
        return Err(ApiError::Forbidden(
            "NOT_AUTHORIZED - must be manager to set public status".into(),
        ));
    }
    if unclaimed_change.is_some() && !viewer.is_admin {
        return Err(ApiError::NotAuthorized);
    }
    let txn = crate::db::write(&state.db).await?;
    let mut edited = Vec::new();
    let mut row = catalog::ActiveModel::from(current.clone());
    if let Some(slug) = changes.new_slug.filter(|s| s.as_str() != current.slug) {
        rename_checks(&txn, &current, &slug).await?;
        row.slug = Set(slug.as_str().to_owned());
        row.slug_key = Set(slug.lowercase());
        edited.push("slug");
    }
    if let Some(name) = changes.display_name.filter(|n| *n != current.display_name) {
        row.display_name = Set(required_text(&name, "CATALOG_DISPLAY_NAME_REQUIRED", 64)?);
        edited.push("displayName");
    }
    if let Some(description) = changes
        .description
        .filter(|d| Some(d) != current.description.as_ref())
    {
        row.description = Set(Some(description));
        edited.push("description");
    }
    if let Some(website) = changes
        .website
        .filter(|w| Some(w) != current.website.as_ref())
    {
        row.website = Set(Some(website));
        edited.push("website");
    }
    if let Some(public) = public_change {
        row.is_public = Set(public);
        edited.push("isPublic");
    }
    if let Some(unclaimed) = unclaimed_change {
        row.unclaimed = Set(unclaimed);
        edited.push("unclaimed");
    }
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await?;
    if public_change == Some(false) {
        package::Entity::update_many()
            .col_expr(package::Column::IsPublic, false.into())
            .filter(package::Column::CatalogId.eq(updated.id))
            .exec(&txn)
            .await?;
    }
    log_update(
        state,
        &txn,
        viewer,
        &updated,
        edited,
        public_change,
        unclaimed_change,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

async fn rename_checks(
    db: &impl ConnectionTrait,
    current: &catalog::Model,
    slug: &CatalogSlug,
) -> ApiResult<()> {
    if is_personal(db, current).await? {
        return Err(ApiError::invalid(
            "CANNOT_RENAME_PERSONAL_CATALOG - a personal catalog is renamed with its user",
        ));
    }
    if is_reserved_word(slug.as_str()) {
        return Err(ApiError::failed("RESERVED_KEYWORD"));
    }
    let same_catalog = slug.lowercase() == current.slug_key;
    let taken = slug_taken(db, slug.as_str()).await?
        || super::users::by_username(db, slug.as_str())
            .await?
            .is_some();
    if taken && !same_catalog {
        return Err(ApiError::invalid(format!(
            "CATALOG_SLUG_NOT_AVAILABLE {slug}"
        )));
    }
    Ok(())
}

async fn log_update(
    state: &AppState,
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    catalog: &catalog::Model,
    edited: Vec<&str>,
    public_change: Option<bool>,
    unclaimed_change: Option<bool>,
) -> ApiResult<()> {
    if !edited.is_empty() {
        let mut edit = event("CATALOG_EDIT", viewer, catalog);
        edit.properties_edited = Some(edited.iter().map(|p| p.to_string()).collect());
        state.activity.record(txn, edit).await?;
    }
    if let Some(public) = public_change {
        let mut changed = event("CATALOG_PUBLIC_CHANGED", viewer, catalog);
        changed.change_type = Some(if public {
            "PUBLIC_ENABLED"
        } else {
            "PUBLIC_DISABLED"
        });
        state.activity.record(txn, changed).await?;
    }
    if let Some(unclaimed) = unclaimed_change {
        let mut changed = event("CATALOG_UNCLAIMED_CHANGED", viewer, catalog);
        changed.change_type = Some(if unclaimed {
            "UNCLAIMED_ENABLED"
        } else {
            "UNCLAIMED_DISABLED"
        });
        state.activity.record(txn, changed).await?;
    }
    Ok(())
}

/// Deletes a catalog with its packages, then their stored files. A personal catalog goes
/// only with its account.
pub async fn delete(state: &AppState, viewer: &Viewer, catalog: catalog::Model) -> ApiResult<()> {
    if is_personal(&state.db, &catalog).await? {
        return Err(ApiError::invalid(
            "CANNOT_DELETE_PERSONAL_CATALOG - a personal catalog is deleted with its user",
        ));
    }
    let txn = crate::db::write(&state.db).await?;
    let package_ids = package_ids(&txn, catalog.id).await?;
    catalog::Entity::delete_by_id(catalog.id).exec(&txn).await?;
    let mut event = event("CATALOG_DELETED", viewer, &catalog);
    event.removed_item_name = Some(catalog.slug.clone());
    event.removed_item_id = Some(catalog.id);
    state.activity.record(&txn, event).await?;
    txn.commit().await?;
    super::packages::delete_stored_files(&*state.store, &package_ids).await;
    Ok(())
}

async fn package_ids(db: &impl ConnectionTrait, catalog_id: i64) -> ApiResult<Vec<i64>> {
    let packages = package::Entity::find()
        .filter(package::Column::CatalogId.eq(catalog_id))
        .all(db)
        .await?;
    Ok(packages.into_iter().map(|p| p.id).collect())
}

/// Catalogs the viewer holds any grant on (their personal one included); administrators also
/// get every unclaimed catalog.
pub async fn mine(db: &impl ConnectionTrait, viewer: &Viewer) -> ApiResult<Vec<catalog::Model>> {
    let granted = Query::select()
        .column(catalog_permission::Column::CatalogId)
        .from(catalog_permission::Entity)
        .and_where(catalog_permission::Column::UserId.eq(viewer.user.id))
        .to_owned();
    let mut condition = Condition::any().add(catalog::Column::Id.in_subquery(granted));
    if viewer.is_admin {
        condition = condition.add(catalog::Column::Unclaimed.eq(true));
    }
    Ok(catalog::Entity::find()
        .filter(condition)
        .order_by_asc(catalog::Column::SlugKey)
        .all(db)
        .await?)
}

/// One page of a user's catalogs (created by them or editable by them) that the viewer may see.
pub async fn of_user(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    owner: &user::Model,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<catalog::Model>, u64)> {
    let editable = Query::select()
        .column(catalog_permission::Column::CatalogId)
        .from(catalog_permission::Entity)
        .and_where(catalog_permission::Column::UserId.eq(owner.id))
        .and_where(catalog_permission::Column::CanEdit.eq(true))
        .to_owned();
    let theirs = Condition::any()
        .add(catalog::Column::CreatorId.eq(owner.id))
        .add(catalog::Column::Id.in_subquery(editable));
    let query = catalog::Entity::find()
        .filter(theirs)
        .filter(catalog::Column::Unclaimed.eq(false))
        .filter(visible_catalogs(viewer));
    let count = query.clone().count(db).await?;
    let page = query
        .order_by_asc(catalog::Column::SlugKey)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((page, count))
}

/// Whether a new catalog could take this slug.
pub async fn slug_available(db: &impl ConnectionTrait, slug: &CatalogSlug) -> ApiResult<bool> {
    if is_reserved_word(slug.as_str()) {
        return Ok(false);
    }
    let taken = slug_taken(db, slug.as_str()).await?
        || super::users::by_username(db, slug.as_str())
            .await?
            .is_some();
    Ok(!taken)
}

fn event(kind: &'static str, viewer: &Viewer, catalog: &catalog::Model) -> ActivityEvent {
    let mut event = ActivityEvent::new(kind);
    event.user_id = Some(viewer.user.id);
    event.username = Some(viewer.user.username.clone());
    event.target_catalog_id = Some(catalog.id);
    event.target_catalog_slug = Some(catalog.slug.clone());
    event
}

/// A trimmed, non-blank text of at most `max` characters.
pub fn required_text(value: &str, missing: &str, max: usize) -> ApiResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::failed(missing));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(format!(
            "{missing} - at most {max} characters"
        )));
    }
    Ok(value.to_owned())
}
