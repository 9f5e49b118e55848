//! What a package version holds in the registry: `schemaInfoRequest` (the active batch of each
//! stream), `packageVersionSinkStateRequest` (the offsets a sink resumes from) and
//! `setStreamActiveBatchesRequest` (which batch of a stream clients read).

use std::collections::BTreeMap;
use std::sync::Arc;

use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use socketioxide::extract::{AckSender, SocketRef, TryData};

use super::access::{self, refusal};
use super::upload::latest_in_major;
use super::wire::{BatchIdentifier, ErrorType, JsDate, MajorVersionIdentifier, Refusal};
use super::{Connection, batch_event, record};
use crate::domain::batches;
use crate::domain::permissions::Permission;
use crate::domain::versions;
use crate::entity::data_batch;

/// A request naming one major version of a package.
#[derive(Debug, Deserialize)]
struct ForVersion {
    identifier: MajorVersionIdentifier,
}

/// `setStreamActiveBatchesRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetActive {
    batch_identifiers: Vec<BatchIdentifier>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SchemaInfo {
    response_type: &'static str,
    identifier: MajorVersionIdentifier,
    batches_by_schema: BTreeMap<String, Vec<BatchInfo>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchInfo {
    batch_identifier: BatchIdentifier,
    highest_offset: i64,
    updated_at: JsDate,
    update_method: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SinkStateResponse {
    response_type: &'static str,
    identifier: MajorVersionIdentifier,
    state: SinkState,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SinkState {
    package_version: String,
    timestamp: JsDate,
    stream_sets: BTreeMap<String, StreamSetState>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct StreamSetState {
    stream_states: BTreeMap<String, StreamState>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct StreamState {
    schema_states: BTreeMap<String, SchemaState>,
    stream_offset: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SchemaState {
    last_offset: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActiveSet {
    response_type: &'static str,
    batch_identifiers: Vec<BatchIdentifier>,
}

/// Registers the three requests on a new connection.
pub fn register(socket: &SocketRef, connection: &Arc<Connection>) {
    on(socket, connection, "schemaInfoRequest", schema_info);
    on(
        socket,
        connection,
        "packageVersionSinkStateRequest",
        sink_state,
    );
    on(
        socket,
        connection,
        "setStreamActiveBatchesRequest",
        set_active,
    );
}

/// Registers `event`, answering each request with `answer`'s response or refusal.
fn on<Req, Res, F, Fut>(
    socket: &SocketRef,
    connection: &Arc<Connection>,
    event: &'static str,
    answer: F,
) where
    Req: serde::de::DeserializeOwned + Send + Sync + 'static,
    Res: Serialize + Send + 'static,
    F: Fn(Arc<Connection>, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Res, Refusal>> + Send + 'static,
{
    let connection = connection.clone();
    socket.on(
        event,
        move |TryData(request): TryData<Req>, ack: AckSender| {
            let connection = connection.clone();
            let answer = answer.clone();
            async move {
                let result = match request {
                    Ok(request) => answer(connection, request).await,
                    Err(error) => Err(Refusal::new(ErrorType::NotValid, error.to_string())),
                };
                let _ = match result {
                    Ok(response) => ack.send(&response),
                    Err(refused) => ack.send(&refused),
                };
            }
        },
    );
}

async fn schema_info(
    connection: Arc<Connection>,
    request: ForVersion,
) -> Result<SchemaInfo, Refusal> {
    let id = request.identifier;
    let located = access::package(
        &connection,
        &id.catalog_slug,
        &id.package_slug,
        Permission::View,
    )
    .await?;
    let active = batches::active(&connection.state.db, located.package.id, id.major_version)
        .await
        .map_err(refusal)?;
    let registry_url = connection.state.config.registry_url.as_str();
    let mut batches_by_schema: BTreeMap<String, Vec<BatchInfo>> = BTreeMap::new();
    for row in active {
        let info = BatchInfo {
            batch_identifier: BatchIdentifier::of(
                registry_url,
                &id.catalog_slug,
                &id.package_slug,
                &row,
            ),
            highest_offset: row.last_offset,
            updated_at: JsDate(row.updated_at),
            update_method: row.update_method.clone(),
        };
        batches_by_schema
            .entry(row.schema_title)
            .or_default()
            .push(info);
    }
    Ok(SchemaInfo {
        response_type: "schemaInfoResponse",
        identifier: id,
        batches_by_schema,
    })
}

async fn sink_state(
    connection: Arc<Connection>,
    request: ForVersion,
) -> Result<SinkStateResponse, Refusal> {
    let id = request.identifier;
    let located = access::package(
        &connection,
        &id.catalog_slug,
        &id.package_slug,
        Permission::View,
    )
    .await?;
    let mut event = crate::activity::ActivityEvent::new("DATA_SINK_STATE_REQUESTED");
    event.user_id = connection.user_id();
    event.target_package_id = Some(located.package.id);
    event.target_package_identifier = Some(located.identifier());
    record(&connection.state, event).await;

    let latest = latest_in_major(&connection, &located, id.major_version)
        .await?
        .ok_or_else(|| Refusal::new(ErrorType::NotFound, "VERSION_NOT_FOUND"))?;
    let active = batches::active(&connection.state.db, located.package.id, id.major_version)
        .await
        .map_err(refusal)?;
    let timestamp = active
        .iter()
        .map(|row| row.updated_at)
        .min()
        .ok_or_else(|| Refusal::new(ErrorType::NotFound, "DATA_NOT_FOUND"))?;
    Ok(SinkStateResponse {
        response_type: "packageVersionSinkStateResponse",
        identifier: id,
        state: SinkState {
            package_version: versions::number(&latest),
            timestamp: JsDate(timestamp),
            stream_sets: stream_sets(&active),
        },
    })
}

/// Offsets per stream set, stream and schema; a stream's offset is its schemas' highest.
fn stream_sets(active: &[data_batch::Model]) -> BTreeMap<String, StreamSetState> {
    let mut sets: BTreeMap<String, StreamSetState> = BTreeMap::new();
    for row in active {
        let set = sets.entry(row.stream_set_slug.clone()).or_default();
        let stream = set
            .stream_states
            .entry(row.stream_slug.clone())
            .or_default();
        stream.schema_states.insert(
            row.schema_title.clone(),
            SchemaState {
                last_offset: row.last_offset,
            },
        );
        stream.stream_offset = stream
            .schema_states
            .values()
            .map(|s| s.last_offset)
            .max()
            .unwrap_or(-1);
    }
    sets
}

/// Makes each named batch its stream's active one, all in one transaction.
async fn set_active(connection: Arc<Connection>, request: SetActive) -> Result<ActiveSet, Refusal> {
    let user_id = access::signed_in(&connection)?;
    let mut chosen = Vec::with_capacity(request.batch_identifiers.len());
    for id in &request.batch_identifiers {
        let located = access::package(
            &connection,
            &id.catalog_slug,
            &id.package_slug,
            Permission::Edit,
        )
        .await?;
        let stream = id.stream().key(located.package.id);
        let row = batches::find(&connection.state.db, &stream, id.batch)
            .await
            .map_err(refusal)?
            .ok_or_else(|| Refusal::new(ErrorType::NotFound, "BATCH_NOT_FOUND"))?;
        chosen.push((located.identifier(), row));
    }

    let db = &connection.state.db;
    let txn = db.begin().await.map_err(|e| refusal(e.into()))?;
    for (_, row) in &chosen {
        batches::make_default(&txn, row).await.map_err(refusal)?;
    }
    txn.commit().await.map_err(|e| refusal(e.into()))?;

    for (identifier, row) in &chosen {
        let event = batch_event("DATA_BATCH_ACTIVE_CHANGED", Some(user_id), identifier, row);
        record(&connection.state, event).await;
    }
    Ok(ActiveSet {
        response_type: "setStreamActiveBatchesResponse",
        batch_identifiers: request.batch_identifiers,
    })
}
