//! `user delete`: the account and its personal catalog go; its keys, tokens and grants follow
//! through the foreign keys.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::Args;
use sea_orm::EntityTrait;

use super::{UserTarget, api_error, find_user, open};
use crate::config::default_storage_url;
use crate::domain::{catalogs, packages};
use crate::entity::user;
use crate::storage;

/// `user delete`'s flags.
#[derive(Debug, Args)]
pub struct DeleteOptions {
    /// Delete without asking; needed when standard input is not a terminal
    #[arg(long)]
    pub yes: bool,

    /// Where stored files are, to remove those of the personal catalog's packages
    /// [default: the data directory's `storage/`]
    #[arg(long, env = "STORAGE_URL")]
    pub storage_url: Option<String>,

    #[command(flatten)]
    pub target: UserTarget,
}

/// Deletes the user and their personal catalog in one transaction, once confirmed.
pub async fn run(options: DeleteOptions) -> anyhow::Result<()> {
    let db = open(&options.target.database).await?;
    let target = find_user(&db, &options.target.username).await?;
    if !options.yes && !confirmed(&target.username)? {
        anyhow::bail!("cancelled; user {} was not deleted", target.username);
    }

    let storage_url = match &options.storage_url {
        Some(url) => url.clone(),
        None => default_storage_url(&options.target.database.data_dir),
    };
    let store = storage::open(&storage_url)
        .await
        .map_err(|e| anyhow::anyhow!("STORAGE_URL (--storage-url) cannot be used: {e}"))?;

    let txn = crate::db::write(&db).await?;
    let package_ids = catalogs::delete_personal(&txn, &target)
        .await
        .map_err(api_error)?;
    user::Entity::delete_by_id(target.id).exec(&txn).await?;
    txn.commit().await?;
    db.close().await?;
    packages::delete_stored_files(&*store, &package_ids).await;
    println!(
        "deleted user {} and their personal catalog",
        target.username
    );
    Ok(())
}

/// Asks on the terminal; without one there is nobody to ask, and deleting unasked is refused.
fn confirmed(username: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "not deleting user {username}: standard input is not a terminal, so there is nobody \
             to confirm; pass --yes to delete without asking"
        );
    }
    eprint!("Delete user {username} and their personal catalog? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
