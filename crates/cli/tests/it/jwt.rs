//! `jwt verify` and `jwt inspect` on tokens signed here with jsonwebtoken and the RSA/EC test keys of
//! crates/oidc/tests/data (made by openssl, see its make.sh).

use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::{Run, run, scratch};

const ISS: &str = "https://acme.okta.com";
const AUD: &str = "0oa1client";
const NONCE: &str = "n-0S6_WzA2Mj";
/// 2026-01-15T10:00:00Z
const NOW: i64 = 1_768_471_200;
const NOW_TEXT: &str = "2026-01-15T10:00:00Z";

fn key_pem(file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../oidc/tests/data/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn jwk(encoding: &EncodingKey, alg: Algorithm, kalg: KeyAlgorithm, kid: &str) -> Value {
    let mut jwk = Jwk::from_encoding_key(encoding, alg).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(kalg);
    serde_json::to_value(jwk).unwrap()
}

struct Fixture {
    dir: std::path::PathBuf,
    rsa_a: EncodingKey,
    rsa_b: EncodingKey,
    ec: EncodingKey,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let rsa_a = EncodingKey::from_rsa_pem(&key_pem("rsa-2048-a.pem")).unwrap();
        let rsa_b = EncodingKey::from_rsa_pem(&key_pem("rsa-2048-b.pem")).unwrap();
        let ec = EncodingKey::from_ec_pem(&key_pem("ec-p256.pem")).unwrap();
        let dir = scratch(name);
        let jwks = json!({"keys": [
            jwk(&rsa_a, Algorithm::RS256, KeyAlgorithm::RS256, "rsa-a"),
            jwk(&ec, Algorithm::ES256, KeyAlgorithm::ES256, "ec-1"),
        ]});
        std::fs::write(dir.join("jwks.json"), jwks.to_string()).unwrap();
        Self {
            dir,
            rsa_a,
            rsa_b,
            ec,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn token(
        &self,
        name: &str,
        alg: Algorithm,
        kid: Option<&str>,
        key: &EncodingKey,
        claims: &Value,
    ) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        let token = jsonwebtoken::encode(&header, claims, key).unwrap();
        std::fs::write(self.dir.join(name), format!("{token}\n")).unwrap();
        self.path(name)
    }

    fn verify(&self, token: &str, extra: &[&str]) -> Run {
        let jwks = self.path("jwks.json");
        let mut args = vec![
            "jwt",
            "verify",
            "--json",
            token,
            "--jwks",
            &jwks,
            "--issuer",
            ISS,
            "--audience",
            AUD,
            "--now",
            NOW_TEXT,
        ];
        args.extend_from_slice(extra);
        run(&args, None)
    }
}

fn claims() -> Value {
    json!({
        "iss": ISS, "sub": "00u1jane", "aud": AUD, "iat": NOW - 30, "exp": NOW + 3600,
        "nonce": NONCE, "email": "jane.doe@acme.com", "name": "Jane Doe",
    })
}

fn with(f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut c = claims();
    f(c.as_object_mut().unwrap());
    c
}

#[test]
fn a_valid_id_token_prints_header_and_claims() {
    let fx = Fixture::new("valid");
    for (name, alg, kid, key) in [
        ("rs.jwt", Algorithm::RS256, "rsa-a", &fx.rsa_a),
        ("es.jwt", Algorithm::ES256, "ec-1", &fx.ec),
    ] {
        let t = fx.token(name, alg, Some(kid), key, &claims());
        let r = fx.verify(&t, &["--nonce", NONCE]);
        assert_eq!(r.code, 0, "{r:?}");
        let out = r.json();
        assert_eq!(out["claims"], claims());
        assert_eq!(out["header"]["kid"], kid);
        assert_eq!(out["header"]["alg"], format!("{alg:?}"));
        assert_eq!(out["relaxed"], json!([]));
    }
    // From stdin, in text mode.
    let t = std::fs::read(fx.path("rs.jwt")).unwrap();
    let jwks = fx.path("jwks.json");
    let r = run(
        &[
            "jwt",
            "verify",
            "-",
            "--jwks",
            &jwks,
            "--issuer",
            "acme.okta.com",
            "--audience",
            AUD,
            "--nonce",
            NONCE,
            "--now",
            NOW_TEXT,
        ],
        Some(&t),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .starts_with("✔ VERIFIED  ID token for 00u1jane from https://acme.okta.com"),
        "{}",
        r.stdout
    );
}

#[test]
fn refusals_carry_code_and_hint() {
    let fx = Fixture::new("refusals");
    let hs_secret = "a-client-secret-of-at-least-32-bytes!!";
    std::fs::write(fx.dir.join("secret.txt"), format!("{hs_secret}\n")).unwrap();
    let hs_key = EncodingKey::from_secret(hs_secret.as_bytes()).unwrap();
    // (token file, alg, kid, key, claims, extra flags, exit, code, hint fragment)
    type Case<'a> = (
        &'a str,
        Algorithm,
        Option<&'a str>,
        &'a EncodingKey,
        Value,
        Vec<&'a str>,
        i32,
        &'a str,
        Option<&'a str>,
    );
    let secret_file = fx.path("secret.txt");
    let cases: Vec<Case<'_>> = vec![
        (
            "aud.jwt",
            Algorithm::RS256,
            Some("rsa-a"),
            &fx.rsa_a,
            with(|c| {
                c.insert("aud".into(), json!("another-app"));
            }),
            vec!["--nonce", NONCE],
            1,
            "audience_mismatch",
            Some("Client ID"),
        ),
        (
            "iss.jwt",
            Algorithm::RS256,
            Some("rsa-a"),
            &fx.rsa_a,
            with(|c| {
                c.insert("iss".into(), json!("https://evil.example"));
            }),
            vec!["--nonce", NONCE],
            1,
            "issuer_mismatch",
            Some("Okta domain"),
        ),
        (
            "exp.jwt",
            Algorithm::RS256,
            Some("rsa-a"),
            &fx.rsa_a,
            with(|c| {
                c.insert("exp".into(), json!(NOW - 3600));
            }),
            vec!["--nonce", NONCE],
            1,
            "expired",
            Some("clock"),
        ),
        (
            "nonce.jwt",
            Algorithm::RS256,
            Some("rsa-a"),
            &fx.rsa_a,
            claims(),
            vec!["--nonce", "other"],
            1,
            "nonce_mismatch",
            None,
        ),
        (
            "nononce.jwt",
            Algorithm::RS256,
            Some("rsa-a"),
            &fx.rsa_a,
            claims(),
            vec![],
            1,
            "nonce_mismatch",
            None,
        ),
        (
            "forged.jwt",
            Algorithm::RS256,
            Some("rsa-a"),
            &fx.rsa_b,
            claims(),
            vec!["--nonce", NONCE],
            1,
            "bad_signature",
            None,
        ),
        (
            "kid.jwt",
            Algorithm::RS256,
            Some("rotated"),
            &fx.rsa_b,
            claims(),
            vec!["--nonce", NONCE],
            1,
            "unknown_key_id",
            Some("signing keys"),
        ),
        (
            "hs.jwt",
            Algorithm::HS256,
            None,
            &hs_key,
            claims(),
            vec!["--nonce", NONCE],
            1,
            "symmetric_not_enabled",
            Some("RS256"),
        ),
    ];
    for (file, alg, kid, key, claims, extra, exit, code, hint) in &cases {
        let t = fx.token(file, *alg, *kid, key, claims);
        let r = fx.verify(&t, extra);
        assert_eq!(r.code, *exit, "{file}: {r:?}");
        let out = r.json();
        assert_eq!(out["error"], *code, "{file}: {out}");
        if let Some(h) = hint {
            assert!(
                out["admin_hint"].as_str().unwrap_or_default().contains(h),
                "{file}: {out}"
            );
        }
    }
    let r = fx.verify(&fx.path("nononce.jwt"), &[]);
    assert!(r.json()["message"].as_str().unwrap().contains("--nonce"));

    // HS256 verifies only with the explicit secret file, and says so.
    let r = fx.verify(
        &fx.path("hs.jwt"),
        &["--nonce", NONCE, "--hs-secret-file", &secret_file],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["relaxed"], json!(["--hs-secret-file"]));

    // alg none: an unsigned token.
    let b64 = |v: &Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let none = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims()));
    std::fs::write(fx.dir.join("none.jwt"), &none).unwrap();
    let r = fx.verify(&fx.path("none.jwt"), &["--nonce", NONCE]);
    assert_eq!((r.code, r.json()["error"].as_str()), (1, Some("alg_none")));
}

#[test]
fn unreadable_tokens_and_jwks_exit_2() {
    let fx = Fixture::new("unreadable");
    std::fs::write(fx.dir.join("junk.jwt"), "not.a.jwt!").unwrap();
    let r = fx.verify(&fx.path("junk.jwt"), &["--nonce", NONCE]);
    assert_eq!((r.code, r.json()["error"].as_str()), (2, Some("malformed")));
    let t = fx.token(
        "ok.jwt",
        Algorithm::RS256,
        Some("rsa-a"),
        &fx.rsa_a,
        &claims(),
    );
    let jwks = fx.path("ok.jwt"); // not a JWKS
    let r = run(
        &[
            "jwt",
            "verify",
            "--json",
            &t,
            "--jwks",
            &jwks,
            "--issuer",
            ISS,
            "--audience",
            AUD,
        ],
        None,
    );
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(
        &[
            "jwt",
            "verify",
            "--json",
            &t,
            "--jwks",
            &fx.path("jwks.json"),
            "--issuer",
            "ftp://x",
            "--audience",
            AUD,
        ],
        None,
    );
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (2, Some("invalid_issuer_input"))
    );
}

#[test]
fn inspect_decodes_without_trust() {
    let fx = Fixture::new("inspect");
    let t = fx.token(
        "exp.jwt",
        Algorithm::RS256,
        Some("rsa-b"),
        &fx.rsa_b,
        &with(|c| {
            c.insert("exp".into(), json!(NOW - 60));
        }),
    );
    let r = run(&["jwt", "inspect", "--json", &t, "--now", NOW_TEXT], None);
    assert_eq!(r.code, 0, "{r:?}");
    let out = r.json();
    assert_eq!(out["verified"], false);
    assert_eq!(out["claims"]["sub"], "00u1jane");
    assert_eq!(out["header"]["kid"], "rsa-b");
    let notes = out["notes"].to_string();
    assert!(
        notes.contains("exp (expires) 2026-01-15T09:59:00Z, 60 s ago"),
        "{notes}"
    );
    let r = run(&["jwt", "inspect", &t, "--now", NOW_TEXT], None);
    assert!(r.stdout.starts_with("!! UNVERIFIED"), "{}", r.stdout);
    assert!(r.stdout.contains("[FAIL] exp"), "{}", r.stdout);
    let r = run(
        &["jwt", "inspect", "--json", "-"],
        Some(b"eyJhbGciOiJub25lIn0.bm90IGpzb24."),
    );
    assert_eq!((r.code, r.json()["error"].as_str()), (2, Some("malformed")));
}
