//! Layers around every route: one log line per request and the security headers.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Logs method, route, status and duration once the response is ready.
pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "*".to_owned());
    let response = next.run(request).await;
    tracing::info!(
        method = %method,
        route,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("x-dns-prefetch-control", "off"),
    ("x-frame-options", "SAMEORIGIN"),
    (
        "strict-transport-security",
        "max-age=15552000; includeSubDomains",
    ),
    ("x-download-options", "noopen"),
    ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "1; mode=block"),
];

/// The headers the original server's helmet defaults sent on every response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(HeaderName::from_static(name))
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    response
}
