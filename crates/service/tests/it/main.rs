//! Integration tests of the reference login service: router-level tests (no socket) for every route, and full
//! flows over a real socket through the built-in demo IdP.

// Test helpers outside #[test] functions may panic: a failed expectation is a failed test.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod audit;
mod cluster;
mod connection_test;
mod domain_verification;
mod domains;
mod encrypted;
mod flows;
mod harness;
mod layout;
mod metadata_refresh;
mod okta;
mod pg;
mod routes;
mod scim;
mod settings;
mod wizard;
