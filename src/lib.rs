//! The DataPM registry server as a library: the binary in `main.rs` only parses the command line
//! and calls into `cli`, and the integration tests start the same server in-process.

pub mod domain;
pub mod email;
pub mod storage;
