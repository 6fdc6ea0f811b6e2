//! The JWKS cache: key acceptance rules, Cache-Control, refetch decisions, key selection.

use chrono::TimeDelta;
use gatehouse_oidc::{Error, JwksCache, RefetchDecision, max_age_secs};
use serde_json::json;

use crate::mock_op::{MockOp, OpKey, now};

fn set(keys: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({ "keys": keys })).unwrap()
}

#[test]
fn cache_control_max_age() {
    let cases = [
        ("max-age=600", 600),
        ("public, max-age=86400, must-revalidate", 86_400),
        ("max-age=31536000", 86_400),
        ("no-cache", 0),
        ("max-age=600, no-store", 0),
        ("private", 3600),
        ("max-age=abc", 3600),
        ("MAX-AGE=120", 120),
    ];
    for (header, expected) in cases {
        assert_eq!(max_age_secs(header), expected, "{header}");
    }
}

#[test]
fn key_acceptance_rules() {
    let rsa = OpKey::rsa_a().jwk;
    let ec = OpKey::ec256().jwk;
    let modulus = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rsa-1024-weak.modulus.hex"
    ))
    .unwrap();
    let modulus = modulus.trim();
    let n: Vec<u8> = (0..modulus.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&modulus[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(n.len(), 128);
    let weak = json!({"kty": "RSA", "kid": "weak", "alg": "RS256", "n": crate::mock_op::b64(&n), "e": "AQAB"});
    let with = |mut k: serde_json::Value, field: &str, v: serde_json::Value| {
        k[field] = v;
        k
    };
    let without = |mut k: serde_json::Value, field: &str| {
        k.as_object_mut().unwrap().remove(field);
        k
    };
    // (key, usable)
    let cases: Vec<(&str, serde_json::Value, bool)> = vec![
        ("RSA 2048 RS256", rsa.clone(), true),
        (
            "RSA without alg (RS256 by default)",
            without(rsa.clone(), "alg"),
            true,
        ),
        (
            "RSA with PS256",
            with(rsa.clone(), "alg", json!("PS256")),
            true,
        ),
        (
            "RSA claiming ES256",
            with(rsa.clone(), "alg", json!("ES256")),
            false,
        ),
        (
            "RSA for encryption",
            with(rsa.clone(), "use", json!("enc")),
            false,
        ),
        (
            "RSA key_ops encrypt only",
            with(rsa.clone(), "key_ops", json!(["encrypt"])),
            false,
        ),
        (
            "RSA key_ops verify",
            with(rsa.clone(), "key_ops", json!(["verify"])),
            true,
        ),
        ("RSA 1024", weak, false),
        ("RSA exponent 1", with(rsa.clone(), "e", json!("AQ")), false),
        (
            "RSA exponent 2 (even)",
            with(rsa.clone(), "e", json!("Ag")),
            false,
        ),
        (
            "RSA zero modulus",
            with(rsa.clone(), "n", json!("AAAA")),
            false,
        ),
        (
            "RSA empty modulus",
            with(rsa.clone(), "n", json!("")),
            false,
        ),
        (
            "RSA empty exponent",
            with(rsa.clone(), "e", json!("")),
            false,
        ),
        (
            "RSA padded base64",
            with(rsa.clone(), "e", json!("AQAB==")),
            false,
        ),
        ("EC P-256", ec.clone(), true),
        (
            "EC P-256 claiming ES384",
            with(ec.clone(), "alg", json!("ES384")),
            false,
        ),
        (
            "EC P-256 on crv P-384",
            with(ec.clone(), "crv", json!("P-384")),
            false,
        ),
        ("EC short x", with(ec.clone(), "x", json!("AAAA")), false),
        (
            "oct HS256",
            json!({"kty":"oct","k":"c2VjcmV0","alg":"HS256"}),
            false,
        ),
        ("unknown kty", json!({"kty":"XYZ"}), false),
        ("Ed25519", OpKey::ed().jwk, true),
    ];
    for (name, key, usable) in cases {
        let mut cache = JwksCache::new(60);
        let result = cache.update(&set(vec![key]), None, now());
        assert_eq!(result.is_ok(), usable, "{name}: {result:?}");
        if !usable {
            assert!(
                matches!(result, Err(Error::NoUsableKeys)),
                "{name}: {result:?}"
            );
        }
    }
}

#[test]
fn extreme_clocks_and_settings_do_not_panic() {
    let body = serde_json::to_vec(&MockOp::new().jwks_document()).unwrap();
    for cooldown in [i64::MIN, -1, 0, i64::MAX] {
        for when in [
            chrono::DateTime::<chrono::Utc>::MIN_UTC,
            now(),
            chrono::DateTime::<chrono::Utc>::MAX_UTC,
        ] {
            let mut cache = JwksCache::new(cooldown);
            let _ = cache.refetch_decision(when);
            cache.update(&body, Some("max-age=86400"), when).unwrap();
            let _ = cache.refetch_decision(when);
            let _ = cache.needs_refresh(when);
            let _ = cache.refetch_decision(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        }
    }
}

#[test]
fn unusable_keys_are_skipped_not_fatal() {
    let mut cache = JwksCache::new(60);
    let body = set(vec![
        json!({"kty":"oct","k":"c2VjcmV0"}),
        OpKey::rsa_a().jwk,
        json!({"kty":"RSA"}),
    ]);
    cache.update(&body, None, now()).unwrap();
    assert_eq!(cache.key_ids().collect::<Vec<_>>(), vec![Some("rsa-a")]);
}

#[test]
fn refetch_decisions_follow_the_cooldown_and_max_age() {
    let mut cache = JwksCache::new(60);
    assert_eq!(cache.refetch_decision(now()), RefetchDecision::Refetch);
    assert!(cache.needs_refresh(now()));
    let body = serde_json::to_vec(&MockOp::new().jwks_document()).unwrap();
    cache.update(&body, Some("max-age=300"), now()).unwrap();
    assert_eq!(cache.len(), 4);
    assert!(!cache.needs_refresh(now() + TimeDelta::seconds(299)));
    assert!(cache.needs_refresh(now() + TimeDelta::seconds(300)));
    assert_eq!(
        cache.refetch_decision(now() + TimeDelta::seconds(10)),
        RefetchDecision::CoolingDown {
            retry_after_secs: 50
        }
    );
    assert_eq!(
        cache.refetch_decision(now() + TimeDelta::seconds(60)),
        RefetchDecision::Refetch
    );
    // no-cache: stale at once, but still at most one fetch per cooldown.
    cache.update(&body, Some("no-cache"), now()).unwrap();
    assert!(!cache.needs_refresh(now() + TimeDelta::seconds(59)));
    assert!(cache.needs_refresh(now() + TimeDelta::seconds(60)));
    // A failed fetch keeps the old keys and still starts the cooldown.
    let later = now() + TimeDelta::seconds(120);
    assert!(cache.update(b"<html>", None, later).is_err());
    assert_eq!(cache.len(), 4);
    assert!(matches!(
        cache.refetch_decision(later),
        RefetchDecision::CoolingDown { .. }
    ));
}
