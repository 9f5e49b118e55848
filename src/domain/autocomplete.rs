//! Suggestions while someone types: catalogs, packages and people whose names start with what
//! has been typed so far, among those the viewer may see.
//!
//! Each kind is capped at [`LIMIT`] suggestions, shortest name first (so an exact name comes
//! first), then alphabetically.

use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoColumnRef, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::packages::{self, Located};
use super::permissions::{visible_catalogs, visible_packages};
use super::users::status;
use crate::auth::Viewer;
use crate::entity::{catalog, package, user};
use crate::error::ApiResult;

/// The most suggestions of each kind.
pub const LIMIT: u64 = 20;

/// What matches a prefix.
#[derive(Debug, Default)]
pub struct Suggestions {
    pub catalogs: Vec<catalog::Model>,
    pub packages: Vec<Located>,
    pub users: Vec<user::Model>,
}

/// Suggestions for `typed`. The registry's own address is dropped from the front, so a pasted
/// package URL suggests that package.
pub async fn suggest(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    registry_url: &str,
    typed: &str,
) -> ApiResult<Suggestions> {
    let typed = typed.trim();
    let typed = typed.strip_prefix(registry_url).unwrap_or(typed);
    let prefix = typed.trim_start_matches('/').to_lowercase();
    if prefix.is_empty() {
        return Ok(Suggestions::default());
    }
    Ok(Suggestions {
        catalogs: catalogs(db, viewer, &prefix).await?,
        packages: packages(db, viewer, &prefix).await?,
        users: users(db, &prefix).await?,
    })
}

fn lower(column: impl IntoColumnRef) -> SimpleExpr {
    Func::lower(Expr::col(column)).into()
}

fn starts_with(prefix: &str) -> String {
    format!("{}%", escape(prefix))
}

fn contains(word: &str) -> String {
    format!("%{}%", escape(word))
}

/// Drops the LIKE wildcards from what was typed: they are not meant as patterns here.
fn escape(text: &str) -> String {
    text.replace(['%', '_', '\\'], "")
}

fn shortest_first(column: impl IntoColumnRef) -> SimpleExpr {
    Func::char_length(Expr::col(column)).into()
}

async fn catalogs(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    prefix: &str,
) -> ApiResult<Vec<catalog::Model>> {
    let pattern = starts_with(prefix);
    let matches = Condition::any()
        .add(catalog::Column::SlugKey.like(&pattern))
        .add(lower(catalog::Column::DisplayName).like(&pattern));
    Ok(catalog::Entity::find()
        .filter(visible_catalogs(viewer))
        .filter(matches)
        .order_by_asc(shortest_first(catalog::Column::SlugKey))
        .order_by_asc(catalog::Column::SlugKey)
        .limit(LIMIT)
        .all(db)
        .await?)
}

async fn packages(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    prefix: &str,
) -> ApiResult<Vec<Located>> {
    let slug = || lower((package::Entity, package::Column::Slug));
    let mut matches = Condition::any().add(slug().like(starts_with(prefix)));
    // Every typed word somewhere in the display name.
    let mut words = Condition::all();
    for word in prefix.split_whitespace() {
        words =
            words.add(lower((package::Entity, package::Column::DisplayName)).like(contains(word)));
    }
    matches = matches.add(words);
    if let Some((catalog_slug, package_start)) = prefix.split_once('/') {
        let catalog = Query::select()
            .column(catalog::Column::Id)
            .from(catalog::Entity)
            .and_where(catalog::Column::SlugKey.eq(catalog_slug))
            .to_owned();
        matches = matches.add(
            Condition::all()
                .add(Expr::col((package::Entity, package::Column::CatalogId)).in_subquery(catalog))
                .add(slug().like(starts_with(package_start))),
        );
    }
    let page = package::Entity::find()
        .filter(visible_packages(viewer))
        .filter(matches)
        .order_by_asc(shortest_first((package::Entity, package::Column::Slug)))
        .order_by_asc(package::Column::Slug)
        .order_by_asc(package::Column::Id)
        .limit(LIMIT)
        .all(db)
        .await?;
    packages::with_catalogs(db, page).await
}

async fn users(db: &impl ConnectionTrait, prefix: &str) -> ApiResult<Vec<user::Model>> {
    let pattern = starts_with(prefix);
    let public_name = Condition::all()
        .add(user::Column::NameIsPublic.eq(true))
        .add(
            Condition::any()
                .add(lower(user::Column::FirstName).like(&pattern))
                .add(lower(user::Column::LastName).like(&pattern)),
        );
    let public_email = Condition::all()
        .add(user::Column::EmailAddressIsPublic.eq(true))
        .add(user::Column::EmailKey.like(&pattern));
    let matches = Condition::any()
        .add(user::Column::UsernameKey.like(&pattern))
        .add(public_name)
        .add(public_email);
    Ok(user::Entity::find()
        .filter(user::Column::Status.ne(status::PENDING_SIGN_UP))
        .filter(matches)
        .order_by_asc(shortest_first(user::Column::UsernameKey))
        .order_by_asc(user::Column::UsernameKey)
        .limit(LIMIT)
        .all(db)
        .await?)
}
