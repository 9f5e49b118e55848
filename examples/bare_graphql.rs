//! The ceiling for `bench/foundation.sh`: a bare async-graphql schema on axum that answers
//! `registryStatus` with the same object shape as the registry, and nothing else (no database,
//! no middleware, no authentication, no logging).
//!
//! `cargo run --release --example bare_graphql -- [PORT]`; the port may also come from `PORT`
//! (default 4001). It listens on 127.0.0.1 only and serves `POST /graphql` and `GET /healthz`.

use async_graphql::{EmptyMutation, EmptySubscription, Enum, Object, Schema, SimpleObject};
use async_graphql_axum::GraphQL;
use axum::Router;
use axum::routing::{get, post_service};

#[derive(Copy, Clone, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
enum RegistryStatus {
    ServingRequests,
}

#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
struct RegistryStatusResult {
    status: RegistryStatus,
    version: String,
    registry_url: String,
    server_version: String,
}

struct Query {
    registry_url: String,
}

#[Object]
impl Query {
    async fn registry_status(&self) -> RegistryStatusResult {
        RegistryStatusResult {
            status: RegistryStatus::ServingRequests,
            version: datapm_registry::config::DATAPM_API_VERSION.to_owned(),
            registry_url: self.registry_url.clone(),
            server_version: datapm_registry::config::SERVER_VERSION.to_owned(),
        }
    }
}

fn port() -> u16 {
    let raw = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PORT").ok())
        .unwrap_or_else(|| "4001".to_owned());
    raw.parse()
        .unwrap_or_else(|_| panic!("the port must be a number from 0 to 65535, not {raw:?}"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let registry_url =
        std::env::var("REGISTRY_URL").unwrap_or_else(|_| "http://localhost:4000".to_owned());
    let schema = Schema::build(Query { registry_url }, EmptyMutation, EmptySubscription).finish();
    let app = Router::new()
        .route("/graphql", post_service(GraphQL::new(schema)))
        .route("/healthz", get(|| async { "ok\n" }));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port())).await?;
    eprintln!("bare_graphql listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await
}
