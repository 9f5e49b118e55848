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
            let url = plain_on_loopback(url.expose());
            probe_postgres(target, &url).await?;
            postgres_options(&url)
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

/// The URL with `sslmode=disable` added when it names a server on this machine and says
/// nothing about TLS. The client would otherwise negotiate TLS whenever the server offers it,
/// which on loopback protects nothing and costs a third of the database's share of each read.
/// An `sslmode` in the URL always wins.
fn plain_on_loopback(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    // `postgres:` is not a scheme the URL standard knows, so an address host arrives as text.
    let host = parsed.host_str().unwrap_or_default();
    let address = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback());
    let names_tls = parsed
        .query_pairs()
        .any(|(name, _)| name.eq_ignore_ascii_case("sslmode"));
    if !loopback || names_tls {
        return url.to_owned();
    }
    parsed.query_pairs_mut().append_pair("sslmode", "disable");
    parsed.into()
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

#[cfg(test)]
mod tests {
    use super::plain_on_loopback;

    #[test]
    fn tls_is_left_out_only_on_loopback_and_only_when_unsaid() {
        assert_eq!(
            plain_on_loopback("postgres://app:pw@127.0.0.1:5432/datapm"),
            "postgres://app:pw@127.0.0.1:5432/datapm?sslmode=disable"
        );
        assert_eq!(
            plain_on_loopback("postgres://app@localhost/datapm?application_name=x"),
            "postgres://app@localhost/datapm?application_name=x&sslmode=disable"
        );
        assert_eq!(
            plain_on_loopback("postgres://app@[::1]/datapm"),
            "postgres://app@[::1]/datapm?sslmode=disable"
        );
        for kept in [
            "postgres://app@127.0.0.1/datapm?sslmode=require",
            "postgres://app@db.internal:5432/datapm",
            "postgres://app@10.0.0.7/datapm",
        ] {
            assert_eq!(plain_on_loopback(kept), kept);
        }
    }
}
