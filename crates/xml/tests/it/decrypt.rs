//! Decryption of `xmlsec1 --encrypt` output: every algorithm pair Okta and xmlenc 1.1 use, the refused
//! ones, and failures that all look alike.

use gatehouse_xml::decrypt::{Decrypted, decrypt};
use gatehouse_xml::{DecryptionKey, Document, Error, Limits, VerifyPolicy, verify_enveloped};
use serde_json::Value;

use crate::support::{key_pem, pinned, read, testdata};

fn encrypted_assertion<'d, 'a>(doc: &'d Document<'a>) -> gatehouse_xml::Element<'d, 'a> {
    doc.root()
        .child_elements()
        .find(|e| e.name() == "EncryptedAssertion")
        .expect("an EncryptedAssertion")
}

#[test]
fn xmlsec1_encrypted_fixtures() {
    let m: Value = serde_json::from_slice(&read(&testdata("xmlenc/manifest.json"))).unwrap();
    let sp = DecryptionKey::from_pem(&key_pem("sp.key")).unwrap();
    let idp = pinned(&["idp.crt"]);
    let mut accepted = 0;
    for case in m["cases"].as_array().unwrap() {
        let name = case["case"].as_str().unwrap();
        let bytes = read(&testdata(&format!(
            "xmlenc/{}",
            case["file"].as_str().unwrap()
        )));
        let doc = Document::parse(&bytes).unwrap();
        let result = decrypt(encrypted_assertion(&doc), &sp);
        let reason = case["reason"].as_str().unwrap();
        match (case["expect"].as_str().unwrap(), reason) {
            ("accept", _)
            | ("reject", "inner_assertion_unsigned" | "assertion_not_signed" | "not_signed") => {
                // Decrypts; the inner assertion is signed by the IdP unless the case says otherwise.
                let dec = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                let inner_doc = dec.parse(&Limits::default()).unwrap();
                let inner = Decrypted::element(&inner_doc).unwrap();
                assert_eq!(inner.name(), "Assertion", "{name}");
                let verdict = verify_enveloped(inner, &idp, &VerifyPolicy::strict());
                if case["xmlsec1_inner_assertion"]
                    .as_str()
                    .unwrap()
                    .starts_with("OK")
                {
                    verdict.unwrap_or_else(|e| panic!("{name}: inner signature: {e}"));
                } else {
                    assert!(verdict.is_err(), "{name}");
                }
                accepted += 1;
            }
            ("reject", "unsupported_algorithm") => {
                assert!(
                    matches!(result, Err(Error::UnsupportedAlgorithm { .. })),
                    "{name}: {result:?}"
                );
            }
            ("reject", "decryption_failed") => {
                assert_eq!(result.unwrap_err(), Error::DecryptionFailed, "{name}");
            }
            (expect, reason) => panic!("{name}: no rule for expect={expect} reason={reason}"),
        }
    }
    assert!(accepted >= 24, "{accepted} decryptions");
}

#[test]
fn every_decryption_failure_is_the_same_error() {
    let sp = DecryptionKey::from_pem(&key_pem("sp.key")).unwrap();
    let wrong = DecryptionKey::from_pem(&key_pem("idp.key")).unwrap();
    let bytes = read(&testdata(
        "xmlenc/accept-rsa-oaep-mgf1p-aes128-cbc-response-unsigned/response.xml",
    ));
    let doc = Document::parse(&bytes).unwrap();
    let ea = encrypted_assertion(&doc);
    assert!(decrypt(ea, &sp).is_ok());
    let wrong_key = decrypt(ea, &wrong).unwrap_err();
    assert_eq!(wrong_key, Error::DecryptionFailed);
    assert_eq!(format!("{wrong_key}"), "decryption failed");
    assert!(format!("{sp:?}").contains("redacted"));
}
