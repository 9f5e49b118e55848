use std::path::PathBuf;

use datapm_registry::app::Server;
use datapm_registry::config::{DatabaseTarget, RegistryUrl, Secret, ServerConfig};
use datapm_registry::email::{SmtpPassword, SmtpSettings};
use datapm_registry::storage::Store;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Which database a test server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database for one test: an SQLite file in the test's folder, or a new PostgreSQL
/// database on the server named by `DATAPM_TEST_DATABASE_URL`.
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> DatabaseTarget {
    match backend {
        Backend::Sqlite => DatabaseTarget::Sqlite {
            path: dir.join("registry.db"),
        },
        Backend::Postgres => DatabaseTarget::Postgres {
            url: Secret::new(create_pg_database().await),
        },
    }
}

async fn create_pg_database() -> String {
    let admin_url = std::env::var("DATAPM_TEST_DATABASE_URL")
        .expect("DATAPM_TEST_DATABASE_URL must be set to run the PostgreSQL tests");
    let name = format!("datapm_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url)
        .await
        .expect("connect to the test PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    url.to_string()
}

/// Drops a database made by `fresh_database` (SQLite files go with the test's folder).
pub async fn drop_database(database: &DatabaseTarget) {
    let DatabaseTarget::Postgres { url } = database else {
        return;
    };
    let name = url::Url::parse(url.expose())
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned();
    let admin_url = std::env::var("DATAPM_TEST_DATABASE_URL").unwrap();
    let admin = Database::connect(&admin_url).await.unwrap();
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    admin.execute_unprepared(&drop).await.unwrap();
    admin.close().await.unwrap();
}

/// Settings for a test server; change fields before `start`.
pub struct TestConfig {
    pub backend: Backend,
    pub dir: TempDir,
    pub smtp_port: Option<u16>,
    pub activity_log: bool,
    /// An object store opened by the test (a bucket); `None` for files in the data directory.
    pub store: Option<Store>,
}

impl TestConfig {
    pub fn new(backend: Backend) -> Self {
        TestConfig {
            backend,
            dir: tempfile::tempdir().unwrap(),
            smtp_port: None,
            activity_log: false,
            store: None,
        }
    }

    pub async fn start(self) -> TestServer {
        let database = fresh_database(self.backend, self.dir.path()).await;
        self.start_on(database).await
    }

    /// Starts on an existing database, e.g. the one a stopped server used.
    pub async fn start_on(self, database: DatabaseTarget) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = server_config(&self, database.clone(), port);
        let started = match self.store.clone() {
            Some(store) => Server::start_with_store(config, listener, store).await,
            None => Server::start_on(config, listener).await,
        };
        let server = started.expect("the test server starts");
        let url = format!("http://127.0.0.1:{port}");
        TestServer {
            server: Some(server),
            url,
            database,
            config: self,
            http: client(),
        }
    }
}

fn server_config(config: &TestConfig, database: DatabaseTarget, port: u16) -> ServerConfig {
    let data_dir = config.dir.path().join("data");
    ServerConfig {
        storage_url: match &config.store {
            Some(store) => store.describe(),
            None => format!("file://{}", data_dir.join("storage").display()),
        },
        data_dir,
        database,
        registry_url: RegistryUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        registry_name: "Test Registry".into(),
        listen: ([127, 0, 0, 1], port).into(),
        jwt_key: None,
        smtp: config.smtp_port.map(|port| SmtpSettings {
            server: "127.0.0.1".into(),
            port,
            user: None,
            password: SmtpPassword::default(),
            secure: false,
            from_name: "Test Registry".into(),
            from_address: "registry@example.com".into(),
        }),
        activity_log: config.activity_log,
        allow_web_crawlers: false,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A running registry and an HTTP client for it.
pub struct TestServer {
    server: Option<Server>,
    pub url: String,
    pub database: DatabaseTarget,
    pub config: TestConfig,
    pub http: reqwest::Client,
}

/// A GraphQL answer: HTTP status and the parsed body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// `data.<field>`, failing the test with the whole body when there were errors.
    pub fn data(&self, field: &str) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {:#}",
            self.body
        );
        &self.body["data"][field]
    }

    /// The first error's message and code, failing the test when there was none.
    pub fn error(&self) -> (String, String) {
        let error = &self.body["errors"][0];
        assert!(!error.is_null(), "expected an error, got {:#}", self.body);
        let message = error["message"].as_str().unwrap_or_default().to_owned();
        let code = error["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (message, code)
    }
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum As {
    Anonymous,
    ApiKey(String),
    Bearer(String),
}

impl TestServer {
    pub fn data_dir(&self) -> PathBuf {
        self.config.dir.path().join("data")
    }

    pub async fn graphql(&self, query: &str, variables: Value) -> Reply {
        self.graphql_as(&As::Anonymous, query, variables).await
    }

    pub async fn graphql_as(&self, who: &As, query: &str, variables: Value) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        request = match who {
            As::Anonymous => request,
            As::ApiKey(key) => request.header("X-API-Key", key),
            As::Bearer(token) => request.header("Authorization", format!("Bearer {token}")),
        };
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let body = response.json().await.expect("the answer is JSON");
        Reply { status, body }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.url))
    }

    /// Stops the server and hands back its settings, to start again on the same data.
    pub async fn stop(mut self) -> (TestConfig, DatabaseTarget) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
        (self.config, self.database)
    }

    /// Stops the server and drops its PostgreSQL database, if it had one.
    pub async fn finish(self) {
        let (_, database) = self.stop().await;
        drop_database(&database).await;
    }

    pub fn state(&self) -> &datapm_registry::app::AppState {
        &self.server.as_ref().unwrap().state
    }
}
