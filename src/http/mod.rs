//! The HTTP surface: `/graphql`, the Socket.IO data channel at `/ws/` (in `socket`), health and
//! readiness, `robots.txt`, and the catch-all that tells DataPM clients a host is a registry.

mod graphql;
mod middleware;
mod routes;

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{any, get};
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::AppState;

/// Largest request body accepted on `/graphql`, as the original server.
pub const BODY_LIMIT: usize = 20 * 1024 * 1024;

/// Every route, with request logging and security headers around all of them.
pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any);
    let graphql = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(cors);
    let mut router = Router::new()
        .merge(graphql)
        .route(
            "/.well-known/apollo/server-health",
            get(routes::apollo_health),
        )
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/robots.txt", get(routes::robots))
        .fallback(any(routes::catch_all));
    for (name, value) in middleware::SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    let socket = crate::socket::layer(state.clone());
    router
        .layer(axum::middleware::from_fn(middleware::log_request))
        .layer(socket)
        .with_state(state)
}
