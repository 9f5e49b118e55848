//! `autoComplete`, and the `Collection` type its answer names.
//!
//! The searches of one kind (`searchPackages`, `searchCatalogs`, `searchUsers`) live with their
//! kind.

use std::convert::Infallible;

use async_graphql::{Context, Object, SimpleObject};

use super::catalogs::Catalog;
use super::guards;
use super::identifiers::Permission;
use super::packages::Package;
use super::scalars::Date;
use super::users::User;
use crate::domain::autocomplete;
use crate::error::ApiResult;

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Catalogs, packages and people whose names start with `startsWith`, at most twenty of each.
    async fn auto_complete(
        &self,
        ctx: &Context<'_>,
        starts_with: String,
    ) -> ApiResult<AutoCompleteResult> {
        let state = guards::state(ctx);
        let found = autocomplete::suggest(
            &state.db,
            guards::viewer(ctx),
            state.config.registry_url.as_str(),
            &starts_with,
        )
        .await?;
        let mut catalogs = Vec::with_capacity(found.catalogs.len());
        for model in found.catalogs {
            catalogs.push(Catalog::seen_by(ctx, model).await?);
        }
        let mut packages = Vec::with_capacity(found.packages.len());
        for located in found.packages {
            packages.push(Package::seen_by(ctx, located).await?);
        }
        let users = found
            .users
            .into_iter()
            .map(|u| User::seen_by(ctx, u))
            .collect();
        Ok(AutoCompleteResult {
            catalogs: Some(catalogs),
            packages: Some(packages),
            collections: Some(Vec::new()),
            users: Some(users),
        })
    }
}

#[derive(SimpleObject)]
pub struct AutoCompleteResult {
    catalogs: Option<Vec<Catalog>>,
    packages: Option<Vec<Package>>,
    /// Always empty: this registry has no collections.
    collections: Option<Vec<Collection>>,
    users: Option<Vec<User>>,
}

/// `Collection`, kept in the schema so clients written for the original find the type they
/// query. This registry has no collections, so no value of it can exist.
pub struct Collection(Infallible);

#[allow(unreachable_code)]
#[Object]
impl Collection {
    async fn identifier(&self) -> CollectionIdentifier {
        match self.0 {}
    }
    async fn name(&self) -> Option<String> {
        match self.0 {}
    }
    async fn description(&self) -> Option<String> {
        match self.0 {}
    }
    async fn is_public(&self) -> Option<bool> {
        match self.0 {}
    }
    async fn is_recommended(&self) -> Option<bool> {
        match self.0 {}
    }
    async fn creator(&self) -> Option<User> {
        match self.0 {}
    }
    async fn created_at(&self) -> Option<Date> {
        match self.0 {}
    }
    async fn updated_at(&self) -> Option<Date> {
        match self.0 {}
    }
    async fn my_permissions(&self) -> Option<Vec<Permission>> {
        match self.0 {}
    }
    async fn packages(&self) -> Option<Vec<Package>> {
        match self.0 {}
    }
}

#[derive(SimpleObject)]
pub struct CollectionIdentifier {
    #[graphql(name = "registryURL")]
    registry_url: Option<String>,
    collection_slug: String,
}
