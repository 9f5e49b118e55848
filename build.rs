//! Turns on the test variants that need a service when its variable is set at build time; without
//! it they are compiled as ignored, so test runs count them as skipped:
//! - `postgres_tests`: the PostgreSQL variants of the database tests, from
//!   `DATAPM_TEST_DATABASE_URL`;
//! - `gcs_tests` and `s3_tests`: the storage tests against fake-gcs-server and moto's S3, from
//!   `DATAPM_TEST_GCS_ENDPOINT` and `DATAPM_TEST_S3_ENDPOINT`.

const SWITCHES: [(&str, &str); 3] = [
    ("postgres_tests", "DATAPM_TEST_DATABASE_URL"),
    ("gcs_tests", "DATAPM_TEST_GCS_ENDPOINT"),
    ("s3_tests", "DATAPM_TEST_S3_ENDPOINT"),
];

fn main() {
    for (cfg, variable) in SWITCHES {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={variable}");
        if std::env::var_os(variable).is_some_and(|v| !v.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
