//! Who may see, edit and manage a catalog or package, and changing that.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::access;
use super::guards;
use super::identifiers::{
    CatalogIdentifierInput, PackageIdentifierInput, Permission, from_listed, listed,
};
use super::scalars::Void;
use super::users::User;
use crate::domain::grants::{self, CatalogGrantRequest, PackageGrantRequest};
use crate::domain::permissions::Permission as P;
use crate::domain::values::UsernameOrEmail;
use crate::error::ApiResult;

#[derive(SimpleObject)]
pub struct UserCatalogPermissions {
    user: User,
    permissions: Vec<Permission>,
    package_permissions: Vec<Permission>,
}

#[derive(SimpleObject)]
pub struct UserPackagePermissions {
    user: Option<User>,
    permissions: Vec<Permission>,
}

#[derive(InputObject)]
pub struct SetUserCatalogPermissionInput {
    username_or_email_address: String,
    permission: Vec<Permission>,
    package_permissions: Vec<Permission>,
}

#[derive(InputObject)]
pub struct SetPackagePermissionInput {
    username_or_email_address: String,
    permissions: Vec<Permission>,
}

#[derive(Default)]
pub struct GrantQuery;

#[Object]
impl GrantQuery {
    async fn users_by_catalog(
        &self,
        ctx: &Context<'_>,
        identifier: CatalogIdentifierInput,
    ) -> ApiResult<Vec<UserCatalogPermissions>> {
        let (catalog, _) = access::catalog(ctx, &identifier.slug()?, P::Manage).await?;
        let holders = grants::on_catalog(&guards::state(ctx).db, catalog.id).await?;
        Ok(holders
            .into_iter()
            .map(|(user, grant)| UserCatalogPermissions {
                user: User::seen_by(ctx, user),
                permissions: listed(grant.catalog),
                package_permissions: listed(grant.packages),
            })
            .collect())
    }

    async fn users_by_package(
        &self,
        ctx: &Context<'_>,
        identifier: PackageIdentifierInput,
    ) -> ApiResult<Vec<UserPackagePermissions>> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let (located, _) = access::package(ctx, &catalog_slug, &package_slug, P::Manage).await?;
        let holders = grants::on_package(&guards::state(ctx).db, located.package.id).await?;
        Ok(holders
            .into_iter()
            .map(|(user, held)| UserPackagePermissions {
                user: Some(User::seen_by(ctx, user)),
                permissions: listed(held),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct GrantMutation;

#[Object]
impl GrantMutation {
    async fn set_user_catalog_permission(
        &self,
        ctx: &Context<'_>,
        identifier: CatalogIdentifierInput,
        value: Vec<SetUserCatalogPermissionInput>,
        message: String,
    ) -> ApiResult<Option<Void>> {
        let (catalog, _) = access::catalog(ctx, &identifier.slug()?, P::Manage).await?;
        let actor = guards::signed_in(ctx)?;
        let mut requests = Vec::with_capacity(value.len());
        for entry in value {
            requests.push(CatalogGrantRequest {
                name: UsernameOrEmail::parse(&entry.username_or_email_address)?,
                on_catalog: from_listed(&entry.permission),
                on_packages: from_listed(&entry.package_permissions),
            });
        }
        grants::set_on_catalog(guards::state(ctx), actor, &catalog, requests, &message).await?;
        Ok(None)
    }

    async fn delete_user_catalog_permissions(
        &self,
        ctx: &Context<'_>,
        identifier: CatalogIdentifierInput,
        username_or_email_address: String,
    ) -> ApiResult<Option<Void>> {
        let (catalog, _) = access::catalog(ctx, &identifier.slug()?, P::Manage).await?;
        let actor = guards::signed_in(ctx)?;
        let name = UsernameOrEmail::parse(&username_or_email_address)?;
        grants::remove_from_catalog(guards::state(ctx), actor, &catalog, &name).await?;
        Ok(None)
    }

    async fn set_package_permissions(
        &self,
        ctx: &Context<'_>,
        identifier: PackageIdentifierInput,
        value: Vec<SetPackagePermissionInput>,
        message: String,
    ) -> ApiResult<Option<Void>> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let (located, _) = access::package(ctx, &catalog_slug, &package_slug, P::Manage).await?;
        let actor = guards::signed_in(ctx)?;
        let mut requests = Vec::with_capacity(value.len());
        for entry in value {
            requests.push(PackageGrantRequest {
                name: UsernameOrEmail::parse(&entry.username_or_email_address)?,
                permissions: from_listed(&entry.permissions),
            });
        }
        grants::set_on_package(guards::state(ctx), actor, &located, requests, &message).await?;
        Ok(None)
    }

    async fn remove_package_permissions(
        &self,
        ctx: &Context<'_>,
        identifier: PackageIdentifierInput,
        username_or_email_address: String,
    ) -> ApiResult<Option<Void>> {
        let (catalog_slug, package_slug) = identifier.slugs()?;
        let (located, _) = access::package(ctx, &catalog_slug, &package_slug, P::Manage).await?;
        let actor = guards::signed_in(ctx)?;
        let name = UsernameOrEmail::parse(&username_or_email_address)?;
        grants::remove_from_package(guards::state(ctx), actor, &located, &name).await?;
        Ok(None)
    }
}
