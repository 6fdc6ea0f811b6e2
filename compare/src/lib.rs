//! Empty: the harness is `benches/compare.rs` (run through `run.sh`).
