//! `datapm-registry restore --from FILE|-`: bring an archive back into the configured database
//! and storage, or only verify it with `--check`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use indicatif::{HumanBytes, HumanCount, HumanDuration};

use super::backup::RegistryOptions;
use super::progress::Display;
use crate::domain::archive::restore::{self, Outcome, Source};

#[derive(Debug, Args)]
pub struct RestoreOptions {
    /// The archive to read (`.tar.zst`), or `-` for standard input
    #[arg(long, value_name = "FILE")]
    pub from: String,

    /// Replace whatever the target database and storage hold
    #[arg(long, conflicts_with = "check")]
    pub force: bool,

    /// Only verify the archive completely; change nothing
    #[arg(long)]
    pub check: bool,

    /// Show no progress and no summary
    #[arg(long, short)]
    pub quiet: bool,

    #[command(flatten)]
    pub registry: RegistryOptions,
}

pub async fn run(options: RestoreOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let source = match options.from.as_str() {
        "-" => Source::Stdin,
        path => Source::File(PathBuf::from(path)),
    };
    let display = Arc::new(Display::new(options.quiet));

    let outcome = if options.check {
        restore::check(source, display.clone()).await
    } else {
        restore_into_target(&options, source, display.clone()).await
    };
    display.finish();
    let outcome = outcome?;

    if !options.quiet {
        let kind = options.registry.database.resolve()?.kind();
        println!("{}", summary(&options, kind, &outcome, started));
    }
    Ok(())
}

async fn restore_into_target(
    options: &RestoreOptions,
    source: Source,
    display: Arc<Display>,
) -> anyhow::Result<Outcome> {
    let (db, store) = options.registry.open().await?;
    let outcome = restore::restore(&db, &store, source, options.force, display).await;
    db.close().await?;
    outcome
}

fn summary(options: &RestoreOptions, kind: &str, outcome: &Outcome, started: Instant) -> String {
    let manifest = &outcome.manifest;
    let contents = format!(
        "{} tables ({} rows) and {} objects ({})",
        manifest.tables.len(),
        HumanCount(manifest.row_count()),
        HumanCount(manifest.objects.len() as u64),
        HumanBytes(manifest.object_bytes()),
    );
    let from = if options.from == "-" {
        "standard input"
    } else {
        &options.from
    };
    if options.check {
        format!(
            "{from} is intact: {contents} from {} at {}, datapm-registry {}, {}",
            manifest.database,
            manifest.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            manifest.server_version,
            manifest.migration,
        )
    } else {
        let removed = match outcome.removed_objects {
            0 => String::new(),
            n => format!(", {n} other objects removed"),
        };
        format!(
            "restored {contents} from {from} into the {kind} database{removed} in {}",
            HumanDuration(started.elapsed()),
        )
    }
}
