//! `user create-api-key`: a key for a user, printed once, for `datapm registry add <url> <key>`.

use clap::Args;

use super::{UserCommandError, UserTarget, api_error, find_user, open};
use crate::domain::api_keys;
use crate::error::ApiError;

/// Longest label accepted, as for keys made through the API.
const LABEL_MAX: usize = 100;

/// `user create-api-key`'s flags.
#[derive(Debug, Args)]
pub struct CreateApiKeyOptions {
    /// A name for the key, unique among the user's keys [default: cli-<date and time>]
    #[arg(long)]
    pub label: Option<String>,

    #[command(flatten)]
    pub target: UserTarget,
}

/// Stores a new key and prints it, alone on the last line of standard output.
pub async fn run(options: CreateApiKeyOptions) -> anyhow::Result<()> {
    let label = match &options.label {
        Some(label) => checked_label(label)?,
        None => default_label(),
    };
    let db = open(&options.target.database).await?;
    let owner = find_user(&db, &options.target.username).await?;

    let (_, credential) = api_keys::insert(&db, owner.id, &label)
        .await
        .map_err(|error| label_taken(error, &owner.username, &label))?;
    db.close().await?;

    println!("created API key {label:?} for user {}", owner.username);
    // Alone on the last line, so a script can take it with `tail -n 1`.
    println!("{}", credential.to_header_value());
    Ok(())
}

/// The label without surrounding space: 1 to 100 characters, as the API requires.
fn checked_label(label: &str) -> Result<String, UserCommandError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > LABEL_MAX {
        let field = "label";
        let code = "APIKEY_LABEL_INVALID";
        return Err(UserCommandError::Invalid { field, code });
    }
    Ok(label.to_owned())
}

fn default_label() -> String {
    format!("cli-{}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"))
}

fn label_taken(error: ApiError, username: &str, label: &str) -> anyhow::Error {
    match &error {
        // The domain's code keeps the original's spelling.
        ApiError::Invalid(code) if code == "APIKEY_LABEL_NOT_AVIALABLE" => {
            let message = format!("user {username} already has an API key labelled {label:?}");
            UserCommandError::Taken(message).into()
        }
        _ => api_error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_trimmed_and_must_have_one_to_a_hundred_characters() {
        assert_eq!(checked_label("  laptop ").unwrap(), "laptop");
        assert!(checked_label(&"é".repeat(100)).is_ok());
        for label in ["", "   ", &"x".repeat(101)] {
            let error = checked_label(label).unwrap_err();
            assert_eq!(error.to_string(), "invalid label: APIKEY_LABEL_INVALID");
        }
    }

    #[test]
    fn the_default_label_names_the_command_and_the_time() {
        let label = default_label();
        assert!(label.starts_with("cli-20"), "{label}");
        assert!(checked_label(&label).is_ok());
    }
}
