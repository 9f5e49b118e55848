//! Shared test harness: a registry started in-process on port 0 over SQLite or PostgreSQL,
//! driven with real HTTP.
#![allow(dead_code)]

pub mod accounts;
pub mod package_files;
pub mod publish;
pub mod server;
pub mod smtp;
pub mod storage;

/// Defines a test that runs once on SQLite and once on PostgreSQL. The PostgreSQL variant is
/// ignored (reported as skipped) unless `DATAPM_TEST_DATABASE_URL` was set when tests were built.
#[macro_export]
macro_rules! on_both_databases {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($backend: $crate::support::server::Backend) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::support::server::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    not(postgres_tests),
                    ignore = "skipped: set DATAPM_TEST_DATABASE_URL to run on PostgreSQL"
                )]
                async fn postgres() {
                    run($crate::support::server::Backend::Postgres).await
                }
            }
        )*
    };
}
