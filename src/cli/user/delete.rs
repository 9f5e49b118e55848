//! `user delete`: the account and its personal catalog go; its keys, tokens and grants follow
//! through the foreign keys.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::Args;
use sea_orm::{EntityTrait, TransactionTrait};

use super::{UserTarget, api_error, find_user, open};
use crate::domain::catalogs;
use crate::entity::user;

/// `user delete`'s flags.
#[derive(Debug, Args)]
pub struct DeleteOptions {
    /// Delete without asking; needed when standard input is not a terminal
    #[arg(long)]
    pub yes: bool,

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

    let txn = db.begin().await?;
    catalogs::delete_personal(&txn, &target)
        .await
        .map_err(api_error)?;
    user::Entity::delete_by_id(target.id).exec(&txn).await?;
    txn.commit().await?;
    db.close().await?;
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
