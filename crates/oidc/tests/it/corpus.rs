//! Third-party vectors for the signature layer: Wycheproof (JWS, JWK and raw signature files) and the RFC 7520
//! JOSE cookbook, read from `../shared/corpus` (skipped with a message when absent, unless GATEHOUSE_INTEROP=1).

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_oidc::{ClientSecret, JwksCache, OidcConnection, signature_layer};
use serde_json::{Value, json};

use crate::mock_op::now;

fn corpus(sub: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
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

fn load(path: PathBuf) -> Value {
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn try_connection(
    secret: &str,
    symmetric: bool,
) -> Result<OidcConnection, Vec<gatehouse_oidc::Error>> {
    let mut conn = OidcConnection::new(
        "https://op.example.test",
        "client",
        ClientSecret::new(secret),
        "https://rp.example.test/cb",
    )?;
    conn.symmetric_id_tokens = symmetric;
    Ok(conn)
}

fn connection(secret: &str, symmetric: bool) -> OidcConnection {
    try_connection(secret, symmetric).unwrap()
}

/// Vectors where this crate deliberately differs from the file's `result`, with the outcome we require and why.
const DEVIATIONS: &[(&str, u64, bool, &str)] = &[
    (
        "json_web_key_test.json",
        7,
        true,
        "ROCA-weak RSA moduli are not detected (known gap: keys come from the IdP's JWKS over TLS)",
    ),
    (
        "json_web_signature_test.json",
        346,
        false,
        "key alg PS256, header PS384: the key fixes the algorithm",
    ),
    (
        "json_web_signature_test.json",
        350,
        false,
        "key alg PS256, header PS384: the key fixes the algorithm",
    ),
    (
        "json_web_signature_test.json",
        349,
        false,
        "key_ops is [\"sign, verify\"] (one malformed entry): no verify op",
    ),
    (
        "json_web_signature_test.json",
        367,
        true,
        "the string is the canonical, correctly signed token (no padding in it) although the comment says padding",
    ),
    (
        "json_web_signature_test.json",
        370,
        true,
        "same content as tcId 367",
    ),
    (
        "json_web_signature_test.json",
        372,
        false,
        "'?' inside the header is not base64url; strict decoding refuses it",
    ),
    (
        "json_web_signature_test.json",
        373,
        false,
        "'?' inside the payload is not base64url; strict decoding refuses it",
    ),
];

/// What verifying `jws` with `key` (a JWK or a JWK set) gives: `Some(accepted)`, or `None` when the vector
/// needs something this crate deliberately does not support (P-521, binary HMAC secrets).
fn verify_with(key: &Value, jws: &str) -> Option<bool> {
    let keys: Vec<Value> = match key.get("keys") {
        Some(Value::Array(keys)) => keys.clone(),
        _ => vec![key.clone()],
    };
    if keys.iter().any(|k| k["crv"] == "P-521") {
        return None;
    }
    let header: Value = jws
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice(&h).ok())
        .unwrap_or(Value::Null);
    let is_hmac = header["alg"].as_str().is_some_and(|a| a.starts_with("HS"));
    let octs: Vec<&Value> = keys.iter().filter(|k| k["kty"] == "oct").collect();
    if is_hmac && !octs.is_empty() && octs.len() == keys.len() {
        // The HMAC key of an ID token is the client secret's UTF-8 bytes (one secret per connection): take the
        // oct key the header names; binary keys cannot be a secret string.
        let oct = octs
            .iter()
            .find(|k| k.get("kid") == header.get("kid"))
            .or(octs.first())?;
        let k = URL_SAFE_NO_PAD.decode(oct["k"].as_str()?).ok()?;
        let secret = String::from_utf8(k).ok()?;
        let alg_ok = oct.get("alg").is_none_or(|a| *a == header["alg"]);
        let Ok(conn) = try_connection(&secret, true) else {
            return Some(false); // an empty secret is refused by the connection itself
        };
        return Some(
            alg_ok && signature_layer::verify(jws, &conn, &JwksCache::new(60), now()).is_ok(),
        );
    }
    let mut jwks = JwksCache::new(60);
    if jwks
        .update(
            &serde_json::to_vec(&json!({ "keys": keys })).unwrap(),
            None,
            now(),
        )
        .is_err()
    {
        return Some(false);
    }
    Some(signature_layer::verify(jws, &connection("unused-secret", false), &jwks, now()).is_ok())
}

fn run_jose_file(name: &str) {
    let Some(dir) = corpus("crypto/wycheproof") else {
        return;
    };
    let file = load(dir.join(name));
    let (mut checked, mut unsupported, mut deviations, mut failures) = (0, 0, 0, Vec::new());
    for group in file["testGroups"].as_array().unwrap() {
        let key = group
            .get("private")
            .or_else(|| group.get("public"))
            .unwrap();
        for test in group["tests"].as_array().unwrap() {
            let expected = test["result"].as_str().unwrap();
            match verify_with(key, test["jws"].as_str().unwrap()) {
                None => unsupported += 1,
                Some(accepted) => {
                    checked += 1;
                    let tc = test["tcId"].as_u64().unwrap();
                    if let Some((.., ours, _)) =
                        DEVIATIONS.iter().find(|d| d.0 == name && d.1 == tc)
                    {
                        deviations += 1;
                        if accepted != *ours {
                            failures
                                .push(format!("tcId {tc}: deliberate deviation no longer holds"));
                        }
                    } else if (expected == "valid") != accepted {
                        failures.push(format!(
                            "tcId {} ({}; {}): expected {expected}, accepted={accepted}",
                            test["tcId"], test["comment"], test["flags"]
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "{name}: {checked} vectors checked ({deviations} deliberate deviations), {unsupported} unsupported (P-521 or binary HMAC key)"
    );
    assert_eq!(
        deviations,
        DEVIATIONS.iter().filter(|d| d.0 == name).count(),
        "every deviation is exercised"
    );
    assert!(checked > 0);
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

#[test]
fn wycheproof_json_web_signature() {
    run_jose_file("json_web_signature_test.json");
}

#[test]
fn wycheproof_json_web_key() {
    run_jose_file("json_web_key_test.json");
}

#[test]
fn rfc7520_cookbook_compact_signatures() {
    let Some(dir) = corpus("jose/cookbook") else {
        return;
    };
    // (file, expectation): Some(true) verify, Some(false) must fail, None unsupported here.
    let cases: &[(&str, Option<bool>)] = &[
        ("jws/4_1.rsa_v15_signature.json", Some(true)),
        // The RSA key has no `alg`: such keys are fixed to RS256 (the OIDC default), so PS384 is refused…
        ("jws/4_2.rsa-pss_signature.json", Some(false)),
        ("jws/4_3.ecdsa_signature.json", None), // ES512 (P-521) is not accepted by this RP
        ("jws/4_4.hmac-sha2_integrity_protection.json", None), // binary HMAC key, not a client secret
        ("jws/4_5.signature_with_detached_content.json", None),
        ("curve25519/jws.json", Some(true)),
    ];
    for (file, expect) in cases {
        let vector = load(dir.join(file));
        let compact = vector["output"]["compact"].as_str().unwrap();
        let key = &vector["input"]["key"];
        let got = verify_with(key, compact);
        assert_eq!(got, *expect, "{file}");
        if *expect == Some(true) {
            // Negative twins: a flipped signature bit and a changed payload must both fail.
            let mut parts: Vec<String> = compact.split('.').map(str::to_owned).collect();
            let mut sig = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
            sig[0] ^= 0x80;
            parts[2] = URL_SAFE_NO_PAD.encode(&sig);
            assert_eq!(
                verify_with(key, &parts.join(".")),
                Some(false),
                "{file} flipped signature"
            );
            let mut parts: Vec<String> = compact.split('.').map(str::to_owned).collect();
            parts[1] = URL_SAFE_NO_PAD.encode(b"{\"sub\":\"mallory\"}");
            assert_eq!(
                verify_with(key, &parts.join(".")),
                Some(false),
                "{file} changed payload"
            );
            // The detached-payload form (empty middle part) is not a valid compact JWS for us.
            let mut parts: Vec<String> = compact.split('.').map(str::to_owned).collect();
            parts[1].clear();
            assert_eq!(
                verify_with(key, &parts.join(".")),
                Some(false),
                "{file} detached"
            );
        }
    }
    // …and verifies once the key names PS384.
    let pss = load(dir.join("jws/4_2.rsa-pss_signature.json"));
    let mut key = pss["input"]["key"].clone();
    key["alg"] = json!("PS384");
    assert_eq!(
        verify_with(&key, pss["output"]["compact"].as_str().unwrap()),
        Some(true)
    );

    // 4.5 with its detached compact form is refused (the HS256 key is binary, so check through a JWKS: oct
    // keys are never trusted there).
    let detached = load(dir.join("jws/4_5.signature_with_detached_content.json"));
    let mut jwks = JwksCache::new(60);
    let oct = json!({"keys": [detached["input"]["key"]]});
    assert!(
        jwks.update(&serde_json::to_vec(&oct).unwrap(), None, now())
            .is_err(),
        "oct keys are never trusted"
    );
}

#[test]
fn rfc7520_keys_through_the_jwks_rules() {
    let Some(dir) = corpus("jose/cookbook/jwk") else {
        return;
    };
    // (file, usable as an ID token verification key here)
    let cases = [
        ("3_1.ec_public_key.json", false), // P-521: not accepted by this RP
        ("3_2.ec_private_key.json", false), // P-521 (private members are ignored anyway)
        ("3_3.rsa_public_key.json", true), // RSA 2048, use sig, no alg → RS256
        ("3_4.rsa_private_key.json", true), // same key with private members, which are ignored
        ("3_5.symmetric_key_mac_computation.json", false), // oct: never trusted from a JWKS
        ("3_6.symmetric_key_encryption.json", false), // oct, use enc
    ];
    for (file, usable) in cases {
        let key = load(dir.join(file));
        let mut jwks = JwksCache::new(60);
        let result = jwks.update(
            &serde_json::to_vec(&json!({ "keys": [key] })).unwrap(),
            None,
            now(),
        );
        assert_eq!(result.is_ok(), usable, "{file}: {result:?}");
        if usable {
            assert_eq!(
                jwks.key_ids().collect::<Vec<_>>(),
                vec![Some("bilbo.baggins@hobbiton.example")]
            );
        }
    }
}

/// The raw Wycheproof signature files exercise the crypto backend this crate selects (aws-lc or RustCrypto)
/// through jsonwebtoken's provider, with keys imported from the groups' JWKs by this crate's JWKS parser rules.
#[test]
fn wycheproof_raw_signatures_through_the_backend() {
    let Some(dir) = corpus("crypto/wycheproof") else {
        return;
    };
    let files = [
        (
            "rsa_signature_2048_sha256_test.json",
            "keyJwk",
            jsonwebtoken::Algorithm::RS256,
        ),
        (
            "rsa_pss_2048_sha256_mgf1_32_test.json",
            "publicKeyJwk",
            jsonwebtoken::Algorithm::PS256,
        ),
        (
            "ecdsa_secp256r1_sha256_p1363_test.json",
            "publicKeyJwk",
            jsonwebtoken::Algorithm::ES256,
        ),
        (
            "ecdsa_secp384r1_sha384_p1363_test.json",
            "publicKeyJwk",
            jsonwebtoken::Algorithm::ES384,
        ),
        (
            "ed25519_test.json",
            "publicKeyJwk",
            jsonwebtoken::Algorithm::EdDSA,
        ),
    ];
    for (name, jwk_field, alg) in files {
        let file = load(dir.join(name));
        let mut failures = Vec::new();
        let mut checked = 0;
        for group in file["testGroups"].as_array().unwrap() {
            let jwk = &group[jwk_field];
            let key = match alg {
                jsonwebtoken::Algorithm::RS256 | jsonwebtoken::Algorithm::PS256 => {
                    jsonwebtoken::DecodingKey::from_rsa_components(
                        jwk["n"].as_str().unwrap(),
                        jwk["e"].as_str().unwrap(),
                    )
                    .unwrap()
                }
                // Some EC groups carry no JWK (unusual coordinates); the uncompressed point is always there.
                jsonwebtoken::Algorithm::ES256 | jsonwebtoken::Algorithm::ES384 => {
                    jsonwebtoken::DecodingKey::from_ec_der(&hex(group["publicKey"]["uncompressed"]
                        .as_str()
                        .unwrap()))
                }
                _ => jsonwebtoken::DecodingKey::from_ed_components(jwk["x"].as_str().unwrap())
                    .unwrap(),
            };
            for test in group["tests"].as_array().unwrap() {
                let msg = hex(test["msg"].as_str().unwrap());
                let sig = URL_SAFE_NO_PAD.encode(hex(test["sig"].as_str().unwrap()));
                let accepted = jsonwebtoken::crypto::verify(&sig, &msg, &key, alg).unwrap_or(false);
                let expected = test["result"].as_str().unwrap();
                checked += 1;
                if expected != "acceptable" && (expected == "valid") != accepted {
                    failures.push(format!(
                        "tcId {} ({}): expected {expected}",
                        test["tcId"], test["flags"]
                    ));
                }
            }
        }
        eprintln!("{name}: {checked} vectors");
        assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
