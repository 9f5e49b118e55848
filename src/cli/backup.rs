//! `datapm-registry backup --to FILE|-`: one archive of the database and the stored objects,
//! taken while `serve` keeps running. The format is described in `domain::archive`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{HumanBytes, HumanCount, HumanDuration};

use super::progress::Display;
use crate::config::{DatabaseOptions, default_storage_url};
use crate::domain::archive::backup::{self, Destination};
use crate::storage::Store;
use sea_orm::DatabaseConnection;

#[derive(Debug, Args)]
pub struct BackupOptions {
    /// The archive to write (`.tar.zst`), or `-` for standard output
    #[arg(long, value_name = "FILE")]
    pub to: String,

    /// Show no progress and no summary
    #[arg(long, short)]
    pub quiet: bool,

    #[command(flatten)]
    pub registry: RegistryOptions,
}

/// The database and the storage `backup` reads and `restore` writes.
#[derive(Debug, Args)]
pub struct RegistryOptions {
    /// Where stored files are: `file://PATH` [default: the data directory's `storage/`]
    #[arg(long, env = "STORAGE_URL")]
    pub storage_url: Option<String>,

    #[command(flatten)]
    pub database: DatabaseOptions,
}

impl RegistryOptions {
    /// Connects to the database and opens the store, as `serve` would.
    pub async fn open(&self) -> anyhow::Result<(DatabaseConnection, Store)> {
        let target = self.database.resolve()?;
        let storage_url = self
            .storage_url
            .clone()
            .unwrap_or_else(|| default_storage_url(&self.database.data_dir));
        let db = crate::db::connect(&target).await?;
        let store = crate::storage::open(&storage_url)
            .await
            .context("cannot open the storage; check STORAGE_URL (--storage-url)")?;
        Ok((db, store))
    }
}

pub async fn run(options: BackupOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let (db, store) = options.registry.open().await?;

    let destination = match options.to.as_str() {
        "-" => Destination::Stdout,
        path => Destination::File(PathBuf::from(path)),
    };
    let display = Arc::new(Display::new(options.quiet));
    let written = backup::write(&db, &store, destination, display.clone()).await;
    display.finish();
    db.close().await?;
    let written = written.context("the backup failed")?;

    if !options.quiet {
        let manifest = &written.manifest;
        eprintln!(
            "backed up {} tables ({} rows) and {} objects ({}) from {} to {}: {} in {}",
            manifest.tables.len(),
            HumanCount(manifest.row_count()),
            HumanCount(manifest.objects.len() as u64),
            HumanBytes(manifest.object_bytes()),
            manifest.database,
            if options.to == "-" {
                "standard output"
            } else {
                &options.to
            },
            HumanBytes(written.archive_bytes),
            HumanDuration(started.elapsed()),
        );
    }
    Ok(())
}
