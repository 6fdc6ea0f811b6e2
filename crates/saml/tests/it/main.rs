//! Integration tests of gatehouse-saml (one binary; modules by subject).

// Test helpers outside #[test] functions may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod attacks;
mod corpus;
mod metadata;
mod requests;
mod support;
