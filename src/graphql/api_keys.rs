//! API keys over GraphQL: what `datapm registry login` creates and the CLI then sends.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};

use super::guards;
use super::scalars::Date;
use crate::domain::api_keys;
use crate::entity::api_key;
use crate::error::ApiResult;

/// `Scope`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Scope {
    ManageApiKeys,
    ReadPrivateAssets,
    ManagePrivateAssets,
}

impl Scope {
    fn as_stored(self) -> &'static str {
        match self {
            Scope::ManageApiKeys => "MANAGE_API_KEYS",
            Scope::ReadPrivateAssets => "READ_PRIVATE_ASSETS",
            Scope::ManagePrivateAssets => "MANAGE_PRIVATE_ASSETS",
        }
    }

    fn from_stored(value: &str) -> Option<Self> {
        [
            Scope::ManageApiKeys,
            Scope::ReadPrivateAssets,
            Scope::ManagePrivateAssets,
        ]
        .into_iter()
        .find(|scope| scope.as_stored() == value)
    }
}

fn scopes_of(row: &api_key::Model) -> Vec<Scope> {
    let names = row.scopes.as_array().cloned().unwrap_or_default();
    names
        .iter()
        .filter_map(|v| v.as_str().and_then(Scope::from_stored))
        .collect()
}

/// `APIKey`: a key without its secret.
#[derive(SimpleObject)]
#[graphql(name = "APIKey")]
pub struct ApiKey {
    id: String,
    label: String,
    scopes: Vec<Scope>,
    created_at: Option<Date>,
    last_used: Option<Date>,
}

impl From<api_key::Model> for ApiKey {
    fn from(row: api_key::Model) -> Self {
        ApiKey {
            scopes: scopes_of(&row),
            created_at: Some(row.created_at.into()),
            last_used: row.last_used.map(Date::from),
            id: row.id,
            label: row.label,
        }
    }
}

/// `APIKeyWithSecret`: the one time the secret is shown.
#[derive(SimpleObject)]
#[graphql(name = "APIKeyWithSecret")]
pub struct ApiKeyWithSecret {
    id: String,
    label: String,
    secret: String,
    scopes: Vec<Scope>,
    created_at: Option<Date>,
}

#[derive(InputObject)]
#[graphql(name = "CreateAPIKeyInput")]
pub struct CreateApiKeyInput {
    label: String,
    scopes: Vec<Scope>,
}

#[derive(Default)]
pub struct ApiKeyQuery;

#[Object]
impl ApiKeyQuery {
    #[graphql(name = "myAPIKeys")]
    async fn my_api_keys(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<ApiKey>>> {
        let viewer = guards::signed_in(ctx)?;
        let keys = api_keys::list(&guards::state(ctx).db, viewer.user.id).await?;
        Ok(Some(keys.into_iter().map(ApiKey::from).collect()))
    }
}

#[derive(Default)]
pub struct ApiKeyMutation;

#[Object]
impl ApiKeyMutation {
    #[graphql(name = "createAPIKey")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        value: CreateApiKeyInput,
    ) -> ApiResult<ApiKeyWithSecret> {
        let viewer = guards::signed_in(ctx)?;
        let scopes: Vec<String> = value
            .scopes
            .iter()
            .map(|s| s.as_stored().to_owned())
            .collect();
        let created =
            api_keys::create(guards::state(ctx), &viewer.user, &value.label, &scopes).await?;
        Ok(ApiKeyWithSecret {
            scopes: scopes_of(&created.row),
            created_at: Some(created.row.created_at.into()),
            id: created.credential.id,
            secret: created.credential.secret,
            label: created.row.label,
        })
    }

    #[graphql(name = "deleteAPIKey")]
    async fn delete_api_key(&self, ctx: &Context<'_>, id: String) -> ApiResult<ApiKey> {
        let viewer = guards::signed_in(ctx)?;
        let deleted = api_keys::delete(&guards::state(ctx).db, viewer.user.id, &id).await?;
        Ok(deleted.into())
    }
}
