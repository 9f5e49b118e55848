//! The values the mailer is built from. The config module fills these; nothing here reads the
//! environment.

use std::fmt;

/// How to reach the SMTP server and whom mail is sent as (`SMTP_*` variables).
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// Host name of the SMTP server (`SMTP_SERVER`).
    pub server: String,
    /// Port of the SMTP server (`SMTP_PORT`, usually 25, 465 or 587).
    pub port: u16,
    /// User to authenticate as (`SMTP_USER`); `None` sends without authenticating.
    pub user: Option<String>,
    /// Password for `user` (`SMTP_PASSWORD`); ignored without a user.
    pub password: SmtpPassword,
    /// `true` connects with implicit TLS (`SMTP_SECURE=true`); `false` speaks plain SMTP and,
    /// like the original server, never upgrades with STARTTLS.
    pub secure: bool,
    /// Display name of the sender (`SMTP_FROM_NAME`).
    pub from_name: String,
    /// Address mail is sent from (`SMTP_FROM_ADDRESS`).
    pub from_address: String,
}

/// The SMTP password. Its `Debug` output is `[redacted]` so settings can be logged whole.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SmtpPassword(String);

impl SmtpPassword {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password itself, for handing to the SMTP transport only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for SmtpPassword {
    fn from(password: String) -> Self {
        Self(password)
    }
}

/// What every email says about the registry that sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteInfo {
    /// Friendly name of the registry (`REGISTRY_NAME`).
    pub registry_name: String,
    /// Public base URL without a trailing slash (`REGISTRY_URL`); links in emails start here.
    pub registry_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_of_settings_hides_the_password() {
        let settings = SmtpSettings {
            server: "mail.example.com".into(),
            port: 25,
            user: Some("registry".into()),
            password: SmtpPassword::new("hunter2"),
            secure: false,
            from_name: "Registry".into(),
            from_address: "registry@example.com".into(),
        };

        let printed = format!("{settings:?}");

        assert!(!printed.contains("hunter2"));
        assert!(printed.contains("[redacted]"));
    }
}
