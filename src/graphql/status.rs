//! `registryStatus`: how clients check that a URL is a DataPM registry.

use async_graphql::{Context, Enum, Object, SimpleObject};

use crate::app::AppState;
use crate::config::{DATAPM_API_VERSION, SERVER_VERSION};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum RegistryStatus {
    ServingRequests,
}

/// What `registryStatus` answers.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct RegistryStatusResult {
    status: RegistryStatus,
    /// The DataPM API version implemented; clients compare it with their own.
    version: String,
    registry_url: String,
    /// This server's own version.
    server_version: String,
}

#[derive(Default)]
pub struct StatusQuery;

#[Object]
impl StatusQuery {
    async fn registry_status(&self, ctx: &Context<'_>) -> RegistryStatusResult {
        let state = ctx.data_unchecked::<AppState>();
        RegistryStatusResult {
            status: RegistryStatus::ServingRequests,
            version: DATAPM_API_VERSION.to_owned(),
            registry_url: state.config.registry_url.as_str().to_owned(),
            server_version: SERVER_VERSION.to_owned(),
        }
    }
}
