//! `/graphql`: reads the request, authenticates it, runs it, and picks the HTTP status the way
//! the original (Apollo Server 2) did: 400 when nothing could be executed, 200 otherwise.

use std::net::SocketAddr;

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse, Request, Response as GqlResponse, ServerError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::app::AppState;
use crate::auth::{self, RequestContext};
use crate::graphql::response::TopLevel;

/// `POST /graphql` with a JSON body (one request or a batch).
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "Request body is larger than {} bytes",
                    crate::http::BODY_LIMIT
                )
            } else {
                format!("Request body could not be read: {}", rejection.body_text())
            };
            return error_response(status, &message, "BAD_REQUEST");
        }
    };
    let batch = match serde_json::from_slice::<BatchRequest>(&body) {
        Ok(batch) => batch,
        Err(e) => {
            let message = format!(
                "Request body is not a GraphQL request: {e}. Send JSON such as \
                 {{\"query\": \"{{ registryStatus {{ status }} }}\"}}"
            );
            return error_response(StatusCode::BAD_REQUEST, &message, "BAD_REQUEST");
        }
    };
    execute(state, peer, &headers, batch).await
}

/// `GET /graphql`: GraphiQL for a browser, otherwise a query in the URL.
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    if wants_html(&headers) && !query.contains("query=") {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    match async_graphql::http::parse_query_string(&query) {
        Ok(request) => execute(state, peer, &headers, BatchRequest::Single(request)).await,
        Err(e) => error_response(StatusCode::BAD_REQUEST, &e.to_string(), "BAD_REQUEST"),
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

async fn execute(
    state: AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    batch: BatchRequest,
) -> Response {
    let viewer = match auth::authenticate(&state, headers).await {
        Ok(viewer) => viewer,
        Err(failure) => {
            let message = format!("Context creation failed: {}", failure.message());
            return error_response(failure.status(), &message, failure.code());
        }
    };
    let context = RequestContext {
        viewer,
        client_ip: peer.ip(),
    };
    let response = match batch {
        BatchRequest::Single(request) => {
            BatchResponse::Single(run_one(&state, request, context).await)
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(run_one(&state, request, context.clone()).await);
            }
            BatchResponse::Batch(responses)
        }
    };
    let status = match &response {
        BatchResponse::Single(one) if nothing_executed(one) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    json_response(status, &response)
}

async fn run_one(state: &AppState, mut request: Request, context: RequestContext) -> GqlResponse {
    let schema = &state.schema;
    // Parsing first tells a syntax error apart from a validation error; the parsed document
    // is kept in the request, so execution does not parse it again.
    if let Err(error) = request.parsed_query() {
        return GqlResponse::from_errors(vec![with_code(error, "GRAPHQL_PARSE_FAILED")]);
    }
    // Kept for the rare answer whose top-level fields failed (see `restore_failed_fields`).
    let query = request.query.clone();
    let operation_name = request.operation_name.clone();
    let mut response = schema
        .execute(request.data(state.clone()).data(context))
        .await;
    response.errors = std::mem::take(&mut response.errors)
        .into_iter()
        .map(|e| match e.path.is_empty() && !has_code(&e) {
            true => with_code(e, "GRAPHQL_VALIDATION_FAILED"),
            false => e,
        })
        .collect();
    if response.errors.iter().any(|e| e.path.len() == 1) {
        let document = async_graphql::parser::parse_query(&query).ok();
        let top_level = document.and_then(|d| TopLevel::of(&d, operation_name.as_deref()));
        if let Some(top_level) = top_level {
            top_level.restore_failed_fields(&state.root_fields, &mut response);
        }
    }
    response
}

/// True when the request never reached a resolver: no data and no error with a path.
fn nothing_executed(response: &GqlResponse) -> bool {
    matches!(response.data, async_graphql::Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some())
}

fn with_code(mut error: ServerError, code: &str) -> ServerError {
    let mut extensions = error.extensions.take().unwrap_or_default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not serialise a GraphQL response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A request-level failure in the GraphQL error shape, so clients can read it.
fn error_response(status: StatusCode, message: &str, code: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    json_response(status, &body)
}
