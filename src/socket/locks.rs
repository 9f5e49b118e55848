//! One uploader per stream, across every server that shares the database: a stream is leased in
//! the `stream_uploads` table from `startDataUpload` until its upload stops or its connection
//! drops. Each stored message renews the lease; a lease left unrenewed for [`LEASE`] (its server
//! was killed mid-upload) lapses, and the stream can be uploaded to again.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement, Value};

use crate::domain::batches::StreamKey;

/// How long a lease lasts without being renewed.
pub const LEASE: Duration = Duration::from_secs(60);

/// Takes leases on streams; cheap to clone.
#[derive(Clone, Debug)]
pub struct StreamLocks {
    db: DatabaseConnection,
}

/// A lease on a stream, held while it is uploaded to. [`StreamLock::release`] gives it up;
/// dropping it unreleased gives it up in the background.
#[derive(Debug)]
pub struct StreamLock {
    db: DatabaseConnection,
    stream: String,
    holder: String,
    released: bool,
}

impl StreamLocks {
    pub fn new(db: DatabaseConnection) -> StreamLocks {
        StreamLocks { db }
    }

    /// Leases `stream`, or `None` while another upload holds an unlapsed lease on it.
    pub async fn try_lock(&self, stream: &StreamKey) -> Result<Option<StreamLock>, DbErr> {
        let stream = stream_text(stream);
        let holder = uuid::Uuid::new_v4().simple().to_string();
        let now = now_millis();
        // The insert, or the take-over of a lapsed lease, changes one row; a live lease, none.
        let taken = execute(
            &self.db,
            "INSERT INTO stream_uploads (stream, holder, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (stream) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at WHERE stream_uploads.expires_at < ?",
            [
                stream.clone().into(),
                holder.clone().into(),
                (now + lease_millis()).into(),
                now.into(),
            ],
        )
        .await?;
        Ok((taken == 1).then(|| StreamLock {
            db: self.db.clone(),
            stream,
            holder,
            released: false,
        }))
    }
}

impl StreamLock {
    /// Extends the lease by [`LEASE`] from now; `false` when it lapsed and another upload has
    /// taken the stream since.
    pub async fn renew(&self) -> Result<bool, DbErr> {
        let renewed = execute(
            &self.db,
            "UPDATE stream_uploads SET expires_at = ? WHERE stream = ? AND holder = ?",
            [
                (now_millis() + lease_millis()).into(),
                self.stream.clone().into(),
                self.holder.clone().into(),
            ],
        )
        .await?;
        Ok(renewed == 1)
    }

    /// Gives the stream up, unless another upload has taken it after a lapse.
    pub async fn release(mut self) -> Result<(), DbErr> {
        self.released = true;
        delete(&self.db, &self.stream, &self.holder).await
    }
}

impl Drop for StreamLock {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (db, stream, holder) = (self.db.clone(), self.stream.clone(), self.holder.clone());
        runtime.spawn(async move {
            if let Err(error) = delete(&db, &stream, &holder).await {
                tracing::warn!(%error, "a stream lease could not be given up; it lapses on its own");
            }
        });
    }
}

async fn delete(db: &DatabaseConnection, stream: &str, holder: &str) -> Result<(), DbErr> {
    execute(
        db,
        "DELETE FROM stream_uploads WHERE stream = ? AND holder = ?",
        [stream.into(), holder.into()],
    )
    .await
    .map(|_| ())
}

/// Runs `sql`, written with `?` placeholders, and returns the rows it changed.
async fn execute<const N: usize>(
    db: &DatabaseConnection,
    sql: &str,
    values: [Value; N],
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => numbered_placeholders(sql),
        _ => sql.to_owned(),
    };
    let result = db
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(result.rows_affected())
}

/// `?, ?` as PostgreSQL's `$1, $2`.
fn numbered_placeholders(sql: &str) -> String {
    let mut numbered = String::with_capacity(sql.len() + 8);
    let mut next = 0;
    for c in sql.chars() {
        if c == '?' {
            next += 1;
            numbered.push_str(&format!("${next}"));
        } else {
            numbered.push(c);
        }
    }
    numbered
}

/// The stream's identity as one unambiguous text: its parts as a JSON array.
fn stream_text(stream: &StreamKey) -> String {
    serde_json::json!([
        stream.package_id,
        stream.major_version,
        stream.schema_title,
        stream.source_type,
        stream.source_slug,
        stream.stream_set_slug,
        stream.stream_slug,
    ])
    .to_string()
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn lease_millis() -> i64 {
    LEASE.as_millis() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgresql() {
        assert_eq!(
            numbered_placeholders("UPDATE t SET a = ? WHERE b = ? AND c = ?"),
            "UPDATE t SET a = $1 WHERE b = $2 AND c = $3"
        );
    }
}
