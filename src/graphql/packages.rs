//! Packages over GraphQL: the `Package` type with its field privacy, and package operations.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::access;
use super::catalogs::Catalog;
use super::guards;
use super::identifiers::{
    PackageIdentifier, PackageIdentifierInput, Permission, VersionIdentifierInput, listed,
};
use super::scalars::{Date, Void};
use super::users::{User, clamp_page};
use super::versions::{UpdateMethod, Version, update_methods_of};
use crate::domain::packages::{self, Listing, Located, NewPackage, PackageChanges};
use crate::domain::permissions::{Permission as P, Permissions};
use crate::domain::{search, users, values, versions};
use crate::error::{ApiError, ApiResult};

/// A package as the caller sees it: most fields need VIEW.
pub struct Package {
    pub located: Located,
    pub held: Permissions,
}

impl Package {
    /// `located` with the caller's permissions worked out.
    pub async fn seen_by(ctx: &Context<'_>, located: Located) -> ApiResult<Self> {
        let held = access::on_package(ctx, &located).await?;
        Ok(Package { located, held })
    }

    fn viewable<T>(&self, value: T) -> Option<T> {
        self.held.view.then_some(value)
    }
}

#[Object]
impl Package {
    async fn identifier(&self, ctx: &Context<'_>) -> PackageIdentifier {
        PackageIdentifier {
            registry_url: guards::state(ctx).config.registry_url.as_str().to_owned(),
            catalog_slug: self.located.catalog.slug.clone(),
            package_slug: self.located.package.slug.clone(),
        }
    }

    async fn catalog(&self, ctx: &Context<'_>) -> ApiResult<Option<Catalog>> {
        let catalog = self.located.catalog.clone();
        Ok(Some(match self.held.view {
            true => Catalog::seen_by(ctx, catalog).await?,
            false => Catalog::identifier_only(catalog),
        }))
    }

    async fn display_name(&self) -> Option<&str> {
        self.viewable(self.located.package.display_name.as_str())
    }

    async fn description(&self) -> Option<&str> {
        self.viewable(())
            .and(self.located.package.description.as_deref())
    }

    async fn created_at(&self) -> Option<Date> {
        self.viewable(self.located.package.created_at.into())
    }

    async fn updated_at(&self) -> Option<Date> {
        self.viewable(self.located.package.updated_at.into())
    }

    async fn is_public(&self) -> Option<bool> {
        Some(self.located.package.is_public)
    }

    async fn my_permissions(&self) -> Option<Vec<Permission>> {
        Some(listed(self.held))
    }

    async fn fetched_count(&self) -> Option<i32> {
        self.viewable(self.located.package.fetch_count as i32)
    }

    async fn viewed_count(&self, ctx: &Context<'_>) -> Option<i32> {
        let package = &self.located.package;
        let pending = guards::state(ctx).views.pending(package.id);
        self.viewable((package.view_count + pending) as i32)
    }

    async fn creator(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(id) = self.located.package.creator_id else {
            return Ok(None);
        };
        let found = users::by_id(&guards::state(ctx).db, id).await?;
        Ok(found.map(|u| User::seen_by(ctx, u)))
    }

    async fn latest_version(&self, ctx: &Context<'_>) -> ApiResult<Option<Version>> {
        if !self.held.view {
            return Ok(None);
        }
        let latest = versions::latest(&guards::state(ctx).db, self.located.package.id).await?;
        Ok(latest.map(|row| Version::new(self.located.clone(), self.held, row)))
    }

    async fn versions(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Option<Version>>>> {
        let rows = versions::all(&guards::state(ctx).db, self.located.package.id).await?;
        let shown = rows
            .into_iter()
            .map(|row| Some(Version::new(self.located.clone(), self.held, row)));
        Ok(Some(shown.collect()))
    }

    async fn update_methods(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<UpdateMethod>>> {
        let latest = versions::latest(&guards::state(ctx).db, self.located.package.id).await?;
        Ok(Some(
            latest
                .map(|row| update_methods_of(&row))
                .unwrap_or_default(),
        ))
    }
}

/// A page of packages before it is given one of the result types' names.
pub struct Page {
    packages: Vec<Package>,
    has_more: bool,
    count: i32,
}

/// `PackagesResult`, `SearchPackagesResult` and `LatestPackagesResult` share one shape.
macro_rules! package_pages {
    ($($name:ident),*) => {$(
        #[derive(SimpleObject)]
        pub struct $name {
            packages: Option<Vec<Package>>,
            has_more: bool,
            count: i32,
        }

        impl From<Page> for $name {
            fn from(page: Page) -> Self {
                $name { packages: Some(page.packages), has_more: page.has_more, count: page.count }
            }
        }
    )*};
}
package_pages!(PackagesResult, SearchPackagesResult, LatestPackagesResult);

async fn page(
    ctx: &Context<'_>,
    found: (Vec<Located>, u64),
    limit: u64,
    offset: u64,
) -> ApiResult<Page> {
    let (rows, count) = found;
    let mut packages = Vec::with_capacity(rows.len());
    for located in rows {
        packages.push(Package::seen_by(ctx, located).await?);
    }
    Ok(Page {
        packages,
        has_more: count > offset + limit,
        count: count as i32,
    })
}

#[derive(InputObject)]
pub struct CreatePackageInput {
    package_slug: String,
    catalog_slug: String,
    display_name: String,
    description: Option<String>,
}

#[derive(InputObject)]
pub struct UpdatePackageInput {
    new_catalog_slug: Option<String>,
    new_package_slug: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    is_public: Option<bool>,
}

#[derive(Default)]
pub struct PackageQuery;

#[Object]
impl PackageQuery {
    async fn package(
        &self,
        ctx: &Context<'_>,
        identifier: PackageIdentifierInput,
    ) -> ApiResult<Package> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let (located, held) = access::package(ctx, &catalog_slug, &package_slug, P::View).await?;
        packages::record_view(guards::state(ctx), guards::viewer(ctx), &located).await?;
        Ok(Package { located, held })
    }

    async fn search_packages(
        &self,
        ctx: &Context<'_>,
        query: String,
        limit: i32,
        #[graphql(name = "offSet")] offset: i32,
    ) -> ApiResult<SearchPackagesResult> {
        let (limit, offset) = clamp_page(limit, offset);
        let state = guards::state(ctx);
        let found = search::packages(&state.db, guards::viewer(ctx), &query, limit, offset).await?;
        Ok(page(ctx, found, limit, offset).await?.into())
    }

    async fn latest_packages(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "offSet")] offset: i32,
        limit: i32,
    ) -> ApiResult<LatestPackagesResult> {
        let (limit, offset) = clamp_page(limit, offset);
        let state = guards::state(ctx);
        let found = packages::list(
            &state.db,
            guards::viewer(ctx),
            Listing::Latest,
            limit,
            offset,
        )
        .await?;
        Ok(page(ctx, found, limit, offset).await?.into())
    }

    async fn my_packages(
        &self,
        ctx: &Context<'_>,
        offset: i32,
        limit: i32,
    ) -> ApiResult<PackagesResult> {
        let viewer = guards::signed_in(ctx)?;
        let (limit, offset) = clamp_page(limit, offset);
        let listing = Listing::CreatedByViewer(&viewer.user);
        let found =
            packages::list(&guards::state(ctx).db, Some(viewer), listing, limit, offset).await?;
        Ok(page(ctx, found, limit, offset).await?.into())
    }

    async fn user_packages(
        &self,
        ctx: &Context<'_>,
        username: String,
        #[graphql(name = "offSet")] offset: i32,
        limit: i32,
    ) -> ApiResult<PackagesResult> {
        let username = values::Username::parse(&username)?;
        let state = guards::state(ctx);
        let owner = users::by_username(&state.db, username.as_str()).await?;
        let owner =
            owner.ok_or_else(|| ApiError::failed(format!("USER_NOT_FOUND - {username}")))?;
        let (limit, offset) = clamp_page(limit, offset);
        let listing = Listing::CreatedBy(&owner);
        let found = packages::list(&state.db, guards::viewer(ctx), listing, limit, offset).await?;
        Ok(page(ctx, found, limit, offset).await?.into())
    }
}

#[derive(Default)]
pub struct PackageMutation;

#[Object]
impl PackageMutation {
    async fn create_package(
        &self,
        ctx: &Context<'_>,
        value: CreatePackageInput,
    ) -> ApiResult<Package> {
        let catalog_slug = values::CatalogSlug::parse(&value.catalog_slug)?;
        let slug = values::PackageSlug::parse(&value.package_slug)?;
        let (catalog, _) = access::catalog(ctx, &catalog_slug, P::Edit).await?;
        let viewer = guards::signed_in(ctx)?;
        let new = NewPackage {
            slug,
            display_name: value.display_name,
            description: value.description,
        };
        let located = packages::create(guards::state(ctx), viewer, catalog, new).await?;
        Package::seen_by(ctx, located).await
    }

    async fn update_package(
        &self,
        ctx: &Context<'_>,
        identifier: PackageIdentifierInput,
        value: UpdatePackageInput,
    ) -> ApiResult<Package> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let (located, _) = access::package(ctx, &catalog_slug, &package_slug, P::Edit).await?;
        let viewer = guards::signed_in(ctx)?;
        let changes = PackageChanges {
            new_catalog_slug: value
                .new_catalog_slug
                .as_deref()
                .map(values::CatalogSlug::parse)
                .transpose()?,
            new_package_slug: value
                .new_package_slug
                .as_deref()
                .map(values::PackageSlug::parse)
                .transpose()?,
            display_name: value.display_name,
            description: value.description,
            is_public: value.is_public,
        };
        let updated = packages::update(guards::state(ctx), viewer, located, changes).await?;
        Package::seen_by(ctx, updated).await
    }

    async fn move_package(
        &self,
        ctx: &Context<'_>,
        identifier: PackageIdentifierInput,
        catalog_identifier: super::identifiers::CatalogIdentifierInput,
    ) -> ApiResult<Option<Void>> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let target = catalog_identifier.slug()?;
        let (located, _) = access::package(ctx, &catalog_slug, &package_slug, P::Manage).await?;
        let viewer = guards::signed_in(ctx)?;
        packages::move_to(guards::state(ctx), viewer, located, target.as_str()).await?;
        Ok(None)
    }

    async fn delete_package(
        &self,
        ctx: &Context<'_>,
        identifier: PackageIdentifierInput,
    ) -> ApiResult<Option<Void>> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let (located, _) = access::package(ctx, &catalog_slug, &package_slug, P::Manage).await?;
        let viewer = guards::signed_in(ctx)?;
        packages::delete(guards::state(ctx), viewer, located).await?;
        Ok(None)
    }

    async fn package_fetched(
        &self,
        ctx: &Context<'_>,
        identifier: VersionIdentifierInput,
    ) -> ApiResult<Option<Void>> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let (located, _) = access::package(ctx, &catalog_slug, &package_slug, P::View).await?;
        let state = guards::state(ctx);
        let number = (
            identifier.version_major,
            identifier.version_minor,
            identifier.version_patch,
        );
        let version = versions::find(&state.db, &located, number).await?;
        packages::record_fetch(state, guards::viewer(ctx), &located, Some(version.id)).await?;
        Ok(None)
    }
}
