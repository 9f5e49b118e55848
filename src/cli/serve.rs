//! `datapm-registry serve`.

use anyhow::Context;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::app::Server;
use crate::config::ServeOptions;

/// Starts the registry and serves until SIGTERM or Ctrl-C.
pub async fn run(options: ServeOptions) -> anyhow::Result<()> {
    let config = options.resolve()?;
    // Watch for the signals before serving, so one that arrives during start-up still ends
    // in an orderly shutdown rather than the default abrupt exit.
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch for Ctrl-C")?;
    let url = config.registry_url.clone();
    let server = Server::start(config).await?;
    tracing::info!(address = %server.address, registry_url = %url, "serving");
    first_of(&mut terminate, &mut interrupt).await;
    tracing::info!("shutting down: finishing requests in flight");
    server.shutdown().await
}

async fn first_of(terminate: &mut Signal, interrupt: &mut Signal) {
    tokio::select! {
        _ = terminate.recv() => {},
        _ = interrupt.recv() => {},
    }
}
