//! Turns on the PostgreSQL variants of the database tests when `DATAPM_TEST_DATABASE_URL` is set
//! at build time; without it they are compiled as ignored, so test runs count them as skipped.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=DATAPM_TEST_DATABASE_URL");
    if std::env::var_os("DATAPM_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
