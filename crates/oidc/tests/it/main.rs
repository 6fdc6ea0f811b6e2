//! Integration tests of gatehouse-oidc (one binary): conformance against an in-process mock OP, the pieces of
//! the flow against hand-checked fixtures and RFC examples, third-party corpus vectors, properties, and the
//! interop test against node `oidc-provider` under `GATEHOUSE_INTEROP=1`.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod conformance;
mod corpus;
mod drivers;
mod flow_parts;
mod initiate;
mod interop;
mod jwks;
mod mock_op;
mod properties;
