//! Runs the built `gatehouse` binary on the project's fixtures: every command, every exit status, and the
//! codes and admin hints of refusals.

// Test helpers outside #[test] functions may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod c14n;
mod help;
mod jwt;
mod saml;
mod saml_tools;
mod scim;
mod support;
