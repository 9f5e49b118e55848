//! Rules per aggregate. Resolvers and subcommands call these; these call entities and storage.
//!
//! - `values`: parsed, validated values (usernames, addresses, passwords, slugs).
//! - `credentials`: password hashes and API-key secrets.
//! - `users`, `sessions`, `api_keys`, `tokens`: accounts and signing in.
//! - `catalogs`: catalogs and their grants.

pub mod api_keys;
pub mod catalogs;
pub mod credentials;
pub mod package_file;
pub mod sessions;
pub mod tokens;
pub mod users;
pub mod values;
