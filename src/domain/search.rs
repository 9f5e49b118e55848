//! Finding packages and catalogs by words, among those the viewer may see.

// TODO(#3): full-text matching and ranking (PostgreSQL tsvector with a GIN index, SQLite FTS5);
// this first version matches substrings and orders by name.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::packages::{self, Located};
use super::permissions::{visible_catalogs, visible_packages};
use crate::auth::Viewer;
use crate::entity::{catalog, package};
use crate::error::ApiResult;

fn pattern(query: &str) -> String {
    let trimmed = query.trim().to_lowercase();
    if trimmed == "%" {
        return "%".to_owned();
    }
    format!("%{}%", trimmed.replace(['%', '_'], ""))
}

/// One page of the packages matching `query`, and how many match in all.
pub async fn packages(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    query: &str,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<Located>, u64)> {
    let like = pattern(query);
    let lower = |c: package::Column| Expr::expr(Func::lower(Expr::col((package::Entity, c))));
    let matches = Condition::any()
        .add(lower(package::Column::Slug).like(&like))
        .add(lower(package::Column::DisplayName).like(&like))
        .add(lower(package::Column::Description).like(&like))
        .add(lower(package::Column::ReadmeMarkdown).like(&like));
    let found = package::Entity::find()
        .filter(matches)
        .filter(visible_packages(viewer));
    let count = found.clone().count(db).await?;
    let page = found
        .order_by_asc(package::Column::Slug)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((packages::with_catalogs(db, page).await?, count))
}

/// One page of the catalogs matching `query`, and how many match in all.
pub async fn catalogs(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    query: &str,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<catalog::Model>, u64)> {
    let like = pattern(query);
    let lower = |c: catalog::Column| Expr::expr(Func::lower(Expr::col((catalog::Entity, c))));
    let matches = Condition::any()
        .add(catalog::Column::SlugKey.like(&like))
        .add(lower(catalog::Column::DisplayName).like(&like))
        .add(lower(catalog::Column::Description).like(&like));
    let found = catalog::Entity::find()
        .filter(matches)
        .filter(visible_catalogs(viewer));
    let count = found.clone().count(db).await?;
    let page = found
        .order_by_asc(catalog::Column::SlugKey)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((page, count))
}
