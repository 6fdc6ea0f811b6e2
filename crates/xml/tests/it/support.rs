//! Shared helpers: locating third-party corpus files and project fixtures.

use std::path::PathBuf;

/// Whether the interop tier is on (`GATEHOUSE_INTEROP=1`): missing tools and corpora fail instead of skip.
pub(crate) fn interop() -> bool {
    std::env::var("GATEHOUSE_INTEROP").is_ok_and(|v| v == "1")
}

/// `../shared/corpus/<rel>` if present. Absent: `None` with a skip message, or a panic under the interop tier.
pub(crate) fn corpus(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
    .join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        !interop(),
        "third-party corpus not found at {} (required under GATEHOUSE_INTEROP=1)",
        path.display()
    );
    eprintln!(
        "skipping: third-party corpus not found at {}",
        path.display()
    );
    None
}

/// A file under the project's `testdata/`.
#[allow(dead_code, reason = "used by the signature tests")]
pub(crate) fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(rel)
}

pub(crate) fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
