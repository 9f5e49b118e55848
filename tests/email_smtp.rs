//! The mailer against a real SMTP server running in the test process.

mod support;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datapm_registry::email::{
    Email, EmailError, Mailer, MailerOptions, Recipient, RetryPolicy, SiteInfo, SmtpPassword,
    SmtpSettings,
};
use support::smtp::{SmtpCatcher, unused_port};

const WAIT: Duration = Duration::from_secs(10);

fn site() -> SiteInfo {
    SiteInfo {
        registry_name: "Test Registry".into(),
        registry_url: "http://registry.test".into(),
    }
}

fn smtp_on(port: u16) -> SmtpSettings {
    SmtpSettings {
        server: "127.0.0.1".into(),
        port,
        user: None,
        password: SmtpPassword::default(),
        secure: false,
        from_name: "Test Registry".into(),
        from_address: "registry@example.test".into(),
    }
}

fn options(retry: RetryPolicy) -> MailerOptions {
    MailerOptions {
        retry,
        timeout: Duration::from_secs(5),
        ..MailerOptions::default()
    }
}

fn mailer_on(port: u16) -> Mailer {
    Mailer::new(Some(smtp_on(port)), site()).expect("mailer builds")
}

fn ada() -> Recipient {
    Recipient::address("ada@example.test")
}

/// Every kind with the link its text part must carry, if any.
fn every_kind() -> Vec<(Email, Option<&'static str>)> {
    vec![
        (
            Email::VerifyEmail {
                username: "ada".into(),
                token: "verify-tok".into(),
            },
            Some("http://registry.test/validate-email?token=verify-tok"),
        ),
        (
            Email::RecoverPassword {
                username: "ada".into(),
                token: "recover-tok".into(),
            },
            Some("http://registry.test/password-recovery?token=recover-tok"),
        ),
        (
            Email::ApiKeyCreated {
                username: "ada".into(),
                label: "laptop".into(),
            },
            None,
        ),
        (
            Email::AccountSuspended {
                username: "ada".into(),
                message: Some("spam".into()),
            },
            None,
        ),
        (
            Email::Invite {
                username: "invited-1234abcd".into(),
                token: "invite-tok".into(),
                data_name: "weather".into(),
                inviter_name: "Grace Hopper".into(),
                message: "Have a look".into(),
            },
            Some("http://registry.test/accept-invite?token=invite-tok"),
        ),
        (
            Email::DataShared {
                username: "ada".into(),
                url: "/acme/weather".into(),
                data_name: "weather".into(),
                inviter_name: "Grace Hopper".into(),
                message: "Have a look".into(),
            },
            Some("http://registry.test/acme/weather"),
        ),
    ]
}

#[tokio::test]
async fn every_kind_is_delivered_with_its_subject_and_a_text_and_html_part() {
    let catcher = SmtpCatcher::start();
    let mailer = mailer_on(catcher.port());
    let kinds = every_kind();

    for (email, _) in &kinds {
        mailer.send(&ada(), email.clone());
    }
    mailer.flush().await;
    let received = catcher.wait_for(kinds.len(), WAIT).await;

    for ((email, link), mail) in kinds.iter().zip(&received) {
        assert_eq!(mail.subject(), email.subject());
        assert_eq!(mail.content_type(), "multipart/alternative");
        let text = mail.text_body().expect("a text part");
        let html = mail.html_body().expect("an HTML part");
        assert!(text.contains("Test Registry"), "{text}");
        assert!(html.contains("Test Registry"), "{html}");
        if let Some(link) = link {
            assert!(
                text.contains(link),
                "{} lacks {link}:\n{text}",
                email.kind()
            );
        }
    }
}

#[tokio::test]
async fn subjects_are_exactly_those_of_the_original_registry() {
    let catcher = SmtpCatcher::start();
    let mailer = mailer_on(catcher.port());
    let expected = [
        "✓ Verify Your New Account",
        "⚠ Recover Your Account",
        "⚠ New API Key Created",
        "Your account has been suspended",
        "🚀 Invite to Collaborate",
        "📦 Data Shared",
    ];

    for (email, _) in every_kind() {
        mailer.send_now(&ada(), email).await.expect("delivered");
    }

    let subjects: Vec<String> = catcher
        .messages()
        .iter()
        .map(|mail| mail.subject())
        .collect();
    assert_eq!(subjects, expected);
}

#[tokio::test]
async fn html_in_a_message_is_escaped_in_the_html_part_and_kept_in_the_text_part() {
    let catcher = SmtpCatcher::start();
    let mailer = mailer_on(catcher.port());
    let email = Email::DataShared {
        username: "ada".into(),
        url: "/acme/weather".into(),
        data_name: "weather".into(),
        inviter_name: "Grace".into(),
        message: "see <b>this</b>".into(),
    };

    mailer.send_now(&ada(), email).await.expect("delivered");

    let mail = &catcher.messages()[0];
    let html = mail.html_body().unwrap();
    assert!(html.contains("see &lt;b&gt;this&lt;/b&gt;"), "{html}");
    assert!(!html.contains("<b>this</b>"), "{html}");
    assert!(mail.text_body().unwrap().contains("see <b>this</b>"));
}

#[tokio::test]
async fn a_recipient_with_first_and_last_name_is_addressed_by_name() {
    let catcher = SmtpCatcher::start();
    let mailer = mailer_on(catcher.port());
    let recipient = Recipient {
        address: "ada@example.test".into(),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
    };

    mailer
        .send_now(&recipient, api_key_email())
        .await
        .expect("delivered");

    let mail = &catcher.messages()[0];
    let to = (
        Some("Ada Lovelace".to_owned()),
        "ada@example.test".to_owned(),
    );
    assert_eq!(mail.header_to(), [to]);
    assert_eq!(mail.to, ["ada@example.test"]);
    let from = (
        Some("Test Registry".to_owned()),
        "registry@example.test".to_owned(),
    );
    assert_eq!(mail.header_from(), [from]);
    assert_eq!(mail.from, "registry@example.test");
}

#[tokio::test]
async fn a_recipient_without_both_names_gets_the_bare_address() {
    let catcher = SmtpCatcher::start();
    let mailer = mailer_on(catcher.port());
    let recipient = Recipient {
        first_name: Some("Ada".into()),
        ..Recipient::address("ada@example.test")
    };

    mailer
        .send_now(&recipient, api_key_email())
        .await
        .expect("delivered");

    let mail = &catcher.messages()[0];
    assert_eq!(mail.header_to(), [(None, "ada@example.test".to_owned())]);
    assert!(
        mail.raw.contains("To: ada@example.test\r\n"),
        "{}",
        mail.raw
    );
}

#[tokio::test]
async fn a_failing_send_is_retried_then_given_up_without_holding_up_the_caller() {
    let logs = LogCapture::install();
    let retry = RetryPolicy {
        attempts: 3,
        first_delay: Duration::from_millis(200),
        multiplier: 2,
    };
    let mailer = Mailer::with_options(Some(smtp_on(unused_port())), site(), options(retry))
        .expect("mailer builds");

    let started = Instant::now();
    mailer.send(&ada(), verify_email());
    let send_took = started.elapsed();
    mailer.flush().await;
    let delivery_took = started.elapsed();

    assert!(
        send_took < Duration::from_millis(200),
        "send took {send_took:?}"
    );
    // Two waits between three attempts: 200 ms, then 400 ms.
    assert!(
        delivery_took >= Duration::from_millis(600),
        "gave up after {delivery_took:?}"
    );
    let text = logs.text();
    let failures: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("sending email failed"))
        .collect();
    assert_eq!(failures.len(), 3, "{text}");
    for (line, attempt) in failures.iter().zip(1..) {
        assert!(
            line.contains("WARN") && line.contains("kind=\"verify_email\""),
            "{line}"
        );
        assert!(line.contains(&format!("attempt={attempt}")), "{line}");
    }
    let gave_up: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("giving up"))
        .collect();
    assert_eq!(gave_up.len(), 1, "{text}");
    assert!(
        gave_up[0].contains("ERROR") && gave_up[0].contains("attempts=3"),
        "{text}"
    );
    assert!(
        !text.contains("ada@example.test") && !text.contains("secret-token"),
        "{text}"
    );
}

#[tokio::test]
async fn an_email_beyond_the_queue_capacity_is_dropped_with_a_warning() {
    let logs = LogCapture::install();
    let options = MailerOptions {
        queue_capacity: 1,
        ..options(RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        })
    };
    let mailer =
        Mailer::with_options(Some(smtp_on(unused_port())), site(), options).expect("builds");

    // The test runtime has one thread, so the delivery task cannot empty the queue in between.
    mailer.send(&ada(), verify_email());
    mailer.send(&ada(), api_key_email());
    mailer.flush().await;

    let text = logs.text();
    assert!(text.contains("email queue is full"), "{text}");
    assert!(text.contains("kind=\"api_key_created\""), "{text}");
    assert_eq!(
        text.matches("giving up on sending email").count(),
        1,
        "{text}"
    );
}

#[tokio::test]
async fn send_now_reports_a_server_that_cannot_be_reached() {
    let mailer = mailer_on(unused_port());

    let result = mailer.send_now(&ada(), verify_email()).await;

    assert!(matches!(result, Err(EmailError::Smtp(_))), "{result:?}");
}

#[tokio::test]
async fn without_smtp_settings_the_mailer_is_disabled_and_sends_nothing() {
    let mailer = Mailer::new(None, site()).expect("mailer builds");

    mailer.send(&ada(), verify_email());
    mailer.flush().await;
    let result = mailer.send_now(&ada(), verify_email()).await;

    assert!(!mailer.is_enabled());
    assert!(
        matches!(result, Err(EmailError::NotConfigured)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_configured_mailer_is_enabled() {
    assert!(mailer_on(unused_port()).is_enabled());
}

#[tokio::test]
async fn an_invalid_recipient_address_is_refused_before_sending() {
    let catcher = SmtpCatcher::start();
    let mailer = mailer_on(catcher.port());

    let result = mailer
        .send_now(&Recipient::address("not an address"), verify_email())
        .await;

    assert!(
        matches!(result, Err(EmailError::InvalidAddress("recipient"))),
        "{result:?}"
    );
    assert!(catcher.messages().is_empty());
}

fn verify_email() -> Email {
    Email::VerifyEmail {
        username: "ada".into(),
        token: "secret-token".into(),
    }
}

fn api_key_email() -> Email {
    Email::ApiKeyCreated {
        username: "ada".into(),
        label: "laptop".into(),
    }
}

/// Collects this thread's log output. `#[tokio::test]` runs the test and the tasks it spawns
/// on one thread, so the delivery task's events land here too.
struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl LogCapture {
    fn install() -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = SharedWriter(buffer.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        Self {
            buffer,
            _guard: guard,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

#[derive(Clone)]
struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
