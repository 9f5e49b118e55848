//! Login tokens: HS256 JWTs with a `kid` header, issuer and audience set to the registry URL,
//! the user id as subject, valid for one day. This is the format DataPM clients already hold.

use std::path::Path;

use anyhow::Context;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AuthFailure;
use crate::config::Secret;

/// How long a login token is valid.
pub const TOKEN_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// The file in the data directory that keeps a generated key across restarts.
const KEY_FILE: &str = "jwt-key";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    aud: String,
    iss: String,
    iat: i64,
    exp: i64,
}

/// Signs and checks login tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    registry_url: String,
}

impl JwtKeys {
    pub fn new(secret: &Secret, registry_url: &str) -> anyhow::Result<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[registry_url]);
        validation.set_issuer(&[registry_url]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        validation.leeway = 0;
        let key = secret.expose().as_bytes();
        let unusable = "JWT_KEY (--jwt-key) cannot be used as an HS256 key";
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(key).context(unusable)?,
            decoding: DecodingKey::from_secret(key).context(unusable)?,
            validation,
            registry_url: registry_url.to_owned(),
        })
    }

    /// A token for `user_id`, valid for a day from now.
    pub fn issue(&self, user_id: i64) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            aud: self.registry_url.clone(),
            iss: self.registry_url.clone(),
            iat: now,
            exp: now + TOKEN_LIFETIME.num_seconds(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("JWT_KEY".to_owned());
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }

    /// The user id a valid token names.
    pub fn verify(&self, token: &str) -> Result<i64, AuthFailure> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| refusal(e.kind()))?;
        if header.kid.is_none() {
            return Err(AuthFailure::TokenWithoutKeyId);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| refusal(e.kind()))?;
        data.claims
            .sub
            .parse()
            .map_err(|_| AuthFailure::InvalidToken("jwt malformed".into()))
    }
}

/// The reason in the words of the Node `jsonwebtoken` library, which clients may show.
fn refusal(kind: &ErrorKind) -> AuthFailure {
    let reason = match kind {
        ErrorKind::ExpiredSignature => "jwt expired",
        ErrorKind::InvalidSignature => "invalid signature",
        ErrorKind::InvalidAudience => "jwt audience invalid",
        ErrorKind::InvalidIssuer => "jwt issuer invalid",
        ErrorKind::ImmatureSignature => "jwt not active",
        ErrorKind::InvalidAlgorithm => "invalid algorithm",
        _ => "jwt malformed",
    };
    AuthFailure::InvalidToken(reason.to_owned())
}

/// `JWT_KEY` when set; otherwise the key kept in the data directory, created on first start
/// with mode 0600.
pub fn load_or_create_secret(
    configured: Option<&Secret>,
    data_dir: &Path,
) -> anyhow::Result<Secret> {
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    let path = data_dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(Secret::new(text.trim())),
        Ok(_) => anyhow::bail!(
            "the JWT key file {} is empty; delete it or set JWT_KEY",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let secret = generate_secret();
    write_private(&path, secret.expose())?;
    tracing::info!(path = %path.display(), "generated a JWT signing key");
    Ok(secret)
}

fn generate_secret() -> Secret {
    use base64::Engine;
    let bytes: [u8; 48] = rand::random();
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the JWT key file {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}
