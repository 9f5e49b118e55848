//! The GraphQL schema: one file per area, merged into the query and mutation roots here.
//!
//! Resolvers read the shared `AppState` and the per-request `RequestContext` from the context,
//! call domain code, and return `ApiResult` values that become coded GraphQL errors.

mod access;
mod admin;
mod api_keys;
mod catalogs;
mod grants;
mod guards;
mod identifiers;
mod packages;
pub mod response;
mod scalars;
mod search;
mod status;
mod users;
mod versions;

use async_graphql::{EmptySubscription, MergedObject, Schema};

/// The schema type served at `/graphql`.
pub type RegistrySchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Every query, area by area.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    status::StatusQuery,
    users::UserQuery,
    api_keys::ApiKeyQuery,
    admin::AdminQuery,
    catalogs::CatalogQuery,
    packages::PackageQuery,
    versions::VersionQuery,
    grants::GrantQuery,
    search::SearchQuery,
);

/// Every mutation, area by area.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    users::UserMutation,
    api_keys::ApiKeyMutation,
    admin::AdminMutation,
    catalogs::CatalogMutation,
    packages::PackageMutation,
    versions::VersionMutation,
    grants::GrantMutation,
);

/// Builds the schema. The shared `AppState` and the `RequestContext` are attached to each
/// request, not to the schema, so the state does not have to own the schema that holds it.
pub fn build_schema() -> RegistrySchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .limit_depth(32)
    .limit_complexity(5_000)
    .finish()
}

/// The SDL of the schema, for the compatibility test and for operators.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .finish()
    .sdl()
}
