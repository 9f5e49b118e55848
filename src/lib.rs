//! The DataPM registry server as a library: the binary in `main.rs` only parses the command line
//! and calls into `cli`, and the integration tests start the same server in-process.
//!
//! Start reading at `app::Server::start`; `docs/ARCHITECTURE.md` walks one request through.

pub mod activity;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod email;
pub mod entity;
pub mod error;
pub mod graphql;
pub mod http;
pub mod logging;
pub mod socket;
pub mod storage;
