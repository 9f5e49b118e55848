//! Accounts over GraphQL: sign-up, sign-in, the `User` type and its privacy rules, profiles and
//! password recovery.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};

use super::guards;
use super::scalars::Void;
use crate::domain::sessions;
use crate::domain::users::{self, NewAccount, ProfileChanges, status};
use crate::domain::values::{EmailAddress, Password, Username, UsernameOrEmail};
use crate::entity::user;
use crate::error::{ApiError, ApiResult};

/// `UserStatus`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    PendingSignUp,
    Active,
    Suspended,
}

impl UserStatus {
    pub fn from_stored(value: &str) -> Self {
        match value {
            status::PENDING_SIGN_UP => UserStatus::PendingSignUp,
            status::SUSPENDED => UserStatus::Suspended,
            _ => UserStatus::Active,
        }
    }

    pub fn as_stored(self) -> &'static str {
        match self {
            UserStatus::PendingSignUp => status::PENDING_SIGN_UP,
            UserStatus::Active => status::ACTIVE,
            UserStatus::Suspended => status::SUSPENDED,
        }
    }
}

/// A user as somebody sees them: private fields only for the user themselves, site
/// administrators, or when the user made them public.
pub struct User {
    model: user::Model,
    sees_private: bool,
}

impl User {
    /// `model` as seen by the request's caller.
    pub fn seen_by(ctx: &Context<'_>, model: user::Model) -> Self {
        let sees_private = guards::viewer(ctx).is_some_and(|v| v.is_admin || v.user.id == model.id);
        User {
            model,
            sees_private,
        }
    }

    fn shown(&self, public: bool, value: &Option<String>) -> Option<String> {
        (self.sees_private || public)
            .then(|| value.clone())
            .flatten()
    }
}

#[Object]
impl User {
    async fn username(&self) -> &str {
        &self.model.username
    }

    async fn display_name(&self) -> String {
        if self.model.status == status::PENDING_SIGN_UP {
            let address = &self.model.email_address;
            let shown = match self.sees_private {
                true => address.as_str(),
                false => address.split('@').next().unwrap_or_default(),
            };
            return format!("{shown} (pending sign up)");
        }
        users::display_name(&self.model)
    }

    async fn first_name(&self) -> Option<String> {
        self.shown(self.model.name_is_public, &self.model.first_name)
    }

    async fn last_name(&self) -> Option<String> {
        self.shown(self.model.name_is_public, &self.model.last_name)
    }

    async fn location(&self) -> Option<String> {
        self.shown(self.model.location_is_public, &self.model.location)
    }

    async fn twitter_handle(&self) -> Option<String> {
        self.shown(
            self.model.twitter_handle_is_public,
            &self.model.twitter_handle,
        )
    }

    async fn description(&self) -> Option<&str> {
        self.model.description.as_deref()
    }

    async fn website(&self) -> Option<String> {
        self.shown(self.model.website_is_public, &self.model.website)
    }

    async fn email_address(&self) -> Option<String> {
        let address = Some(self.model.email_address.clone());
        self.shown(self.model.email_address_is_public, &address)
    }

    #[graphql(name = "gitHubHandle")]
    async fn github_handle(&self) -> Option<String> {
        self.shown(
            self.model.github_handle_is_public,
            &self.model.github_handle,
        )
    }

    async fn name_is_public(&self) -> Option<bool> {
        Some(self.model.name_is_public)
    }

    async fn location_is_public(&self) -> Option<bool> {
        Some(self.model.location_is_public)
    }

    async fn twitter_handle_is_public(&self) -> Option<bool> {
        Some(self.model.twitter_handle_is_public)
    }

    #[graphql(name = "gitHubHandleIsPublic")]
    async fn github_handle_is_public(&self) -> Option<bool> {
        Some(self.model.github_handle_is_public)
    }

    async fn email_address_is_public(&self) -> Option<bool> {
        Some(self.model.email_address_is_public)
    }

    async fn website_is_public(&self) -> Option<bool> {
        Some(self.model.website_is_public)
    }

    async fn is_admin(&self) -> Option<bool> {
        Some(self.model.is_site_admin)
    }

    async fn status(&self) -> Option<UserStatus> {
        Some(UserStatus::from_stored(&self.model.status))
    }

    async fn ui_dark_mode_enabled(&self) -> Option<bool> {
        Some(self.sees_private && self.model.ui_dark_mode_enabled)
    }
}

/// `CurrentUser`: the caller and whether they administer the site.
#[derive(SimpleObject)]
pub struct CurrentUser {
    user: User,
    is_admin: bool,
}

/// `SearchUsersResult`.
#[derive(SimpleObject)]
pub struct SearchUsersResult {
    pub users: Vec<Option<User>>,
    pub count: i32,
    pub has_more: bool,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    first_name: Option<String>,
    last_name: Option<String>,
    email_address: String,
    username: String,
    password: String,
    ui_dark_mode_enabled: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct UpdateUserInput {
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    email_address: Option<String>,
    #[graphql(name = "gitHubHandle")]
    github_handle: Option<String>,
    twitter_handle: Option<String>,
    website: Option<String>,
    location: Option<String>,
    description: Option<String>,
    name_is_public: Option<bool>,
    location_is_public: Option<bool>,
    twitter_handle_is_public: Option<bool>,
    #[graphql(name = "gitHubHandleIsPublic")]
    github_handle_is_public: Option<bool>,
    email_address_is_public: Option<bool>,
    website_is_public: Option<bool>,
    ui_dark_mode_enabled: Option<bool>,
}

#[derive(InputObject)]
pub struct UpdateMyPasswordInput {
    old_password: String,
    new_password: String,
}

#[derive(InputObject)]
pub struct RecoverMyPasswordInput {
    token: String,
    new_password: String,
}

/// A page size clamped to what the original allowed.
pub fn clamp_page(limit: i32, offset: i32) -> (u64, u64) {
    (limit.clamp(0, 100) as u64, offset.max(0) as u64)
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<CurrentUser> {
        let viewer = guards::signed_in(ctx)?;
        let user = User {
            model: viewer.user.clone(),
            sees_private: true,
        };
        Ok(CurrentUser {
            user,
            is_admin: viewer.is_admin,
        })
    }

    async fn user(&self, ctx: &Context<'_>, username: String) -> ApiResult<User> {
        let username = Username::parse(&username)?;
        let found = users::by_username(&guards::state(ctx).db, username.as_str()).await?;
        let found = found.filter(|u| u.status != status::PENDING_SIGN_UP);
        let found =
            found.ok_or_else(|| ApiError::failed(format!("USER_NOT_FOUND - {username}")))?;
        Ok(User::seen_by(ctx, found))
    }

    async fn username_available(&self, ctx: &Context<'_>, username: String) -> ApiResult<bool> {
        let username = Username::parse(&username)?;
        users::username_available(&guards::state(ctx).db, &username).await
    }

    async fn email_address_available(
        &self,
        ctx: &Context<'_>,
        email_address: String,
    ) -> ApiResult<bool> {
        let email = EmailAddress::parse(&email_address)?;
        users::email_available(&guards::state(ctx).db, &email).await
    }

    async fn search_users(
        &self,
        ctx: &Context<'_>,
        value: String,
        limit: i32,
        #[graphql(name = "offSet")] offset: i32,
    ) -> ApiResult<SearchUsersResult> {
        search(ctx, &value, limit, offset, false).await
    }
}

/// Runs a user search and shapes the page; `as_admin` widens what matches.
pub async fn search(
    ctx: &Context<'_>,
    value: &str,
    limit: i32,
    offset: i32,
    as_admin: bool,
) -> ApiResult<SearchUsersResult> {
    let (limit, offset) = clamp_page(limit, offset);
    let state = guards::state(ctx);
    let (page, count) = users::search(&state.db, value, limit, offset, as_admin).await?;
    Ok(SearchUsersResult {
        users: page
            .into_iter()
            .map(|u| Some(User::seen_by(ctx, u)))
            .collect(),
        count: count as i32,
        has_more: count > offset + limit,
    })
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    async fn create_me(
        &self,
        ctx: &Context<'_>,
        value: CreateUserInput,
    ) -> ApiResult<Option<Void>> {
        let account = NewAccount {
            email: EmailAddress::parse(&value.email_address)?,
            username: Username::parse(&value.username)?,
            password: Password::parse(&value.password)?,
            first_name: value.first_name,
            last_name: value.last_name,
            ui_dark_mode_enabled: value.ui_dark_mode_enabled.unwrap_or(false),
        };
        users::sign_up(guards::state(ctx), account).await?;
        Ok(None)
    }

    async fn verify_email_address(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> ApiResult<Option<Void>> {
        users::verify_email(guards::state(ctx), &token).await?;
        Ok(None)
    }

    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> ApiResult<String> {
        let name = UsernameOrEmail::parse(&username)?;
        Password::parse(&password)?;
        let client = guards::request(ctx).client_ip;
        sessions::login(guards::state(ctx), &name, password, client).await
    }

    async fn logout(&self, ctx: &Context<'_>) -> ApiResult<Option<Void>> {
        guards::signed_in(ctx)?;
        Err(ApiError::failed(
            "Logout is not implemented on the server side. Simply discard the JWT on the client side.",
        ))
    }

    async fn update_me(&self, ctx: &Context<'_>, value: UpdateUserInput) -> ApiResult<CurrentUser> {
        let viewer = guards::signed_in(ctx)?;
        let changes = profile_changes(value)?;
        let updated = users::update_profile(guards::state(ctx), &viewer.user, changes).await?;
        let user = User {
            model: updated,
            sees_private: true,
        };
        Ok(CurrentUser {
            user,
            is_admin: viewer.is_admin,
        })
    }

    async fn update_my_password(
        &self,
        ctx: &Context<'_>,
        value: UpdateMyPasswordInput,
    ) -> ApiResult<Option<Void>> {
        let viewer = guards::signed_in(ctx)?;
        let new_password = Password::parse(&value.new_password)?;
        sessions::change_password(
            guards::state(ctx),
            &viewer.user,
            value.old_password,
            new_password,
        )
        .await?;
        Ok(None)
    }

    async fn forgot_my_password(
        &self,
        ctx: &Context<'_>,
        email_address: String,
    ) -> ApiResult<Option<Void>> {
        let email = EmailAddress::parse(&email_address)?;
        sessions::forgot_password(guards::state(ctx), &email).await?;
        Ok(None)
    }

    async fn recover_my_password(
        &self,
        ctx: &Context<'_>,
        value: RecoverMyPasswordInput,
    ) -> ApiResult<Option<Void>> {
        let password = Password::parse(&value.new_password)?;
        sessions::recover_password(guards::state(ctx), &value.token, password).await?;
        Ok(None)
    }

    async fn accept_invite(
        &self,
        ctx: &Context<'_>,
        token: String,
        username: String,
        password: String,
    ) -> ApiResult<Option<Void>> {
        let username = Username::parse(&username)?;
        let password = Password::parse(&password)?;
        users::accept_invite(guards::state(ctx), &token, username, password).await?;
        Ok(None)
    }

    async fn delete_me(&self, ctx: &Context<'_>) -> ApiResult<Option<Void>> {
        let viewer = guards::signed_in(ctx)?;
        users::delete(guards::state(ctx), &viewer.user, viewer.user.clone()).await?;
        Ok(None)
    }
}

fn profile_changes(value: UpdateUserInput) -> ApiResult<ProfileChanges> {
    let mut supplied = Vec::new();
    let mut note = |name: &str, present: bool| {
        if present {
            supplied.push(name.to_owned());
        }
    };
    note("firstName", value.first_name.is_some());
    note("lastName", value.last_name.is_some());
    note("username", value.username.is_some());
    note("emailAddress", value.email_address.is_some());
    note("gitHubHandle", value.github_handle.is_some());
    note("twitterHandle", value.twitter_handle.is_some());
    note("website", value.website.is_some());
    note("location", value.location.is_some());
    note("description", value.description.is_some());
    note("nameIsPublic", value.name_is_public.is_some());
    note("locationIsPublic", value.location_is_public.is_some());
    note(
        "twitterHandleIsPublic",
        value.twitter_handle_is_public.is_some(),
    );
    note(
        "gitHubHandleIsPublic",
        value.github_handle_is_public.is_some(),
    );
    note(
        "emailAddressIsPublic",
        value.email_address_is_public.is_some(),
    );
    note("websiteIsPublic", value.website_is_public.is_some());
    note("uiDarkModeEnabled", value.ui_dark_mode_enabled.is_some());
    Ok(ProfileChanges {
        username: value.username.as_deref().map(Username::parse).transpose()?,
        email: value
            .email_address
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()?,
        first_name: value.first_name,
        last_name: value.last_name,
        description: value.description,
        location: value.location,
        website: value.website,
        twitter_handle: value.twitter_handle,
        github_handle: value.github_handle,
        name_is_public: value.name_is_public,
        location_is_public: value.location_is_public,
        twitter_handle_is_public: value.twitter_handle_is_public,
        github_handle_is_public: value.github_handle_is_public,
        email_address_is_public: value.email_address_is_public,
        website_is_public: value.website_is_public,
        ui_dark_mode_enabled: value.ui_dark_mode_enabled,
        supplied,
    })
}
