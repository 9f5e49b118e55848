//! Loading a catalog or package named by a request and checking the caller's permission on it,
//! in one step, before a resolver touches anything else.

use async_graphql::Context;

use super::guards;
use crate::domain::packages::{self, Located};
use crate::domain::permissions::{self, Permission, Permissions, Unclaimed};
use crate::domain::{catalogs, values};
use crate::entity::catalog;
use crate::error::ApiResult;

/// The catalog named by `slug` and the caller's permissions on it; refused without `needed`.
pub async fn catalog(
    ctx: &Context<'_>,
    slug: &values::CatalogSlug,
    needed: Permission,
) -> ApiResult<(catalog::Model, Permissions)> {
    let state = guards::state(ctx);
    let found = catalogs::find(&state.db, slug.as_str()).await?;
    let viewer = guards::viewer(ctx);
    let held = permissions::on_catalog(&state.db, viewer, &found, Unclaimed::Apply).await?;
    permissions::require(viewer, held, needed)?;
    Ok((found, held))
}

/// The package named by its slugs and the caller's permissions on it; refused without
/// `needed`.
pub async fn package(
    ctx: &Context<'_>,
    catalog_slug: &values::CatalogSlug,
    package_slug: &values::PackageSlug,
    needed: Permission,
) -> ApiResult<(Located, Permissions)> {
    let state = guards::state(ctx);
    let located = packages::find(&state.db, catalog_slug.as_str(), package_slug.as_str()).await?;
    let viewer = guards::viewer(ctx);
    let held =
        permissions::on_package(&state.db, viewer, &located.package, &located.catalog).await?;
    permissions::require(viewer, held, needed)?;
    Ok((located, held))
}

/// The caller's permissions on an already loaded package.
pub async fn on_package(ctx: &Context<'_>, located: &Located) -> ApiResult<Permissions> {
    let state = guards::state(ctx);
    permissions::on_package(
        &state.db,
        guards::viewer(ctx),
        &located.package,
        &located.catalog,
    )
    .await
}
