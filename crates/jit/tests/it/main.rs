//! Integration tests for gatehouse-jit (one binary, one module per topic).

// Test helpers outside #[test] functions may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod directory;
mod email;
mod fuzz_seeds;
mod mapping;
mod props;
mod scenarios;
mod scim_interop;
mod support;
