//! The binary as an operator runs it: `serve` and `migrate` as child processes in an empty
//! folder with a clean environment, judged by exit status, the files left behind, the HTTP
//! answers and what reaches standard error.
//!
//! `Registry` starts the binary and collects its output. Every wait on it is bounded, and
//! dropping it kills the process, so a failing test leaves nothing running.

mod support;

use std::ffi::OsStr;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::CommandFactory;
use datapm_registry::cli::Cli;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use support::server::Backend;

/// How long `serve` may take to answer `/healthz` once started.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// How long `serve` may take to exit after SIGTERM.
const STOPS_WITHIN: Duration = Duration::from_secs(5);

/// How long a refused start may take; an unreachable database is the slowest case.
const REFUSES_WITHIN: Duration = Duration::from_secs(15);

/// How long one `migrate` run may take.
const MIGRATES_WITHIN: Duration = Duration::from_secs(30);

/// A `datapm-registry` child process, its output collected while it runs.
struct Registry {
    child: Child,
    started: Instant,
    stdout: Capture,
    stderr: Capture,
}

/// How a `datapm-registry` process ended and everything it wrote.
struct Finished {
    status: ExitStatus,
    took: Duration,
    stdout: String,
    stderr: String,
}

impl Registry {
    /// Starts the binary in `dir` with only PATH, HOME and `settings` in its environment.
    fn start(dir: &Path, args: &[&str], settings: &[(&str, &str)]) -> Registry {
        let mut command = Command::new(env!("CARGO_BIN_EXE_datapm-registry"));
        command
            .args(args)
            .current_dir(dir)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for inherited in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(inherited) {
                command.env(inherited, value);
            }
        }
        command.envs(settings.iter().copied());

        let mut child = command.spawn().expect("the datapm-registry binary starts");
        let stdout = Capture::start(child.stdout.take().expect("stdout is piped"));
        let stderr = Capture::start(child.stderr.take().expect("stderr is piped"));
        Registry {
            child,
            started: Instant::now(),
            stdout,
            stderr,
        }
    }

    /// Runs the binary to its end, for at most `limit`.
    fn run(dir: &Path, args: &[&str], settings: &[(&str, &str)], limit: Duration) -> Finished {
        Registry::start(dir, args, settings).wait(limit)
    }

    /// Waits for the process to exit; a process still running after `limit` fails the test
    /// (and is killed when dropped).
    fn wait(&mut self, limit: Duration) -> Finished {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self
                .child
                .try_wait()
                .expect("the child's status is readable")
            {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "datapm-registry still runs after {limit:?}; stderr so far:\n{}",
                self.stderr.text()
            );
            std::thread::sleep(Duration::from_millis(25));
        };
        Finished {
            status,
            took: self.started.elapsed(),
            stdout: self.stdout.finish(),
            stderr: self.stderr.finish(),
        }
    }

    /// Sends SIGTERM, as a service manager does.
    fn terminate(&self) {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(
            kill.expect("kill runs").success(),
            "kill -TERM {pid} failed"
        );
    }

    /// Sends SIGTERM to a started `serve` and waits for the exit.
    fn stop(&mut self) -> Finished {
        self.terminate();
        self.wait(STOPS_WITHIN)
    }

    /// Polls `GET /healthz` on `port` until it answers 200.
    async fn wait_until_ready(&mut self, port: u16) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}/healthz");
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status() == 200
            {
                return;
            }
            let exited = self
                .child
                .try_wait()
                .expect("the child's status is readable");
            assert!(
                exited.is_none(),
                "serve exited ({exited:?}) before it was ready; stderr:\n{}",
                self.stderr.text()
            );
            assert!(
                Instant::now() < deadline,
                "serve did not answer /healthz within {READY_WITHIN:?}; stderr:\n{}",
                self.stderr.text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One output stream of the child, read on a thread so the child never blocks on a full pipe.
struct Capture {
    bytes: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Capture {
    fn start(mut stream: impl Read + Send + 'static) -> Capture {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = bytes.clone();
        let reader = std::thread::spawn(move || {
            let mut buffer = [0; 8192];
            while let Ok(read @ 1..) = stream.read(&mut buffer) {
                sink.lock().unwrap().extend_from_slice(&buffer[..read]);
            }
        });
        Capture {
            bytes,
            reader: Some(reader),
        }
    }

    /// What has arrived so far.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().unwrap()).into_owned()
    }

    /// Everything the stream carried; call once the child has exited and closed it.
    fn finish(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.text()
    }
}

/// A loopback port with nothing listening on it (bound, then released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("listener address").port()
}

/// `registryStatus`, asked over the loopback address.
async fn registry_status(port: u16) -> Value {
    let reply: Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({ "query": "{ registryStatus { status registryUrl } }" }))
        .send()
        .await
        .expect("the registry answers")
        .json()
        .await
        .expect("the answer is JSON");
    reply["data"]["registryStatus"].clone()
}

/// Whether an SQLite file is in WAL mode. SQLite sets bytes 18 and 19 of the file header to 2
/// in WAL mode (1 with a rollback journal); reading them needs no SQLite connection, which could
/// itself switch the mode.
fn sqlite_file_is_in_wal_mode(path: &Path) -> bool {
    let bytes = std::fs::read(path).expect("the database file is readable");
    bytes.get(18..20) == Some(&[2, 2])
}

fn permission_bits(path: &Path) -> u32 {
    let metadata = std::fs::metadata(path).expect("the file exists");
    metadata.permissions().mode() & 0o777
}

#[tokio::test]
async fn serve_with_only_a_port_set_makes_its_data_directory_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut registry = Registry::start(dir.path(), &["serve"], &[("PORT", &port.to_string())]);
    registry.wait_until_ready(port).await;

    let data = dir.path().join("datapm-data");
    assert!(data.join("registry.db").is_file(), "no registry.db");
    assert!(data.join("registry.db-wal").is_file(), "no WAL file");
    assert!(data.join("storage").is_dir(), "no storage folder");
    assert_eq!(permission_bits(&data.join("jwt-key")), 0o600);
    let status = registry_status(port).await;
    assert_eq!(status["status"], "SERVING_REQUESTS");
    assert_eq!(status["registryUrl"], "http://localhost:4000");

    let stopped = registry.stop();
    assert_eq!(
        stopped.status.code(),
        Some(0),
        "stderr:\n{}",
        stopped.stderr
    );
    assert!(sqlite_file_is_in_wal_mode(&data.join("registry.db")));
}

#[tokio::test]
async fn a_restarted_serve_keeps_its_signing_key_and_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("datapm-data");
    let port = free_port();
    let mut first = Registry::start(dir.path(), &["serve"], &[("PORT", &port.to_string())]);
    first.wait_until_ready(port).await;
    let first_run = first.stop();
    assert_eq!(first_run.status.code(), Some(0), "{}", first_run.stderr);
    assert!(first_run.stderr.contains("database migrations applied"));
    let key = std::fs::read(data.join("jwt-key")).unwrap();
    let database = std::fs::metadata(data.join("registry.db")).unwrap().ino();

    let port = free_port();
    let mut second = Registry::start(dir.path(), &["serve"], &[("PORT", &port.to_string())]);
    second.wait_until_ready(port).await;
    assert_eq!(std::fs::read(data.join("jwt-key")).unwrap(), key);
    assert_eq!(
        std::fs::metadata(data.join("registry.db")).unwrap().ino(),
        database
    );
    assert_eq!(registry_status(port).await["status"], "SERVING_REQUESTS");
    let second_run = second.stop();
    assert_eq!(second_run.status.code(), Some(0), "{}", second_run.stderr);
    // The schema was already there: nothing to apply the second time.
    assert!(!second_run.stderr.contains("database migrations applied"));
}

#[test]
fn every_documented_serve_default_is_the_default_of_its_flag() {
    // Read from the command definition, not from a parse: a parse would see whatever this
    // test process happens to have in its environment.
    let cli = Cli::command();
    let serve = cli.find_subcommand("serve").expect("a serve subcommand");
    for (variable, documented) in [
        ("PORT", "4000"),
        ("REGISTRY_URL", "http://localhost:4000"),
        ("REGISTRY_NAME", "DataPM Registry"),
        ("ACTIVITY_LOG", "true"),
        ("DATAPM_DATA_DIR", "./datapm-data"),
    ] {
        let flag = serve
            .get_arguments()
            .find(|arg| arg.get_env() == Some(OsStr::new(variable)))
            .unwrap_or_else(|| panic!("no serve flag reads {variable}"));
        let defaults: Vec<_> = flag
            .get_default_values()
            .iter()
            .map(|value| value.to_string_lossy())
            .collect();
        assert_eq!(defaults, [documented], "the default of {variable}");
    }
}

/// Starts `serve` with `settings` on a free port in an empty folder and expects it to give up
/// within `REFUSES_WITHIN`: a failure status, and one stderr line, the last, that names the
/// setting to fix (`names`, such as `PORT (--port)`).
fn assert_start_refused(settings: &[(&str, &str)], names: &str) -> Finished {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let mut environment = vec![("PORT", port.as_str())];
    environment.extend_from_slice(settings);
    let finished = Registry::run(dir.path(), &["serve"], &environment, REFUSES_WITHIN);

    assert!(
        !finished.status.success(),
        "serve started with {settings:?}"
    );
    let stderr = &finished.stderr;
    let naming: Vec<&str> = stderr.lines().filter(|line| line.contains(names)).collect();
    assert_eq!(naming.len(), 1, "one line should name {names}:\n{stderr}");
    assert!(naming[0].starts_with("error: "), "{stderr}");
    assert_eq!(stderr.lines().last(), Some(naming[0]), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    finished
}

#[test]
fn a_registry_url_without_a_scheme_stops_the_start() {
    assert_start_refused(
        &[("REGISTRY_URL", "localhost:4000")],
        "REGISTRY_URL (--registry-url)",
    );
}

#[test]
fn a_data_directory_under_a_regular_file_stops_the_start() {
    let elsewhere = tempfile::tempdir().unwrap();
    let file = elsewhere.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let data_dir = file.join("data");
    assert_start_refused(
        &[("DATAPM_DATA_DIR", data_dir.to_str().unwrap())],
        "DATAPM_DATA_DIR (--data-dir)",
    );
}

#[test]
fn an_ftp_storage_url_stops_the_start() {
    assert_start_refused(
        &[("STORAGE_URL", "ftp://x/y")],
        "STORAGE_URL (--storage-url)",
    );
}

#[test]
fn an_unreachable_postgres_server_stops_the_start_within_fifteen_seconds() {
    let refused = assert_start_refused(
        &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing")],
        "DATABASE_URL (--database-url)",
    );
    assert!(refused.took < REFUSES_WITHIN, "took {:?}", refused.took);
}

#[test]
fn a_mysql_database_url_stops_the_start() {
    let refused = assert_start_refused(
        &[("DATABASE_URL", "mysql://x")],
        "DATABASE_URL (--database-url)",
    );
    assert!(refused.stderr.contains("unsupported scheme `mysql`"));
}

#[test]
fn an_smtp_server_without_a_sender_address_stops_the_start() {
    assert_start_refused(
        &[("SMTP_SERVER", "localhost")],
        "SMTP_FROM_ADDRESS (--smtp-from-address)",
    );
}

#[test]
fn an_activity_log_setting_that_is_not_true_or_false_stops_the_start() {
    assert_start_refused(
        &[("ACTIVITY_LOG", "maybe")],
        "ACTIVITY_LOG (--activity-log)",
    );
}

#[test]
fn secrets_appear_neither_in_a_refused_start_nor_in_the_help_text() {
    let secrets = ["supersecretvalue123", "smtppass456", "dbpass789"];
    let settings = [
        ("JWT_KEY", "supersecretvalue123"),
        ("SMTP_SERVER", "127.0.0.1"),
        ("SMTP_FROM_ADDRESS", "registry@example.com"),
        ("SMTP_USER", "registry"),
        ("SMTP_PASSWORD", "smtppass456"),
        ("DATABASE_URL", "postgres://u:dbpass789@127.0.0.1:1/x"),
    ];
    let refused = assert_start_refused(&settings, "DATABASE_URL (--database-url)");
    let dir = tempfile::tempdir().unwrap();
    let help = Registry::run(dir.path(), &["serve", "--help"], &settings, REFUSES_WITHIN);
    assert!(help.status.success(), "{}", help.stderr);
    // The variables are listed, their values are not.
    assert!(help.stdout.contains("[env: JWT_KEY]"), "{}", help.stdout);

    let outputs = [
        ("the refused start's stderr", &refused.stderr),
        ("the refused start's stdout", &refused.stdout),
        ("serve --help", &help.stdout),
    ];
    for secret in secrets {
        for (name, text) in outputs {
            assert!(
                !text.contains(secret),
                "{secret} appears in {name}:\n{text}"
            );
        }
    }
}

/// A supervisor may stop a service while it starts. The data directory appears early in
/// start-up, so the signal lands while the database is being prepared; `serve` must still shut
/// down in order and exit with status 0.
#[test]
fn a_sigterm_while_serve_starts_still_ends_with_status_zero() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let mut registry = Registry::start(dir.path(), &["serve"], &[("PORT", &port)]);
    let deadline = Instant::now() + READY_WITHIN;
    while !dir.path().join("datapm-data").exists() {
        assert!(Instant::now() < deadline, "no data directory appeared");
        std::thread::sleep(Duration::from_millis(1));
    }
    registry.terminate();
    let stopped = registry.wait(READY_WITHIN + STOPS_WITHIN);
    assert_eq!(
        stopped.status.code(),
        Some(0),
        "{:?}; stderr:\n{}",
        stopped.status,
        stopped.stderr
    );
}

/// At `RUST_LOG=trace` sea-orm opens a span on its PostgreSQL connector that records the whole
/// `ConnectOptions`, URL and password included; no line may carry the password. It takes a
/// server that answers, so this test needs the test PostgreSQL.
#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "skipped: set DATAPM_TEST_DATABASE_URL to run on PostgreSQL"
)]
fn a_database_password_stays_out_of_trace_level_logs() {
    let admin = std::env::var("DATAPM_TEST_DATABASE_URL")
        .expect("DATAPM_TEST_DATABASE_URL names the test PostgreSQL");
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_password(Some("dbpass789")).unwrap();
    url.set_path(&format!(
        "datapm_cli_missing_{}",
        uuid::Uuid::new_v4().simple()
    ));

    let refused = assert_start_refused(
        &[("RUST_LOG", "trace"), ("DATABASE_URL", url.as_str())],
        "DATABASE_URL (--database-url)",
    );
    let leaks: Vec<&str> = refused
        .stderr
        .lines()
        .filter(|line| line.contains("dbpass789"))
        .collect();
    assert!(
        leaks.is_empty(),
        "{} stderr lines carry the password, the first:\n{}",
        leaks.len(),
        leaks
            .first()
            .map(|l| &l[..l.len().min(400)])
            .unwrap_or_default()
    );
}

/// The URL of an empty database for one test: an SQLite file in `dir`, or a new PostgreSQL
/// database on the server `DATAPM_TEST_DATABASE_URL` names.
async fn fresh_database_url(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("x.db").display()),
        Backend::Postgres => {
            let name = format!("datapm_cli_{}", uuid::Uuid::new_v4().simple());
            on_test_postgres(&format!("CREATE DATABASE {name}")).await;
            let mut url = url::Url::parse(&test_postgres_url()).unwrap();
            url.set_path(&name);
            url.into()
        }
    }
}

/// Drops a PostgreSQL database made by `fresh_database_url`; an SQLite file goes with its folder.
async fn remove_database(backend: Backend, database_url: &str) {
    if backend == Backend::Postgres {
        let url = url::Url::parse(database_url).unwrap();
        let name = url.path().trim_start_matches('/');
        on_test_postgres(&format!("DROP DATABASE IF EXISTS {name}")).await;
    }
}

fn test_postgres_url() -> String {
    std::env::var("DATAPM_TEST_DATABASE_URL")
        .expect("DATAPM_TEST_DATABASE_URL must be set to run the PostgreSQL tests")
}

async fn on_test_postgres(sql: &str) {
    let admin = Database::connect(test_postgres_url())
        .await
        .expect("connect to the test PostgreSQL");
    admin.execute_unprepared(sql).await.unwrap();
    admin.close().await.unwrap();
}

on_both_databases! {
    async fn migrate_applies_each_migration_once_and_lists_them_all_as_applied(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let database_url = fresh_database_url(backend, dir.path()).await;
        let kind = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let migrate = |args: &[&str]| {
            let settings = [("DATABASE_URL", database_url.as_str())];
            let finished = Registry::run(dir.path(), args, &settings, MIGRATES_WITHIN);
            assert!(finished.status.success(), "{args:?} failed:\n{}", finished.stderr);
            finished.stdout
        };
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|migration| migration.name().to_owned())
            .collect();

        assert_eq!(
            migrate(&["migrate"]),
            format!("{} migration(s) applied; the {kind} database is up to date\n", names.len())
        );
        assert_eq!(
            migrate(&["migrate"]),
            format!("0 migration(s) applied; the {kind} database is up to date\n")
        );
        let listed: Vec<Vec<String>> = migrate(&["migrate", "--status"])
            .lines()
            .map(|line| line.split_whitespace().map(str::to_owned).collect())
            .collect();
        let expected: Vec<Vec<String>> = names
            .iter()
            .map(|name| vec!["applied".to_owned(), name.clone()])
            .collect();
        assert_eq!(listed, expected);
        remove_database(backend, &database_url).await;
    }
}

/// A JSON log line's message: at the top level with flattened events, else under `fields`.
fn log_message(line: &Value) -> Option<&str> {
    line["message"]
        .as_str()
        .or_else(|| line["fields"]["message"].as_str())
}

#[tokio::test]
async fn json_logs_put_one_object_on_each_stderr_line_with_route_status_and_duration() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let args = ["serve", "--log-format", "json"];
    let mut registry = Registry::start(dir.path(), &args, &[("PORT", &port.to_string())]);
    registry.wait_until_ready(port).await;
    let stopped = registry.stop();
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);

    let lines: Vec<Value> = stopped
        .stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    for line in &lines {
        assert!(line["level"].is_string(), "no level: {line}");
        assert!(log_message(line).is_some(), "no message: {line}");
        assert!(
            line.get("_type").is_none(),
            "an activity line on stderr: {line}"
        );
    }
    let request = lines
        .iter()
        .find(|line| log_message(line) == Some("request") && line["route"] == "/healthz")
        .unwrap_or_else(|| panic!("no request line for /healthz:\n{}", stopped.stderr));
    assert_eq!(request["method"], "GET");
    assert_eq!(request["status"], 200);
    assert!(request["duration_ms"].is_number(), "{request}");

    // Standard output is the activity log's alone: no log line lands there.
    for line in stopped.stdout.lines() {
        let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(event["_type"], "ActivityLog", "{line}");
    }
}
