//! Validated account and catalog values: parse a raw string once, then pass the type around.
//!
//! Reach for [`Username`], [`EmailAddress`], [`Password`], [`CatalogSlug`] and [`PackageSlug`]
//! wherever such a value enters the server (a GraphQL argument, a CLI flag), and for
//! [`UsernameOrEmail`] where the original accepts either (login, admin user lookups). Each
//! `parse` applies the rule of api.md §3.4 in the original's check order and fails with a
//! [`ValueError`] whose [`code`](ValueError::code) (and `Display`) is the exact message the
//! original sends, so resolvers can put it on the wire unchanged.
//!
//! Three decisions shared by every type here:
//! - **No trimming.** Values are checked as given, as the original's validators do. None of the
//!   accepted languages contains whitespace, so trimming after a successful parse would change
//!   nothing, and trimming before it would accept `" alice"`, which the original refuses.
//! - **Original casing is kept.** Usernames, email addresses and catalog slugs are unique and
//!   looked up case-insensitively; use their `lowercase()` for keys and comparisons. The derived
//!   `PartialEq` compares the stored text exactly.
//! - **Lengths count UTF-16 code units**, like JavaScript's `String.length`, so a value with
//!   characters outside the Basic Multilingual Plane gets the same error as on the original
//!   (this matters for passwords, which may contain any character).
//!
//! The original's regular expressions use look-aheads, which the `regex` crate lacks; each one is
//! implemented here as plain code that accepts the same language, with the argument next to it.
//! Only ASCII letters ever match (the original's `i` flag without `u` folds ASCII only).
//!
//! Reserved words ([`is_reserved_word`]) are a separate check: a reserved username or slug still
//! parses, and the resolver that creates or renames it raises `RESERVED_KEYWORD`.

use std::fmt;
use std::str::FromStr;

/// Why a value was refused. [`code`](Self::code) and `Display` give the original's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{}", self.code())]
pub enum ValueError {
    /// The username is empty.
    UsernameRequired,
    /// The username is longer than 39 characters.
    UsernameTooLong,
    /// The username has a character other than letters, digits and single inner hyphens.
    UsernameInvalidCharacters,
    /// The email address is empty or blank.
    EmailAddressRequired,
    /// The email address is longer than 254 characters.
    EmailAddressTooLong,
    /// The email address does not have the accepted shape.
    InvalidEmailAddressFormat,
    /// The password is empty.
    PasswordRequired,
    /// The password is longer than 99 characters.
    PasswordTooLong,
    /// The password is shorter than 8 characters.
    PasswordTooShort,
    /// The password is shorter than 16 characters and has no digit or one of `@#$%!`.
    PasswordInvalidCharacters,
    /// The catalog slug is empty.
    CatalogSlugRequired,
    /// The catalog slug is longer than 38 characters.
    CatalogSlugTooLong,
    /// The catalog slug has a character other than letters, digits and single inner hyphens.
    CatalogSlugInvalid,
    /// The package slug is empty.
    PackageSlugRequired,
    /// The package slug is longer than 38 characters. The original reports this as
    /// `PACKAGE_SLUG_REQUIRED` (api.md Appendix B, item 11) and so does [`code`](Self::code).
    PackageSlugTooLong,
    /// The package slug is not lower-case letters and digits joined by `.`, `_`, `__` or hyphens.
    PackageSlugInvalid,
}

impl ValueError {
    /// The message the original registry sends for this failure, e.g. `USERNAME_TOO_LONG`.
    pub fn code(self) -> &'static str {
        match self {
            Self::UsernameRequired => "USERNAME_REQUIRED",
            Self::UsernameTooLong => "USERNAME_TOO_LONG",
            Self::UsernameInvalidCharacters | Self::PasswordInvalidCharacters => {
                "INVALID_CHARACTERS"
            }
            Self::EmailAddressRequired => "REQUIRED",
            Self::EmailAddressTooLong => "TOO_LONG",
            Self::InvalidEmailAddressFormat => "INVALID_EMAIL_ADDRESS_FORMAT",
            Self::PasswordRequired => "PASSWORD_REQUIRED",
            Self::PasswordTooLong => "PASSWORD_TOO_LONG",
            Self::PasswordTooShort => "PASSWORD_TOO_SHORT",
            Self::CatalogSlugRequired => "CATALOG_SLUG_REQUIRED",
            Self::CatalogSlugTooLong => "CATALOG_SLUG_TOO_LONG",
            Self::CatalogSlugInvalid => "CATALOG_SLUG_INVALID",
            // The original's too-long message is REQUIRED; clients only ever saw that.
            Self::PackageSlugRequired | Self::PackageSlugTooLong => "PACKAGE_SLUG_REQUIRED",
            Self::PackageSlugInvalid => "PACKAGE_SLUG_INVALID",
        }
    }
}

/// The words no username, catalog slug or collection slug may be (behavior.md §2.8).
const RESERVED_WORDS: [&str; 19] = [
    "ADMIN",
    "USER",
    "CATALOG",
    "COLLECTION",
    "WS",
    "LATEST",
    "TRENDING",
    "TOP",
    "RECENT",
    "RECENTLY",
    "MY",
    "ME",
    "DOCS",
    "IMAGES",
    "GRAPHQL",
    "ACCEPT-INVITE",
    "CLIENT-INSTALLERS",
    "SITEMAP",
    "GROUP",
];

/// Whether `value`, trimmed and upper-cased, is one of the reserved words (`ADMIN`, `ME`,
/// `GRAPHQL`, ...). Resolvers refuse such usernames and slugs with `RESERVED_KEYWORD`.
pub fn is_reserved_word(value: &str) -> bool {
    let upper = value.trim().to_uppercase();
    RESERVED_WORDS.contains(&upper.as_str())
}

/// A username: 1 to 39 ASCII letters, digits and single inner hyphens, in the casing given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Checks `value` against the username rule: `USERNAME_REQUIRED`, `USERNAME_TOO_LONG`,
    /// then `INVALID_CHARACTERS`.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        if value.is_empty() {
            return Err(ValueError::UsernameRequired);
        }
        if js_length(value) > 39 {
            return Err(ValueError::UsernameTooLong);
        }
        if !is_hyphenated_name(value) {
            return Err(ValueError::UsernameInvalidCharacters);
        }
        Ok(Self(value.to_owned()))
    }

    /// The username in lower case: the key for uniqueness and lookups.
    pub fn lowercase(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// An email address in the shape the original accepts, in the casing given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks `value` against the email rule: `REQUIRED` (empty or blank), `TOO_LONG` (over 254),
    /// then `INVALID_EMAIL_ADDRESS_FORMAT`.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        if value.trim().is_empty() {
            return Err(ValueError::EmailAddressRequired);
        }
        if js_length(value) > 254 {
            return Err(ValueError::EmailAddressTooLong);
        }
        if !is_email_address(value) {
            return Err(ValueError::InvalidEmailAddressFormat);
        }
        Ok(Self(value.to_owned()))
    }

    /// The address in lower case: the key for uniqueness and lookups.
    pub fn lowercase(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A password that meets the original's rules. Its `Debug` output is redacted and it has no
/// `Display`, so it cannot end up in a log line by accident; [`as_str`](Self::as_str) is for the
/// hasher.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Checks `value` against the password rule: `PASSWORD_REQUIRED`, `PASSWORD_TOO_LONG` (over
    /// 99), `PASSWORD_TOO_SHORT` (under 8), then `INVALID_CHARACTERS` (under 16 characters and no
    /// digit or one of `@#$%!`). Any character is allowed; nothing is trimmed.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        let length = js_length(value);
        if length == 0 {
            return Err(ValueError::PasswordRequired);
        }
        if length > 99 {
            return Err(ValueError::PasswordTooLong);
        }
        if length < 8 {
            return Err(ValueError::PasswordTooShort);
        }

        let has_digit_or_symbol = value
            .chars()
            .any(|c| c.is_ascii_digit() || "@#$%!".contains(c));
        if length < 16 && !has_digit_or_symbol {
            return Err(ValueError::PasswordInvalidCharacters);
        }
        Ok(Self(value.to_owned()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A catalog slug: 1 to 38 ASCII letters, digits and single inner hyphens, in the casing given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CatalogSlug(String);

impl CatalogSlug {
    /// Checks `value` against the catalog slug rule: `CATALOG_SLUG_REQUIRED`,
    /// `CATALOG_SLUG_TOO_LONG` (over 38), then `CATALOG_SLUG_INVALID`.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        if value.is_empty() {
            return Err(ValueError::CatalogSlugRequired);
        }
        if js_length(value) > 38 {
            return Err(ValueError::CatalogSlugTooLong);
        }
        if !is_hyphenated_name(value) {
            return Err(ValueError::CatalogSlugInvalid);
        }
        Ok(Self(value.to_owned()))
    }

    /// The slug in lower case: catalogs are unique and looked up by `LOWER(slug)`.
    pub fn lowercase(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A package slug: lower-case letters and digits joined by `.`, `_`, `__` or runs of hyphens,
/// at most 38 characters. Package lookups within a catalog are exact, so there is no
/// `lowercase()`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackageSlug(String);

impl PackageSlug {
    /// Checks `value` against the package slug rule: `PACKAGE_SLUG_REQUIRED` (empty, and also
    /// over 38 characters, see [`ValueError::PackageSlugTooLong`]), then `PACKAGE_SLUG_INVALID`.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        if value.is_empty() {
            return Err(ValueError::PackageSlugRequired);
        }
        if js_length(value) > 38 {
            return Err(ValueError::PackageSlugTooLong);
        }
        if !is_package_slug(value) {
            return Err(ValueError::PackageSlugInvalid);
        }
        Ok(Self(value.to_owned()))
    }
}

/// What a login or an admin lookup names a user by: an email address if the text has an `@`,
/// otherwise a username.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UsernameOrEmail {
    /// The text had no `@`.
    Username(Username),
    /// The text had an `@`.
    Email(EmailAddress),
}

impl UsernameOrEmail {
    /// Applies the email rule if `value` contains `@`, else the username rule (so an empty value
    /// is `USERNAME_REQUIRED`). A caller with a missing value should answer `REQUIRED`
    /// ([`ValueError::EmailAddressRequired`]), as the original does.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        if value.contains('@') {
            EmailAddress::parse(value).map(Self::Email)
        } else {
            Username::parse(value).map(Self::Username)
        }
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Username(username) => username.as_str(),
            Self::Email(email) => email.as_str(),
        }
    }

    /// The text in lower case, for case-insensitive lookups.
    pub fn lowercase(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }
}

/// `as_str`, `AsRef<str>` and `FromStr` for the string newtypes.
macro_rules! string_value {
    ($($name:ident),+) => {$(
        impl $name {
            /// The value as given to `parse`.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = ValueError;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::parse(value)
            }
        }
    )+};
}

string_value!(Username, EmailAddress, Password, CatalogSlug, PackageSlug);

/// `Display` (the value as given) for everything but [`Password`].
macro_rules! display_value {
    ($($name:ident),+) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )+};
}

display_value!(
    Username,
    EmailAddress,
    CatalogSlug,
    PackageSlug,
    UsernameOrEmail
);

impl AsRef<str> for UsernameOrEmail {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl FromStr for UsernameOrEmail {
    type Err = ValueError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

/// The length JavaScript's `String.length` reports: UTF-16 code units.
fn js_length(value: &str) -> usize {
    value.encode_utf16().count()
}

/// `^[a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38}$`, case-insensitive (usernames and catalog slugs).
///
/// The first character is a letter or digit; each later one is a letter, a digit, or a hyphen
/// that the look-ahead requires to be followed by a letter or digit. So: 1 to 39 characters from
/// `[A-Za-z0-9-]`, starting and ending with a letter or digit, with no two hyphens in a row.
fn is_hyphenated_name(value: &str) -> bool {
    value.len() <= 39 && is_hyphenated_label(value)
}

/// Letters, digits and single inner hyphens, not empty: `[A-Z0-9]+(?:-[A-Z0-9]+)*`
/// case-insensitively, which is also the shape of one email domain label.
fn is_hyphenated_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && !value.contains("--")
}

/// `^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?$`, case-sensitive (package slugs).
///
/// That is runs of `[a-z0-9]` joined by exactly one separator, where a separator is `.`, `_`,
/// `__` or any number of hyphens (zero hyphens just splits a run, which changes nothing). So
/// splitting the value at its letters and digits must give an empty piece first and last (it
/// starts and ends with a letter or digit) and only empty pieces, `.`, `_`, `__` or all-hyphen
/// pieces in between; any other character lands in a piece and fails it.
fn is_package_slug(value: &str) -> bool {
    let is_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut pieces = value.split(is_alnum);

    let starts_with_alnum = value.starts_with(is_alnum);
    let ends_with_alnum = value.ends_with(is_alnum);
    let separators_ok = pieces
        .all(|piece| matches!(piece, "" | "." | "_" | "__") || piece.bytes().all(|b| b == b'-'));
    starts_with_alnum && ends_with_alnum && separators_ok
}

/// The original's email expression, case-insensitive:
/// `^(?=[A-Z0-9][A-Z0-9@._%+-]{5,253}$)[A-Z0-9._%+-]{1,64}@(?:(?=[A-Z0-9-]{1,63}\.)[A-Z0-9]+(?:-[A-Z0-9]+)*\.){1,8}[A-Z]{2,63}$`
///
/// - The leading look-ahead: the first character is a letter or digit and the whole value is 6
///   to 254 characters (its character class holds every character the rest allows).
/// - Neither part contains `@`, so there is exactly one, splitting a local part of 1 to 64
///   characters from `[A-Z0-9._%+-]` and a domain.
/// - The domain has no other characters than labels and dots, so splitting it at `.` gives
///   1 to 8 labels and a last piece, the top-level domain, of 2 to 63 letters. Each label is
///   `[A-Z0-9]+(?:-[A-Z0-9]+)*`, and the label look-ahead caps it at 63 characters, because the
///   dot it looks for can only be the one ending the label.
fn is_email_address(value: &str) -> bool {
    let starts_with_alnum = value
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphanumeric);
    if !starts_with_alnum || !(6..=254).contains(&value.len()) {
        return false;
    }
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    is_email_local_part(local) && is_email_domain(domain)
}

/// `[A-Z0-9._%+-]{1,64}`.
fn is_email_local_part(local: &str) -> bool {
    (1..=64).contains(&local.len())
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
}

/// `(?:(?=[A-Z0-9-]{1,63}\.)[A-Z0-9]+(?:-[A-Z0-9]+)*\.){1,8}[A-Z]{2,63}`.
fn is_email_domain(domain: &str) -> bool {
    let pieces: Vec<&str> = domain.split('.').collect();
    let Some((top_level, labels)) = pieces.split_last() else {
        return false;
    };
    let top_level_ok =
        (2..=63).contains(&top_level.len()) && top_level.bytes().all(|b| b.is_ascii_alphabetic());
    let labels_ok = labels
        .iter()
        .all(|label| label.len() <= 63 && is_hyphenated_label(label));
    top_level_ok && (1..=8).contains(&labels.len()) && labels_ok
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
