//! Accounts for tests: sign up, log in and make API keys over GraphQL, read the emails the
//! registry sends, and look at or change the rows behind them.
//!
//! ```ignore
//! let server = TestConfig::new(backend).start().await;
//! let ada = new_account(&server, "ada").await;        // no SMTP: verified at once
//! server.graphql_as(&ada.key(), "{ me { isAdmin } }", json!({})).await;
//! ```

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use datapm_registry::entity::{catalog, user, user_token};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::server::{As, Backend, Reply, TestConfig, TestServer};
use super::smtp::{ReceivedMail, SmtpCatcher};

/// The password every test account signs up with: long enough, with a digit.
pub const PASSWORD: &str = "tr0ub4dor-and-3";

/// How long a test waits for an email.
pub const MAIL_WAIT: Duration = Duration::from_secs(10);

/// The address a test account signs up with.
pub fn email_of(username: &str) -> String {
    format!("{}@example.com", username.to_lowercase())
}

/// A signed-up, verified account with a login token and an API key.
#[derive(Clone, Debug)]
pub struct Account {
    pub username: String,
    pub email: String,
    pub password: String,
    pub jwt: String,
    /// The `X-API-Key` value: base64 of `id.secret`.
    pub api_key: String,
    /// The key's id, as `myAPIKeys` lists it.
    pub api_key_id: String,
}

impl Account {
    /// Requests made with the login token.
    pub fn bearer(&self) -> As {
        As::Bearer(self.jwt.clone())
    }

    /// Requests made with the API key.
    pub fn key(&self) -> As {
        As::ApiKey(self.api_key.clone())
    }
}

/// A server that sends its email to a fresh catcher.
pub async fn server_with_email(backend: Backend) -> (TestServer, SmtpCatcher) {
    let smtp = SmtpCatcher::start();
    let mut config = TestConfig::new(backend);
    config.smtp_port = Some(smtp.port());
    (config.start().await, smtp)
}

const CREATE_ME: &str = "mutation($value: CreateUserInput!) { createMe(value: $value) }";

/// `createMe` with the standard address and password for `username`.
pub async fn sign_up(server: &TestServer, username: &str) -> Reply {
    sign_up_with(server, username, &email_of(username), PASSWORD).await
}

/// `createMe` with every value chosen by the caller.
pub async fn sign_up_with(
    server: &TestServer,
    username: &str,
    email: &str,
    password: &str,
) -> Reply {
    let value = json!({ "username": username, "emailAddress": email, "password": password });
    server.graphql(CREATE_ME, json!({ "value": value })).await
}

/// `login` with a username or address.
pub async fn login(server: &TestServer, name: &str, password: &str) -> Reply {
    let query = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) }";
    server
        .graphql(query, json!({ "u": name, "p": password }))
        .await
}

/// A login token, failing the test if the login is refused.
pub async fn jwt_for(server: &TestServer, name: &str, password: &str) -> String {
    let reply = login(server, name, password).await;
    reply.data("login").as_str().unwrap().to_owned()
}

/// The `X-API-Key` value for a key: standard padded base64 of `id.secret`.
pub fn api_key_value(id: &str, secret: &str) -> String {
    STANDARD.encode(format!("{id}.{secret}"))
}

/// The scopes every key must name.
pub const ALL_SCOPES: [&str; 3] = [
    "MANAGE_API_KEYS",
    "READ_PRIVATE_ASSETS",
    "MANAGE_PRIVATE_ASSETS",
];

/// `createAPIKey` with the given scopes.
pub async fn create_api_key_with(
    server: &TestServer,
    who: &As,
    label: &str,
    scopes: &[&str],
) -> Reply {
    let query = "mutation($value: CreateAPIKeyInput!) {
        createAPIKey(value: $value) { id secret label scopes }
    }";
    let value = json!({ "label": label, "scopes": scopes });
    server
        .graphql_as(who, query, json!({ "value": value }))
        .await
}

/// A new key with every scope as (id, secret), failing the test if it is refused.
pub async fn create_api_key(server: &TestServer, who: &As, label: &str) -> (String, String) {
    let reply = create_api_key_with(server, who, label, &ALL_SCOPES).await;
    let key = reply.data("createAPIKey");
    let text = |field: &str| key[field].as_str().unwrap().to_owned();
    (text("id"), text("secret"))
}

/// Signs up on a server without SMTP (so the account is verified at once), logs in and makes
/// an API key.
pub async fn new_account(server: &TestServer, username: &str) -> Account {
    let reply = sign_up(server, username).await;
    assert_eq!(
        reply.body,
        json!({ "data": { "createMe": null } }),
        "sign-up of {username}"
    );
    finish_account(server, username).await
}

/// Signs up on a server with SMTP, follows the verification link from the email, logs in and
/// makes an API key (whose notification email is then waited for, so it does not surprise
/// later counts).
pub async fn sign_up_and_verify(
    server: &TestServer,
    smtp: &SmtpCatcher,
    username: &str,
) -> Account {
    let email = email_of(username);
    sign_up(server, username).await.data("createMe");
    let mail = mail_to(smtp, &email, "✓ Verify Your New Account").await;
    let token = link_token(&mail, &format!("{}/validate-email", server.url));
    verify_email(server, &token)
        .await
        .data("verifyEmailAddress");
    let account = finish_account(server, username).await;
    mail_to(smtp, &email, "⚠ New API Key Created").await;
    account
}

async fn finish_account(server: &TestServer, username: &str) -> Account {
    let jwt = jwt_for(server, username, PASSWORD).await;
    let (id, secret) = create_api_key(server, &As::Bearer(jwt.clone()), "test key").await;
    Account {
        username: username.to_owned(),
        email: email_of(username),
        password: PASSWORD.to_owned(),
        jwt,
        api_key: api_key_value(&id, &secret),
        api_key_id: id,
    }
}

/// `verifyEmailAddress(token)`.
pub async fn verify_email(server: &TestServer, token: &str) -> Reply {
    let query = "mutation($t: String!) { verifyEmailAddress(token: $t) }";
    server.graphql(query, json!({ "t": token })).await
}

/// `forgotMyPassword(emailAddress)`.
pub async fn forgot_password(server: &TestServer, address: &str) -> Reply {
    let query = "mutation($e: String!) { forgotMyPassword(emailAddress: $e) }";
    server.graphql(query, json!({ "e": address })).await
}

/// `recoverMyPassword({token, newPassword})`.
pub async fn recover_password(server: &TestServer, token: &str, password: &str) -> Reply {
    let query = "mutation($v: RecoverMyPasswordInput!) { recoverMyPassword(value: $v) }";
    let value = json!({ "token": token, "newPassword": password });
    server.graphql(query, json!({ "v": value })).await
}

/// `updateMyPassword({oldPassword, newPassword})` as `who`.
pub async fn change_password(server: &TestServer, who: &As, old: &str, new: &str) -> Reply {
    let query = "mutation($v: UpdateMyPasswordInput!) { updateMyPassword(value: $v) }";
    let value = json!({ "oldPassword": old, "newPassword": new });
    server.graphql_as(who, query, json!({ "v": value })).await
}

/// `me { isAdmin user { username } }` as `who`.
pub async fn me(server: &TestServer, who: &As) -> Reply {
    let query = "{ me { isAdmin user { username } } }";
    server.graphql_as(who, query, json!({})).await
}

/// The messages to `address` with `subject`, once at least `count` of them have arrived.
pub async fn mails_to(
    smtp: &SmtpCatcher,
    address: &str,
    subject: &str,
    count: usize,
) -> Vec<ReceivedMail> {
    let deadline = Instant::now() + MAIL_WAIT;
    loop {
        let found: Vec<_> = smtp
            .messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|to| to == address) && m.subject() == subject)
            .collect();
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "expected {count} emails {subject:?} to {address} within {MAIL_WAIT:?}, got {}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The latest message to `address` with `subject`, waiting for the first one to arrive.
pub async fn mail_to(smtp: &SmtpCatcher, address: &str, subject: &str) -> ReceivedMail {
    mails_to(smtp, address, subject, 1).await.pop().unwrap()
}

/// The token of the link `<link>?token=…` in the email's text part; fails the test when the
/// text has no such link.
pub fn link_token(mail: &ReceivedMail, link: &str) -> String {
    let text = mail.text_body().expect("the email has a text part");
    let prefix = format!("{link}?token=");
    let start = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no link {prefix}… in the email text:\n{text}"))
        + prefix.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// The stored user row, by username (case-insensitive).
pub async fn user_row(server: &TestServer, username: &str) -> user::Model {
    user::Entity::find()
        .filter(user::Column::UsernameKey.eq(username.to_lowercase()))
        .one(&server.state().db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no user row for {username}"))
}

/// The stored catalog with this slug (case-insensitive), if any.
pub async fn catalog_row(server: &TestServer, slug: &str) -> Option<catalog::Model> {
    catalog::Entity::find()
        .filter(catalog::Column::SlugKey.eq(slug.to_lowercase()))
        .one(&server.state().db)
        .await
        .unwrap()
}

/// Moves the expiry of every emailed token of the user into the past.
pub async fn expire_tokens(server: &TestServer, user_id: i64) {
    let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    let result = user_token::Entity::update_many()
        .col_expr(user_token::Column::ExpiresAt, Expr::value(past))
        .filter(user_token::Column::UserId.eq(user_id))
        .exec(&server.state().db)
        .await
        .unwrap();
    assert!(result.rows_affected > 0, "the user has no tokens to expire");
}

/// The first error of a reply as (message, code), after checking it is the only one and the
/// request ran (HTTP 200).
#[track_caller]
pub fn only_error(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, 200, "{:#}", reply.body);
    let errors = reply.body["errors"].as_array();
    assert_eq!(
        errors.map(Vec::len),
        Some(1),
        "expected one error, got {:#}",
        reply.body
    );
    reply.error()
}

/// Asserts the reply is refused with exactly this message and code.
#[track_caller]
pub fn assert_refused(reply: &Reply, message: &str, code: &str) {
    let (got_message, got_code) = only_error(reply);
    assert_eq!(
        (got_message.as_str(), got_code.as_str()),
        (message, code),
        "{:#}",
        reply.body
    );
}

/// A request-level refusal: HTTP 400 and exactly this body.
#[track_caller]
pub fn assert_request_refused(reply: &Reply, message: &str, code: &str) {
    assert_eq!(reply.status, 400, "{:#}", reply.body);
    assert_eq!(
        reply.body,
        json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
    );
}

/// The JSON of one part (0 = header, 1 = claims) of a JWT.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("JWT parts are unpadded base64url");
    serde_json::from_slice(&bytes).expect("JWT parts are JSON")
}
