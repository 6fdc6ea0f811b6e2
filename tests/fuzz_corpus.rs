//! Replays every checked-in fuzz corpus on stable Rust, through the same entry functions the
//! cargo-fuzz targets in `fuzz/fuzz_targets/` call. A corpus file that panics fails this test.
#![cfg(all(feature = "saml", feature = "oidc", feature = "scim", feature = "jit"))]

use std::fs;
use std::path::{Path, PathBuf};

/// The function a fuzz target's one-liner calls.
type Entry = fn(&[u8]);

/// Each cargo-fuzz target and the function its one-liner calls.
const TARGETS: &[(&str, Entry)] = &[
    ("xml_parse", gatehouse::xml::fuzzing::parse),
    ("xml_c14n", gatehouse::xml::fuzzing::c14n),
    ("xml_verify", gatehouse::xml::fuzzing::verify),
    ("xml_decrypt", gatehouse::xml::fuzzing::decrypt),
    ("saml_response", gatehouse::saml::fuzzing::response),
    ("jit_mapping", gatehouse::jit::fuzzing::map_and_decide),
    ("oidc_id_token", gatehouse::oidc::fuzzing::id_token),
    ("scim_filter", gatehouse::scim::fuzzing::filter),
    ("scim_patch", gatehouse::scim::fuzzing::patch),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

#[test]
fn every_target_is_replayed_here() {
    let mut on_disk: Vec<String> = fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .expect("fuzz/fuzz_targets exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            p.file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "fuzz targets and the replay table in tests/fuzz_corpus.rs differ"
    );
}

#[test]
fn every_corpus_file_replays_without_panic() {
    for (name, run) in TARGETS {
        let dir = fuzz_dir().join("corpus").join(name);
        let files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()))
            .map(|e| e.expect("readable entry").path())
            .filter(|p| p.is_file())
            .collect();
        assert!(
            !files.is_empty(),
            "corpus {} is empty: seed it from testdata/",
            dir.display()
        );
        for file in files {
            let data = fs::read(&file).expect("readable corpus file");
            run(&data);
        }
    }
}
