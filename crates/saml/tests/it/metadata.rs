//! IdP metadata against hand-checked expectations (fingerprints and dates from openssl), and SP metadata
//! read back by our own parser's rules.

use chrono::{TimeZone, Utc};
use gatehouse_saml::{Binding, ConnectionPolicy, ServiceProvider, parse_idp_metadata, sp_metadata};
use gatehouse_xml::{Document, PinnedKeys};

use crate::support::{json, read, sp_key, text};

#[test]
fn okta_metadata_fixtures() {
    let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    let idp_key = PinnedKeys::from_pem(&text("keys/idp.crt")).unwrap();
    let manifest = json("saml/metadata/manifest.json");
    for case in manifest["cases"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let xml = read(&format!("saml/{file}"));
        let entity = case["entity_id"].as_str();
        let signed = case.get("metadata_signature").and_then(|s| s.as_str());
        let parsed = parse_idp_metadata(&xml, entity, now, signed.map(|_| &idp_key));
        if signed.is_some_and(|s| s.starts_with("invalid")) {
            assert!(parsed.is_err(), "{file}: attacker-signed metadata accepted");
            continue;
        }
        let md = parsed.unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(Some(md.entity_id.as_str()), entity, "{file}");
        if let Some(w) = case["want_authn_requests_signed"].as_bool() {
            assert_eq!(md.want_authn_requests_signed, w, "{file}");
        }
        let certs = case["signing_certs"].as_array().unwrap();
        assert_eq!(
            md.signing_certificates.keys().len(),
            certs.len(),
            "{file}: signing certificates"
        );
        for c in certs {
            assert!(
                md.has_fingerprint(c["sha256_fingerprint"].as_str().unwrap()),
                "{file}: {}",
                c["file"]
            );
        }
        for c in case["not_signing_certs"].as_array().into_iter().flatten() {
            assert!(
                !md.has_fingerprint(c["sha256_fingerprint"].as_str().unwrap()),
                "{file}: encryption cert pinned"
            );
        }
        for (binding, url) in case["sso"].as_object().unwrap() {
            let b = Binding::from_uri(&format!("urn:oasis:names:tc:SAML:2.0:bindings:{binding}"))
                .unwrap();
            assert!(
                md.sso_services
                    .iter()
                    .any(|(bb, u)| *bb == b && u == url.as_str().unwrap()),
                "{file}: {binding}"
            );
        }
        if let Some(v) = case["valid_until"].as_str() {
            assert_eq!(md.valid_until, Some(v.parse().unwrap()), "{file}");
            // Expired metadata is refused.
            let later = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
            assert!(
                parse_idp_metadata(&xml, entity, later, None).is_err(),
                "{file}: expired metadata accepted"
            );
        }
        // Certificates good until 2126: no rotation warning now, a warning 101 years out.
        assert!(md.expiry_warnings(now, 30).is_empty());
        let far = Utc.with_ymd_and_hms(2126, 11, 1, 0, 0, 0).unwrap();
        assert_eq!(md.expiry_warnings(far, 30).len(), certs.len());
        let idp = md.identity_provider(ConnectionPolicy::default()).unwrap();
        assert_eq!(idp.sso_binding, Binding::HttpRedirect);
    }
    // An EntitiesDescriptor with two IdPs needs the entity ID.
    assert!(parse_idp_metadata(&read("saml/metadata/entities.xml"), None, now, None).is_err());
}

#[test]
fn sp_metadata_describes_the_connection() {
    let mut sp = ServiceProvider::new(
        "urn:auth0:layer-stack-app:acme",
        "https://auth.app.layer.ai/login/callback?connection=acme&x=1",
    );
    sp.signing_key = Some(sp_key());
    sp.decryption_key = Some(sp_key());
    sp.name_id_format = Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".into());
    let xml = sp_metadata(&sp, true);
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let root = doc.root();
    assert_eq!(
        root.attr("entityID"),
        Some("urn:auth0:layer-stack-app:acme")
    );
    let desc = root.child_elements().next().unwrap();
    assert_eq!(desc.attr("AuthnRequestsSigned"), Some("true"));
    assert_eq!(desc.attr("WantAssertionsSigned"), Some("true"));
    let acs = desc
        .child_elements()
        .find(|e| e.name() == "AssertionConsumerService")
        .unwrap();
    assert_eq!(
        acs.attr("Location"),
        Some("https://auth.app.layer.ai/login/callback?connection=acme&x=1")
    );
    let uses: Vec<_> = desc
        .child_elements()
        .filter(|e| e.name() == "KeyDescriptor")
        .filter_map(|e| e.attr("use"))
        .collect();
    assert_eq!(uses, ["signing", "encryption"]);
}
