//! Sending the registry's emails over SMTP.
//!
//! Reach for [`Mailer`]: build it once at start-up from the optional [`SmtpSettings`] and the
//! [`SiteInfo`], then call [`Mailer::send`] with a [`Recipient`] and an [`Email`]. Sending never
//! fails or slows the caller's request: messages go to a background task that delivers them and
//! retries failures (see [`RetryPolicy`]). Without SMTP settings the mailer is disabled and
//! `send` does nothing.
//!
//! Each [`Email`] variant is one kind of message with its own subject and a text and an HTML
//! template under `assets/email/`, embedded in the binary and rendered with minijinja
//! ([`render`]).
//!
//! Logs name the kind of email only (`verify_email`, `invite`, ...), never an address, a token
//! or the body.

mod mailer;
mod message;
mod queue;
mod render;
mod settings;

pub use mailer::{Mailer, MailerOptions};
pub use message::{Email, Recipient};
pub use queue::RetryPolicy;
pub use render::{RenderedEmail, render};
pub use settings::{SiteInfo, SmtpPassword, SmtpSettings};

/// Why an email could not be built or delivered. Its text never contains an address or a token.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// SMTP is not configured, so nothing can be sent.
    #[error("SMTP is not configured")]
    NotConfigured,
    /// The sender or recipient address is not a valid email address.
    #[error("the {0} address is not a valid email address")]
    InvalidAddress(&'static str),
    /// A template failed to render; a bug in the embedded templates.
    #[error("could not render the email template")]
    Template(#[source] minijinja::Error),
    /// The rendered parts could not be assembled into a message.
    #[error("could not assemble the email")]
    Build(#[source] lettre::error::Error),
    /// The SMTP transport could not be set up, e.g. TLS for the server name.
    #[error("could not set up the SMTP transport")]
    Setup(#[source] lettre::transport::smtp::Error),
    /// The SMTP server could not be reached or refused the message.
    #[error("could not deliver the email: {}", queue::describe(.0))]
    Smtp(#[source] lettre::transport::smtp::Error),
}
