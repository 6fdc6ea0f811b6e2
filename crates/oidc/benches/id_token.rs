//! ID token validation with a cached JWKS against a raw RSA-2048 PKCS#1 v1.5 verify with the same backend.
//!
//! Run with `cargo bench -p gatehouse-oidc` (add `--no-default-features --features rust-crypto` for RustCrypto).
//! Besides criterion's figures, the bench prints the ratio of the two, measured interleaved in the same run.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_oidc::{
    ClientSecret, IdToken, IdTokenChecks, JwksCache, OidcConnection, VerifiedIdToken,
};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::json;

const NOW: i64 = 1_800_000_000;

struct Fixture {
    conn: OidcConnection,
    jwks: JwksCache,
    token: String,
    raw_key: DecodingKey,
    signing_input: String,
    signature: String,
}

fn fixture() -> Fixture {
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rsa-2048-a.pem"
    ))
    .unwrap();
    let key = EncodingKey::from_rsa_pem(&pem).unwrap();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some("k1".into());
    let jwk_value = serde_json::to_value(&jwk).unwrap();
    let raw_key = DecodingKey::from_rsa_components(
        jwk_value["n"].as_str().unwrap(),
        jwk_value["e"].as_str().unwrap(),
    )
    .unwrap();
    let now = chrono::DateTime::from_timestamp(NOW, 0).unwrap();
    let mut jwks = JwksCache::new(60);
    jwks.update(
        &serde_json::to_vec(&json!({ "keys": [jwk_value] })).unwrap(),
        Some("max-age=3600"),
        now,
    )
    .unwrap();
    let conn = OidcConnection::new(
        "https://acme.okta.com",
        "0oa1client",
        ClientSecret::new("unused"),
        "https://auth.example.com/login/callback",
    )
    .unwrap();
    // An Okta-shaped code-flow ID token.
    let claims = json!({
        "sub": "00u1a2b3c4d5e6f7g8h9", "name": "Ada Lovelace", "email": "ada@acme.com", "ver": 1,
        "iss": "https://acme.okta.com", "aud": "0oa1client", "iat": NOW, "exp": NOW + 3600,
        "jti": "ID.4eAWJOCMB3SX8XewDfVR", "amr": ["pwd"], "idp": "00o1idp", "nonce": "n-0S6_WzA2Mj",
        "preferred_username": "ada@acme.com", "auth_time": NOW - 5, "at_hash": "preview"
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    Fixture {
        conn,
        jwks,
        token: token.clone(),
        raw_key,
        signing_input: signing_input.into(),
        signature: signature.into(),
    }
}

fn validate(f: &Fixture) -> VerifiedIdToken {
    let checks = IdTokenChecks {
        nonce: "n-0S6_WzA2Mj",
        max_age_secs: None,
        access_token: None,
        code: None,
    };
    let now = chrono::DateTime::from_timestamp(NOW, 0).unwrap();
    VerifiedIdToken::verify(
        IdToken::new(f.token.clone()),
        &f.conn,
        &f.jwks,
        &checks,
        now,
    )
    .unwrap()
}

/// jsonwebtoken's own `decode` with a comparable validation (iss, aud; signature), the reference the issue
/// compares openidconnect-rs against.
fn jsonwebtoken_decode(f: &Fixture) -> serde_json::Value {
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.set_issuer(&["https://acme.okta.com"]);
    validation.set_audience(&["0oa1client"]);
    validation.validate_exp = false; // the fixture's clock is fixed; jsonwebtoken reads the system clock
    jsonwebtoken::decode::<serde_json::Value>(&f.token, &f.raw_key, &validation)
        .unwrap()
        .claims
}

fn raw_verify(f: &Fixture) -> bool {
    jsonwebtoken::crypto::verify(
        &f.signature,
        f.signing_input.as_bytes(),
        &f.raw_key,
        Algorithm::RS256,
    )
    .unwrap()
}

/// Interleaved timing of both paths in one run: many short rounds, each timing a batch of validations next to
/// a batch of raw verifies; the median of the per-round ratios resists load from other processes.
fn print_ratio(f: &Fixture) {
    let time = |run: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..10 {
            run();
        }
        start.elapsed()
    };
    let (mut vs_raw, mut vs_jwt) = (Vec::new(), Vec::new());
    let mut totals = [Duration::ZERO; 3];
    for _ in 0..300 {
        let v = time(&|| {
            black_box(validate(black_box(f)));
        });
        let r = time(&|| assert!(black_box(raw_verify(black_box(f)))));
        let j = time(&|| {
            black_box(jsonwebtoken_decode(black_box(f)));
        });
        vs_raw.push(v.as_secs_f64() / r.as_secs_f64());
        vs_jwt.push(v.as_secs_f64() / j.as_secs_f64());
        totals[0] += v;
        totals[1] += r;
        totals[2] += j;
    }
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    let per = |d: Duration| d.as_secs_f64() * 1e6 / 3000.0;
    println!(
        "means: ID token validation {:.1} µs, raw RSA-2048 verify {:.1} µs, jsonwebtoken::decode {:.1} µs",
        per(totals[0]),
        per(totals[1]),
        per(totals[2])
    );
    println!(
        "median per-round ratios: validation / raw verify = {:.3}; validation / jsonwebtoken::decode = {:.3}",
        median(vs_raw),
        median(vs_jwt)
    );
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    assert!(raw_verify(&f));
    assert_eq!(validate(&f).subject(), "00u1a2b3c4d5e6f7g8h9");
    print_ratio(&f);
    let mut group = c.benchmark_group("oidc");
    group.bench_function("id_token_validation_cached_jwks", |b| {
        b.iter(|| validate(black_box(&f)))
    });
    group.bench_function("raw_rsa2048_verify", |b| {
        b.iter(|| raw_verify(black_box(&f)))
    });
    group.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| jsonwebtoken_decode(black_box(&f)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
