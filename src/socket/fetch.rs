//! `openFetchChannel` and its fetch channel: after `fetchDataStart` the server sends the batch's
//! records in `data` messages of up to [`RECORDS_PER_MESSAGE`], one stored chunk in memory at a
//! time, and waits for each acknowledgement before the next, so a slow client slows the
//! reading instead of filling the server's memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use socketioxide::extract::{AckSender, SocketRef, TryData};

use super::access::{self, refusal};
use super::wire::{
    BatchIdentifier, ChannelRequest, Done, ErrorType, Notice, OutgoingRecord, Refusal,
};
use super::{Connection, batch_event, record};
use crate::domain::batch_chunks::{self, OffsetRecord};
use crate::domain::batches;
use crate::domain::permissions::Permission;
use crate::entity::data_batch;

/// Records per `data` message, as the original sends them.
pub const RECORDS_PER_MESSAGE: usize = 250;

/// How long a client may take to acknowledge one `data` message.
const ACK_WAIT: Duration = Duration::from_secs(60);

/// `openFetchChannel`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenFetch {
    batch_identifier: BatchIdentifier,
}

/// `openFetchChannelResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Opened {
    response_type: &'static str,
    channel_name: String,
    batch_identifier: BatchIdentifier,
}

/// `{requestType: "data", records}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DataMessage<'a> {
    request_type: &'static str,
    records: Vec<OutgoingRecord<'a>>,
}

/// One fetch channel of one batch.
struct Fetch {
    connection: Arc<Connection>,
    package_identifier: String,
    channel: String,
    batch_id: i64,
    started: AtomicBool,
    stopped: AtomicBool,
}

/// Registers `openFetchChannel` on a new connection.
pub fn register(socket: &SocketRef, connection: &Arc<Connection>) {
    let connection = connection.clone();
    socket.on(
        "openFetchChannel",
        move |socket: SocketRef, TryData(request): TryData<OpenFetch>, ack: AckSender| {
            let connection = connection.clone();
            async move {
                let answer = match request {
                    Ok(request) => open(&socket, &connection, request).await,
                    Err(error) => Err(Refusal::new(ErrorType::NotValid, error.to_string())),
                };
                let _ = match answer {
                    Ok(opened) => ack.send(&opened),
                    Err(refused) => ack.send(&refused),
                };
            }
        },
    );
}

async fn open(
    socket: &SocketRef,
    connection: &Arc<Connection>,
    request: OpenFetch,
) -> Result<Opened, Refusal> {
    let id = request.batch_identifier;
    let located = access::package(
        connection,
        &id.catalog_slug,
        &id.package_slug,
        Permission::View,
    )
    .await?;
    let stream = id.stream().key(located.package.id);
    let batch = batches::find(&connection.state.db, &stream, id.batch)
        .await
        .map_err(refusal)?
        .ok_or_else(|| Refusal::new(ErrorType::ServerError, "BATCH_NOT_FOUND"))?;

    let channel = channel_name(&id);
    let fetch = Arc::new(Fetch {
        connection: connection.clone(),
        package_identifier: located.identifier(),
        channel: channel.clone(),
        batch_id: batch.id,
        started: AtomicBool::new(false),
        stopped: AtomicBool::new(false),
    });
    listen(socket, fetch);
    let registry_url = connection.state.config.registry_url.as_str();
    Ok(Opened {
        response_type: "openFetchChannelResponse",
        channel_name: channel,
        batch_identifier: BatchIdentifier {
            registry_url: registry_url.to_owned(),
            ..id
        },
    })
}

/// `<catalog>/<package>/<major>/<source>/<streamSet>/<stream>/<schema>/<batch>/fetch`.
fn channel_name(id: &BatchIdentifier) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}/{}/{}/fetch",
        id.catalog_slug,
        id.package_slug,
        id.major_version,
        id.source_slug,
        id.stream_set_slug,
        id.stream_slug,
        id.schema_title,
        id.batch
    )
}

fn listen(socket: &SocketRef, fetch: Arc<Fetch>) {
    socket.on(
        fetch.channel.clone(),
        move |socket: SocketRef, TryData(request): TryData<ChannelRequest>, ack: AckSender| {
            let fetch = fetch.clone();
            async move {
                let request = match request {
                    Ok(request) => request,
                    Err(error) => {
                        let _ = ack.send(&Refusal::new(ErrorType::NotValid, error.to_string()));
                        return;
                    }
                };
                match request.request_type.as_str() {
                    "fetchDataStart" => fetch.start(socket, request.offset.unwrap_or(0)).await,
                    "fetchDataStop" => {
                        fetch.stopped.store(true, Ordering::SeqCst);
                        let done = Done {
                            response_type: "fetchDataStopAcknowledge",
                        };
                        let _ = ack.send(&done);
                        let _ = socket.emit(fetch.channel.clone(), &done);
                    }
                    other => {
                        let message = format!(
                            "{other} is not a fetch request; send fetchDataStart or fetchDataStop"
                        );
                        let _ = ack.send(&Refusal::new(ErrorType::NotValid, message));
                    }
                }
            }
        },
    );
}

impl Fetch {
    /// Sends the batch from `from` on, then `fetchDataStop`. A second start is ignored.
    async fn start(&self, socket: SocketRef, from: i64) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let state = &self.connection.state;
        let user_id = self.connection.user_id();
        let batch = match self.batch().await {
            Ok(batch) => batch,
            Err(refused) => return self.fail(&socket, refused).await,
        };
        let event = batch_event(
            "DATA_BATCH_DOWNLOAD_STARTED",
            user_id,
            &self.package_identifier,
            &batch,
        );
        record(state, event).await;

        match self.send_batch(&socket, &batch, from).await {
            Ok(()) => self.finish(&socket).await,
            Err(refused) => self.fail(&socket, refused).await,
        }
        let event = batch_event(
            "DATA_BATCH_DOWNLOAD_STOPPED",
            user_id,
            &self.package_identifier,
            &batch,
        );
        record(state, event).await;
    }

    async fn batch(&self) -> Result<data_batch::Model, Refusal> {
        use sea_orm::EntityTrait;
        data_batch::Entity::find_by_id(self.batch_id)
            .one(&self.connection.state.db)
            .await
            .map_err(|e| refusal(e.into()))?
            .ok_or_else(|| Refusal::new(ErrorType::ServerError, "BATCH_NOT_FOUND"))
    }

    /// Reads chunk after chunk up to the offset the batch had when the fetch started.
    async fn send_batch(
        &self,
        socket: &SocketRef,
        batch: &data_batch::Model,
        from: i64,
    ) -> Result<(), Refusal> {
        let store = &self.connection.state.store;
        let last = batch.last_offset;
        let chunks = batch_chunks::readable(store, batch.into(), from, last)
            .await
            .map_err(|error| {
                tracing::error!(%error, "the stored data chunks could not be listed");
                Refusal::new(ErrorType::ServerError, "ERROR_READING_DATA")
            })?;
        for key in chunks {
            let records = batch_chunks::read(store, &key, from, last)
                .await
                .map_err(|error| {
                    tracing::error!(%error, "a stored data chunk could not be read");
                    Refusal::new(ErrorType::ServerError, "ERROR_READING_DATA")
                })?;
            for group in records.chunks(RECORDS_PER_MESSAGE) {
                if self.stopped.load(Ordering::SeqCst) {
                    return Ok(());
                }
                self.send(socket, group).await?;
            }
        }
        Ok(())
    }

    /// Sends one `data` message and waits for its acknowledgement.
    async fn send(&self, socket: &SocketRef, group: &[OffsetRecord]) -> Result<(), Refusal> {
        let message = DataMessage {
            request_type: "data",
            records: group
                .iter()
                .map(|r| OutgoingRecord {
                    offset: r.offset,
                    record: &r.record,
                })
                .collect(),
        };
        let gone = |_| {
            Refusal::new(
                ErrorType::ServerError,
                "the client stopped acknowledging data",
            )
        };
        let sent = socket
            .timeout(ACK_WAIT)
            .emit_with_ack::<_, rmpv::Value>(self.channel.clone(), &message)
            .map_err(|e| gone(e.to_string()))?;
        sent.await.map_err(|e| gone(e.to_string()))?;
        Ok(())
    }

    async fn fail(&self, socket: &SocketRef, refused: Refusal) {
        let _ = socket.emit(self.channel.clone(), &refused);
        self.finish(socket).await;
    }

    /// Tells the client the batch is done, unless it stopped the fetch itself.
    async fn finish(&self, socket: &SocketRef) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        let stop = Notice {
            request_type: "fetchDataStop",
        };
        if let Ok(answer) = socket
            .timeout(ACK_WAIT)
            .emit_with_ack::<_, rmpv::Value>(self.channel.clone(), &stop)
        {
            let _ = answer.await;
        }
    }
}
