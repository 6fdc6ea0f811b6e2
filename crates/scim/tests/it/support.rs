//! Shared helpers: fixtures and the third-party corpus.

use std::path::PathBuf;

use serde_json::Value;

/// A fixture of this crate's `tests/it/data`.
pub(crate) fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The third-party corpus folder `scim/<sub>`, or `None` (with a message) when it is absent and
/// `GATEHOUSE_INTEROP` is not `1`. Under `GATEHOUSE_INTEROP=1` absence fails the test.
pub(crate) fn corpus(sub: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/scim"
    ))
    .join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("GATEHOUSE_INTEROP").as_deref() != Ok("1"),
        "third-party corpus not found at {} (required under GATEHOUSE_INTEROP=1)",
        dir.display()
    );
    eprintln!(
        "skipping: third-party corpus not found at {}",
        dir.display()
    );
    None
}

/// Reads a JSON file.
pub(crate) fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
