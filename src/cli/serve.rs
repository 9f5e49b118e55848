//! `datapm-registry serve`.

use anyhow::Context;

use crate::app::Server;
use crate::config::ServeOptions;

/// Starts the registry and serves until SIGTERM or Ctrl-C.
pub async fn run(options: ServeOptions) -> anyhow::Result<()> {
    let config = options.resolve()?;
    let url = config.registry_url.clone();
    let server = Server::start(config).await?;
    tracing::info!(address = %server.address, registry_url = %url, "serving");
    shutdown_signal().await?;
    tracing::info!("shutting down: finishing requests in flight");
    server.shutdown().await
}

async fn shutdown_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    tokio::select! {
        _ = terminate.recv() => {},
        result = tokio::signal::ctrl_c() => result.context("cannot watch for Ctrl-C")?,
    }
    Ok(())
}
