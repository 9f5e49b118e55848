//! Opening the database and applying migrations.
//!
//! `connect` returns a sea-orm `DatabaseConnection` for either backend; SQLite is opened in WAL
//! mode with foreign keys on, so both backends enforce the same constraints.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::DatabaseTarget;

/// Opens a pool on the configured database, creating an SQLite file (and its folder) if needed.
pub async fn connect(target: &DatabaseTarget) -> anyhow::Result<DatabaseConnection> {
    let options = match target {
        DatabaseTarget::Sqlite { path } => sqlite_options(path)?,
        DatabaseTarget::Postgres { url } => {
            probe_postgres(target, url.expose()).await?;
            postgres_options(url.expose())
        }
    };
    Database::connect(options)
        .await
        .map_err(|e| anyhow::anyhow!(describe_connect_error(target, &e)))
}

fn sqlite_options(path: &std::path::Path) -> anyhow::Result<ConnectOptions> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the database folder {}", folder.display()))?;
    }
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
    options
        .max_connections(8)
        .min_connections(1)
        .test_before_acquire(false)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    Ok(options)
}

/// One direct connection first: the pool would retry a refused connection until its acquire
/// timeout and then report only that it timed out, hiding the reason.
async fn probe_postgres(target: &DatabaseTarget, url: &str) -> anyhow::Result<()> {
    use sea_orm::sqlx::{Connection, PgConnection};
    let attempt = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url)).await;
    let error = match attempt {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            return Ok(());
        }
        Ok(Err(e)) => sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string())),
        Err(_) => sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal("no answer in 5 s".into())),
    };
    anyhow::bail!(describe_connect_error(target, &error))
}

fn postgres_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(16)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(false);
    options
}

/// A pooled connection unused for this long is pinged before it is handed out; busier ones are
/// used directly. Pinging before every statement doubled the round trips to PostgreSQL.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// A connection failure phrased for the operator, without the URL (it may hold a password).
fn describe_connect_error(target: &DatabaseTarget, error: &sea_orm::DbErr) -> String {
    match target {
        DatabaseTarget::Sqlite { path } => format!(
            "cannot open the SQLite database {} ({error}); check DATAPM_DATA_DIR (--data-dir) \
             or DATABASE_URL (--database-url)",
            path.display()
        ),
        DatabaseTarget::Postgres { .. } => format!(
            "cannot connect to PostgreSQL ({error}); check DATABASE_URL (--database-url) or the \
             TYPEORM_* settings"
        ),
    }
}

/// Applies every pending migration; a no-op when the schema is current.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    Migrator::up(db, None)
        .await
        .context("applying database migrations failed")?;
    Ok(pending)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
/// "database is locked" when another connection wrote in between, whatever the busy timeout.
pub async fn write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    db.begin_with_options(options).await
}

/// Serialises transactions that decide something from all users (the first account becomes
/// administrator): on PostgreSQL a table lock until the transaction ends; on SQLite the
/// `write` transaction already holds the only write lock.
pub async fn lock_users(txn: &impl sea_orm::ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
            .await?;
    }
    Ok(())
}
