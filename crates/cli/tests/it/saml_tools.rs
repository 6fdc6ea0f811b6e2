//! `saml metadata`, `saml sp-metadata` and `saml authn-request` against testdata/saml/metadata (fingerprints
//! and dates from openssl, in its manifest) and testdata/keys.

use base64::Engine as _;
use serde_json::Value;

use crate::support::{json_file, read, run, testdata};

const NOW: &str = "2026-01-15T10:00:00Z";

fn metadata(file: &str, extra: &[&str]) -> crate::support::Run {
    let path = testdata(&format!("saml/{file}"));
    let mut args = vec!["saml", "metadata", "--json", path.as_str(), "--now", NOW];
    args.extend_from_slice(extra);
    run(&args, None)
}

#[test]
fn metadata_matches_the_openssl_manifest() {
    let manifest = json_file("saml/metadata/manifest.json");
    let mut n = 0;
    for case in manifest["cases"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        if case.get("metadata_signature").is_some() {
            continue; // below, with --signed-by
        }
        let extra: &[&str] = if file.ends_with("entities.xml") {
            &["--idp-entity-id", "http://www.okta.com/exk1abcdEXAMPLE"]
        } else {
            &[]
        };
        let r = metadata(file, extra);
        assert_eq!(r.code, 0, "{file}: {r:?}");
        let out = r.json();
        assert_eq!(out["entity_id"], case["entity_id"], "{file}");
        if let Some(w) = case.get("want_authn_requests_signed") {
            assert_eq!(&out["want_authn_requests_signed"], w, "{file}");
        }
        if let Some(v) = case.get("valid_until") {
            assert_eq!(&out["valid_until"], v, "{file}");
        }
        let got: Vec<&str> = out["signing_certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sha256_fingerprint"].as_str().unwrap())
            .collect();
        let want: Vec<&str> = case["signing_certs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| c["sha256_fingerprint"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if !want.is_empty() {
            assert_eq!(got, want, "{file}");
        }
        if let Some(sso) = case.get("sso").and_then(Value::as_object) {
            for (binding, url) in sso {
                assert!(
                    out["sso"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|e| e["binding"] == binding.as_str() && &e["location"] == url),
                    "{file}: {binding} {url} missing in {}",
                    out["sso"]
                );
            }
        }
        // openssl: notAfter Nov  4 19:06:07 2126 GMT
        assert_eq!(
            out["signing_certificates"][0]["not_after"], "2126-11-04T19:06:07Z",
            "{file}"
        );
        assert_eq!(out["warnings"], serde_json::json!([]), "{file}");
        n += 1;
    }
    assert!(n >= 3);
}

#[test]
fn metadata_signature_and_expiry() {
    let idp = testdata("keys/idp.crt");
    let r = metadata("metadata/okta-idp-signed.xml", &["--signed-by", &idp]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["signature_verified"], true);
    let r = metadata(
        "metadata/okta-idp-signed-by-attacker.xml",
        &["--signed-by", &idp],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        ["untrusted_certificate", "bad_signature"].contains(&r.json()["error"].as_str().unwrap())
    );
    // Unsigned metadata when a signature is required.
    let r = metadata("metadata/okta-idp.xml", &["--signed-by", &idp]);
    assert_eq!((r.code, r.json()["error"].as_str()), (1, Some("metadata")));
    // Expired metadata (validUntil 2026-02-15) is refused.
    let path = testdata("saml/metadata/okta-idp-rotation.xml");
    let r = run(
        &[
            "saml",
            "metadata",
            "--json",
            &path,
            "--now",
            "2026-03-01T00:00:00Z",
        ],
        None,
    );
    assert_eq!((r.code, r.json()["error"].as_str()), (1, Some("metadata")));
    // Certificates expiring within 30 days are warned about (idp.crt: notAfter 2126-11-04T19:06:07Z).
    let path = testdata("saml/metadata/okta-idp.xml");
    let r = run(
        &[
            "saml",
            "metadata",
            "--json",
            &path,
            "--now",
            "2126-10-20T00:00:00Z",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    let out = r.json();
    assert_eq!(
        out["signing_certificates"][0]["expires_within_30_days"],
        true
    );
    assert_eq!(out["signing_certificates"][0]["expired"], false);
    assert!(
        out["warnings"][0]
            .as_str()
            .unwrap()
            .contains("within 30 days"),
        "{out}"
    );
    let r = run(
        &["saml", "metadata", &path, "--now", "2126-12-01T00:00:00Z"],
        None,
    );
    assert!(
        r.stdout.contains("warning:") && r.stdout.contains("EXPIRED"),
        "{}",
        r.stdout
    );
    // Not metadata at all.
    let r = run(
        &["saml", "metadata", "--json", "-"],
        Some(b"{\"json\": true}"),
    );
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn sp_metadata_publishes_the_certificate() {
    let args = [
        "saml",
        "sp-metadata",
        "--sp-entity-id",
        "urn:auth0:layer-stack-app:acme",
        "--acs-url",
        "https://auth.app.layer.ai/login/callback?connection=acme",
    ];
    let r = run(&args, None);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("entityID=\"urn:auth0:layer-stack-app:acme\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Location=\"https://auth.app.layer.ai/login/callback?connection=acme\"")
    );
    assert!(r.stdout.contains("AuthnRequestsSigned=\"false\""));
    assert!(!r.stdout.contains("X509Certificate"));

    let (cert, key) = (testdata("keys/sp.crt"), testdata("keys/sp.key"));
    let mut with_cert = args.to_vec();
    with_cert.extend(["--cert", &cert, "--key", &key, "--json"]);
    let r = run(&with_cert, None);
    assert_eq!(r.code, 0, "{r:?}");
    let xml = r.json()["xml"].as_str().unwrap().to_owned();
    // The DER openssl wrote (testdata/keys/sp.der), base64: what X509Certificate must hold.
    let der_b64 = base64::engine::general_purpose::STANDARD.encode(read("keys/sp.der"));
    assert!(
        xml.contains(&format!(
            "<ds:X509Certificate>{der_b64}</ds:X509Certificate>"
        )),
        "{xml}"
    );
    assert!(xml.contains("AuthnRequestsSigned=\"true\""));
    assert!(!xml.contains("PRIVATE"));
    // --cert alone is a usage error (the library needs the pair).
    let mut cert_only = args.to_vec();
    cert_only.extend(["--cert", &cert]);
    assert_eq!(run(&cert_only, None).code, 2);
}

#[test]
fn authn_request_redirect_url_signed_and_unsigned() {
    let sso = "https://acme.okta.com/app/acme_layerstackapp_1/exk1abcdEXAMPLE/sso/saml";
    let base = [
        "saml",
        "authn-request",
        "--json",
        "--sp-entity-id",
        "urn:auth0:layer-stack-app:acme",
        "--acs-url",
        "https://auth.app.layer.ai/login/callback?connection=acme",
        "--idp-sso-url",
        sso,
        "--relay-state",
        "/dashboard",
        "--now",
        NOW,
    ];
    let sp_cert =
        gatehouse_xml::PinnedKeys::from_pem(&String::from_utf8(read("keys/sp.crt")).unwrap())
            .unwrap();
    let strict = gatehouse_xml::VerifyPolicy::strict();

    let r = run(&base, None);
    assert_eq!(r.code, 0, "{r:?}");
    let out = r.json();
    let url = out["url"].as_str().unwrap();
    let query = url
        .strip_prefix(&format!("{sso}?"))
        .expect("URL starts at the SSO URL");
    assert!(!query.contains("Signature="));
    let received = gatehouse_saml::receive_redirect(query, None).unwrap();
    assert_eq!(received.issuer, "urn:auth0:layer-stack-app:acme");
    assert_eq!(received.id, out["id"].as_str().unwrap());
    assert_eq!(received.relay_state.as_deref(), Some("/dashboard"));
    assert!(
        out["xml"]
            .as_str()
            .unwrap()
            .contains("IssueInstant=\"2026-01-15T10:00:00Z\"")
    );

    let (cert, key) = (testdata("keys/sp.crt"), testdata("keys/sp.key"));
    let mut signed = base.to_vec();
    signed.extend(["--sign-key", &key, "--sign-cert", &cert]);
    let r = run(&signed, None);
    assert_eq!(r.code, 0, "{r:?}");
    let out = r.json();
    assert_eq!(out["signed"], true);
    let query = out["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&format!("{sso}?"))
        .unwrap()
        .to_owned();
    assert!(query.contains(
        "&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature="
    ));
    gatehouse_saml::receive_redirect(&query, Some((&sp_cert, &strict)))
        .expect("signature verifies with sp.crt");

    // Text mode prints the URL alone, for scripts.
    let text: Vec<&str> = base.iter().copied().filter(|a| *a != "--json").collect();
    let r = run(&text, None);
    assert!(
        r.stdout.starts_with(sso) && r.stdout.lines().count() == 1,
        "{}",
        r.stdout
    );

    let relay = "x".repeat(81);
    let long: Vec<&str> = base
        .iter()
        .map(|a| {
            if *a == "/dashboard" {
                relay.as_str()
            } else {
                a
            }
        })
        .collect();
    let r = run(&long, None);
    assert_eq!((r.code, r.json()["error"].as_str()), (2, Some("request")));
}
