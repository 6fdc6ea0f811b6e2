//! The fuzz entry point on its seed corpus and on generated claim objects (stable Rust, no libFuzzer).

use std::path::PathBuf;

use gatehouse_jit::fuzzing::map_and_decide;
use gatehouse_jit::uri;
use proptest::prelude::*;

#[test]
fn seed_corpus_replays_without_panic() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/corpus/jit_mapping"
    ));
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        map_and_decide(&std::fs::read(&path).unwrap());
        count += 1;
    }
    assert!(count >= 5, "seed corpus at {} is too small", dir.display());
}

fn claim_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "name_id",
        "sub",
        "email",
        "email_verified",
        "preferred_username",
        "groups",
        "name",
        "picture",
        "profile_picture",
        uri::EMAIL,
        uri::NAME,
        uri::GIVEN_NAME,
        uri::ENTRA_OBJECT_ID,
        uri::ENTRA_GROUPS,
        uri::ENTRA_GROUPS_LINK,
        uri::UPN,
    ])
    .prop_map(str::to_owned)
}

fn claim_value() -> impl Strategy<Value = serde_json::Value> {
    let scalar = prop_oneof![
        "[a-zA-Z0-9@.+ _\u{212A}\u{200B}-]{0,24}".prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "admins",
            "a@acme.example",
            "A@ACME.EXAMPLE",
            "true",
            "false",
            "s1",
            "https://x.example/p.png",
        ])
        .prop_map(serde_json::Value::from),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
    ];
    prop_oneof![
        3 => scalar.clone(),
        1 => prop::collection::vec(scalar, 0..4).prop_map(serde_json::Value::from),
    ]
}

proptest! {
    /// Random claim objects through every profile and both policies: no panic, and the idempotence check
    /// inside the entry point holds.
    #[test]
    fn generated_claims_never_panic(
        claims in prop::collection::btree_map(claim_name(), claim_value(), 0..12),
    ) {
        let object: serde_json::Map<String, serde_json::Value> = claims.into_iter().collect();
        let bytes = serde_json::to_vec(&serde_json::Value::Object(object)).unwrap();
        map_and_decide(&bytes);
    }
}
