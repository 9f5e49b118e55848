//! The background task that delivers queued emails and retries failed deliveries.

use std::time::Duration;

use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::{mpsc, oneshot};

/// How often and how patiently a failed delivery is retried.
///
/// The wait before attempt `n + 1` is `first_delay * multiplier^(n - 1)`: with the defaults
/// (3 attempts, 1 s, ×4) that is 1 s, then 4 s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included; at least one is always made.
    pub attempts: u32,
    /// The wait after the first failure.
    pub first_delay: Duration,
    /// Each later wait is this many times the one before.
    pub multiplier: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            first_delay: Duration::from_secs(1),
            multiplier: 4,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based).
    fn delay_after(&self, attempt: u32) -> Duration {
        let factor = self.multiplier.saturating_pow(attempt.saturating_sub(1));
        self.first_delay.saturating_mul(factor)
    }
}

/// A message waiting for delivery, with its kind for the logs.
pub(super) struct Outgoing {
    pub kind: &'static str,
    pub message: Message,
}

/// What the worker is asked to do, in order.
pub(super) enum Job {
    Deliver(Box<Outgoing>),
    /// Answered once every job queued before it is done.
    Flush(oneshot::Sender<()>),
}

pub(super) type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Delivers jobs one after another until every sender is dropped.
pub(super) async fn run_worker(
    mut jobs: mpsc::Receiver<Job>,
    transport: Transport,
    retry: RetryPolicy,
) {
    while let Some(job) = jobs.recv().await {
        match job {
            Job::Deliver(outgoing) => deliver_with_retries(&transport, &outgoing, &retry).await,
            Job::Flush(done) => {
                // The flusher may have stopped waiting; nothing to do then.
                let _ = done.send(());
            }
        }
    }
    tracing::debug!("email queue closed");
}

async fn deliver_with_retries(transport: &Transport, outgoing: &Outgoing, retry: &RetryPolicy) {
    let kind = outgoing.kind;
    let attempts = retry.attempts.max(1);

    for attempt in 1..=attempts {
        match transport.send(outgoing.message.clone()).await {
            Ok(_) => {
                tracing::debug!(kind, attempt, "email sent");
                return;
            }
            Err(error) => {
                let error = describe(&error);
                tracing::warn!(kind, attempt, error, "sending email failed");
            }
        }
        if attempt < attempts {
            tokio::time::sleep(retry.delay_after(attempt)).await;
        }
    }

    tracing::error!(kind, attempts, "giving up on sending email");
}

/// The error without the server's reply text, which can quote the recipient's address.
pub(super) fn describe(error: &SmtpError) -> String {
    match error.status() {
        Some(code) if error.is_permanent() => format!("server refused the email ({code})"),
        Some(code) => format!("server deferred the email ({code})"),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_retries_wait_one_then_four_seconds() {
        let retry = RetryPolicy::default();

        assert_eq!(retry.attempts, 3);
        assert_eq!(retry.delay_after(1), Duration::from_secs(1));
        assert_eq!(retry.delay_after(2), Duration::from_secs(4));
    }

    #[test]
    fn huge_backoffs_saturate_instead_of_overflowing() {
        let retry = RetryPolicy {
            attempts: 100,
            first_delay: Duration::from_secs(1),
            multiplier: 10,
        };

        assert_eq!(
            retry.delay_after(90),
            Duration::from_secs(u64::from(u32::MAX))
        );
    }
}
