//! Encrypted assertions at the ACS (Okta's "Assertion Encryption"): the IdP encrypts the signed assertion to the
//! connection's certificate (the one at `/pem` and in the SP metadata), the ACS decrypts it with the connection's
//! key and validates it like any other; an assertion encrypted to another key signs nobody in.

use base64::Engine as _;
use gatehouse_service::model;

use crate::harness::{Browser, Page, field, start, start_login};

/// SP-initiated login as demo user `user` through demo-saml; returns the auto-post page and the ACS's answer.
async fn login(b: &mut Browser, email: &str, user: &str) -> (Page, Page) {
    let to_idp = start_login(b, email, "demo-saml").await;
    assert_eq!(to_idp.status, 303, "{}", to_idp.body);
    let picker = b.get(&to_idp.location().unwrap()).await;
    let posting = b.submit(&picker, Some(("user", user)), &[]).await;
    let done = b.submit(&posting, None, &[]).await;
    (posting, done)
}

fn posted_xml(page: &Page) -> String {
    let b64 = field(&page.body, "SAMLResponse").unwrap();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn an_assertion_encrypted_to_the_connections_certificate_signs_in() {
    let s = start().await;
    let conn = model::connection_by_name(&s.state, "demo-saml")
        .await
        .unwrap()
        .unwrap();
    let cert = conn.cert_pem.clone().unwrap();
    // The SP metadata offers the certificate for encryption too (what an IdP reads to encrypt).
    let md = Browser::new(&s.base)
        .get("/saml/metadata?connection=demo-saml")
        .await;
    assert!(md.body.contains("use=\"encryption\""), "{}", md.body);
    let cert_b64: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(
        md.body.contains(&cert_b64),
        "the encryption key is the connection's certificate"
    );

    let idp = s.state.demo.clone().unwrap();
    idp.saml_apps
        .lock()
        .unwrap()
        .get_mut("demo-saml")
        .unwrap()
        .encryption_cert_pem = Some(cert);
    let mut b = Browser::new(&s.base);
    let (posting, done) = login(&mut b, "grace@demo.example", "1").await;
    let xml = posted_xml(&posting);
    assert!(
        xml.contains("<saml:EncryptedAssertion>") && !xml.contains("<saml:Assertion "),
        "{xml}"
    );
    assert!(
        !xml.contains("grace@demo.example"),
        "the attributes travel encrypted"
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let home = b.get("/").await;
    assert!(
        home.body.contains("grace@demo.example") && home.body.contains("jit:demo-saml"),
        "{}",
        home.body
    );
}

#[tokio::test]
async fn an_assertion_encrypted_to_another_key_signs_nobody_in() {
    let s = start().await;
    // A certificate of some other party: the IdP is misconfigured (or someone replays another SP's response).
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let other = rcgen::CertificateParams::new(vec!["other.example".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    let idp = s.state.demo.clone().unwrap();
    idp.saml_apps
        .lock()
        .unwrap()
        .get_mut("demo-saml")
        .unwrap()
        .encryption_cert_pem = Some(other);
    let mut b = Browser::new(&s.base);
    let (posting, done) = login(&mut b, "grace@demo.example", "1").await;
    assert!(posted_xml(&posting).contains("<saml:EncryptedAssertion>"));
    assert_eq!(done.status, 403, "{}", done.body);
    assert!(done.body.contains("saml:"), "{}", done.body);
    assert!(!b.cookies.contains_key("gh_session"));
}
