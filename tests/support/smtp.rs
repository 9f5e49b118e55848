//! A real SMTP server for tests, running in-process on a free loopback port.
//!
//! ```ignore
//! let catcher = SmtpCatcher::start();
//! // point the mailer at 127.0.0.1:catcher.port() ...
//! let mails = catcher.wait_for(1, Duration::from_secs(5)).await;
//! assert_eq!(mails[0].subject(), "✓ Verify Your New Account");
//! ```

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use mailin_embedded::{Handler, Response, Server, response};

/// One message as the server received it: the SMTP envelope and the raw RFC 5322 text, with
/// decoding helpers for the headers and parts tests look at.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as sent, headers and body.
    pub raw: String,
}

impl ReceivedMail {
    fn parsed(&self) -> Message<'_> {
        MessageParser::default()
            .parse(self.raw.as_bytes())
            .expect("the received message parses as MIME")
    }

    /// The decoded `Subject` header (RFC 2047 encoded words undone).
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    /// The decoded `text/plain` part, if there is one.
    pub fn text_body(&self) -> Option<String> {
        self.part(|part| match part {
            PartType::Text(text) => Some(text.to_string()),
            _ => None,
        })
    }

    /// The decoded `text/html` part, if there is one.
    pub fn html_body(&self) -> Option<String> {
        self.part(|part| match part {
            PartType::Html(html) => Some(html.to_string()),
            _ => None,
        })
    }

    /// The `To` header as (display name, address) pairs.
    pub fn header_to(&self) -> Vec<(Option<String>, String)> {
        mailboxes(self.parsed().to())
    }

    /// The `From` header as (display name, address) pairs.
    pub fn header_from(&self) -> Vec<(Option<String>, String)> {
        mailboxes(self.parsed().from())
    }

    /// The `Content-Type` of the whole message, e.g. `multipart/alternative`.
    pub fn content_type(&self) -> String {
        let message = self.parsed();
        let Some(content_type) = message.content_type() else {
            return String::new();
        };
        match content_type.subtype() {
            Some(subtype) => format!("{}/{subtype}", content_type.ctype()),
            None => content_type.ctype().to_owned(),
        }
    }

    fn part(&self, pick: impl Fn(&PartType<'_>) -> Option<String>) -> Option<String> {
        self.parsed().parts.iter().find_map(|part| pick(&part.body))
    }
}

fn mailboxes(header: Option<&mail_parser::Address<'_>>) -> Vec<(Option<String>, String)> {
    header
        .into_iter()
        .flat_map(|address| address.iter())
        .map(|addr| {
            let name = addr.name().map(str::to_owned);
            (name, addr.address().unwrap_or_default().to_owned())
        })
        .collect()
}

/// An SMTP server on `127.0.0.1` that accepts every message and keeps it in memory.
///
/// The server thread lives until the test process ends.
pub struct SmtpCatcher {
    port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl SmtpCatcher {
    /// Starts a server on a free port.
    pub fn start() -> Self {
        // Binding port 0 here and handing the listener over avoids racing for the port.
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
        let port = listener.local_addr().expect("listener address").port();
        let received = Arc::new(Mutex::new(Vec::new()));

        let mut server = Server::new(Collector::new(received.clone()));
        server.with_name("smtp.test").with_tcp_listener(listener);
        std::thread::spawn(move || server.serve().expect("test SMTP server runs"));

        Self { port, received }
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages have arrived and returns them all; panics when
    /// they have not arrived within `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} emails within {timeout:?}, got {}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A free loopback port with nothing listening on it (bound, then released).
pub fn unused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("listener address").port()
}

/// The server clones this for every connection, so `current` belongs to one SMTP session.
#[derive(Clone)]
struct Collector {
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    current: Option<ReceivedMail>,
}

impl Collector {
    fn new(received: Arc<Mutex<Vec<ReceivedMail>>>) -> Self {
        Self {
            received,
            current: None,
        }
    }
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(ReceivedMail {
            from: from.to_owned(),
            to: to.to_vec(),
            raw: String::new(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(mail) = self.current.as_mut() {
            mail.raw.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(mail) = self.current.take() {
            self.received.lock().unwrap().push(mail);
        }
        response::OK
    }
}
