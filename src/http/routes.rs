//! The plain HTTP routes.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::app::AppState;
use crate::config::DATAPM_API_VERSION;

/// Apollo's health check path, kept for monitors set up for the original.
pub async fn apollo_health() -> Response {
    let body = r#"{"status":"pass"}"#;
    ([(header::CONTENT_TYPE, "application/health+json")], body).into_response()
}

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready: the database answers and storage takes writes.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if let Err(error) = state.db.ping().await {
        tracing::warn!(%error, "readiness: database unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response();
    }
    if let Err(error) = state.store.check_writable().await {
        tracing::warn!(%error, "readiness: storage not writable");
        return (StatusCode::SERVICE_UNAVAILABLE, "storage not writable\n").into_response();
    }
    "ready\n".into_response()
}

pub async fn robots(State(state): State<AppState>) -> Response {
    let body = if state.config.allow_web_crawlers {
        format!(
            "User-agent: *\nDisallow:\nSitemap: {}/sitemap.xml\n",
            state.config.registry_url
        )
    } else {
        "User-agent: *\nDisallow: /\n".to_owned()
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Every other path. A request for another host name is sent to the registry URL; otherwise
/// the answer carries the headers by which the DataPM CLI recognises a registry behind a
/// package URL.
pub async fn catch_all(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let registry_url = &state.config.registry_url;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if request_host(&headers).is_some_and(|host| !host.eq_ignore_ascii_case(registry_url.host())) {
        let location = format!("{registry_url}{path}");
        return (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response();
    }
    let mut response = Html(landing_page(&state)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        "x-datapm-version",
        HeaderValue::from_static(DATAPM_API_VERSION),
    );
    if let Ok(value) = HeaderValue::from_str(registry_url.as_str()) {
        headers.insert("x-datapm-registry-url", value);
    }
    response
}

/// The host name of the request, without port.
fn request_host(headers: &HeaderMap) -> Option<&str> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host.split(':').next().unwrap_or(host),
    };
    Some(name)
}

fn landing_page(state: &AppState) -> String {
    let name = escape_html(&state.config.registry_name);
    let url = escape_html(state.config.registry_url.as_str());
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{name}</title></head>\
         <body><h1>{name}</h1><p>This is a DataPM registry. Add it to the DataPM client with \
         <code>datapm registry add {url}</code>.</p><p><a href=\"/graphql\">GraphQL</a></p>\
         </body></html>"
    )
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
