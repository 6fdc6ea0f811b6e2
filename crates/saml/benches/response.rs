//! End to end (base64 → VerifiedAssertion, all checks) on the 6 KB Okta-like response signed on the
//! assertion and on the both-signed variant, beside one raw RSA-2048 verify with the same backend.
//!
//! Run with: cargo bench -p gatehouse-saml --bench response
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use base64::Engine as _;
use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_saml::{
    Binding, ConnectionPolicy, IdentityProvider, InMemoryRequestStore, PendingRequest, ReplayCache,
    RequestStore, ServiceProvider, validate_response,
};
use gatehouse_xml::{
    PinnedKeys, SignatureAlgorithm, SigningKey, VerifyPolicy, crypto, verify_detached,
};

struct NoReplay;
impl ReplayCache for NoReplay {
    fn insert_if_absent(
        &self,
        _: &str,
        _: chrono::DateTime<Utc>,
        _: chrono::DateTime<Utc>,
    ) -> bool {
        true
    }
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../testdata/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let certs = String::from_utf8(read("keys/idp.crt")).unwrap();
    let sp = ServiceProvider::new(
        "urn:auth0:layer-stack-app:acme",
        "https://auth.app.layer.ai/login/callback?connection=acme",
    );
    let idp = IdentityProvider {
        entity_id: "http://www.okta.com/exk1abcdEXAMPLE".into(),
        sso_url: "https://acme.okta.com/sso".into(),
        sso_binding: Binding::HttpRedirect,
        certificates: PinnedKeys::from_pem(&certs).unwrap(),
        want_authn_requests_signed: false,
        policy: ConnectionPolicy::default(),
    };
    let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    let backend = crypto::backend_name();

    let signer =
        SigningKey::from_pem(&String::from_utf8(read("keys/idp.key")).unwrap(), None).unwrap();
    let msg = [7u8; 32];
    let sig =
        gatehouse_xml::sign::sign_detached(&signer, SignatureAlgorithm::RsaSha256, &msg).unwrap();
    let policy = VerifyPolicy::strict();
    c.bench_function(&format!("{backend}/raw_rsa2048_verify"), |b| {
        b.iter(|| {
            verify_detached(
                &idp.certificates,
                SignatureAlgorithm::RsaSha256,
                &policy,
                black_box(&msg),
                &sig,
            )
            .unwrap()
        })
    });

    for (label, case) in [
        ("assertion_signed_6k", "accept-assertion-signed"),
        ("both_signed", "accept-both-signed"),
    ] {
        let posted = base64::engine::general_purpose::STANDARD
            .encode(read(&format!("saml/{case}/response.xml")));
        let requests = InMemoryRequestStore::default();
        c.bench_function(&format!("{backend}/end_to_end_{label}"), |b| {
            b.iter(|| {
                requests.insert(PendingRequest {
                    id: "_req-7f3c2a".into(),
                    connection: "acme".into(),
                    issued_at: now,
                    expires_at: now + chrono::Duration::minutes(5),
                });
                validate_response(
                    &sp,
                    &idp,
                    "acme",
                    black_box(&posted),
                    now,
                    &requests,
                    &NoReplay,
                )
                .unwrap()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
