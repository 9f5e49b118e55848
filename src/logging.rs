//! Log lines on standard error: readable text, or JSON with `--log-format json`. `RUST_LOG`
//! picks what is shown (default `info`). Standard output is kept for activity-log lines.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; call once, first thing, and keep the guard until exit: lines
/// are written by a background thread, so a request never waits on standard error, and the
/// guard flushes what is left when it drops.
pub fn init(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"))
        // sea-orm's driver spans carry the connection options, password included, at trace
        // level; keep them out whatever RUST_LOG asks for.
        .add_directive(
            "sea_orm::driver=debug"
                .parse()
                .expect("a constant directive parses"),
        );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
    guard
}
