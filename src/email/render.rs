//! Turns an [`Email`] into its subject, text part and HTML part with the templates embedded from
//! `assets/email/`.

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, Value};

use super::EmailError;
use super::message::Email;
use super::settings::SiteInfo;

/// Each kind has a `.txt` and an `.html` template; the names match [`Email::template_name`].
const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../assets/email/layout.html"),
    ),
    ("layout.txt", include_str!("../../assets/email/layout.txt")),
    (
        "verify-email.txt",
        include_str!("../../assets/email/verify-email.txt"),
    ),
    (
        "verify-email.html",
        include_str!("../../assets/email/verify-email.html"),
    ),
    (
        "recover-password.txt",
        include_str!("../../assets/email/recover-password.txt"),
    ),
    (
        "recover-password.html",
        include_str!("../../assets/email/recover-password.html"),
    ),
    (
        "api-key-created.txt",
        include_str!("../../assets/email/api-key-created.txt"),
    ),
    (
        "api-key-created.html",
        include_str!("../../assets/email/api-key-created.html"),
    ),
    (
        "account-suspended.txt",
        include_str!("../../assets/email/account-suspended.txt"),
    ),
    (
        "account-suspended.html",
        include_str!("../../assets/email/account-suspended.html"),
    ),
    ("invite.txt", include_str!("../../assets/email/invite.txt")),
    (
        "invite.html",
        include_str!("../../assets/email/invite.html"),
    ),
    (
        "data-shared.txt",
        include_str!("../../assets/email/data-shared.txt"),
    ),
    (
        "data-shared.html",
        include_str!("../../assets/email/data-shared.html"),
    ),
];

/// minijinja's default escaping is by file name: `.html` templates are HTML-escaped, `.txt` ones
/// are not. Strict undefined behaviour turns a misspelt variable into an error, not a blank.
static TEMPLATE_ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.set_formatter(format_value);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .expect("embedded email templates are valid");
    }
    env
});

/// Escapes strings for HTML like minijinja does, except that `/` is left alone so links stay
/// plain URLs in the HTML source, which is what spam filters and link scanners read.
fn format_value(out: &mut Output<'_>, state: &State<'_, '_>, value: &Value) -> Result<(), Error> {
    match value.as_str() {
        Some(text) if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() => {
            out.write_str(&escape_html(text)).map_err(Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// The rendered parts of one email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// The subject line.
    pub subject: &'static str,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// Renders both parts of `email` for the registry described by `site`.
pub fn render(email: &Email, site: &SiteInfo) -> Result<RenderedEmail, EmailError> {
    let context = email.context(site);
    let name = email.template_name();

    Ok(RenderedEmail {
        subject: email.subject(),
        text: render_one(&format!("{name}.txt"), &context)?,
        html: render_one(&format!("{name}.html"), &context)?,
    })
}

fn render_one(name: &str, context: &impl serde::Serialize) -> Result<String, EmailError> {
    TEMPLATE_ENV
        .get_template(name)
        .and_then(|template| template.render(context))
        .map_err(EmailError::Template)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteInfo {
        SiteInfo {
            registry_name: "Acme Data".into(),
            registry_url: "https://data.acme.test".into(),
        }
    }

    fn every_kind() -> Vec<Email> {
        vec![
            Email::VerifyEmail {
                username: "ada".into(),
                token: "t1".into(),
            },
            Email::RecoverPassword {
                username: "ada".into(),
                token: "t2".into(),
            },
            Email::ApiKeyCreated {
                username: "ada".into(),
                label: "laptop".into(),
            },
            Email::AccountSuspended {
                username: "ada".into(),
                message: None,
            },
            Email::Invite {
                username: "invited-1".into(),
                token: "t3".into(),
                data_name: "weather".into(),
                inviter_name: "Grace".into(),
                message: String::new(),
            },
            Email::DataShared {
                username: "ada".into(),
                url: "/acme/weather".into(),
                data_name: "weather".into(),
                inviter_name: "Grace".into(),
                message: String::new(),
            },
        ]
    }

    #[test]
    fn every_kind_renders_both_parts_with_the_registry_name() {
        for email in every_kind() {
            let rendered =
                render(&email, &site()).unwrap_or_else(|error| panic!("{}: {error}", email.kind()));

            assert!(rendered.text.contains("Acme Data"), "{}", email.kind());
            assert!(rendered.html.contains("Acme Data"), "{}", email.kind());
            assert!(rendered.html.contains("<html"), "{}", email.kind());
        }
    }

    #[test]
    fn token_links_point_at_the_registry_pages() {
        let expected = [
            "https://data.acme.test/validate-email?token=t1",
            "https://data.acme.test/password-recovery?token=t2",
            "https://data.acme.test/accept-invite?token=t3",
        ];
        let emails = every_kind();
        let with_tokens = [&emails[0], &emails[1], &emails[4]];

        for (email, link) in with_tokens.into_iter().zip(expected) {
            let rendered = render(email, &site()).unwrap();
            assert!(rendered.text.contains(link), "{}", rendered.text);
            assert!(rendered.html.contains(link), "{}", rendered.html);
        }
    }

    #[test]
    fn html_in_a_message_is_escaped_in_the_html_part_only() {
        let email = Email::AccountSuspended {
            username: "ada".into(),
            message: Some("<b>spam</b> & \"abuse\"".into()),
        };

        let rendered = render(&email, &site()).unwrap();

        let escaped = "&lt;b&gt;spam&lt;/b&gt; &amp; &quot;abuse&quot;";
        assert!(rendered.html.contains(escaped), "{}", rendered.html);
        assert!(!rendered.html.contains("<b>spam"));
        assert!(rendered.text.contains("<b>spam</b> & \"abuse\""));
    }

    #[test]
    fn a_shared_item_links_to_its_page_on_the_registry() {
        let rendered = render(&every_kind()[5], &site()).unwrap();

        assert!(
            rendered
                .text
                .contains("https://data.acme.test/acme/weather")
        );
    }
}
