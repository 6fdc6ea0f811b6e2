//! Hot path of gatehouse-xml: parse, canonicalize and verify an Okta-like response (6 KB, signed on the
//! assertion) and the same with 100 attribute values (26 KB), next to one raw RSA-2048 verify with the
//! same backend, so the non-crypto share can be read as a ratio from one run.
//!
//! Run with: cargo bench -p gatehouse-xml --bench verify
//!      and: cargo bench -p gatehouse-xml --bench verify --no-default-features --features rust-crypto
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_xml::c14n::Method;
use gatehouse_xml::{
    Document, PinnedKeys, SignatureAlgorithm, SigningKey, VerifyPolicy, crypto, verify_detached,
    verify_enveloped,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../testdata/saml/{name}/response.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn key(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../testdata/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let keys = PinnedKeys::from_pem(&key("idp.crt")).unwrap();
    let policy = VerifyPolicy::strict();
    let backend = crypto::backend_name();

    // One raw RSA-2048 PKCS#1 v1.5 SHA-256 verify over a 32-byte message: the crypto floor.
    let signer = SigningKey::from_pem(&key("idp.key"), None).unwrap();
    let msg = [7u8; 32];
    let sig =
        gatehouse_xml::sign::sign_detached(&signer, SignatureAlgorithm::RsaSha256, &msg).unwrap();
    c.bench_function(&format!("{backend}/raw_rsa2048_verify"), |b| {
        b.iter(|| {
            verify_detached(
                black_box(&keys),
                SignatureAlgorithm::RsaSha256,
                &policy,
                &msg,
                &sig,
            )
            .unwrap()
        })
    });

    for (label, name) in [
        ("6k", "accept-assertion-signed"),
        ("26k", "accept-assertion-signed-100-values"),
    ] {
        let bytes = fixture(name);
        c.bench_function(&format!("{backend}/parse_{label}"), |b| {
            b.iter(|| Document::parse(black_box(&bytes)).unwrap())
        });
        let doc = Document::parse(&bytes).unwrap();
        let assertion = doc
            .root()
            .child_elements()
            .find(|e| e.name() == "Assertion")
            .unwrap();
        let mut out = Vec::with_capacity(bytes.len());
        c.bench_function(&format!("{backend}/c14n_{label}"), |b| {
            b.iter(|| {
                out.clear();
                Method::exclusive()
                    .canonicalize(black_box(assertion), None, &mut out)
                    .unwrap();
            })
        });
        c.bench_function(&format!("{backend}/parse_and_verify_{label}"), |b| {
            b.iter(|| {
                let doc = Document::parse(black_box(&bytes)).unwrap();
                let a = doc
                    .root()
                    .child_elements()
                    .find(|e| e.name() == "Assertion")
                    .unwrap();
                verify_enveloped(a, &keys, &policy)
                    .unwrap()
                    .signature_info()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
