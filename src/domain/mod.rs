//! Rules per aggregate. Resolvers and subcommands call these; these call entities and storage.
//!
//! - `values`: parsed, validated values (usernames, addresses, passwords, slugs).
//! - `credentials`: password hashes and API-key secrets.
//! - `users`, `sessions`, `api_keys`, `tokens`: accounts and signing in.
//! - `permissions`, `grants`: who may do what with catalogs and packages, and changing it.
//! - `catalogs`, `packages`, `versions`: what is published; `package_file` reads the files.
//! - `search`, `autocomplete`: finding packages, catalogs and people.
//! - `file_cache`, `views`: package-file texts kept in memory, and view counts written in batches.
//! - `batches`, `batch_chunks`: data kept in the registry, its batch rows and stored chunks.

pub mod api_keys;
pub mod archive;
pub mod autocomplete;
pub mod batch_chunks;
pub mod batches;
pub mod catalogs;
pub mod credentials;
pub mod file_cache;
pub mod grants;
pub mod package_file;
pub mod packages;
pub mod permissions;
pub mod search;
pub mod sessions;
pub mod tokens;
pub mod users;
pub mod values;
pub mod versions;
pub mod views;
