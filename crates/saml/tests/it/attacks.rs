//! The attack catalogue and the accept cases: every Okta-shaped response in testdata/saml (signed by
//! xmlsec1, attacks made by editing signed documents; see testdata/saml/make.sh) and every encrypted one
//! in testdata/xmlenc, through the whole response path, with the verdict and error kind the manifest gives.

use base64::Engine as _;
use gatehouse_saml::{
    Error, InMemoryReplayCache, InMemoryRequestStore, PendingRequest, RequestStore,
    VerifiedAssertion, validate_response,
};
use serde_json::Value;

use crate::support::{connection, json, read};

/// Which of our error codes a manifest reason allows. A reject must land on one of these, so a refusal
/// for the wrong reason (say, a clock error on a wrapping attack) fails the test.
fn allowed(reason: &str) -> &'static [&'static str] {
    match reason {
        "assertion_not_signed" => &["assertion_not_signed"],
        "unsolicited_not_allowed" | "missing_in_response_to" => &["unsolicited"],
        "replay" => &["replay"],
        // Wrapping is refused by shape: a second assertion, a signature out of place, a reference that
        // does not cover the signature's parent, or a digest over a different element.
        "signature_wrapping" => &[
            "count",
            "unexpected_signature",
            "reference_mismatch",
            "digest_mismatch",
            "signature_shape",
        ],
        "multiple_assertions" => &["count"],
        "duplicate_id" => &["duplicate_id"],
        "signature_invalid" => &["digest_mismatch", "bad_signature"],
        "untrusted_key" => &["untrusted_certificate", "bad_signature"],
        "doctype" => &["doctype"],
        "weak_algorithm" | "weak_key" => &["legacy_crypto"],
        "malformed_signature" => &["signature_shape"],
        "signature_missing" => &["not_signed"],
        "audience_missing" | "audience_mismatch" => &["audience"],
        "expired" => &["expired"],
        "not_yet_valid" => &["not_yet_valid"],
        "recipient_mismatch" => &["recipient"],
        "destination_mismatch" => &["destination"],
        "issuer_mismatch" => &["issuer"],
        "in_response_to_mismatch" => &["unknown_request"],
        "status_not_success" => &["status"],
        "unsupported_algorithm" => &["unsupported_algorithm"],
        "decryption_failed" => &["decryption_failed"],
        other => panic!("no mapping for manifest reason {other:?}"),
    }
}

fn submit(family: &str, case: &Value, times: usize) -> Result<VerifiedAssertion, Error> {
    let name = case["case"].as_str().unwrap();
    let params = json(&format!("{family}/{name}/params.json"));
    let (sp, idp, now) = connection(&params);
    let requests = InMemoryRequestStore::default();
    let replay = InMemoryReplayCache::default();
    let posted = base64::engine::general_purpose::STANDARD.encode(read(&format!(
        "{family}/{}",
        case["file"].as_str().unwrap()
    )));
    let mut result = None;
    for _ in 0..times {
        if let Some(id) = params["request_id"].as_str() {
            requests.insert(PendingRequest {
                id: id.into(),
                connection: "acme".into(),
                issued_at: now - chrono::Duration::seconds(30),
                expires_at: now + chrono::Duration::minutes(10),
            });
        }
        result = Some(validate_response(
            &sp, &idp, "acme", &posted, now, &requests, &replay,
        ));
    }
    result.unwrap()
}

fn run_family(family: &str) -> usize {
    let manifest = json(&format!("{family}/manifest.json"));
    let mut failures = Vec::new();
    let mut n = 0;
    for case in manifest["cases"].as_array().unwrap() {
        let name = case["case"].as_str().unwrap();
        let reason = case["reason"].as_str().unwrap();
        // A replay is the same response twice: the second must fail.
        let times = if reason == "replay" { 2 } else { 1 };
        let result = submit(family, case, times);
        n += 1;
        match (case["expect"].as_str().unwrap(), result) {
            ("accept", Ok(a)) => {
                let params = json(&format!("{family}/{name}/params.json"));
                if let Some(want) = params["expected_name_id"].as_str() {
                    if a.name_id().value != want {
                        failures.push(format!(
                            "{name}: NameID {:?}, expected {want:?}",
                            a.name_id().value
                        ));
                    }
                } else if a.name_id().value != "jane.doe@acme.com" {
                    failures.push(format!("{name}: NameID {:?}", a.name_id().value));
                }
                // Which pinned certificate verified it: the rotation case uses idp-next, the rest idp
                // (EC cases pin their own EC certificates).
                let want_fp = if name.contains("rotation") {
                    "71:CA:10:20"
                } else if name.contains("ecdsa") {
                    ""
                } else {
                    "91:F3:7D:FB"
                };
                if family == "saml" && !a.certificate_sha256().starts_with(want_fp) {
                    failures.push(format!("{name}: verified by {}", a.certificate_sha256()));
                }
                if a.attribute("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
                    .is_empty()
                {
                    failures.push(format!("{name}: the emailaddress attribute is missing"));
                }
            }
            ("accept", Err(e)) => failures.push(format!(
                "{name}: refused a valid response: {e} [{}]",
                e.code()
            )),
            ("reject", Ok(_)) => failures.push(format!(
                "{name}: ACCEPTED an attack/invalid response ({reason})"
            )),
            ("reject", Err(e)) => {
                eprintln!("{name}: refused as {} — {e}", e.code());
                if !allowed(reason).contains(&e.code()) {
                    failures.push(format!(
                        "{name}: refused for the wrong reason: {} ({e}), expected one of {:?}",
                        e.code(),
                        allowed(reason)
                    ));
                }
            }
            (other, _) => failures.push(format!("{name}: unknown expectation {other}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    n
}

#[test]
fn saml_attack_catalogue_and_accept_cases() {
    assert!(run_family("saml") >= 55);
}

#[test]
fn encrypted_assertions() {
    assert!(run_family("xmlenc") >= 30);
}

#[test]
fn comment_split_nameid_comes_out_whole() {
    let manifest = json("saml/manifest.json");
    let case = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == "accept-comment-split-nameid")
        .unwrap();
    let a = submit("saml", case, 1).unwrap();
    assert_eq!(
        a.name_id().value,
        "admin@acme.com.evil.io",
        "never the first text fragment"
    );
}

#[test]
fn errors_explain_themselves_without_leaking() {
    let manifest = json("saml/manifest.json");
    for case in manifest["cases"].as_array().unwrap() {
        let Err(e) = submit("saml", case, if case["reason"] == "replay" { 2 } else { 1 }) else {
            continue;
        };
        let shown = e.to_string();
        // No key material, signature or digest values, or document dumps: no long base64 runs, bounded size.
        let longest_b64 = shown
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(
            longest_b64 < 48 && !shown.contains("BEGIN") && shown.len() < 600,
            "{shown}"
        );
        match e.code() {
            "audience" => assert!(
                e.admin_hint()
                    .unwrap()
                    .contains("Audience URI (SP Entity ID)")
            ),
            "destination" | "recipient" => {
                let hint = e.admin_hint().unwrap();
                assert!(
                    hint.contains("Single sign-on URL")
                        && hint.contains("Recipient URL and Destination URL")
                );
            }
            "expired" | "not_yet_valid" => assert_eq!(e.fix_side(), gatehouse_saml::FixSide::Clock),
            "untrusted_certificate" | "bad_signature" => {
                assert!(e.admin_hint().unwrap().contains("Sign On"));
                // A rotation the connection has not followed, or an IdP signing with the wrong key: either side.
                assert_eq!(e.fix_side(), gatehouse_saml::FixSide::Either, "{e}");
            }
            "legacy_crypto" => assert_eq!(e.fix_side(), gatehouse_saml::FixSide::IdentityProvider),
            _ => {}
        }
    }
}
