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
pub(crate) fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(rel)
}

pub(crate) fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The pinned set made of `testdata/keys/<name>` certificates.
pub(crate) fn pinned(names: &[&str]) -> gatehouse_xml::PinnedKeys {
    names
        .iter()
        .map(|n| {
            let pem =
                std::fs::read_to_string(testdata(&format!("keys/{n}"))).expect("cert readable");
            gatehouse_xml::PinnedKey::from_pem_or_base64(&pem).expect("cert parses")
        })
        .collect()
}

pub(crate) fn key_pem(name: &str) -> String {
    std::fs::read_to_string(testdata(&format!("keys/{name}"))).expect("key readable")
}

/// Runs an external tool required by the interop tier; `None` (skip) outside it.
pub(crate) fn tool(name: &str) -> Option<std::process::Command> {
    if !interop() {
        eprintln!("skipping: {name} interop check runs only under GATEHOUSE_INTEROP=1");
        return None;
    }
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{name} is required under GATEHOUSE_INTEROP=1 but is not installed"
    );
    Some(std::process::Command::new(name))
}
