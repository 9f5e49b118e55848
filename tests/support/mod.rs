//! Helpers shared by the integration tests. A test file pulls them in with `mod support;`.

// Each test binary uses only some of the helpers.
#![allow(dead_code)]

pub mod smtp;
