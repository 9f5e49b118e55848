//! The checks every guarded resolver starts with, in one place.
//!
//! `signed_in` is the original's `@isAuthenticated`: a verified, unsuspended user.
//! `site_admin` is `@isAdmin`. Each returns the viewer, so the resolver has it at hand.

use async_graphql::Context;

use crate::app::AppState;
use crate::auth::{RequestContext, Viewer};
use crate::domain::users::status;
use crate::error::{ApiError, ApiResult};

/// The shared state.
pub fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// This request's caller and address.
pub fn request<'a>(ctx: &Context<'a>) -> &'a RequestContext {
    ctx.data_unchecked::<RequestContext>()
}

/// The caller, if signed in at all (verified or not).
pub fn viewer<'a>(ctx: &Context<'a>) -> Option<&'a Viewer> {
    request(ctx).viewer.as_ref()
}

/// A signed-in user whose address is verified and whose account is not suspended.
pub fn signed_in<'a>(ctx: &Context<'a>) -> ApiResult<&'a Viewer> {
    let viewer = viewer(ctx).ok_or(ApiError::NotAuthenticated)?;
    if !viewer.user.email_verified {
        return Err(ApiError::invalid("EMAIL_ADDRESS_NOT_VERIFIED"));
    }
    if viewer.user.status == status::SUSPENDED {
        return Err(ApiError::invalid("ACCOUNT_SUSPENDED"));
    }
    Ok(viewer)
}

/// A signed-in site administrator.
pub fn site_admin<'a>(ctx: &Context<'a>) -> ApiResult<&'a Viewer> {
    let viewer = viewer(ctx).ok_or(ApiError::NotAuthenticated)?;
    if !viewer.is_admin {
        return Err(ApiError::NotAuthorized);
    }
    signed_in(ctx)
}
