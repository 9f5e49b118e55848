//! Identifier types and inputs shared by catalogs, packages and versions, and the `Permission`
//! enum.

use async_graphql::{Enum, InputObject, SimpleObject};

use crate::domain::permissions::{self, Permissions};
use crate::domain::values::{CatalogSlug, PackageSlug};
use crate::error::ApiResult;

/// `Permission`. `NONE` is accepted in inputs and never granted.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Permission {
    Manage,
    View,
    Edit,
    None,
}

impl Permission {
    pub fn from_domain(p: permissions::Permission) -> Self {
        match p {
            permissions::Permission::View => Permission::View,
            permissions::Permission::Edit => Permission::Edit,
            permissions::Permission::Manage => Permission::Manage,
        }
    }
}

/// A permission set as the API lists it.
pub fn listed(held: Permissions) -> Vec<Permission> {
    held.list()
        .into_iter()
        .map(Permission::from_domain)
        .collect()
}

/// A permission set from an API list (`NONE` adds nothing).
pub fn from_listed(list: &[Permission]) -> Permissions {
    let domain: Vec<permissions::Permission> = list
        .iter()
        .filter_map(|p| match p {
            Permission::View => Some(permissions::Permission::View),
            Permission::Edit => Some(permissions::Permission::Edit),
            Permission::Manage => Some(permissions::Permission::Manage),
            Permission::None => None,
        })
        .collect();
    Permissions::from_list(&domain)
}

#[derive(SimpleObject, Clone)]
pub struct CatalogIdentifier {
    #[graphql(name = "registryURL")]
    pub registry_url: Option<String>,
    pub catalog_slug: String,
}

#[derive(SimpleObject, Clone)]
pub struct PackageIdentifier {
    #[graphql(name = "registryURL")]
    pub registry_url: String,
    pub catalog_slug: String,
    pub package_slug: String,
}

#[derive(SimpleObject, Clone)]
pub struct VersionIdentifier {
    #[graphql(name = "registryURL")]
    pub registry_url: Option<String>,
    pub catalog_slug: String,
    pub package_slug: String,
    pub version_major: i32,
    pub version_minor: i32,
    pub version_patch: i32,
}

#[derive(InputObject)]
pub struct CatalogIdentifierInput {
    pub catalog_slug: String,
}

impl CatalogIdentifierInput {
    pub fn slug(&self) -> ApiResult<CatalogSlug> {
        Ok(CatalogSlug::parse(&self.catalog_slug)?)
    }
}

#[derive(InputObject)]
pub struct PackageIdentifierInput {
    pub catalog_slug: String,
    pub package_slug: String,
}

impl PackageIdentifierInput {
    pub fn slugs(&self) -> ApiResult<(CatalogSlug, PackageSlug)> {
        Ok((
            CatalogSlug::parse(&self.catalog_slug)?,
            PackageSlug::parse(&self.package_slug)?,
        ))
    }
}

#[derive(InputObject)]
pub struct VersionIdentifierInput {
    pub catalog_slug: String,
    pub package_slug: String,
    pub version_major: i32,
    pub version_minor: i32,
    pub version_patch: i32,
}

impl VersionIdentifierInput {
    pub fn slugs(&self) -> ApiResult<(CatalogSlug, PackageSlug)> {
        Ok((
            CatalogSlug::parse(&self.catalog_slug)?,
            PackageSlug::parse(&self.package_slug)?,
        ))
    }
}
