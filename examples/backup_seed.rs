//! Fills a registry's data directory for `bench/backup.sh`: one user and catalog, `PACKAGES`
//! packages with one version each and a stored package file of equal size per version, and
//! activity rows up to the requested total number of rows.
//!
//! ```sh
//! cargo run --release --example backup_seed -- DATA_DIR ROWS OBJECT_BYTES
//! ```
//!
//! Each object is half random bytes (like the compressed data batches a registry keeps) and
//! half JSON-like text (like package files), so compression has realistic work.

use datapm_registry::config::{DatabaseTarget, default_storage_url};
use datapm_registry::domain::packages::package_file_key;
use datapm_registry::storage;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

const PACKAGES: u64 = 2_000;
const ROWS_PER_INSERT: u64 = 1_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, rows, bytes] = &args[..] else {
        anyhow::bail!("usage: backup_seed DATA_DIR ROWS OBJECT_BYTES");
    };
    let dir = std::path::PathBuf::from(dir);
    let rows: u64 = rows.parse()?;
    let bytes: u64 = bytes.parse()?;

    let target = DatabaseTarget::Sqlite {
        path: dir.join("registry.db"),
    };
    let db = datapm_registry::db::connect(&target).await?;
    datapm_registry::db::migrate(&db).await?;
    seed_rows(&db, rows).await?;

    let store = storage::open(&default_storage_url(&dir)).await?;
    let size = (bytes / PACKAGES) as usize;
    let mut body = vec![0u8; size];
    for package in 1..=PACKAGES {
        fill(&mut body);
        let key = package_file_key(package as i64, 1, 0, 0);
        storage::put_bytes(&*store, &key, body.clone().into()).await?;
    }
    db.close().await?;
    println!("seeded {rows} rows and {PACKAGES} objects of {size} bytes");
    Ok(())
}

async fn seed_rows(db: &DatabaseConnection, rows: u64) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    txn.execute_unprepared(
        "INSERT INTO users (id, username, username_key, email_address, email_key, status) \
         VALUES (1, 'ada', 'ada', 'ada@example.com', 'ada@example.com', 'ACTIVE'); \
         INSERT INTO catalogs (id, slug, slug_key, display_name, creator_id) \
         VALUES (1, 'ada', 'ada', 'ada', 1);",
    )
    .await?;
    insert(
        &txn,
        "packages (id, catalog_id, slug, display_name, creator_id)",
        PACKAGES,
        |i| format!("({i}, 1, 'package-{i}', 'Package {i}', 1)"),
    )
    .await?;
    insert(
        &txn,
        "versions (id, package_id, major, minor, patch, description, update_methods)",
        PACKAGES,
        |i| format!("({i}, {i}, 1, 0, 0, 'first', '[\"BATCH_FULL_SET\"]')"),
    )
    .await?;
    let activity = rows.saturating_sub(2 + 2 * PACKAGES);
    insert(
        &txn,
        "activity_logs (user_id, event_type, target_package_id, additional_properties)",
        activity,
        |i| {
            let package = i % PACKAGES + 1;
            format!("(1, 'PACKAGE_VIEWED', {package}, '{{\"n\":{i}}}')")
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn insert(
    txn: &impl ConnectionTrait,
    into: &str,
    count: u64,
    row: impl Fn(u64) -> String,
) -> anyhow::Result<()> {
    let mut start = 1;
    while start <= count {
        let end = (start + ROWS_PER_INSERT - 1).min(count);
        let values: Vec<String> = (start..=end).map(&row).collect();
        let sql = format!("INSERT INTO {into} VALUES {}", values.join(", "));
        txn.execute_unprepared(&sql).await?;
        start = end + 1;
    }
    Ok(())
}

fn fill(body: &mut [u8]) {
    let half = body.len() / 2;
    let mut rng = rand::rng();
    rng.fill_bytes(&mut body[..half]);
    let mut numbers = vec![0u8; body.len() - half];
    rng.fill_bytes(&mut numbers);
    for (i, (out, n)) in body[half..].iter_mut().zip(numbers).enumerate() {
        *out = match i % 16 {
            0 => b'{',
            1..=5 => b"\"key\""[i % 16 - 1],
            6 => b':',
            15 => b'}',
            _ => b'0' + n % 10,
        };
    }
}
