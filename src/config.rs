//! Settings for every subcommand: defaults < environment < flags, all through clap.
//!
//! The option structs (`DatabaseOptions`, `ServeOptions`) are what clap parses; `resolve` turns
//! them into checked values (`DatabaseTarget`, `ServerConfig`) or an error line that names the
//! variable and the flag that fix it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::{Args, ValueEnum};
use url::Url;

use crate::email::{SmtpPassword, SmtpSettings};

/// The DataPM API version this server implements; clients compare it with their own.
pub const DATAPM_API_VERSION: &str = "0.32.47";

/// This server's own version.
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A setting that cannot work, phrased for the operator who has to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{variable} (--{flag}) {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub flag: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, flag: &'static str, problem: impl Into<String>) -> Self {
        ConfigError {
            variable,
            flag,
            problem: problem.into(),
        }
    }
}

/// A value that must never reach a log line: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// How log lines are written to standard error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable text, coloured on a terminal.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where the database is; shared by every subcommand that opens it.
#[derive(Args, Clone, Debug)]
pub struct DatabaseOptions {
    /// Folder for the embedded defaults: the SQLite database, stored files and the JWT key.
    #[arg(long, env = "DATAPM_DATA_DIR", default_value = "./datapm-data")]
    pub data_dir: PathBuf,

    /// Database URL, `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`
    /// [default: SQLite file `registry.db` in the data directory]
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,

    /// PostgreSQL host, as the original server's TYPEORM_HOST (used when no database URL is set)
    #[arg(long = "pg-host", env = "TYPEORM_HOST")]
    pub typeorm_host: Option<String>,

    /// PostgreSQL port [default: 5432]
    #[arg(long = "pg-port", env = "TYPEORM_PORT")]
    pub typeorm_port: Option<u16>,

    /// PostgreSQL database name [default: postgres]
    #[arg(long = "pg-database", env = "TYPEORM_DATABASE")]
    pub typeorm_database: Option<String>,

    /// PostgreSQL user [default: postgres]
    #[arg(long = "pg-username", env = "TYPEORM_USERNAME")]
    pub typeorm_username: Option<String>,

    /// PostgreSQL password
    #[arg(long = "pg-password", env = "TYPEORM_PASSWORD", hide_env_values = true)]
    pub typeorm_password: Option<Secret>,

    /// PostgreSQL schema [default: public]
    #[arg(long = "pg-schema", env = "TYPEORM_SCHEMA")]
    pub typeorm_schema: Option<String>,
}

/// The database a subcommand connects to, once its settings are checked.
#[derive(Clone, Debug)]
pub enum DatabaseTarget {
    /// An SQLite file, created when missing.
    Sqlite { path: PathBuf },
    /// A PostgreSQL server; the URL may hold a password, so it is a secret.
    Postgres { url: Secret },
}

impl DatabaseTarget {
    /// `sqlite` or `postgres`, for log lines and archive manifests.
    pub fn kind(&self) -> &'static str {
        match self {
            DatabaseTarget::Sqlite { .. } => "sqlite",
            DatabaseTarget::Postgres { .. } => "postgres",
        }
    }
}

impl DatabaseOptions {
    /// The database named by `DATABASE_URL`, else by the `TYPEORM_*` set, else the SQLite file
    /// in the data directory.
    pub fn resolve(&self) -> Result<DatabaseTarget, ConfigError> {
        if let Some(url) = &self.database_url {
            return parse_database_url(url.expose());
        }
        if self.typeorm_host.is_some() || self.typeorm_database.is_some() {
            return Ok(DatabaseTarget::Postgres {
                url: self.typeorm_url(),
            });
        }
        Ok(DatabaseTarget::Sqlite {
            path: self.data_dir.join("registry.db"),
        })
    }

    fn typeorm_url(&self) -> Secret {
        let mut url = Url::parse("postgres://localhost").expect("a constant URL parses");
        let host = self.typeorm_host.as_deref().unwrap_or("localhost");
        let _ = url.set_host(Some(host));
        let _ = url.set_port(Some(self.typeorm_port.unwrap_or(5432)));
        let _ = url.set_username(self.typeorm_username.as_deref().unwrap_or("postgres"));
        if let Some(password) = &self.typeorm_password {
            let _ = url.set_password(Some(password.expose()));
        }
        url.set_path(self.typeorm_database.as_deref().unwrap_or("postgres"));
        if let Some(schema) = &self.typeorm_schema {
            url.query_pairs_mut()
                .append_pair("options", &format!("-c search_path={schema}"));
        }
        Secret::new(String::from(url))
    }
}

fn parse_database_url(raw: &str) -> Result<DatabaseTarget, ConfigError> {
    let bad = |problem: String| ConfigError::new("DATABASE_URL", "database-url", problem);
    if let Some(path) = raw
        .strip_prefix("sqlite://")
        .or_else(|| raw.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(bad("names no SQLite file; write sqlite://PATH".into()));
        }
        return Ok(DatabaseTarget::Sqlite {
            path: PathBuf::from(path),
        });
    }
    let url = Url::parse(raw).map_err(|e| bad(format!("is not a valid URL ({e})")))?;
    match url.scheme() {
        "postgres" | "postgresql" => Ok(DatabaseTarget::Postgres {
            url: Secret::new(raw),
        }),
        other => Err(bad(format!(
            "has the unsupported scheme `{other}`; use sqlite://PATH or postgres://…"
        ))),
    }
}

/// Everything `serve` reads.
#[derive(Args, Clone, Debug)]
pub struct ServeOptions {
    #[command(flatten)]
    pub database: DatabaseOptions,

    /// The public base URL of this registry, as clients reach it
    #[arg(long, env = "REGISTRY_URL", default_value = "http://localhost:4000")]
    pub registry_url: String,

    /// The registry's name, shown in emails and pages
    #[arg(long, env = "REGISTRY_NAME", default_value = "DataPM Registry")]
    pub registry_name: String,

    /// The TCP port to listen on
    #[arg(long, env = "PORT", default_value_t = 4000)]
    pub port: u16,

    /// The address to listen on
    #[arg(long, env = "LISTEN_ADDRESS", default_value = "0.0.0.0")]
    pub listen_address: std::net::IpAddr,

    /// HS256 secret for signing login tokens [default: generated once and kept in the data
    /// directory as `jwt-key`]
    #[arg(long, env = "JWT_KEY", hide_env_values = true)]
    pub jwt_key: Option<Secret>,

    /// Where stored files go: `file://PATH`, `gs://BUCKET/PREFIX` or `s3://BUCKET/PREFIX`
    /// [default: the data directory's `storage/`]
    #[arg(long, env = "STORAGE_URL")]
    pub storage_url: Option<String>,

    /// SMTP server for outgoing email; without it accounts need no email verification
    #[arg(long, env = "SMTP_SERVER")]
    pub smtp_server: Option<String>,

    /// SMTP port
    #[arg(long, env = "SMTP_PORT", default_value_t = 25)]
    pub smtp_port: u16,

    /// SMTP user name
    #[arg(long, env = "SMTP_USER")]
    pub smtp_user: Option<String>,

    /// SMTP password
    #[arg(long, env = "SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<Secret>,

    /// `true` for implicit TLS (usually port 465); otherwise plain SMTP
    #[arg(long, env = "SMTP_SECURE", default_value = "false")]
    pub smtp_secure: String,

    /// Sender name on outgoing email [default: the registry name]
    #[arg(long, env = "SMTP_FROM_NAME")]
    pub smtp_from_name: Option<String>,

    /// Sender address on outgoing email
    #[arg(long, env = "SMTP_FROM_ADDRESS")]
    pub smtp_from_address: Option<String>,

    /// `false` turns off the activity-log JSON lines on standard output
    #[arg(long, env = "ACTIVITY_LOG", default_value = "true")]
    pub activity_log: String,

    /// `true` lets search engines index the registry (robots.txt)
    #[arg(long, env = "ALLOW_WEB_CRAWLERS", default_value = "false")]
    pub allow_web_crawlers: String,
}

/// The public base URL, without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryUrl {
    text: String,
    host: String,
}

impl RegistryUrl {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let bad = |problem: String| ConfigError::new("REGISTRY_URL", "registry-url", problem);
        let url = Url::parse(raw).map_err(|e| bad(format!("is not a valid URL: {raw:?} ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(format!(
                "must start with http:// or https://, not {raw:?}"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad(format!("must not carry a query or fragment: {raw:?}")));
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let text = raw.trim_end_matches('/').to_owned();
        Ok(RegistryUrl { text, host })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host name alone (no port), compared with a request's `Host`.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl fmt::Display for RegistryUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `serve`'s settings after every check.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub database: DatabaseTarget,
    pub registry_url: RegistryUrl,
    pub registry_name: String,
    pub listen: std::net::SocketAddr,
    pub jwt_key: Option<Secret>,
    pub storage_url: String,
    pub smtp: Option<SmtpSettings>,
    pub activity_log: bool,
    pub allow_web_crawlers: bool,
}

impl ServeOptions {
    pub fn resolve(&self) -> Result<ServerConfig, ConfigError> {
        let storage_url = match &self.storage_url {
            Some(url) => url.clone(),
            None => default_storage_url(&self.database.data_dir),
        };
        Ok(ServerConfig {
            data_dir: self.database.data_dir.clone(),
            database: self.database.resolve()?,
            registry_url: RegistryUrl::parse(&self.registry_url)?,
            registry_name: self.registry_name.clone(),
            listen: std::net::SocketAddr::new(self.listen_address, self.port),
            jwt_key: self.jwt_key.clone(),
            storage_url,
            smtp: self.smtp()?,
            activity_log: parse_flag(&self.activity_log, "ACTIVITY_LOG", "activity-log")?,
            allow_web_crawlers: matches!(
                self.allow_web_crawlers.to_ascii_lowercase().as_str(),
                "true" | "1" | "yes"
            ),
        })
    }

    fn smtp(&self) -> Result<Option<SmtpSettings>, ConfigError> {
        let Some(server) = self.smtp_server.clone().filter(|s| !s.trim().is_empty()) else {
            return Ok(None);
        };
        let from_address = self.smtp_from_address.clone().ok_or_else(|| {
            ConfigError::new(
                "SMTP_FROM_ADDRESS",
                "smtp-from-address",
                "must be set when SMTP_SERVER is, so emails have a sender",
            )
        })?;
        let password = self.smtp_password.as_ref().map(|p| p.expose().to_owned());
        Ok(Some(SmtpSettings {
            server,
            port: self.smtp_port,
            user: self.smtp_user.clone().filter(|u| !u.is_empty()),
            password: SmtpPassword::new(password.unwrap_or_default()),
            secure: parse_flag(&self.smtp_secure, "SMTP_SECURE", "smtp-secure")?,
            from_name: self
                .smtp_from_name
                .clone()
                .unwrap_or_else(|| self.registry_name.clone()),
            from_address,
        }))
    }
}

/// `file://` URL of the `storage/` folder inside the data directory.
pub fn default_storage_url(data_dir: &Path) -> String {
    format!("file://{}", data_dir.join("storage").display())
}

fn parse_flag(raw: &str, variable: &'static str, flag: &'static str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" | "" => Ok(false),
        _ => Err(ConfigError::new(
            variable,
            flag,
            format!("must be true or false, not {raw:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_its_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
    }

    #[test]
    fn the_registry_url_loses_its_trailing_slash() {
        let url = RegistryUrl::parse("https://Data.Example.com:8443/").unwrap();
        assert_eq!(url.as_str(), "https://Data.Example.com:8443");
        assert_eq!(url.host(), "data.example.com");
    }

    #[test]
    fn a_registry_url_without_scheme_names_the_variable_and_flag() {
        let err = RegistryUrl::parse("localhost:4000")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("REGISTRY_URL (--registry-url) "), "{err}");
    }

    #[test]
    fn typeorm_variables_build_a_postgres_url() {
        let options = DatabaseOptions {
            data_dir: "./d".into(),
            database_url: None,
            typeorm_host: Some("db.internal".into()),
            typeorm_port: Some(6543),
            typeorm_database: Some("datapm".into()),
            typeorm_username: Some("registry".into()),
            typeorm_password: Some(Secret::new("p@ss word")),
            typeorm_schema: None,
        };
        let DatabaseTarget::Postgres { url } = options.resolve().unwrap() else {
            panic!("expected PostgreSQL");
        };
        assert_eq!(
            url.expose(),
            "postgres://registry:p%40ss%20word@db.internal:6543/datapm"
        );
    }

    #[test]
    fn an_unknown_database_scheme_is_refused() {
        let err = parse_database_url("mysql://x/y").unwrap_err().to_string();
        assert!(err.contains("DATABASE_URL (--database-url)"), "{err}");
        assert!(err.contains("mysql"), "{err}");
    }
}
