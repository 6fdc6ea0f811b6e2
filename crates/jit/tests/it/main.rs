//! Integration tests for gatehouse-jit (one binary, one module per topic).

mod scenarios;
mod support;
