//! Password hashes, API keys and one-time tokens.
//!
//! - Signing up or changing a password: [`hash_password`], and store the PHC string it returns.
//! - Logging in: [`verify_password`]; on [`PasswordCheck::MatchNeedsRehash`] store a fresh
//!   [`hash_password`] result, which moves accounts imported from the original registry off its
//!   HMAC scheme one login at a time.
//! - Creating an API key: [`ApiKeyCredential::generate`], store [`api_key_hash`] of it, hand
//!   [`ApiKeyCredential::to_header_value`] to the user once.
//! - Authenticating a request: [`ApiKeyCredential::parse_header`] on `X-API-Key`, find the row by
//!   id, then [`verify_api_key_hash`].
//! - Email verification, password recovery and invitation links: [`random_token`].
//!
//! Every comparison of a secret against a stored value runs in constant time, and a stored value
//! that cannot be read is a mismatch, never a panic.

use argon2::{
    ARGON2ID_IDENT, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
};
use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use uuid::Uuid;

use super::values::Password;

type HmacSha256 = Hmac<Sha256>;

/// Standard base64 that decodes with or without `=` padding, as the original's `atob` does.
const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Stored hashes asking for more than 1 GiB of memory are refused unread: the allocation would
/// abort the process rather than fail. Ours use 19 MiB.
const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;

/// Hashes a password for storage as an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
///
/// The parameters are the argon2 crate's defaults, which are OWASP's minimum recommendation:
/// 19 MiB of memory, 2 passes, 1 lane, a 16-byte salt from the operating system's random number
/// generator and a 32-byte output. It is slow on purpose (19 MiB of memory work per call), so
/// async callers should run it on a blocking thread.
///
/// # Panics
/// If the operating system's random number generator fails, which leaves nothing safe to do.
pub fn hash_password(password: &Password) -> String {
    hash_any_password(password.as_str())
}

/// [`hash_password`] for a password that is not checked against today's rules: one that
/// already matched a stored hash and is only being moved to argon2id.
pub fn hash_any_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("the operating system's random number generator failed")
        .to_string()
}

/// The outcome of [`verify_password`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password is wrong, or the stored hash could not be read.
    Mismatch,
    /// The password is right and the stored hash is current.
    Match,
    /// The password is right, but the stored hash is the original's HMAC scheme or argon2 with
    /// other parameters than [`hash_password`] uses: store a fresh hash.
    MatchNeedsRehash,
}

impl PasswordCheck {
    /// Whether the password was right, current hash or not.
    pub fn is_match(self) -> bool {
        self != Self::Mismatch
    }
}

/// Checks a login attempt against a stored password hash.
///
/// `stored_hash` is either a PHC string from [`hash_password`] (then `legacy_salt` is ignored) or
/// the original registry's `base64(HMAC-SHA256(key = salt, message = password))`, which needs the
/// user's `password_salt` (a UUID string, used as its ASCII bytes) as `legacy_salt`. A legacy hash
/// without a salt is a [`PasswordCheck::Mismatch`].
///
/// Like [`hash_password`], this is slow on purpose; run it on a blocking thread.
pub fn verify_password(
    candidate: &str,
    stored_hash: &str,
    legacy_salt: Option<&str>,
) -> PasswordCheck {
    if stored_hash.starts_with('$') {
        return verify_phc_password(candidate, stored_hash);
    }

    match legacy_salt {
        Some(salt) if hmac_matches(salt, candidate, stored_hash) => PasswordCheck::MatchNeedsRehash,
        _ => PasswordCheck::Mismatch,
    }
}

/// Verifies against a PHC string with the parameters written in it.
fn verify_phc_password(candidate: &str, stored_hash: &str) -> PasswordCheck {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return PasswordCheck::Mismatch;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return PasswordCheck::Mismatch;
    };
    if params.m_cost() > MAX_ARGON2_MEMORY_KIB {
        return PasswordCheck::Mismatch;
    }

    // The verifier compares outputs in constant time.
    if Argon2::default()
        .verify_password(candidate.as_bytes(), &parsed)
        .is_err()
    {
        return PasswordCheck::Mismatch;
    }

    if is_current_argon2(&parsed, &params) {
        PasswordCheck::Match
    } else {
        PasswordCheck::MatchNeedsRehash
    }
}

/// Whether a verified hash used the algorithm and parameters [`hash_password`] uses today.
fn is_current_argon2(parsed: &PasswordHash, params: &Params) -> bool {
    let current = Params::default();
    parsed.algorithm == ARGON2ID_IDENT
        && parsed.version == Some(Version::default().into())
        && params.m_cost() == current.m_cost()
        && params.t_cost() == current.t_cost()
        && params.p_cost() == current.p_cost()
        && params.output_len() == Some(Params::DEFAULT_OUTPUT_LEN)
}

/// An API key: a random id (the database key) and a random secret (stored only as a hash).
///
/// Its `Debug` output hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyCredential {
    /// The key's id, a UUID v4 string; stored in clear and listed by `myAPIKeys`.
    pub id: String,
    /// The key's secret, a UUID v4 string; shown to the user once.
    pub secret: String,
}

impl ApiKeyCredential {
    /// A new key: id and secret are two UUID v4 strings from the operating system's random
    /// number generator, as the original makes them.
    pub fn generate() -> Self {
        Self {
            id: Uuid::new_v4().to_string(),
            secret: Uuid::new_v4().to_string(),
        }
    }

    /// The key as clients send it in `X-API-Key` (and as `datapm registry add <url> <key>`
    /// takes it): standard padded base64 of `"<id>.<secret>"`.
    pub fn to_header_value(&self) -> String {
        STANDARD.encode(format!("{}.{}", self.id, self.secret))
    }

    /// Reads an `X-API-Key` value: whitespace around it (and around the decoded text) is ignored,
    /// base64 padding is optional, and the decoded text is split at its first `.` into a
    /// non-empty id and secret. Callers answer any error with `API_KEY_NOT_FOUND`, as for an
    /// unknown key.
    pub fn parse_header(value: &str) -> Result<Self, ApiKeyFormatError> {
        let bytes = STANDARD_ANY_PADDING
            .decode(value.trim())
            .map_err(|_| ApiKeyFormatError::NotBase64)?;
        let text = String::from_utf8(bytes).map_err(|_| ApiKeyFormatError::NotUtf8)?;

        let (id, secret) = text
            .trim()
            .split_once('.')
            .ok_or(ApiKeyFormatError::MissingSeparator)?;
        if id.is_empty() || secret.is_empty() {
            return Err(ApiKeyFormatError::EmptyPart);
        }

        Ok(Self {
            id: id.to_owned(),
            secret: secret.to_owned(),
        })
    }
}

impl fmt::Debug for ApiKeyCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyCredential")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Why an `X-API-Key` value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyFormatError {
    /// The value is not standard base64.
    #[error("the API key is not base64")]
    NotBase64,
    /// The decoded bytes are not UTF-8 text.
    #[error("the decoded API key is not UTF-8")]
    NotUtf8,
    /// The decoded text has no `.` between id and secret.
    #[error("the API key has no '.' between its id and secret")]
    MissingSeparator,
    /// The id or the secret is empty.
    #[error("the API key's id or secret is empty")]
    EmptyPart,
}

/// The stored hash of an API key: `base64(HMAC-SHA256(key = id, message = secret))`, exactly the
/// original registry's, so keys imported from it keep working.
///
/// This is fast on purpose. Secrets are random UUID v4 strings with 122 bits of entropy, so a
/// slow password hash would add nothing against guessing, while every API request pays for the
/// check.
pub fn api_key_hash(id: &str, secret: &str) -> String {
    let mut mac = keyed_mac(id);
    mac.update(secret.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `stored` is [`api_key_hash`] of this id and secret, compared in constant time. A
/// stored value that is not base64 of 32 bytes never matches.
pub fn verify_api_key_hash(id: &str, secret: &str, stored: &str) -> bool {
    hmac_matches(id, secret, stored)
}

/// A random one-time token (a UUID v4 string) for email verification, password recovery and
/// invitation links.
pub fn random_token() -> String {
    Uuid::new_v4().to_string()
}

/// HMAC-SHA256 keyed with the ASCII bytes of `key`, as the original's `createHmac("sha256", key)`.
fn keyed_mac(key: &str) -> HmacSha256 {
    HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC accepts keys of any length")
}

/// Whether `stored` is `base64(HMAC-SHA256(key, message))`, compared in constant time.
fn hmac_matches(key: &str, message: &str, stored: &str) -> bool {
    let Ok(expected) = STANDARD.decode(stored) else {
        return false;
    };
    let mut mac = keyed_mac(key);
    mac.update(message.as_bytes());
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Computed independently with Python 3's standard library:
    //   base64.b64encode(hmac.new(b"5c6a5a1e-2d0b-4a4b-9f0e-7a7c2f3d1b9e",
    //                              b"correct-horse-9", hashlib.sha256).digest())
    // i.e. key = the salt, message = the password. Swapping them gives
    // "bnIGHbC0vkc9XUWthopE7e+KflYXYy9AzRseDttRQ5g=", which must not match.
    const LEGACY_SALT: &str = "5c6a5a1e-2d0b-4a4b-9f0e-7a7c2f3d1b9e";
    const LEGACY_PASSWORD: &str = "correct-horse-9";
    const LEGACY_HASH: &str = "oNuE8cFlVM/0zF665jlx+W40vWzwtKCfEHKxPWMQSTA=";
    const LEGACY_HASH_SWAPPED: &str = "bnIGHbC0vkc9XUWthopE7e+KflYXYy9AzRseDttRQ5g=";

    // Computed independently with Python 3's standard library:
    //   base64.b64encode(hmac.new(KEY_ID.encode(), KEY_SECRET.encode(), hashlib.sha256).digest())
    //   base64.b64encode((KEY_ID + "." + KEY_SECRET).encode())
    const KEY_ID: &str = "3f0f8c2e-9b7a-4c1d-8e6f-1a2b3c4d5e6f";
    const KEY_SECRET: &str = "a1b2c3d4-e5f6-4711-8899-aabbccddeeff";
    const KEY_HASH: &str = "JngVrdLR7LPVWPRenImi/7E8Dp7H7d0r/pqi7SMkido=";
    const KEY_HEADER: &str = "M2YwZjhjMmUtOWI3YS00YzFkLThlNmYtMWEyYjNjNGQ1ZTZmLmExYjJjM2Q0LWU1ZjYtNDcxMS04ODk5LWFhYmJjY2RkZWVmZg==";

    fn password(text: &str) -> Password {
        Password::parse(text).expect("a valid test password")
    }

    #[test]
    fn a_new_password_hash_is_an_argon2id_phc_string_that_verifies() {
        let hash = hash_password(&password("s3cret-enough"));

        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            verify_password("s3cret-enough", &hash, None),
            PasswordCheck::Match
        );
        assert_eq!(
            verify_password("s3cret-enougH", &hash, None),
            PasswordCheck::Mismatch
        );
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        let first = hash_password(&password("s3cret-enough"));
        let second = hash_password(&password("s3cret-enough"));
        assert_ne!(first, second);
    }

    #[test]
    fn an_argon2_hash_ignores_a_leftover_legacy_salt() {
        let hash = hash_password(&password("s3cret-enough"));
        let check = verify_password("s3cret-enough", &hash, Some(LEGACY_SALT));
        assert_eq!(check, PasswordCheck::Match);
    }

    #[test]
    fn an_argon2_hash_with_other_parameters_matches_but_asks_for_a_rehash() {
        let params = Params::new(8 * 1024, 1, 1, None).unwrap();
        let weaker = Argon2::from(params)
            .hash_password(b"s3cret-enough")
            .unwrap()
            .to_string();

        let check = verify_password("s3cret-enough", &weaker, None);
        assert_eq!(check, PasswordCheck::MatchNeedsRehash);
        assert_eq!(
            verify_password("wrong-one-1", &weaker, None),
            PasswordCheck::Mismatch
        );
    }

    #[test]
    fn a_legacy_hash_from_the_original_matches_and_asks_for_a_rehash() {
        let check = verify_password(LEGACY_PASSWORD, LEGACY_HASH, Some(LEGACY_SALT));
        assert_eq!(check, PasswordCheck::MatchNeedsRehash);
        assert!(check.is_match());
    }

    #[test]
    fn a_legacy_hash_is_keyed_with_the_salt_not_the_password() {
        let check = verify_password(LEGACY_PASSWORD, LEGACY_HASH_SWAPPED, Some(LEGACY_SALT));
        assert_eq!(check, PasswordCheck::Mismatch);
    }

    #[test]
    fn a_legacy_hash_refuses_a_wrong_password_or_salt() {
        let wrong_password = verify_password("correct-horse-8", LEGACY_HASH, Some(LEGACY_SALT));
        let wrong_salt = verify_password(LEGACY_PASSWORD, LEGACY_HASH, Some(KEY_ID));
        let no_salt = verify_password(LEGACY_PASSWORD, LEGACY_HASH, None);

        assert_eq!(wrong_password, PasswordCheck::Mismatch);
        assert_eq!(wrong_salt, PasswordCheck::Mismatch);
        assert_eq!(no_salt, PasswordCheck::Mismatch);
        assert!(!no_salt.is_match());
    }

    #[test]
    fn an_unreadable_stored_hash_is_a_mismatch() {
        let garbage = [
            "",
            "$",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$",
            "$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$bcrypt$whatever",
            "not base64 at all!",
            "oNuE8cFlVM/0zF665jlx+W40vWzwtKCfEHKxPWMQ",
            "oNuE8cFlVM/0zF665jlx+W40vWzwtKCfEHKxPWMQSTA=extra",
        ];
        for stored in garbage {
            let check = verify_password(LEGACY_PASSWORD, stored, Some(LEGACY_SALT));
            assert_eq!(check, PasswordCheck::Mismatch, "{stored:?}");
        }
    }

    #[test]
    fn an_api_key_hash_is_the_originals_hmac_keyed_with_the_id() {
        assert_eq!(api_key_hash(KEY_ID, KEY_SECRET), KEY_HASH);
        assert!(verify_api_key_hash(KEY_ID, KEY_SECRET, KEY_HASH));
    }

    #[test]
    fn an_api_key_hash_refuses_another_secret_or_a_malformed_stored_value() {
        assert!(!verify_api_key_hash(
            KEY_ID,
            "a1b2c3d4-e5f6-4711-8899-aabbccddeefe",
            KEY_HASH
        ));
        assert!(!verify_api_key_hash(KEY_SECRET, KEY_ID, KEY_HASH));
        assert!(!verify_api_key_hash(KEY_ID, KEY_SECRET, ""));
        assert!(!verify_api_key_hash(KEY_ID, KEY_SECRET, "%%%"));
        assert!(!verify_api_key_hash(KEY_ID, KEY_SECRET, &KEY_HASH[..20]));
    }

    #[test]
    fn an_api_key_header_is_base64_of_id_dot_secret() {
        let key = ApiKeyCredential {
            id: KEY_ID.to_owned(),
            secret: KEY_SECRET.to_owned(),
        };
        assert_eq!(key.to_header_value(), KEY_HEADER);
        assert_eq!(ApiKeyCredential::parse_header(KEY_HEADER).unwrap(), key);
    }

    #[test]
    fn a_generated_api_key_is_two_uuids_and_survives_a_round_trip() {
        let key = ApiKeyCredential::generate();

        assert_eq!(Uuid::parse_str(&key.id).unwrap().get_version_num(), 4);
        assert_eq!(Uuid::parse_str(&key.secret).unwrap().get_version_num(), 4);
        assert_ne!(key.id, key.secret);

        let parsed = ApiKeyCredential::parse_header(&key.to_header_value()).unwrap();
        assert_eq!(parsed, key);
        assert!(verify_api_key_hash(
            &parsed.id,
            &parsed.secret,
            &api_key_hash(&key.id, &key.secret)
        ));
    }

    #[test]
    fn an_api_key_header_tolerates_surrounding_whitespace_and_missing_padding() {
        let padded = format!("  {KEY_HEADER}\n");
        let unpadded = KEY_HEADER.trim_end_matches('=');
        let from_echo = STANDARD.encode(format!("{KEY_ID}.{KEY_SECRET}\n"));

        for header in [padded.as_str(), unpadded, from_echo.as_str()] {
            let key = ApiKeyCredential::parse_header(header).unwrap();
            assert_eq!((key.id.as_str(), key.secret.as_str()), (KEY_ID, KEY_SECRET));
        }
    }

    #[test]
    fn an_api_key_header_splits_at_the_first_dot() {
        let key = ApiKeyCredential::parse_header(&STANDARD.encode("id.sec.ret")).unwrap();
        assert_eq!((key.id.as_str(), key.secret.as_str()), ("id", "sec.ret"));
    }

    #[test]
    fn malformed_api_key_headers_are_refused_with_a_reason() {
        let cases = [
            ("not base64!".to_owned(), ApiKeyFormatError::NotBase64),
            (
                STANDARD.encode([0xff, 0xfe, b'.', b'a']),
                ApiKeyFormatError::NotUtf8,
            ),
            (
                STANDARD.encode("no-separator"),
                ApiKeyFormatError::MissingSeparator,
            ),
            (STANDARD.encode(".secret"), ApiKeyFormatError::EmptyPart),
            (STANDARD.encode("id."), ApiKeyFormatError::EmptyPart),
            (String::new(), ApiKeyFormatError::MissingSeparator),
        ];
        for (header, expected) in cases {
            assert_eq!(
                ApiKeyCredential::parse_header(&header),
                Err(expected),
                "{header:?}"
            );
        }
    }

    #[test]
    fn an_api_key_does_not_show_its_secret_in_debug_output() {
        let key = ApiKeyCredential::generate();
        let shown = format!("{key:?}");
        assert!(shown.contains(&key.id));
        assert!(!shown.contains(&key.secret));
    }

    #[test]
    fn random_tokens_are_distinct_uuid_v4_strings() {
        let first = random_token();
        let second = random_token();
        assert_eq!(Uuid::parse_str(&first).unwrap().get_version_num(), 4);
        assert_ne!(first, second);
    }
}
