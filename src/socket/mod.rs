//! The Socket.IO data channel at `/ws/`: how the DataPM CLI uploads and fetches the records of
//! packages published with `SCHEMA_AND_DATA` (api.md §1.4, behavior.md §10).
//!
//! [`layer`] builds the tower layer the HTTP router mounts. Each connection is authenticated
//! once from the handshake's `auth` object ([`Connection`]), then gets its request handlers
//! and the `ready` event. Requests live in their own modules: `upload` (`startDataUpload` and
//! its channel), `fetch` (`openFetchChannel` and its channel) and `streams` (schema info, sink
//! state, active batches). `wire` holds the message shapes and the notepack date form; `locks`
//! keeps one uploader per stream.

mod access;
mod fetch;
pub mod locks;
mod streams;
mod upload;
pub mod wire;

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use socketioxide::extract::{Event, SocketRef, TryData};
use socketioxide::layer::SocketIoLayer;
use socketioxide::{ParserConfig, SocketIo};

use crate::app::AppState;
use crate::auth::{self, AuthFailure, Viewer};

/// The Socket.IO path, as the DataPM clients expect it.
pub const PATH: &str = "/ws/";

/// The largest message accepted from a client. Clients send records in messages of a few
/// hundred; this bounds what one connection can make the server hold.
pub const MAX_MESSAGE_BYTES: u64 = 16 * 1024 * 1024;

/// The Socket.IO layer serving [`PATH`] with the msgpack parser.
pub fn layer(state: AppState) -> SocketIoLayer {
    let (layer, io) = SocketIo::builder()
        .req_path(PATH.trim_end_matches('/'))
        .with_parser(ParserConfig::msgpack())
        .max_payload(MAX_MESSAGE_BYTES)
        .build_layer();
    io.ns(
        "/",
        move |socket: SocketRef, TryData(handshake): TryData<Handshake>| {
            let state = state.clone();
            async move { connect(state, socket, handshake.unwrap_or_default()).await }
        },
    );
    layer
}

/// The handshake's `auth` object. Values are kept loose to refuse arrays with a clear reason.
#[derive(Debug, Default, Deserialize)]
struct Handshake {
    token: Option<rmpv::Value>,
    bearer: Option<rmpv::Value>,
}

/// One authenticated connection: who it is, and the uploads to close when it drops.
pub struct Connection {
    pub state: AppState,
    pub viewer: Option<Viewer>,
    uploads: Mutex<Vec<Arc<upload::Upload>>>,
}

impl Connection {
    /// The signed-in user's id, if any.
    pub fn user_id(&self) -> Option<i64> {
        self.viewer.as_ref().map(|v| v.user.id)
    }
}

async fn connect(state: AppState, socket: SocketRef, handshake: Handshake) {
    let viewer = match authenticate(&state, &handshake).await {
        Ok(viewer) => viewer,
        Err(reason) => {
            tracing::info!(socket = %socket.id, reason, "Socket.IO connection refused");
            let _ = socket.disconnect();
            return;
        }
    };
    let connection = Arc::new(Connection {
        state,
        viewer,
        uploads: Mutex::new(Vec::new()),
    });
    upload::register(&socket, &connection);
    fetch::register(&socket, &connection);
    streams::register(&socket, &connection);
    socket.on_fallback(async |Event(event): Event| {
        tracing::debug!(event, "unhandled Socket.IO event");
    });
    socket.on_disconnect(move || {
        let connection = connection.clone();
        async move { upload::close_all(&connection).await }
    });
    let _ = socket.emit("ready", &[(); 0]);
}

/// The viewer named by the handshake: `token` is an API key, `bearer` a JWT, neither is
/// anonymous. The error is the reason to log.
async fn authenticate(
    state: &AppState,
    handshake: &Handshake,
) -> Result<Option<Viewer>, &'static str> {
    if let Some(token) = &handshake.token {
        let key = single_text(token).ok_or("TOKEN_MUST_BE_SINGLE_VALUE")?;
        return match auth::by_api_key(state, key).await {
            Ok(viewer) => Ok(Some(viewer)),
            Err(failure) => Err(reason(&failure, "the API key in auth.token is not valid")),
        };
    }
    if let Some(bearer) = &handshake.bearer {
        let token = single_text(bearer).ok_or("BEARER_MUST_BE_SINGLE_VALUE")?;
        return match auth::by_token(state, token).await {
            Ok(Some(viewer)) => Ok(Some(viewer)),
            Ok(None) => Err("the user of the JWT in auth.bearer no longer exists"),
            Err(failure) => Err(reason(&failure, "the JWT in auth.bearer is not valid")),
        };
    }
    Ok(None)
}

fn single_text(value: &rmpv::Value) -> Option<&str> {
    value.as_str()
}

fn reason(failure: &AuthFailure, refused: &'static str) -> &'static str {
    match failure {
        AuthFailure::Unavailable => "the database could not be reached to check credentials",
        _ => refused,
    }
}

/// An activity event about a data batch of `package_identifier` (`catalog/package`).
fn batch_event(
    event_type: &'static str,
    user_id: Option<i64>,
    package_identifier: &str,
    batch: &crate::entity::data_batch::Model,
) -> crate::activity::ActivityEvent {
    let mut event = crate::activity::ActivityEvent::new(event_type);
    event.user_id = user_id;
    event.target_package_id = Some(batch.package_id);
    event.target_package_identifier = Some(package_identifier.to_owned());
    event.target_batch_number = Some(batch.batch);
    event.target_data_batch_id = Some(batch.id);
    event
}

/// Stores and prints an activity event; a failure is logged and does not fail the request.
async fn record(state: &AppState, event: crate::activity::ActivityEvent) {
    if let Err(error) = state.activity.record(&state.db, event).await {
        tracing::warn!(%error, "could not record a data activity event");
    }
}
