//! `datapm-registry migrate`: apply pending migrations, or list them.

use clap::Args;
use migration::{Migrator, MigratorTrait};

use crate::config::DatabaseOptions;

#[derive(Debug, Args)]
pub struct MigrateOptions {
    #[command(flatten)]
    pub database: DatabaseOptions,

    /// List applied and pending migrations without changing anything
    #[arg(long)]
    pub status: bool,
}

pub async fn run(options: MigrateOptions) -> anyhow::Result<()> {
    let target = options.database.resolve()?;
    let db = crate::db::connect(&target).await?;
    if options.status {
        for migration in Migrator::get_migration_with_status(&db).await? {
            println!(
                "{:<8} {}",
                format!("{:?}", migration.status()).to_lowercase(),
                migration.name()
            );
        }
    } else {
        let applied = crate::db::migrate(&db).await?;
        println!(
            "{applied} migration(s) applied; the {} database is up to date",
            target.kind()
        );
    }
    db.close().await?;
    Ok(())
}
