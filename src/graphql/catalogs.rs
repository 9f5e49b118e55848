//! Catalogs over GraphQL: the `Catalog` type with its field privacy, and catalog operations.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::access;
use super::guards;
use super::identifiers::{CatalogIdentifier, CatalogIdentifierInput, Permission, listed};
use super::packages::Package;
use super::scalars::Void;
use super::users::{User, clamp_page};
use crate::domain::catalogs::{self, CatalogChanges, NewCatalog};
use crate::domain::packages::{self, Listing};
use crate::domain::permissions::{self, Permission as P, Permissions, Unclaimed};
use crate::domain::{search, users, values};
use crate::entity::catalog;
use crate::error::ApiResult;

/// A catalog as the caller sees it: description, website and creator need VIEW.
pub struct Catalog {
    pub model: catalog::Model,
    pub held: Permissions,
}

impl Catalog {
    /// `model` with the caller's permissions worked out.
    pub async fn seen_by(ctx: &Context<'_>, model: catalog::Model) -> ApiResult<Self> {
        let state = guards::state(ctx);
        let held =
            permissions::on_catalog(&state.db, guards::viewer(ctx), &model, Unclaimed::Apply)
                .await?;
        Ok(Catalog { model, held })
    }

    /// Only the identifier and public facts, for callers who may not view the package it is
    /// reached from.
    pub fn identifier_only(model: catalog::Model) -> Self {
        Catalog {
            model,
            held: Permissions::NONE,
        }
    }
}

#[Object]
impl Catalog {
    async fn identifier(&self, ctx: &Context<'_>) -> CatalogIdentifier {
        CatalogIdentifier {
            registry_url: Some(guards::state(ctx).config.registry_url.as_str().to_owned()),
            catalog_slug: self.model.slug.clone(),
        }
    }

    async fn display_name(&self) -> Option<&str> {
        Some(&self.model.display_name)
    }

    async fn description(&self) -> Option<&str> {
        self.held
            .view
            .then_some(self.model.description.as_deref())
            .flatten()
    }

    async fn website(&self) -> Option<&str> {
        self.held
            .view
            .then_some(self.model.website.as_deref())
            .flatten()
    }

    async fn creator(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(id) = self.model.creator_id.filter(|_| self.held.view) else {
            return Ok(None);
        };
        let found = users::by_id(&guards::state(ctx).db, id).await?;
        Ok(found.map(|u| User::seen_by(ctx, u)))
    }

    async fn is_public(&self) -> Option<bool> {
        Some(self.model.is_public)
    }

    async fn unclaimed(&self) -> Option<bool> {
        Some(self.model.unclaimed)
    }

    /// What the caller may do, without the unclaimed-catalog rule.
    async fn my_permissions(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Permission>>> {
        let state = guards::state(ctx);
        let held = permissions::on_catalog(
            &state.db,
            guards::viewer(ctx),
            &self.model,
            Unclaimed::Ignore,
        )
        .await?;
        Ok(Some(listed(held)))
    }

    /// The packages in the catalog the caller may view.
    async fn packages(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Option<Package>>>> {
        let state = guards::state(ctx);
        let listing = Listing::InCatalog(self.model.id);
        let (page, _) = packages::list(&state.db, guards::viewer(ctx), listing, 1000, 0).await?;
        let mut shown = Vec::with_capacity(page.len());
        for located in page {
            shown.push(Some(Package::seen_by(ctx, located).await?));
        }
        Ok(Some(shown))
    }
}

#[derive(SimpleObject)]
pub struct CatalogsResult {
    catalogs: Option<Vec<Catalog>>,
    has_more: bool,
    count: i32,
}

#[derive(SimpleObject)]
pub struct SearchCatalogsResult {
    catalogs: Option<Vec<Catalog>>,
    has_more: bool,
    count: i32,
}

#[derive(InputObject)]
pub struct CreateCatalogInput {
    slug: String,
    display_name: String,
    description: Option<String>,
    website: Option<String>,
    is_public: bool,
    unclaimed: Option<bool>,
}

#[derive(InputObject)]
pub struct UpdateCatalogInput {
    new_slug: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    website: Option<String>,
    is_public: Option<bool>,
    unclaimed: Option<bool>,
}

async fn shown(ctx: &Context<'_>, models: Vec<catalog::Model>) -> ApiResult<Vec<Catalog>> {
    let mut shown = Vec::with_capacity(models.len());
    for model in models {
        shown.push(Catalog::seen_by(ctx, model).await?);
    }
    Ok(shown)
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    async fn catalog(
        &self,
        ctx: &Context<'_>,
        identifier: CatalogIdentifierInput,
    ) -> ApiResult<Catalog> {
        let (model, held) = access::catalog(ctx, &identifier.slug()?, P::View).await?;
        Ok(Catalog { model, held })
    }

    async fn my_catalogs(&self, ctx: &Context<'_>) -> ApiResult<Vec<Option<Catalog>>> {
        let viewer = guards::signed_in(ctx)?;
        let mine = catalogs::mine(&guards::state(ctx).db, viewer).await?;
        Ok(shown(ctx, mine).await?.into_iter().map(Some).collect())
    }

    async fn user_catalogs(
        &self,
        ctx: &Context<'_>,
        username: String,
        #[graphql(name = "offSet")] offset: i32,
        limit: i32,
    ) -> ApiResult<CatalogsResult> {
        let username = values::Username::parse(&username)?;
        let state = guards::state(ctx);
        let owner = users::by_username(&state.db, username.as_str()).await?;
        let owner = owner.ok_or_else(|| {
            crate::error::ApiError::failed(format!("USER_NOT_FOUND - {username}"))
        })?;
        let (limit, offset) = clamp_page(limit, offset);
        let (page, count) =
            catalogs::of_user(&state.db, guards::viewer(ctx), &owner, limit, offset).await?;
        Ok(CatalogsResult {
            catalogs: Some(shown(ctx, page).await?),
            has_more: count > offset + limit,
            count: count as i32,
        })
    }

    async fn search_catalogs(
        &self,
        ctx: &Context<'_>,
        query: String,
        #[graphql(name = "offSet")] offset: i32,
        limit: i32,
    ) -> ApiResult<SearchCatalogsResult> {
        let (limit, offset) = clamp_page(limit, offset);
        let state = guards::state(ctx);
        let (page, count) =
            search::catalogs(&state.db, guards::viewer(ctx), &query, limit, offset).await?;
        Ok(SearchCatalogsResult {
            catalogs: Some(shown(ctx, page).await?),
            has_more: count > offset + limit,
            count: count as i32,
        })
    }

    async fn catalog_packages(
        &self,
        ctx: &Context<'_>,
        identifier: CatalogIdentifierInput,
        offset: i32,
        limit: i32,
    ) -> ApiResult<Vec<Package>> {
        let (model, _) = access::catalog(ctx, &identifier.slug()?, P::View).await?;
        let (limit, offset) = clamp_page(limit, offset);
        let state = guards::state(ctx);
        let listing = Listing::InCatalog(model.id);
        let (page, _) =
            packages::list(&state.db, guards::viewer(ctx), listing, limit, offset).await?;
        let mut shown = Vec::with_capacity(page.len());
        for located in page {
            shown.push(Package::seen_by(ctx, located).await?);
        }
        Ok(shown)
    }

    async fn catalog_slug_available(
        &self,
        ctx: &Context<'_>,
        catalog_slug: String,
    ) -> ApiResult<bool> {
        let slug = values::CatalogSlug::parse(&catalog_slug)?;
        catalogs::slug_available(&guards::state(ctx).db, &slug).await
    }
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    async fn create_catalog(
        &self,
        ctx: &Context<'_>,
        value: CreateCatalogInput,
    ) -> ApiResult<Catalog> {
        let viewer = guards::signed_in(ctx)?;
        let new = NewCatalog {
            slug: values::CatalogSlug::parse(&value.slug)?,
            display_name: value.display_name,
            description: value.description,
            website: value.website,
            is_public: value.is_public,
            unclaimed: value.unclaimed.unwrap_or(false),
        };
        let created = catalogs::create(guards::state(ctx), viewer, new).await?;
        Catalog::seen_by(ctx, created).await
    }

    async fn update_catalog(
        &self,
        ctx: &Context<'_>,
        identifier: CatalogIdentifierInput,
        value: UpdateCatalogInput,
    ) -> ApiResult<Catalog> {
        let (model, held) = access::catalog(ctx, &identifier.slug()?, P::Edit).await?;
        let viewer = guards::signed_in(ctx)?;
        let changes = CatalogChanges {
            new_slug: value
                .new_slug
                .as_deref()
                .map(values::CatalogSlug::parse)
                .transpose()?,
            display_name: value.display_name,
            description: value.description,
            website: value.website,
            is_public: value.is_public,
            unclaimed: value.unclaimed,
        };
        let updated = catalogs::update(guards::state(ctx), viewer, model, held, changes).await?;
        Catalog::seen_by(ctx, updated).await
    }

    async fn delete_catalog(
        &self,
        ctx: &Context<'_>,
        identifier: CatalogIdentifierInput,
    ) -> ApiResult<Option<Void>> {
        let (model, _) = access::catalog(ctx, &identifier.slug()?, P::Manage).await?;
        let viewer = guards::signed_in(ctx)?;
        catalogs::delete(guards::state(ctx), viewer, model).await?;
        Ok(None)
    }
}
