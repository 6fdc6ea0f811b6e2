//! A verified SAML assertion becomes JIT claims that the guide's Okta mapping reads as written.
#![cfg(all(feature = "saml", feature = "jit"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use gatehouse::chrono::{TimeZone, Utc};
use gatehouse::jit::Mapping;
use gatehouse::saml::{
    Binding, ConnectionPolicy, IdentityProvider, InMemoryReplayCache, InMemoryRequestStore,
    PendingRequest, RequestStore, ServiceProvider, validate_response,
};

#[test]
fn okta_assertion_to_identity() {
    let root = env!("CARGO_MANIFEST_DIR");
    let sp = ServiceProvider::new(
        "urn:auth0:layer-stack-app:acme",
        "https://auth.app.layer.ai/login/callback?connection=acme",
    );
    let idp = IdentityProvider {
        entity_id: "http://www.okta.com/exk1abcdEXAMPLE".into(),
        sso_url: "https://acme.okta.com/sso".into(),
        sso_binding: Binding::HttpRedirect,
        certificates: gatehouse::xml::PinnedKeys::from_pem(
            &std::fs::read_to_string(format!("{root}/testdata/keys/idp.crt")).unwrap(),
        )
        .unwrap(),
        want_authn_requests_signed: false,
        policy: ConnectionPolicy::default(),
    };
    let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    let requests = InMemoryRequestStore::default();
    requests.insert(PendingRequest {
        id: "_req-7f3c2a".into(),
        connection: "acme".into(),
        issued_at: now,
        expires_at: now + gatehouse::chrono::Duration::minutes(5),
    });
    let xml = std::fs::read(format!(
        "{root}/testdata/saml/accept-assertion-signed/response.xml"
    ))
    .unwrap();
    let posted = base64::engine::general_purpose::STANDARD.encode(xml);
    let assertion = validate_response(
        &sp,
        &idp,
        "acme",
        &posted,
        now,
        &requests,
        &InMemoryReplayCache::default(),
    )
    .unwrap();

    let claims = gatehouse::claims::from_saml("acme", &assertion);
    let identity = Mapping::okta_saml().map(&claims).unwrap();
    assert_eq!(
        identity.email.as_ref().map(ToString::to_string).as_deref(),
        Some("jane.doe@acme.com")
    );
    assert!(
        identity.email_verified,
        "the guide's email_verified statement says true"
    );
}
