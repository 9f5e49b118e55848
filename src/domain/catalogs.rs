//! Catalogs: the namespaces packages live in. Every account has a personal catalog named after
//! its username, private, on which its owner holds every permission.

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{catalog, catalog_permission, user};
use crate::error::ApiResult;

/// Every permission, as granted to an owner.
pub const ALL_PERMISSIONS: [&str; 3] = ["VIEW", "EDIT", "MANAGE"];

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
        permissions: Set(serde_json::json!(ALL_PERMISSIONS)),
        package_permissions: Set(serde_json::json!(ALL_PERMISSIONS)),
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

/// Deletes the personal catalog of a departing account.
pub async fn delete_personal(db: &impl ConnectionTrait, owner: &user::Model) -> ApiResult<()> {
    catalog::Entity::delete_many()
        .filter(catalog::Column::SlugKey.eq(owner.username_key.clone()))
        .exec(db)
        .await?;
    Ok(())
}
