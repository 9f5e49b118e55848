//! Versions over GraphQL: publishing (`createVersion`), the `Version` type whose package file
//! travels as a JSON string, and comparisons between versions.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};

use super::access;
use super::guards;
use super::identifiers::{PackageIdentifierInput, VersionIdentifier, VersionIdentifierInput};
use super::packages::Package;
use super::scalars::{Date, PackageFileJson, Void};
use super::users::{User, clamp_page};
use crate::domain::package_file::{self, Difference};
use crate::domain::packages::Located;
use crate::domain::permissions::{Permission as P, Permissions};
use crate::domain::{users, versions};
use crate::entity::version;
use crate::error::{ApiError, ApiResult};

/// `UpdateMethod`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum UpdateMethod {
    Continuous,
    BatchFullSet,
    AppendOnlyLog,
}

/// The update methods recorded on a version row.
pub fn update_methods_of(row: &version::Model) -> Vec<UpdateMethod> {
    let names = row.update_methods.as_array().cloned().unwrap_or_default();
    names
        .iter()
        .filter_map(|name| match name.as_str()? {
            "CONTINUOUS" => Some(UpdateMethod::Continuous),
            "BATCH_FULL_SET" => Some(UpdateMethod::BatchFullSet),
            "APPEND_ONLY_LOG" => Some(UpdateMethod::AppendOnlyLog),
            _ => None,
        })
        .collect()
}

/// A version as the caller sees it.
pub struct Version {
    located: Located,
    held: Permissions,
    row: version::Model,
}

impl Version {
    pub fn new(located: Located, held: Permissions, row: version::Model) -> Self {
        Version { located, held, row }
    }
}

#[Object]
impl Version {
    async fn identifier(&self, ctx: &Context<'_>) -> VersionIdentifier {
        VersionIdentifier {
            registry_url: Some(guards::state(ctx).config.registry_url.as_str().to_owned()),
            catalog_slug: self.located.catalog.slug.clone(),
            package_slug: self.located.package.slug.clone(),
            version_major: self.row.major as i32,
            version_minor: self.row.minor as i32,
            version_patch: self.row.patch as i32,
        }
    }

    async fn created_at(&self) -> Option<Date> {
        self.held.view.then(|| self.row.created_at.into())
    }

    async fn updated_at(&self) -> Option<Date> {
        self.held.view.then(|| self.row.updated_at.into())
    }

    async fn package(&self) -> Option<Package> {
        Some(Package {
            located: self.located.clone(),
            held: self.held,
        })
    }

    async fn author(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(id) = self.row.author_id.filter(|_| self.held.view) else {
            return Ok(None);
        };
        let found = users::by_id(&guards::state(ctx).db, id).await?;
        Ok(found.map(|u| User::seen_by(ctx, u)))
    }

    /// The package file as clients should use it: for data kept in this registry, its sources
    /// point here.
    async fn package_file(&self, ctx: &Context<'_>) -> ApiResult<Option<PackageFileJson>> {
        if !self.held.view {
            return Ok(None);
        }
        let state = guards::state(ctx);
        let text = versions::published_text(state, &self.row, &self.located).await?;
        Ok(Some(PackageFileJson::Text(text)))
    }

    /// The file exactly as published, for those who may edit the package.
    async fn canonical_package_file(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<PackageFileJson>> {
        if !self.held.edit {
            return Ok(None);
        }
        let text = versions::canonical_text(guards::state(ctx), &self.row).await?;
        Ok(Some(PackageFileJson::Text(text)))
    }

    async fn update_methods(&self) -> Option<Vec<UpdateMethod>> {
        self.held.view.then(|| update_methods_of(&self.row))
    }
}

#[derive(SimpleObject)]
pub struct VersionIdentifierValues {
    version_major: i32,
    version_minor: i32,
    version_patch: i32,
}

impl From<&version::Model> for VersionIdentifierValues {
    fn from(row: &version::Model) -> Self {
        VersionIdentifierValues {
            version_major: row.major as i32,
            version_minor: row.minor as i32,
            version_patch: row.patch as i32,
        }
    }
}

#[derive(SimpleObject)]
pub struct PackageDifference {
    #[graphql(name = "type")]
    kind: Option<package_file::DifferenceType>,
    pointer: Option<String>,
}

#[derive(SimpleObject)]
pub struct PackageDifferences {
    new_version: Option<VersionIdentifierValues>,
    old_version: Option<VersionIdentifierValues>,
    differences: Option<Vec<Option<PackageDifference>>>,
}

fn shaped(
    new: &version::Model,
    old: &version::Model,
    found: Vec<Difference>,
) -> PackageDifferences {
    let differences = found
        .into_iter()
        .map(|d| {
            Some(PackageDifference {
                kind: Some(d.kind),
                pointer: Some(d.pointer),
            })
        })
        .collect();
    PackageDifferences {
        new_version: Some(new.into()),
        old_version: Some(old.into()),
        differences: Some(differences),
    }
}

#[derive(InputObject)]
pub struct CreateVersionInput {
    package_file: Option<PackageFileJson>,
}

#[derive(Default)]
pub struct VersionQuery;

#[Object]
impl VersionQuery {
    async fn package_versions_diff(
        &self,
        ctx: &Context<'_>,
        new_version: VersionIdentifierInput,
        old_version: VersionIdentifierInput,
    ) -> ApiResult<PackageDifferences> {
        let (new_catalog, new_package) = new_version.slugs()?;
        let (old_catalog, old_package) = old_version.slugs()?;
        let (located, _) = access::package(ctx, &new_catalog, &new_package, P::View).await?;
        let (other, _) = access::package(ctx, &old_catalog, &old_package, P::View).await?;
        if located.package.id != other.package.id {
            return Err(ApiError::failed("DIFFERENT_VERSIONS_PACKAGES"));
        }
        let state = guards::state(ctx);
        let number =
            |v: &VersionIdentifierInput| (v.version_major, v.version_minor, v.version_patch);
        let missing = |_| ApiError::failed("INVALID_VERSIONS_TO_COMPARE");
        let a = versions::find(&state.db, &located, number(&new_version))
            .await
            .map_err(missing)?;
        let b = versions::find(&state.db, &located, number(&old_version))
            .await
            .map_err(missing)?;
        let (new, old, found) = versions::differences(state, a, b).await?;
        Ok(shaped(&new, &old, found))
    }

    async fn package_versions_diffs(
        &self,
        ctx: &Context<'_>,
        package_identifier: PackageIdentifierInput,
        offset: i32,
        limit: i32,
    ) -> ApiResult<Option<Vec<PackageDifferences>>> {
        let (catalog_slug, package_slug) = package_identifier.slugs()?;
        let (located, _) = access::package(ctx, &catalog_slug, &package_slug, P::View).await?;
        let (limit, offset) = clamp_page(limit, offset);
        let state = guards::state(ctx);
        let rows = versions::all(&state.db, located.package.id).await?;
        let mut pages = Vec::new();
        let window = rows
            .iter()
            .skip(offset as usize)
            .take(limit as usize + 1)
            .cloned()
            .collect::<Vec<_>>();
        for pair in window.windows(2) {
            let (new, old, found) =
                versions::differences(state, pair[0].clone(), pair[1].clone()).await?;
            pages.push(shaped(&new, &old, found));
        }
        Ok(Some(pages))
    }
}

#[derive(Default)]
pub struct VersionMutation;

#[Object]
impl VersionMutation {
    async fn create_version(
        &self,
        ctx: &Context<'_>,
        identifier: PackageIdentifierInput,
        value: CreateVersionInput,
    ) -> ApiResult<Version> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let (located, held) = access::package(ctx, &catalog_slug, &package_slug, P::Edit).await?;
        let viewer = guards::signed_in(ctx)?;
        let text = value
            .package_file
            .ok_or_else(|| {
                ApiError::invalid("ERROR_PARSING_PACKAGE_FILE - no package file was sent")
            })?
            .into_text();
        let row = versions::publish(guards::state(ctx), viewer, &located, &text).await?;
        Ok(Version::new(located, held, row))
    }

    async fn delete_version(
        &self,
        ctx: &Context<'_>,
        identifier: VersionIdentifierInput,
    ) -> ApiResult<Option<Void>> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let (located, _) = access::package(ctx, &catalog_slug, &package_slug, P::Edit).await?;
        let viewer = guards::signed_in(ctx)?;
        let state = guards::state(ctx);
        let number = (
            identifier.version_major,
            identifier.version_minor,
            identifier.version_patch,
        );
        let row = versions::find(&state.db, &located, number).await?;
        versions::delete(state, viewer, &located, row).await?;
        Ok(None)
    }
}
