//! Integration tests of gatehouse-xml (one binary; modules by subject).

// Test helpers outside #[test] functions may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod c14n;
mod decrypt;
mod dsig;
mod support;
mod tree;
