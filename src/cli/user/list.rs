//! `user list`: every account, pending invitations included, as a table or a JSON array.

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use sea_orm::{EntityTrait, QueryOrder};
use serde::Serialize;

use super::open;
use crate::config::DatabaseOptions;
use crate::entity::user;

/// `user list`'s flags.
#[derive(Debug, Args)]
pub struct ListOptions {
    /// Print a JSON array instead of a table
    #[arg(long)]
    pub json: bool,

    #[command(flatten, next_help_heading = "Database")]
    pub database: DatabaseOptions,
}

/// One user as listed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    username: String,
    email_address: String,
    status: String,
    is_site_admin: bool,
    email_verified: bool,
    created_at: DateTime<Utc>,
}

impl From<user::Model> for Listed {
    fn from(row: user::Model) -> Self {
        Listed {
            username: row.username,
            email_address: row.email_address,
            status: row.status,
            is_site_admin: row.is_site_admin,
            email_verified: row.email_verified,
            created_at: row.created_at,
        }
    }
}

/// Prints every user, ordered by name.
pub async fn run(options: ListOptions) -> anyhow::Result<()> {
    let db = open(&options.database).await?;
    let rows = user::Entity::find()
        .order_by_asc(user::Column::UsernameKey)
        .all(&db)
        .await?;
    db.close().await?;

    let listed: Vec<Listed> = rows.into_iter().map(Listed::from).collect();
    match options.json {
        true => println!("{}", serde_json::to_string_pretty(&listed)?),
        false => print!("{}", table(&listed)),
    }
    Ok(())
}

/// Left-aligned columns, each as wide as its longest cell, two spaces apart.
fn table(listed: &[Listed]) -> String {
    let yes_no = |flag: bool| if flag { "yes" } else { "no" }.to_owned();
    let header = [
        "USERNAME", "EMAIL", "STATUS", "ADMIN", "VERIFIED", "CREATED",
    ]
    .map(String::from);
    let rows = listed.iter().map(|user| {
        [
            user.username.clone(),
            user.email_address.clone(),
            user.status.clone(),
            yes_no(user.is_site_admin),
            yes_no(user.email_verified),
            user.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        ]
    });
    let cells: Vec<[String; 6]> = std::iter::once(header).chain(rows).collect();

    let mut widths = [0; 6];
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lines_up_its_columns() {
        let created_at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .to_utc();
        let listed = [Listed {
            username: "ada".into(),
            email_address: "ada@example.com".into(),
            status: "ACTIVE".into(),
            is_site_admin: true,
            email_verified: false,
            created_at,
        }];
        assert_eq!(
            table(&listed),
            "USERNAME  EMAIL            STATUS  ADMIN  VERIFIED  CREATED\n\
             ada       ada@example.com  ACTIVE  yes    no        2026-01-02T03:04:05Z\n"
        );
    }
}
