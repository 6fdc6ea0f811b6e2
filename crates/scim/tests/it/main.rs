//! Integration tests for gatehouse-scim: one binary, one module per concern.

// Test helpers outside #[test] functions may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod elimity;
mod list;
mod patch;
mod props;
mod resources;
mod rfc;
mod scimmy;
mod sql;
mod support;
