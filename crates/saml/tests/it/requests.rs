//! AuthnRequests: what we send decodes to what we meant, and our signatures verify — with our verifier
//! and, in the interop tier, with `xmlsec1` (POST) and `openssl` (Redirect).

use std::io::Read as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use gatehouse_saml::{
    Binding, ConnectionPolicy, IdentityProvider, Outgoing, RequestOptions, ServiceProvider,
    authn_request,
};
use gatehouse_xml::{
    Document, PinnedKeys, SignatureAlgorithm, VerifyPolicy, verify_detached, verify_enveloped,
};

use crate::support::{sp_key, testdata, text};

fn connection(binding: Binding, signed: bool) -> (ServiceProvider, IdentityProvider) {
    let mut sp = ServiceProvider::new(
        "urn:auth0:layer-stack-app:acme",
        "https://auth.app.layer.ai/login/callback?connection=acme",
    );
    if signed {
        sp.signing_key = Some(sp_key());
    }
    let idp = IdentityProvider {
        entity_id: "http://www.okta.com/exk1abcdEXAMPLE".into(),
        sso_url: "https://acme.okta.com/app/acme/exk1abcdEXAMPLE/sso/saml?tenant=1".into(),
        sso_binding: binding,
        certificates: PinnedKeys::from_pem(&text("keys/idp.crt")).unwrap(),
        want_authn_requests_signed: signed,
        policy: ConnectionPolicy::default(),
    };
    (sp, idp)
}

fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

fn urldecode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned()
}

#[test]
fn redirect_binding_round_trip_and_signature() {
    let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    let (sp, idp) = connection(Binding::HttpRedirect, true);
    let opts = RequestOptions {
        relay_state: Some("/projects/42?tab=a&b=c".into()),
        force_authn: true,
        ..Default::default()
    };
    let req = authn_request(&sp, &idp, "acme", now, &opts).unwrap();
    assert!(req.id().starts_with('_') && req.id().len() == 41);
    assert_eq!(req.pending().connection, "acme");
    let Outgoing::Redirect(url) = req.encode(&sp, None).unwrap() else {
        panic!("redirect expected")
    };
    let (base, query) = url.split_once("?tenant=1&").unwrap();
    assert_eq!(
        base,
        "https://acme.okta.com/app/acme/exk1abcdEXAMPLE/sso/saml"
    );

    // Inflate what we sent and read it back.
    let deflated = STANDARD
        .decode(urldecode(query_param(query, "SAMLRequest").unwrap()))
        .unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .read_to_string(&mut xml)
        .unwrap();
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let r = doc.root();
    assert_eq!(r.attr("ID"), Some(req.id()));
    assert_eq!(
        r.attr("AssertionConsumerServiceURL"),
        Some(sp.acs_url.as_str())
    );
    assert_eq!(r.attr("Destination"), Some(idp.sso_url.as_str()));
    assert_eq!(r.attr("ForceAuthn"), Some("true"));
    assert_eq!(r.attr("IssueInstant"), Some("2026-01-15T10:00:00Z"));
    assert_eq!(
        urldecode(query_param(query, "RelayState").unwrap()),
        "/projects/42?tab=a&b=c"
    );

    // The signature covers the exact octets before `&Signature=`.
    let (signed, sig) = query.split_once("&Signature=").unwrap();
    let sig = STANDARD.decode(urldecode(sig)).unwrap();
    let sp_cert = PinnedKeys::from_pem(&text("keys/sp.crt")).unwrap();
    verify_detached(
        &sp_cert,
        SignatureAlgorithm::RsaSha256,
        &VerifyPolicy::strict(),
        signed.as_bytes(),
        &sig,
    )
    .unwrap();
    // RelayState changed in transit: refused.
    let tampered = signed.replace("projects%2F42", "projects%2F43");
    assert!(
        verify_detached(
            &sp_cert,
            SignatureAlgorithm::RsaSha256,
            &VerifyPolicy::strict(),
            tampered.as_bytes(),
            &sig
        )
        .is_err()
    );
}

#[test]
fn post_binding_is_an_enveloped_signature_xmlsec1_accepts() {
    let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    let (sp, idp) = connection(Binding::HttpPost, true);
    let req = authn_request(&sp, &idp, "acme", now, &RequestOptions::default()).unwrap();
    let Outgoing::PostForm(html) = req.encode(&sp, Some("n0nce")).unwrap() else {
        panic!("form expected")
    };
    assert!(
        html.contains(
            "action=\"https://acme.okta.com/app/acme/exk1abcdEXAMPLE/sso/saml?tenant=1\""
        )
    );
    assert!(html.contains("<script nonce=\"n0nce\">"));
    let value = html
        .split("name=\"SAMLRequest\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let xml = STANDARD.decode(value).unwrap();
    let doc = Document::parse(&xml).unwrap();
    let sp_cert = PinnedKeys::from_pem(&text("keys/sp.crt")).unwrap();
    verify_enveloped(doc.root(), &sp_cert, &VerifyPolicy::strict()).unwrap();
    let order: Vec<&str> = doc.root().child_elements().map(|e| e.name()).collect();
    assert_eq!(
        order,
        ["Issuer", "Signature", "NameIDPolicy"],
        "schema order: Signature right after Issuer"
    );

    if std::env::var("GATEHOUSE_INTEROP").is_ok_and(|v| v == "1") {
        let file =
            std::env::temp_dir().join(format!("gatehouse-authnrequest-{}.xml", std::process::id()));
        std::fs::write(&file, &xml).unwrap();
        let out = std::process::Command::new("xmlsec1")
            .args(["--verify", "--pubkey-cert-pem"])
            .arg(testdata("keys/sp.crt"))
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest",
            ])
            .arg(&file)
            .output()
            .expect("xmlsec1 is required under GATEHOUSE_INTEROP=1");
        assert!(
            out.status.success(),
            "xmlsec1 refused our AuthnRequest: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn unsigned_and_bounded() {
    let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    let (sp, idp) = connection(Binding::HttpRedirect, false);
    let req = authn_request(&sp, &idp, "acme", now, &RequestOptions::default()).unwrap();
    let Outgoing::Redirect(url) = req.encode(&sp, None).unwrap() else {
        panic!()
    };
    assert!(!url.contains("Signature=") && !url.contains("SigAlg="));
    let long = RequestOptions {
        relay_state: Some("x".repeat(81)),
        ..Default::default()
    };
    assert_eq!(
        authn_request(&sp, &idp, "acme", now, &long)
            .unwrap_err()
            .code(),
        "request"
    );
    // Two requests never share an ID.
    let a = authn_request(&sp, &idp, "acme", now, &RequestOptions::default()).unwrap();
    assert_ne!(a.id(), req.id());
}

/// The IdP side: openssl-signed HTTP-Redirect requests and an xmlsec1-signed HTTP-POST request from
/// testdata/saml/redirect, decoded and verified with the SP's certificate.
#[test]
fn incoming_requests_from_fixtures() {
    use gatehouse_saml::{receive_post, receive_redirect};
    let manifest = crate::support::json("saml/redirect/manifest.json");
    let sp_cert = PinnedKeys::from_pem(&text("keys/sp.crt")).unwrap();
    let policy = VerifyPolicy::strict();
    for case in manifest["cases"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let body = text(&format!("saml/{file}"));
        let signer = case["verify_with"].as_str().map(|_| (&sp_cert, &policy));
        let result = if file.ends_with(".query") {
            receive_redirect(body.trim(), signer)
        } else {
            receive_post(&STANDARD.encode(body.as_bytes()), None, signer)
        };
        match case["expect"].as_str().unwrap() {
            "accept" => {
                let r = result.unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(r.id, "_req-7f3c2a", "{file}");
                assert_eq!(r.issuer, "urn:auth0:layer-stack-app:acme", "{file}");
                assert_eq!(
                    r.acs_url.as_deref(),
                    Some("https://auth.app.layer.ai/login/callback?connection=acme")
                );
                assert_eq!(
                    r.relay_state.as_deref(),
                    case["relay_state"]
                        .as_str()
                        .filter(|_| file.ends_with(".query")),
                    "{file}"
                );
                assert_eq!(r.signature.is_some(), signer.is_some(), "{file}");
            }
            _ => {
                let e = result.expect_err(file);
                let want: &[&str] = match case["reason"].as_str().unwrap() {
                    "weak_algorithm" => &["legacy_crypto"],
                    _ => &["bad_signature", "untrusted_certificate"],
                };
                assert!(want.contains(&e.code()), "{file}: {e} ({})", e.code());
            }
        }
    }
    // An unsigned request where a signature is required.
    let unsigned = text("saml/redirect/authnrequest-unsigned.query");
    assert_eq!(
        receive_redirect(unsigned.trim(), Some((&sp_cert, &policy)))
            .unwrap_err()
            .code(),
        "not_signed"
    );
}

/// What we send is what an IdP decodes, signature included.
#[test]
fn our_requests_decode_on_the_idp_side() {
    use gatehouse_saml::receive_redirect;
    let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    let (sp, idp) = connection(Binding::HttpRedirect, true);
    let opts = RequestOptions {
        relay_state: Some("r=1&x=ä".into()),
        ..Default::default()
    };
    let req = authn_request(&sp, &idp, "acme", now, &opts).unwrap();
    let Outgoing::Redirect(url) = req.encode(&sp, None).unwrap() else {
        panic!()
    };
    let query = url.split_once("?tenant=1&").unwrap().1;
    let sp_cert = PinnedKeys::from_pem(&text("keys/sp.crt")).unwrap();
    let got = receive_redirect(query, Some((&sp_cert, &VerifyPolicy::strict()))).unwrap();
    assert_eq!(got.id, req.id());
    assert_eq!(got.relay_state.as_deref(), Some("r=1&x=ä"));
}
