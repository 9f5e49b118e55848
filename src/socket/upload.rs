//! `startDataUpload` and its upload channel: records arrive in `uploadData` messages and each
//! message is stored as one chunk before it is acknowledged, so an acknowledged offset is a
//! readable one, whatever happens to the connection or the server afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use socketioxide::extract::{AckSender, SocketRef, TryData};

use super::access::{self, refusal};
use super::locks::StreamLock;
use super::wire::{BatchIdentifier, ChannelRequest, Done, ErrorType, Refusal, StreamIdentifier};
use super::{Connection, batch_event, record};
use crate::app::AppState;
use crate::domain::batch_chunks::{self, OffsetRecord};
use crate::domain::batches;
use crate::domain::packages::Located;
use crate::domain::permissions::Permission;
use crate::domain::versions;
use crate::entity::{data_batch, version};

/// Update methods a batch may be uploaded with.
const UPDATE_METHODS: [&str; 3] = ["BATCH_FULL_SET", "APPEND_ONLY_LOG", "CONTINUOUS"];

/// Upload messages one stream may have waiting for storage; clients wait for each
/// acknowledgement, so more means a client that would make the server buffer without bound.
const MAX_WAITING: usize = 4;

/// `startDataUpload`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartUpload {
    schema_stream_identifier: StreamIdentifier,
    #[serde(default)]
    new_batch: bool,
    update_method: String,
}

/// `startDataUploadResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Started {
    response_type: &'static str,
    channel_name: String,
    batch_identifier: BatchIdentifier,
}

/// One upload session on one stream's batch.
pub struct Upload {
    state: AppState,
    user_id: i64,
    package_identifier: String,
    channel: String,
    batch: data_batch::Model,
    progress: tokio::sync::Mutex<Progress>,
    waiting: AtomicUsize,
    stopped: AtomicBool,
}

/// Where an upload is: the last offset stored, and the stream lock while it runs.
struct Progress {
    last_offset: i64,
    lock: Option<StreamLock>,
}

/// Registers `startDataUpload` on a new connection.
pub fn register(socket: &SocketRef, connection: &Arc<Connection>) {
    let connection = connection.clone();
    socket.on(
        "startDataUpload",
        move |socket: SocketRef, TryData(request): TryData<StartUpload>, ack: AckSender| {
            let connection = connection.clone();
            async move {
                let answer = match request {
                    Ok(request) => start(&socket, &connection, request).await,
                    Err(error) => Err(Refusal::new(ErrorType::NotValid, error.to_string())),
                };
                let _ = match answer {
                    Ok(started) => ack.send(&started),
                    Err(refused) => ack.send(&refused),
                };
            }
        },
    );
}

/// Stops every upload of a connection that dropped, keeping what was stored.
pub async fn close_all(connection: &Connection) {
    let uploads =
        std::mem::take(&mut *connection.uploads.lock().unwrap_or_else(|e| e.into_inner()));
    for upload in uploads {
        upload.stop().await;
    }
}

async fn start(
    socket: &SocketRef,
    connection: &Arc<Connection>,
    request: StartUpload,
) -> Result<Started, Refusal> {
    let user_id = access::signed_in(connection)?;
    let id = &request.schema_stream_identifier;
    let located = access::package(
        connection,
        &id.catalog_slug,
        &id.package_slug,
        Permission::Edit,
    )
    .await?;
    check_stream(connection, &located, &request).await?;

    let channel = channel_name(id);
    let stream = id.key(located.package.id);
    let lock = connection
        .state
        .stream_locks
        .try_lock(&stream)
        .await
        .map_err(|e| refusal(e.into()))?
        .ok_or_else(|| {
            Refusal::new(
                ErrorType::StreamLocked,
                format!("Stream {channel} is locked by another session"),
            )
        })?;
    let batch = open_batch(connection, &stream, &request, user_id).await?;
    batch_chunks::remove_unreadable(&connection.state.store, (&batch).into(), batch.last_offset)
        .await
        .map_err(|e| refusal(e.into()))?;

    let upload = Arc::new(Upload {
        state: connection.state.clone(),
        user_id,
        package_identifier: located.identifier(),
        channel: channel.clone(),
        progress: tokio::sync::Mutex::new(Progress {
            last_offset: batch.last_offset,
            lock: Some(lock),
        }),
        batch,
        waiting: AtomicUsize::new(0),
        stopped: AtomicBool::new(false),
    });
    listen(socket, &upload);
    {
        let mut uploads = connection.uploads.lock().unwrap_or_else(|e| e.into_inner());
        uploads.retain(|earlier| !earlier.stopped.load(Ordering::SeqCst));
        uploads.push(upload.clone());
    }
    let event = batch_event(
        "DATA_BATCH_UPLOAD_STARTED",
        Some(user_id),
        &upload.package_identifier,
        &upload.batch,
    );
    record(&connection.state, event).await;

    let registry_url = connection.state.config.registry_url.as_str();
    Ok(Started {
        response_type: "startDataUploadResponse",
        channel_name: channel,
        batch_identifier: id.with_batch(registry_url, upload.batch.batch),
    })
}

/// Refuses a stream the package's latest version in that major version does not describe, or
/// an update method clients do not know.
async fn check_stream(
    connection: &Connection,
    located: &Located,
    request: &StartUpload,
) -> Result<(), Refusal> {
    let id = &request.schema_stream_identifier;
    let latest = latest_in_major(connection, located, id.major_version).await?;
    let Some(latest) = latest else {
        return Err(Refusal::new(
            ErrorType::NotValid,
            format!(
                "This package has no version {major}.x.x. Publish a version {major} of this \
                 package first",
                major = id.major_version
            ),
        ));
    };
    let titles = schema_titles(&connection.state, &latest).await?;
    if !titles.contains(&id.schema_title) {
        return Err(Refusal::new(
            ErrorType::NotValid,
            format!(
                "SCHEMA_NOT_VALID: {} is not a schema of version {}; use one of: {}",
                id.schema_title,
                versions::number(&latest),
                titles.join(", ")
            ),
        ));
    }
    if !UPDATE_METHODS.contains(&request.update_method.as_str()) {
        return Err(Refusal::new(
            ErrorType::NotValid,
            format!(
                "UPDATE_METHOD_NOT_VALID: {}; use one of {}",
                request.update_method,
                UPDATE_METHODS.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The highest version of the package within `major`.
pub async fn latest_in_major(
    connection: &Connection,
    located: &Located,
    major: i64,
) -> Result<Option<version::Model>, Refusal> {
    let all = versions::all(&connection.state.db, located.package.id)
        .await
        .map_err(refusal)?;
    Ok(all.into_iter().find(|v| v.major == major))
}

async fn schema_titles(state: &AppState, row: &version::Model) -> Result<Vec<String>, Refusal> {
    let text = versions::canonical_text(state, row)
        .await
        .map_err(refusal)?;
    let file: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| refusal(crate::error::ApiError::internal(e)))?;
    let schemas = file["schemas"].as_array().cloned().unwrap_or_default();
    Ok(schemas
        .iter()
        .filter_map(|schema| schema["title"].as_str().map(str::to_owned))
        .collect())
}

/// The batch to upload to: a new one when asked or when the stream has none, else the latest.
async fn open_batch(
    connection: &Connection,
    stream: &batches::StreamKey,
    request: &StartUpload,
    user_id: i64,
) -> Result<data_batch::Model, Refusal> {
    let db = &connection.state.db;
    let latest = batches::latest(db, stream).await.map_err(refusal)?;
    match latest {
        Some(row) if !request.new_batch => Ok(row),
        _ => batches::create(db, stream, &request.update_method, user_id)
            .await
            .map_err(refusal),
    }
}

/// `<catalog>/<package>/<major>/<schema>/<sourceType>/<source>/<streamSet>/<stream>/upload`.
fn channel_name(id: &StreamIdentifier) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}/{}/{}/upload",
        id.catalog_slug,
        id.package_slug,
        id.major_version,
        id.schema_title,
        id.source_type,
        id.source_slug,
        id.stream_set_slug,
        id.stream_slug
    )
}

fn listen(socket: &SocketRef, upload: &Arc<Upload>) {
    let upload = upload.clone();
    socket.on(
        upload.channel.clone(),
        move |socket: SocketRef, TryData(request): TryData<ChannelRequest>, ack: AckSender| {
            let upload = upload.clone();
            async move {
                let answer = match request {
                    Ok(request) => upload.handle(&socket, request).await,
                    Err(error) => Err(Refusal::new(ErrorType::NotValid, error.to_string())),
                };
                let _ = match answer {
                    Ok(done) => ack.send(&done),
                    Err(refused) => ack.send(&refused),
                };
            }
        },
    );
}

impl Upload {
    async fn handle(&self, socket: &SocketRef, request: ChannelRequest) -> Result<Done, Refusal> {
        match request.request_type.as_str() {
            "uploadData" => {
                let records = request
                    .records
                    .into_iter()
                    .map(OffsetRecord::from)
                    .collect();
                self.receive(socket, records).await?;
                Ok(Done {
                    response_type: "uploadResponse",
                })
            }
            "uploadStop" => {
                self.stop().await;
                Ok(Done {
                    response_type: "uploadStopResponse",
                })
            }
            other => Err(Refusal::new(
                ErrorType::NotValid,
                format!("{other} is not an upload request; send uploadData or uploadStop"),
            )),
        }
    }

    /// Stores one message's records as a chunk, then makes them readable.
    async fn receive(&self, socket: &SocketRef, records: Vec<OffsetRecord>) -> Result<(), Refusal> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal::new(
                ErrorType::NotValid,
                "Too many uploadData messages are waiting; wait for each acknowledgement",
            ));
        }
        let mut progress = self.progress.lock().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        if progress.lock.is_none() {
            return Err(Refusal::new(
                ErrorType::NotValid,
                format!(
                    "The upload on {} has stopped; start a new one",
                    self.channel
                ),
            ));
        }
        if let Err(refused) = check_offsets(progress.last_offset, &records) {
            let _ = socket.emit(self.channel.clone(), &refused);
            self.stop_locked(&mut progress).await;
            return Err(refused);
        }
        let Some(last) = records.last().map(|r| r.offset) else {
            return Ok(());
        };
        let stored = async {
            self.renew(&progress).await?;
            let store = &self.state.store;
            batch_chunks::write(store, (&self.batch).into(), &records)
                .await
                .map_err(|e| refusal(e.into()))?;
            batches::commit_offset(&self.state.db, self.batch.id, last)
                .await
                .map_err(refusal)
        };
        if let Err(refused) = stored.await {
            // Whether the chunk made it is unknown, so the upload ends here; the next one
            // removes any chunk past the batch's last readable offset before it starts.
            self.stop_locked(&mut progress).await;
            return Err(refused);
        }
        progress.last_offset = last;
        Ok(())
    }

    /// Ends the upload and unlocks the stream; stopping twice does nothing.
    async fn stop(&self) {
        let mut progress = self.progress.lock().await;
        self.stop_locked(&mut progress).await;
    }

    /// Renews the lease on the stream before a message is stored; refuses when the lease
    /// lapsed and another upload took the stream meanwhile.
    async fn renew(&self, progress: &Progress) -> Result<(), Refusal> {
        let Some(lock) = &progress.lock else {
            return Ok(());
        };
        if lock.renew().await.map_err(|e| refusal(e.into()))? {
            return Ok(());
        }
        Err(Refusal::new(
            ErrorType::StreamLocked,
            format!(
                "The upload on {} waited too long between messages and another session took \
                 the stream; start a new upload",
                self.channel
            ),
        ))
    }

    async fn stop_locked(&self, progress: &mut Progress) {
        let Some(lock) = progress.lock.take() else {
            return;
        };
        if let Err(error) = lock.release().await {
            tracing::warn!(%error, channel = %self.channel, "a stream lease could not be given up; it lapses on its own");
        }
        self.stopped.store(true, Ordering::SeqCst);
        let event = batch_event(
            "DATA_BATCH_UPLOAD_STOPPED",
            Some(self.user_id),
            &self.package_identifier,
            &self.batch,
        );
        record(&self.state, event).await;
    }
}

/// Offsets must rise strictly, from after the last one stored.
fn check_offsets(last_offset: i64, records: &[OffsetRecord]) -> Result<(), Refusal> {
    let mut previous = last_offset;
    for record in records {
        if record.offset <= previous {
            return Err(Refusal::new(
                ErrorType::ServerError,
                format!(
                    "Offset ({}) must be greater than the last saved offset ({previous})",
                    record.offset
                ),
            ));
        }
        previous = record.offset;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offsets: &[i64]) -> Vec<OffsetRecord> {
        offsets
            .iter()
            .map(|&offset| OffsetRecord {
                offset,
                record: rmpv::Value::Nil,
            })
            .collect()
    }

    #[test]
    fn offsets_after_the_last_stored_one_and_rising_are_accepted() {
        assert!(check_offsets(-1, &at(&[0, 1, 5])).is_ok());
        assert!(check_offsets(5, &at(&[6])).is_ok());
    }

    #[test]
    fn an_offset_not_above_the_previous_one_is_refused() {
        let refused = check_offsets(5, &at(&[5])).unwrap_err();
        assert_eq!(
            refused.message,
            "Offset (5) must be greater than the last saved offset (5)"
        );
        assert!(check_offsets(-1, &at(&[0, 2, 2])).is_err());
    }
}
