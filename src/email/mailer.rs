//! [`Mailer`]: builds messages and hands them to the delivery queue.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncTransport, Message};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use super::EmailError;
use super::message::{Email, Recipient};
use super::queue::{Job, Outgoing, RetryPolicy, Transport, run_worker};
use super::render::render;
use super::settings::{SiteInfo, SmtpSettings};

/// Tuning for the delivery queue; [`MailerOptions::default`] suits production.
#[derive(Clone, Debug)]
pub struct MailerOptions {
    /// How many emails may wait for delivery; more are dropped with a warning.
    pub queue_capacity: usize,
    /// How failed deliveries are retried.
    pub retry: RetryPolicy,
    /// How long one SMTP command may take before the attempt fails.
    pub timeout: Duration,
}

impl Default for MailerOptions {
    fn default() -> Self {
        Self {
            queue_capacity: 1000,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Sends the registry's emails. Cheap to clone; every clone feeds the same queue.
#[derive(Clone)]
pub struct Mailer {
    site: SiteInfo,
    /// `None` when SMTP is not configured.
    active: Option<Arc<Active>>,
}

struct Active {
    from: Mailbox,
    transport: Transport,
    queue: mpsc::Sender<Job>,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("site", &self.site)
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

impl Mailer {
    /// A mailer with the default queue and retry settings. See [`Mailer::with_options`].
    pub fn new(smtp: Option<SmtpSettings>, site: SiteInfo) -> Result<Self, EmailError> {
        Self::with_options(smtp, site, MailerOptions::default())
    }

    /// A mailer for `smtp`, or a disabled one when `smtp` is `None`.
    ///
    /// With settings, this starts the delivery task, so it must be called inside a Tokio
    /// runtime. Fails when the sender address is invalid or TLS cannot be set up for the server.
    pub fn with_options(
        smtp: Option<SmtpSettings>,
        site: SiteInfo,
        options: MailerOptions,
    ) -> Result<Self, EmailError> {
        let Some(smtp) = smtp else {
            tracing::info!("SMTP is not configured: the registry will not send emails");
            return Ok(Self { site, active: None });
        };

        let from = sender(&smtp)?;
        let transport = transport(&smtp, options.timeout)?;
        let (queue, jobs) = mpsc::channel(options.queue_capacity.max(1));
        tokio::spawn(run_worker(jobs, transport.clone(), options.retry));

        let active = Active {
            from,
            transport,
            queue,
        };
        Ok(Self {
            site,
            active: Some(Arc::new(active)),
        })
    }

    /// Whether SMTP is configured, i.e. whether emails are actually sent.
    pub fn is_enabled(&self) -> bool {
        self.active.is_some()
    }

    /// Queues `email` for delivery to `recipient` and returns at once.
    ///
    /// This never fails and never waits for SMTP: problems are logged, not returned. When the
    /// queue already holds [`MailerOptions::queue_capacity`] emails (the server is down or slow),
    /// this email is dropped with a warning naming its kind. Without SMTP it does nothing.
    pub fn send(&self, recipient: &Recipient, email: Email) {
        let kind = email.kind();
        let Some(active) = &self.active else {
            tracing::debug!(kind, "SMTP is not configured, email not sent");
            return;
        };

        let message = match self.build(active, recipient, &email) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(kind, error = %error, "could not build email, not sent");
                return;
            }
        };

        let job = Job::Deliver(Box::new(Outgoing { kind, message }));
        match active.queue.try_send(job) {
            Ok(()) => tracing::debug!(kind, "email queued"),
            Err(TrySendError::Full(_)) => {
                tracing::warn!(kind, "email queue is full, email dropped")
            }
            Err(TrySendError::Closed(_)) => {
                tracing::error!(kind, "email delivery task has stopped, email dropped")
            }
        }
    }

    /// Delivers `email` to `recipient` now, in one attempt, and reports the outcome.
    ///
    /// For the command line and tests; request handlers use [`Mailer::send`].
    pub async fn send_now(&self, recipient: &Recipient, email: Email) -> Result<(), EmailError> {
        let active = self.active.as_ref().ok_or(EmailError::NotConfigured)?;
        let message = self.build(active, recipient, &email)?;

        active
            .transport
            .send(message)
            .await
            .map_err(EmailError::Smtp)?;
        tracing::debug!(kind = email.kind(), "email sent");
        Ok(())
    }

    /// Waits until every email queued before this call has been delivered or given up on.
    ///
    /// For graceful shutdown and tests. Returns at once when SMTP is not configured.
    pub async fn flush(&self) {
        let Some(active) = &self.active else { return };
        let (done, finished) = oneshot::channel();

        // If the task has stopped there is nothing left to wait for.
        if active.queue.send(Job::Flush(done)).await.is_ok() {
            let _ = finished.await;
        }
    }

    fn build(
        &self,
        active: &Active,
        recipient: &Recipient,
        email: &Email,
    ) -> Result<Message, EmailError> {
        let rendered = render(email, &self.site)?;

        Message::builder()
            .from(active.from.clone())
            .to(mailbox(recipient)?)
            .subject(rendered.subject)
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(EmailError::Build)
    }
}

/// `"From Name" <from@address>`, or the bare address when no name is set.
fn sender(smtp: &SmtpSettings) -> Result<Mailbox, EmailError> {
    let address = parse_address(&smtp.from_address, "sender")?;
    let name = Some(smtp.from_name.trim())
        .filter(|name| !name.is_empty())
        .map(str::to_owned);
    Ok(Mailbox::new(name, address))
}

/// `"First Last" <address>` when both names are known, else the bare address.
fn mailbox(recipient: &Recipient) -> Result<Mailbox, EmailError> {
    let address = parse_address(&recipient.address, "recipient")?;
    Ok(Mailbox::new(recipient.display_name(), address))
}

fn parse_address(address: &str, role: &'static str) -> Result<Address, EmailError> {
    address
        .trim()
        .parse()
        .map_err(|_| EmailError::InvalidAddress(role))
}

/// Implicit TLS when `secure`, else plain SMTP that never tries STARTTLS, as the original did.
fn transport(smtp: &SmtpSettings, timeout: Duration) -> Result<Transport, EmailError> {
    let tls = if smtp.secure {
        let parameters = TlsParameters::new(smtp.server.clone()).map_err(EmailError::Setup)?;
        Tls::Wrapper(parameters)
    } else {
        Tls::None
    };

    let mut builder = Transport::builder_dangerous(&smtp.server)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(timeout));
    if let Some(user) = smtp.user.as_deref().filter(|user| !user.is_empty()) {
        let password = smtp.password.expose().to_owned();
        builder = builder.credentials(Credentials::new(user.to_owned(), password));
    }
    Ok(builder.build())
}
