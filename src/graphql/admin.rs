//! Site administration of users: search, admin flag, status, deletion.

use async_graphql::{Context, Object};

use super::guards;
use super::scalars::Void;
use super::users::{SearchUsersResult, UserStatus, search};
use crate::domain::users;
use crate::domain::values::{Username, UsernameOrEmail};
use crate::entity::user;
use crate::error::{ApiError, ApiResult};

async fn find(ctx: &Context<'_>, name: &UsernameOrEmail) -> ApiResult<user::Model> {
    users::by_username_or_email(&guards::state(ctx).db, name)
        .await?
        .ok_or_else(|| ApiError::failed(format!("USER_NOT_FOUND-{}", name.as_str())))
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    async fn admin_search_users(
        &self,
        ctx: &Context<'_>,
        value: String,
        limit: i32,
        #[graphql(name = "offSet")] offset: i32,
    ) -> ApiResult<SearchUsersResult> {
        guards::site_admin(ctx)?;
        search(ctx, &value, limit, offset, true).await
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    async fn set_as_admin(
        &self,
        ctx: &Context<'_>,
        username: String,
        is_admin: bool,
    ) -> ApiResult<Option<Void>> {
        guards::site_admin(ctx)?;
        let target = find(ctx, &UsernameOrEmail::parse(&username)?).await?;
        users::set_admin(&guards::state(ctx).db, target, is_admin).await?;
        Ok(None)
    }

    async fn admin_set_user_status(
        &self,
        ctx: &Context<'_>,
        username: String,
        status: UserStatus,
        message: Option<String>,
    ) -> ApiResult<Option<Void>> {
        let admin = guards::site_admin(ctx)?;
        let username = Username::parse(&username)?;
        let target = find(ctx, &UsernameOrEmail::Username(username)).await?;
        if status == UserStatus::PendingSignUp {
            return Err(ApiError::BadInput(
                "STATUS_NOT_SETTABLE - a user can be set ACTIVE or SUSPENDED".into(),
            ));
        }
        let state = guards::state(ctx);
        users::set_status(state, &admin.user, target, status.as_stored(), message).await?;
        Ok(None)
    }

    async fn admin_delete_user(
        &self,
        ctx: &Context<'_>,
        username_or_email_address: String,
    ) -> ApiResult<Option<Void>> {
        let admin = guards::site_admin(ctx)?;
        let target = find(ctx, &UsernameOrEmail::parse(&username_or_email_address)?).await?;
        users::delete(guards::state(ctx), &admin.user, target).await?;
        Ok(None)
    }
}
