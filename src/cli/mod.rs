//! The command line: one module per subcommand, each with an options struct and a `run`.

pub mod backup;
pub mod migrate;
mod progress;
pub mod restore;
pub mod serve;
pub mod user;

use clap::{Parser, Subcommand};

use crate::config::{LogFormat, ServeOptions};

/// A self-hosted registry for DataPM data packages.
#[derive(Debug, Parser)]
#[command(name = "datapm-registry", version, about, propagate_version = true)]
pub struct Cli {
    /// How log lines on standard error are written
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the registry: HTTP, GraphQL and email; applies pending migrations first
    Serve(Box<ServeOptions>),
    /// Apply database migrations, or list them with --status
    Migrate(migrate::MigrateOptions),
    /// Create, list, change, suspend and delete users, and make API keys
    User(user::UserOptions),
    /// Write one archive of the database and the stored files, while the registry serves
    Backup(backup::BackupOptions),
    /// Bring an archive back into an empty registry, or verify one with --check
    Restore(restore::RestoreOptions),
}

impl Cli {
    /// Runs the chosen subcommand to completion.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(options) => serve::run(*options).await,
            Command::Migrate(options) => migrate::run(options).await,
            Command::User(options) => user::run(options).await,
            Command::Backup(options) => backup::run(options).await,
            Command::Restore(options) => restore::run(options).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
