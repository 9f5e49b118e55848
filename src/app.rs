//! The running server's shared state and its start and stop.
//!
//! `Server::start` is what `datapm-registry serve` and the integration tests both call: it
//! opens the database and storage, applies migrations, binds the port and serves until told to
//! stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::activity::ActivityLog;
use crate::auth::jwt::{self, JwtKeys};
use crate::config::ServerConfig;
use crate::domain::file_cache::FileCache;
use crate::domain::sessions::LoginThrottle;
use crate::domain::views::{self, ViewCounts};
use crate::email::{Mailer, SiteInfo};
use crate::graphql::RegistrySchema;
use crate::graphql::response::RootFields;
use crate::socket::locks::StreamLocks;
use crate::storage::{self, Store};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: ServerConfig,
    pub db: DatabaseConnection,
    pub store: Store,
    pub activity: ActivityLog,
    pub jwt: JwtKeys,
    pub mailer: Mailer,
    pub throttle: LoginThrottle,
    pub schema: RegistrySchema,
    /// Which root fields are non-null, for shaping responses whose fields failed.
    pub root_fields: RootFields,
    /// Package-file texts already served.
    pub files: FileCache,
    /// Package views not yet written.
    pub views: ViewCounts,
    /// Streams with an upload in progress.
    pub stream_locks: StreamLocks,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// How long in-flight requests get to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A started server.
pub struct Server {
    pub address: SocketAddr,
    pub state: AppState,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    flusher: JoinHandle<()>,
}

impl Server {
    /// Prepares data, database and storage, then starts serving on the configured address.
    pub async fn start(config: ServerConfig) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(config.listen).await.with_context(|| {
            format!(
                "cannot listen on {}; check PORT (--port) and LISTEN_ADDRESS",
                config.listen
            )
        })?;
        Server::start_on(config, listener).await
    }

    /// Like `start`, on a listener bound by the caller (tests bind port 0 first, so the
    /// registry URL can name the port).
    pub async fn start_on(config: ServerConfig, listener: TcpListener) -> anyhow::Result<Server> {
        prepare_data_dir(&config.data_dir)?;
        let store = open_storage(&config.storage_url).await?;
        Server::start_with_store(config, listener, store).await
    }

    /// Like `start_on`, with a store the caller opened (tests open buckets with settings of
    /// their own rather than the process environment's).
    pub async fn start_with_store(
        config: ServerConfig,
        listener: TcpListener,
        store: Store,
    ) -> anyhow::Result<Server> {
        prepare_data_dir(&config.data_dir)?;
        let db = crate::db::connect(&config.database).await?;
        let applied = crate::db::migrate(&db).await?;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        let address = listener.local_addr()?;
        let secret = jwt::load_or_create_secret(config.jwt_key.as_ref(), &config.data_dir)?;
        let jwt = JwtKeys::new(&secret, config.registry_url.as_str())?;
        let mailer = start_mailer(&config)?;
        let activity = ActivityLog::new(config.activity_log);
        let schema = crate::graphql::build_schema();
        let root_fields = RootFields::of(&schema).await;
        let throttle = LoginThrottle::default();
        let stream_locks = StreamLocks::new(db.clone());
        let shared = Shared {
            config,
            db,
            store,
            activity,
            jwt,
            mailer,
            throttle,
            schema,
            root_fields,
            files: FileCache::default(),
            views: ViewCounts::default(),
            stream_locks,
        };
        let state = AppState(Arc::new(shared));
        let (stop, task) = spawn_server(listener, state.clone());
        let flusher = spawn_view_flusher(state.clone(), stop.subscribe());
        Ok(Server {
            address,
            state,
            stop,
            task,
            flusher,
        })
    }

    /// Stops accepting, lets in-flight requests finish (bounded), then closes the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        match tokio::time::timeout(SHUTDOWN_GRACE, self.task).await {
            Ok(joined) => joined??,
            Err(_) => tracing::warn!("requests still running after the grace period were cut"),
        }
        let _ = self.flusher.await;
        if let Err(error) = self.state.views.flush(&self.state.db).await {
            tracing::error!(%error, "package views counted before shutdown were not written");
        }
        self.state.mailer.flush().await;
        self.state.db.clone().close().await?;
        Ok(())
    }
}

fn spawn_server(
    listener: TcpListener,
    state: AppState,
) -> (watch::Sender<bool>, JoinHandle<std::io::Result<()>>) {
    let (stop, mut stopped) = watch::channel(false);
    let router = crate::http::router(state);
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await
    });
    (stop, task)
}

/// Writes gathered package views every `views::FLUSH_EVERY` until the server stops.
fn spawn_view_flusher(state: AppState, mut stopped: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(views::FLUSH_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stopped.wait_for(|stop| *stop) => return,
            }
            if let Err(error) = state.views.flush(&state.db).await {
                tracing::warn!(%error, "could not write package views; will retry");
            }
        }
    })
}

fn prepare_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let fix = "check DATAPM_DATA_DIR (--data-dir)";
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}; {fix}", dir.display()))?;
    let probe = dir.join(".write-check");
    std::fs::write(&probe, b"ok").with_context(|| {
        format!(
            "the data directory {} is not writable; {fix}",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Opens the store; `storage::open` has already written, read and deleted a probe object.
async fn open_storage(url: &str) -> anyhow::Result<Store> {
    let store = storage::open(url)
        .await
        .map_err(|e| anyhow::anyhow!("STORAGE_URL (--storage-url) cannot be used: {e}"))?;
    tracing::info!(storage = %store.describe(), "object storage is writable");
    Ok(store)
}

fn start_mailer(config: &ServerConfig) -> anyhow::Result<Mailer> {
    let site = SiteInfo {
        registry_name: config.registry_name.clone(),
        registry_url: config.registry_url.as_str().to_owned(),
    };
    if config.smtp.is_none() {
        tracing::warn!(
            "SMTP_SERVER is not set: no email is sent, and new accounts are verified at once"
        );
    }
    Mailer::new(config.smtp.clone(), site)
        .map_err(|e| anyhow::anyhow!("SMTP_FROM_ADDRESS (--smtp-from-address) cannot be used: {e}"))
}
