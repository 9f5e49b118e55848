//! What the registry sends: one [`Email`] variant per kind of message, and its [`Recipient`].

use serde::Serialize;

use super::settings::SiteInfo;

/// Who an email goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The email address.
    pub address: String,
    /// The recipient's first name, if known.
    pub first_name: Option<String>,
    /// The recipient's last name, if known.
    pub last_name: Option<String>,
}

impl Recipient {
    /// A recipient known only by address.
    pub fn address(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            first_name: None,
            last_name: None,
        }
    }

    /// "First Last" when both names are set and not blank; the original addresses mail this way
    /// and falls back to the bare address otherwise.
    pub fn display_name(&self) -> Option<String> {
        let first = self.first_name.as_deref().map(str::trim).unwrap_or("");
        let last = self.last_name.as_deref().map(str::trim).unwrap_or("");
        (!first.is_empty() && !last.is_empty()).then(|| format!("{first} {last}"))
    }
}

/// One email the registry sends, carrying the values its template needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Email {
    /// Asks a new user to confirm their address with `token`.
    VerifyEmail {
        /// The recipient's username.
        username: String,
        /// The email verification token.
        token: String,
    },
    /// Lets a user who forgot their password choose a new one with `token`.
    RecoverPassword {
        /// The recipient's username.
        username: String,
        /// The password recovery token.
        token: String,
    },
    /// Tells a user that an API key was created on their account.
    ApiKeyCreated {
        /// The recipient's username.
        username: String,
        /// The label the key was given.
        label: String,
    },
    /// Tells a user that an administrator suspended their account.
    AccountSuspended {
        /// The recipient's username.
        username: String,
        /// The administrator's explanation, if any.
        message: Option<String>,
    },
    /// Invites someone without an account to sign up and see shared data.
    Invite {
        /// The invited user's (placeholder) username.
        username: String,
        /// The invited user's verification token, accepted at `/accept-invite`.
        token: String,
        /// What was shared: a catalog, package, collection or group name.
        data_name: String,
        /// Display name of the user who sent the invitation.
        inviter_name: String,
        /// The inviter's note; empty for none.
        message: String,
    },
    /// Tells an existing user that data was shared with them.
    DataShared {
        /// The recipient's username.
        username: String,
        /// Where the shared item is: an absolute URL, or a path starting with `/` that is
        /// resolved against the registry URL.
        url: String,
        /// What was shared: a catalog, package, collection or group name.
        data_name: String,
        /// Display name of the user who shared it.
        inviter_name: String,
        /// The sharer's note; empty for none.
        message: String,
    },
}

/// Everything a template can refer to. Fields a kind does not use are `none`, so a misspelt
/// name still fails under strict undefined checking.
#[derive(Serialize, Default)]
pub(crate) struct TemplateContext<'a> {
    registry_name: &'a str,
    registry_url: &'a str,
    username: &'a str,
    link: Option<String>,
    label: Option<&'a str>,
    data_name: Option<&'a str>,
    inviter_name: Option<&'a str>,
    message: Option<&'a str>,
}

impl Email {
    /// A short, stable name for the kind of email, safe to log.
    pub fn kind(&self) -> &'static str {
        match self {
            Email::VerifyEmail { .. } => "verify_email",
            Email::RecoverPassword { .. } => "recover_password",
            Email::ApiKeyCreated { .. } => "api_key_created",
            Email::AccountSuspended { .. } => "account_suspended",
            Email::Invite { .. } => "invite",
            Email::DataShared { .. } => "data_shared",
        }
    }

    /// The subject line, exactly as the original registry sends it.
    pub fn subject(&self) -> &'static str {
        match self {
            Email::VerifyEmail { .. } => "✓ Verify Your New Account",
            Email::RecoverPassword { .. } => "⚠ Recover Your Account",
            Email::ApiKeyCreated { .. } => "⚠ New API Key Created",
            Email::AccountSuspended { .. } => "Your account has been suspended",
            Email::Invite { .. } => "🚀 Invite to Collaborate",
            Email::DataShared { .. } => "📦 Data Shared",
        }
    }

    /// The values the templates of this email are rendered with.
    pub(crate) fn context<'a>(&'a self, site: &'a SiteInfo) -> TemplateContext<'a> {
        let base = TemplateContext {
            registry_name: &site.registry_name,
            registry_url: &site.registry_url,
            ..TemplateContext::default()
        };
        let url = |path: &str, token: &str| format!("{}{path}?token={token}", site.registry_url);

        match self {
            Email::VerifyEmail { username, token } => TemplateContext {
                username,
                link: Some(url("/validate-email", token)),
                ..base
            },
            Email::RecoverPassword { username, token } => TemplateContext {
                username,
                link: Some(url("/password-recovery", token)),
                ..base
            },
            Email::ApiKeyCreated { username, label } => TemplateContext {
                username,
                label: Some(label),
                ..base
            },
            Email::AccountSuspended { username, message } => TemplateContext {
                username,
                message: message.as_deref(),
                ..base
            },
            Email::Invite {
                username,
                token,
                data_name,
                inviter_name,
                message,
            } => TemplateContext {
                username,
                link: Some(url("/accept-invite", token)),
                data_name: Some(data_name),
                inviter_name: Some(inviter_name),
                message: Some(message),
                ..base
            },
            Email::DataShared {
                username,
                url: target,
                data_name,
                inviter_name,
                message,
            } => TemplateContext {
                username,
                link: Some(absolute(&site.registry_url, target)),
                data_name: Some(data_name),
                inviter_name: Some(inviter_name),
                message: Some(message),
                ..base
            },
        }
    }

    /// The base name of this email's templates under `assets/email/`.
    pub(crate) fn template_name(&self) -> &'static str {
        match self {
            Email::VerifyEmail { .. } => "verify-email",
            Email::RecoverPassword { .. } => "recover-password",
            Email::ApiKeyCreated { .. } => "api-key-created",
            Email::AccountSuspended { .. } => "account-suspended",
            Email::Invite { .. } => "invite",
            Email::DataShared { .. } => "data-shared",
        }
    }
}

/// Resolves a path like `/catalog/package` against the registry URL; leaves full URLs alone.
fn absolute(registry_url: &str, target: &str) -> String {
    if target.starts_with('/') {
        format!("{registry_url}{target}")
    } else {
        target.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(first: Option<&str>, last: Option<&str>) -> Recipient {
        Recipient {
            address: "ada@example.com".into(),
            first_name: first.map(Into::into),
            last_name: last.map(Into::into),
        }
    }

    #[test]
    fn a_recipient_with_both_names_has_a_display_name() {
        let recipient = named(Some("Ada"), Some("Lovelace"));

        assert_eq!(recipient.display_name().as_deref(), Some("Ada Lovelace"));
    }

    #[test]
    fn a_recipient_missing_either_name_has_no_display_name() {
        assert_eq!(named(Some("Ada"), None).display_name(), None);
        assert_eq!(named(None, Some("Lovelace")).display_name(), None);
        assert_eq!(named(Some("  "), Some("Lovelace")).display_name(), None);
    }

    #[test]
    fn a_shared_path_is_resolved_against_the_registry_url() {
        assert_eq!(
            absolute("http://r.test", "/cat/pkg"),
            "http://r.test/cat/pkg"
        );
        assert_eq!(
            absolute("http://r.test", "https://x.test/a"),
            "https://x.test/a"
        );
    }
}
