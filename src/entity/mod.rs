//! sea-orm entities, one module per table. Domain code reaches the database through these;
//! nothing outside `domain/` and `cli/` should need them.

pub mod activity_log;
pub mod api_key;
pub mod catalog;
pub mod catalog_permission;
pub mod data_batch;
pub mod package;
pub mod package_permission;
pub mod user;
pub mod user_token;
pub mod version;
pub mod version_comparison;
pub mod version_difference;
