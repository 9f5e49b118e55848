//! Package view counts, gathered in memory and added to the database every few seconds.
//!
//! Every `package` query counts a view. Writing each one at once makes concurrent readers of a
//! popular package queue on its row, so views are summed here per package and flushed in one
//! transaction. Each instance adds its own sums (`view_count + n`), so several instances behind
//! one database count correctly; a process killed without its shutdown flush loses at most the
//! views of the last interval.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};

use crate::entity::package;

/// How often gathered views are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// Views counted but not yet written, by package id.
#[derive(Debug, Default)]
pub struct ViewCounts(Mutex<HashMap<i64, i64>>);

impl ViewCounts {
    /// Counts one view of the package.
    pub fn add(&self, package_id: i64) {
        *self.lock().entry(package_id).or_default() += 1;
    }

    /// Views of the package not yet written, to add to the stored count when answering.
    pub fn pending(&self, package_id: i64) -> i64 {
        self.lock().get(&package_id).copied().unwrap_or(0)
    }

    /// Writes the gathered views in one transaction. On failure they are kept for the next
    /// flush, so nothing counted is lost while the database is away.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        let mut taken: Vec<(i64, i64)> = std::mem::take(&mut *self.lock()).into_iter().collect();
        if taken.is_empty() {
            return Ok(());
        }
        // One order for every writer, so two instances flushing at once cannot deadlock.
        taken.sort_unstable();
        let written = write(db, &taken).await;
        if written.is_err() {
            let mut pending = self.lock();
            for (package_id, views) in taken {
                *pending.entry(package_id).or_default() += views;
            }
        }
        written
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, i64>> {
        // The map holds plain counts, so one left by a panicking holder is still sound.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn write(db: &DatabaseConnection, views: &[(i64, i64)]) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    for &(package_id, count) in views {
        // A package deleted since its views were counted matches no row, which is fine.
        package::Entity::update_many()
            .col_expr(
                package::Column::ViewCount,
                Expr::col(package::Column::ViewCount).add(count),
            )
            .filter(package::Column::Id.eq(package_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_package_until_flushed() {
        let views = ViewCounts::default();
        views.add(7);
        views.add(7);
        views.add(9);
        assert_eq!(views.pending(7), 2);
        assert_eq!(views.pending(9), 1);
        assert_eq!(views.pending(8), 0);
    }
}
