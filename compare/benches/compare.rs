//! Gatehouse beside the libraries users would pick instead, on the same fixtures, in one process.
//!
//! Each group (one operation on one fixture) holds ours, the peers and the limits (raw RSA-2048 verify with
//! each backend, SHA-256 over the fixture, a quick-xml event scan). The cases of a group are timed
//! interleaved, in thread CPU time: every round times a batch of each case in turn, so load from other
//! processes (cache and frequency effects; time spent descheduled is not counted) falls on all of
//! them alike; times are medians over the rounds and ratios are medians of the per-round ratios.
//!
//! Before a peer is timed it must accept the fixture and refuse a tampered copy (one byte changed inside the
//! signed content, or in the token's signature); a peer that fails either check is listed with the reason and
//! no time. SCIM peers are timed over all twenty filters and listed with how many they get right.
//!
//! Run through `compare/run.sh`, which runs this twice (cargo unifies features of one package in one build,
//! so our aws-lc and rust-crypto builds cannot share a binary) and prints the merged table.
//! Environment: `COMPARE_OUT` (write rows as TSV), `COMPARE_PREVIOUS` (TSV rows of an earlier run to print
//! with these), `COMPARE_ROUNDS` (default 301), `COMPARE_BATCH_MS` (default 2).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use cpu_time::ThreadTime;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};

const OURS_BACKEND: &str = if cfg!(feature = "rust-crypto") {
    "rust-crypto"
} else {
    "aws-lc"
};
const RAW_AWS: &str = "raw RSA-2048 verify (aws-lc-rs)";
const RAW_RC: &str = "raw RSA-2048 verify (rsa crate)";

fn root(rel: &str) -> String {
    format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"))
}
fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}
fn read_str(rel: &str) -> String {
    String::from_utf8(read(rel)).unwrap()
}

// ---------------------------------------------------------------------------------------------- timing

type Run<'a> = Box<dyn FnMut() + 'a>;

/// One row of the table.
#[derive(Clone, Debug)]
struct Row {
    group: String,
    name: String,
    /// Median ns per operation; None when not timed (see `note`).
    median_ns: Option<f64>,
    ratio_ours: Option<f64>,
    ratio_limit: Option<f64>,
    limit: String,
    note: String,
}

struct Case<'a> {
    name: String,
    /// Name of the limit this case is divided by (a case of the same group), or "".
    limit: &'static str,
    run: Option<Run<'a>>,
    note: String,
}

struct Group<'a> {
    name: String,
    /// Name of our case in this group (ratios to ours divide by it).
    ours: String,
    cases: Vec<Case<'a>>,
}

impl<'a> Group<'a> {
    fn new(name: impl Into<String>) -> Self {
        Group {
            name: name.into(),
            ours: format!("gatehouse ({OURS_BACKEND})"),
            cases: Vec::new(),
        }
    }
    fn add(&mut self, name: impl Into<String>, limit: &'static str, run: impl FnMut() + 'a) {
        self.cases.push(Case {
            name: name.into(),
            limit,
            run: Some(Box::new(run)),
            note: String::new(),
        });
    }
    fn add_noted(
        &mut self,
        name: impl Into<String>,
        limit: &'static str,
        note: impl Into<String>,
        run: impl FnMut() + 'a,
    ) {
        self.add(name, limit, run);
        self.cases.last_mut().unwrap().note = note.into();
    }
    /// A peer that is listed but not timed, with the reason.
    fn skip(&mut self, name: impl Into<String>, why: impl Into<String>) {
        self.cases.push(Case {
            name: name.into(),
            limit: "",
            run: None,
            note: why.into(),
        });
    }
    /// Adds `run` if `check` (accepts the fixture, refuses the tampered copy) passed, else lists why not.
    fn checked(
        &mut self,
        name: impl Into<String>,
        limit: &'static str,
        check: Result<(), String>,
        run: impl FnMut() + 'a,
    ) {
        match check {
            Ok(()) => self.add(name, limit, run),
            Err(why) => self.skip(name, why),
        }
    }

    fn measure(mut self, rounds: usize, batch_ms: f64) -> Vec<Row> {
        eprintln!("timing {} ({} cases)", self.name, self.cases.len());
        // Calibrate: iterations per batch so that one batch takes about `batch_ms`.
        let mut iters = Vec::new();
        for case in &mut self.cases {
            let Some(run) = case.run.as_mut() else {
                iters.push(0);
                continue;
            };
            run(); // warm up
            let mut n = 1u64;
            loop {
                let t = ThreadTime::now();
                for _ in 0..n {
                    run();
                }
                let ms = t.elapsed().as_secs_f64() * 1e3;
                if ms > batch_ms / 4.0 || n > 1 << 24 {
                    iters.push(((n as f64) * batch_ms / ms.max(1e-6)).ceil().max(1.0) as u64);
                    break;
                }
                n *= 4;
            }
        }
        let mut per_round: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); self.cases.len()];
        for _ in 0..rounds {
            for (i, case) in self.cases.iter_mut().enumerate() {
                let Some(run) = case.run.as_mut() else {
                    continue;
                };
                let t = ThreadTime::now();
                for _ in 0..iters[i] {
                    run();
                }
                per_round[i].push(t.elapsed().as_secs_f64() * 1e9 / iters[i] as f64);
            }
        }
        let index = |name: &str| self.cases.iter().position(|c| c.name == name);
        let ratio = |i: usize, j: Option<usize>| -> Option<f64> {
            let j = j?;
            if per_round[i].is_empty() || per_round[j].is_empty() {
                return None;
            }
            Some(median(
                per_round[i]
                    .iter()
                    .zip(&per_round[j])
                    .map(|(a, b)| a / b)
                    .collect(),
            ))
        };
        let ours = index(&self.ours);
        self.cases
            .iter()
            .enumerate()
            .map(|(i, c)| Row {
                group: self.name.clone(),
                name: c.name.clone(),
                median_ns: (!per_round[i].is_empty()).then(|| median(per_round[i].clone())),
                ratio_ours: ratio(i, ours),
                ratio_limit: if c.limit.is_empty() {
                    None
                } else {
                    ratio(i, index(c.limit))
                },
                limit: c.limit.to_string(),
                note: c.note.clone(),
            })
            .collect()
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Fails unless `genuine` is accepted and `tampered` refused.
fn accept_refuse<E: std::fmt::Debug>(
    genuine: Result<(), E>,
    tampered: Result<(), E>,
) -> Result<(), String> {
    match (genuine, tampered) {
        (Ok(()), Err(_)) => Ok(()),
        (Err(e), _) => Err(format!("NOT TIMED: refuses the genuine fixture: {e:?}")),
        (Ok(()), Ok(())) => Err("NOT TIMED: accepts the tampered copy".into()),
    }
}

// ---------------------------------------------------------------------------------------------- limits

struct Limits {
    aws_key: aws_lc_rs::signature::UnparsedPublicKey<Vec<u8>>,
    rc_key: rsa::pkcs1v15::VerifyingKey<sha2::Sha256>,
    msg: [u8; 32],
    sig: Vec<u8>,
}

impl Limits {
    /// The limits use the key pair whose public half verifies the fixture.
    fn new(private_pem: &str) -> Self {
        use rsa::pkcs1::EncodeRsaPublicKey as _;
        use rsa::pkcs8::DecodePrivateKey as _;
        use rsa::signature::Signer as _;
        let private = rsa::PrivateKey::from_pkcs8_pem(private_pem)
            .or_else(|_| {
                use rsa::pkcs1::DecodeRsaPrivateKey as _;
                rsa::PrivateKey::from_pkcs1_pem(private_pem)
            })
            .unwrap();
        let public = private.to_public_key();
        let msg = [7u8; 32];
        let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private);
        let sig: rsa::pkcs1v15::Signature = signer.sign(&msg);
        let limits = Limits {
            aws_key: aws_lc_rs::signature::UnparsedPublicKey::new(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                public.to_pkcs1_der().unwrap().as_bytes().to_vec(),
            ),
            rc_key: rsa::pkcs1v15::VerifyingKey::new(public),
            msg,
            sig: Box::<[u8]>::from(sig).into_vec(),
        };
        assert!(limits.aws());
        assert!(limits.rc());
        limits
    }
    fn aws(&self) -> bool {
        self.aws_key
            .verify(black_box(&self.msg), black_box(&self.sig))
            .is_ok()
    }
    fn rc(&self) -> bool {
        use rsa::signature::Verifier as _;
        let sig = rsa::pkcs1v15::Signature::try_from(black_box(&self.sig[..])).unwrap();
        self.rc_key.verify(black_box(&self.msg), &sig).is_ok()
    }
    fn add_to<'a>(&'a self, g: &mut Group<'a>) {
        g.add(RAW_AWS, "", || assert!(self.aws()));
        g.add(RAW_RC, "", || assert!(self.rc()));
    }
}

fn add_byte_limits<'a>(g: &mut Group<'a>, xml: &'a [u8]) {
    use sha2::Digest as _;
    g.add("SHA-256 over the fixture (aws-lc-rs)", "", move || {
        black_box(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            black_box(xml),
        ));
    });
    g.add("SHA-256 over the fixture (sha2)", "", move || {
        black_box(sha2::Sha256::digest(black_box(xml)));
    });
    g.add("quick-xml event scan", "", move || {
        let mut reader = quick_xml::Reader::from_reader(black_box(xml));
        let mut events = 0u32;
        loop {
            match reader.read_event().unwrap() {
                quick_xml::events::Event::Eof => break,
                _ => events += 1,
            }
        }
        black_box(events);
    });
}

/// A SAML fixture: label, XML, tampered XML, and both as the base64 form value.
type Fixture = (&'static str, Vec<u8>, Vec<u8>, String, String);

/// The fixture with one byte of the signed assertion changed (the first character of the NameID).
fn tamper_xml(xml: &[u8]) -> Vec<u8> {
    let s = std::str::from_utf8(xml).unwrap();
    let start = s.find("NameID ").expect("fixture has a NameID");
    let text = start + s[start..].find('>').unwrap() + 1;
    let mut out = xml.to_vec();
    out[text] = if out[text] == b'x' { b'y' } else { b'x' };
    out
}

// ---------------------------------------------------------------------------------------------- SAML

const NOW: (i32, u32, u32, u32) = (2026, 1, 15, 10);
const SP_ENTITY: &str = "urn:auth0:layer-stack-app:acme";
const ACS: &str = "https://auth.app.layer.ai/login/callback?connection=acme";
const IDP_ENTITY: &str = "http://www.okta.com/exk1abcdEXAMPLE";
const REQUEST_ID: &str = "_req-7f3c2a";

struct NoReplay;
impl gatehouse_saml::ReplayCache for NoReplay {
    fn insert_if_absent(&self, _: &str, _: DateTime<Utc>, _: DateTime<Utc>) -> bool {
        true
    }
}

struct Ours {
    sp: gatehouse_saml::ServiceProvider,
    idp: gatehouse_saml::IdentityProvider,
    keys: gatehouse_xml::PinnedKeys,
    policy: gatehouse_xml::VerifyPolicy,
    now: DateTime<Utc>,
    requests: gatehouse_saml::InMemoryRequestStore,
}

impl Ours {
    fn new() -> Self {
        let certs = read_str("testdata/keys/idp.crt");
        let now = Utc
            .with_ymd_and_hms(NOW.0, NOW.1, NOW.2, NOW.3, 0, 0)
            .unwrap();
        Ours {
            sp: gatehouse_saml::ServiceProvider::new(SP_ENTITY, ACS),
            idp: gatehouse_saml::IdentityProvider {
                entity_id: IDP_ENTITY.into(),
                sso_url: "https://acme.okta.com/sso".into(),
                sso_binding: gatehouse_saml::Binding::HttpRedirect,
                certificates: gatehouse_xml::PinnedKeys::from_pem(&certs).unwrap(),
                want_authn_requests_signed: false,
                policy: gatehouse_saml::ConnectionPolicy::default(),
            },
            keys: gatehouse_xml::PinnedKeys::from_pem(&certs).unwrap(),
            policy: gatehouse_xml::VerifyPolicy::strict(),
            now,
            requests: gatehouse_saml::InMemoryRequestStore::default(),
        }
    }

    /// End to end: base64 form value → verified assertion, every check (the request is re-registered
    /// each time, as a login would).
    fn end_to_end(&self, posted: &str) -> Result<(), String> {
        use gatehouse_saml::RequestStore as _;
        self.requests.insert(gatehouse_saml::PendingRequest {
            id: REQUEST_ID.into(),
            connection: "acme".into(),
            issued_at: self.now,
            expires_at: self.now + chrono::Duration::minutes(5),
        });
        gatehouse_saml::validate_response(
            &self.sp,
            &self.idp,
            "acme",
            black_box(posted),
            self.now,
            &self.requests,
            &NoReplay,
        )
        .map(|a| {
            black_box(a);
        })
        .map_err(|e| format!("{e:?}"))
    }

    /// Signature only: parse and verify the enveloped signature of the Assertion.
    fn signature(&self, xml: &[u8]) -> Result<(), String> {
        let doc = gatehouse_xml::Document::parse(black_box(xml)).map_err(|e| format!("{e:?}"))?;
        let assertion = doc
            .root()
            .child_elements()
            .find(|e| e.name() == "Assertion")
            .ok_or("no Assertion")?;
        gatehouse_xml::verify_enveloped(assertion, &self.keys, &self.policy)
            .map(|v| {
                black_box(v.signature_info());
            })
            .map_err(|e| format!("{e:?}"))
    }
}

#[cfg(feature = "xmlsec-peers")]
mod samael_peer {
    use super::*;
    use samael::crypto::{CertificateDer, CryptoProvider as _, XmlSec};

    pub(crate) struct Samael {
        sp: samael::service_provider::ServiceProvider,
        cert: CertificateDer,
    }

    impl Samael {
        pub(crate) fn new() -> Result<Self, String> {
            let metadata: samael::metadata::EntityDescriptor =
                read_str("testdata/saml/metadata/okta-idp.xml")
                    .parse()
                    .map_err(|e| format!("metadata: {e:?}"))?;
            // samael reads the system clock: widen its windows so the fixture (issued 2026-01-15) stays
            // valid; the checks still run.
            let years = chrono::Duration::days(3650);
            let sp = samael::service_provider::ServiceProviderBuilder::default()
                .entity_id(SP_ENTITY.to_string())
                .acs_url(ACS.to_string())
                .idp_metadata(metadata)
                .allow_idp_initiated(false)
                .max_issue_delay(years)
                .max_clock_skew(years)
                .build()
                .map_err(|e| format!("{e:?}"))?;
            let cert = CertificateDer::from(read("testdata/keys/idp.der"));
            Ok(Samael { sp, cert })
        }

        /// samael end to end: base64 → xmlsec reduce-to-signed → serde → checks.
        pub(crate) fn end_to_end(&self, posted: &str) -> Result<(), String> {
            self.sp
                .parse_base64_response(black_box(posted), Some(&[REQUEST_ID]))
                .map(|a| {
                    black_box(a);
                })
                .map_err(|e| e.to_string())
        }

        /// samael's signature step alone: xmlsec verify of every signature and reduction of the
        /// document to the signed content (what `parse_xml_response` does before serde).
        pub(crate) fn reduce(&self, xml: &str) -> Result<(), String> {
            XmlSec::reduce_xml_to_signed(
                black_box(xml),
                std::slice::from_ref(&self.cert),
                samael::crypto::ReduceMode::default(),
            )
            .map(|s| {
                black_box(s);
            })
            .map_err(|e| e.to_string())
        }

        /// libxmlsec1 signature only (through samael's thin wrapper): libxml2 parse, ID attribute
        /// registration, xmlSecDSigCtxVerify on the signature.
        pub(crate) fn xmlsec_verify(&self, xml: &[u8]) -> Result<(), String> {
            XmlSec::verify_signed_xml(black_box(xml), &self.cert, Some("ID"))
                .map_err(|e| e.to_string())
        }
    }
}

fn saml_groups<'a>(
    ours: &'a Ours,
    limits: &'a Limits,
    fixtures: &'a [Fixture],
    #[cfg(feature = "xmlsec-peers")] samael: &'a Result<samael_peer::Samael, String>,
    with_peers: bool,
) -> Vec<Group<'a>> {
    let mut groups = Vec::new();
    for (label, xml, tampered, posted, posted_tampered) in fixtures {
        let mut g = Group::new(format!("SAML end to end, {label}"));
        let check = accept_refuse(ours.end_to_end(posted), ours.end_to_end(posted_tampered));
        g.checked(g.ours.clone(), RAW_AWS_OR_RC, check, || {
            ours.end_to_end(posted).unwrap()
        });
        if with_peers {
            #[cfg(feature = "xmlsec-peers")]
            match samael {
                Ok(s) => {
                    let check = accept_refuse(s.end_to_end(posted), s.end_to_end(posted_tampered));
                    g.checked(
                        "samael 0.0.22 (libxmlsec1, OpenSSL)",
                        RAW_AWS,
                        check,
                        || s.end_to_end(posted).unwrap(),
                    );
                    // libxmlsec1's signature check alone, for the "ours end to end vs their
                    // signature only" ratio measured in the same rounds.
                    let check = accept_refuse(s.xmlsec_verify(xml), s.xmlsec_verify(tampered));
                    g.checked(
                        "libxmlsec1 1.2.37 verify only (OpenSSL)",
                        RAW_AWS,
                        check,
                        || s.xmlsec_verify(xml).unwrap(),
                    );
                }
                Err(e) => g.skip("samael 0.0.22", format!("NOT BUILT: {e}")),
            }
            #[cfg(not(feature = "xmlsec-peers"))]
            g.skip("samael 0.0.22", NO_XMLSEC);
        }
        limits.add_to(&mut g);
        add_byte_limits(&mut g, xml);
        groups.push(g);

        if *label == "both signed, 8 KB" {
            continue; // signature-only rows: one signature per document
        }
        let mut g = Group::new(format!("XML signature only, {label}"));
        let check = accept_refuse(ours.signature(xml), ours.signature(tampered));
        g.checked(g.ours.clone(), RAW_AWS_OR_RC, check, || {
            ours.signature(xml).unwrap()
        });
        if with_peers {
            #[cfg(feature = "xmlsec-peers")]
            match samael {
                Ok(s) => {
                    let xs = std::str::from_utf8(xml).unwrap();
                    let ts = std::str::from_utf8(tampered).unwrap();
                    let check = accept_refuse(s.reduce(xs), s.reduce(ts));
                    g.checked(
                        "samael reduce_xml_to_signed (libxmlsec1)",
                        RAW_AWS,
                        check,
                        move || s.reduce(xs).unwrap(),
                    );
                    let check = accept_refuse(s.xmlsec_verify(xml), s.xmlsec_verify(tampered));
                    g.checked("libxmlsec1 1.2.37 verify (OpenSSL)", RAW_AWS, check, || {
                        s.xmlsec_verify(xml).unwrap()
                    });
                }
                Err(e) => g.skip("samael / libxmlsec1", format!("NOT BUILT: {e}")),
            }
            #[cfg(not(feature = "xmlsec-peers"))]
            g.skip("samael / libxmlsec1", NO_XMLSEC);
        }
        limits.add_to(&mut g);
        add_byte_limits(&mut g, xml);
        groups.push(g);
    }
    groups
}

#[cfg(not(feature = "xmlsec-peers"))]
const NO_XMLSEC: &str =
    "NOT BUILT: run without the xmlsec-peers feature (needs libxml2-dev, libxmlsec1-dev, libclang)";

/// The raw-crypto limit of our backend.
const RAW_AWS_OR_RC: &str = if cfg!(feature = "rust-crypto") {
    RAW_RC
} else {
    RAW_AWS
};

// ---------------------------------------------------------------------------------------------- OIDC

const OIDC_NOW: i64 = 1_800_000_000;
const ISSUER: &str = "https://acme.okta.com";
const CLIENT: &str = "0oa1client";
const NONCE: &str = "n-0S6_WzA2Mj";

struct Oidc {
    token: String,
    tampered: String,
    jwks_json: Vec<u8>,
    conn: gatehouse_oidc::OidcConnection,
    jwks: gatehouse_oidc::JwksCache,
    jwt_keys: HashMap<String, jsonwebtoken::DecodingKey>,
    oic: openidconnect::core::CoreIdTokenVerifier<'static>,
}

/// An Okta-shaped RS256 ID token signed with the second key of a two-key JWKS (keys from
/// crates/oidc/tests/data), so lookup by `kid` is exercised.
fn oidc_fixture() -> Oidc {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let mut jwks = Vec::new();
    let mut signing = None;
    for (kid, file) in [("k1", "rsa-2048-a.pem"), ("k2", "rsa-2048-b.pem")] {
        let key =
            EncodingKey::from_rsa_pem(&read(&format!("crates/oidc/tests/data/{file}"))).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(kid.into());
        let mut v = serde_json::to_value(&jwk).unwrap();
        v["use"] = "sig".into();
        jwks.push(v);
        signing = Some(key);
    }
    let jwks_json = serde_json::to_vec(&serde_json::json!({ "keys": jwks })).unwrap();
    let claims = serde_json::json!({
        "sub": "00u1a2b3c4d5e6f7g8h9", "name": "Ada Lovelace", "email": "ada@acme.com", "ver": 1,
        "iss": ISSUER, "aud": CLIENT, "iat": OIDC_NOW, "exp": OIDC_NOW + 3600,
        "jti": "ID.4eAWJOCMB3SX8XewDfVR", "amr": ["pwd"], "idp": "00o1idp", "nonce": NONCE,
        "preferred_username": "ada@acme.com", "auth_time": OIDC_NOW - 5
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k2".into());
    let token = jsonwebtoken::encode(&header, &claims, &signing.unwrap()).unwrap();
    // Tampered: one character in the middle of the signature changed.
    let mut tampered = token.clone().into_bytes();
    let mid = token.rfind('.').unwrap() + 100;
    tampered[mid] = if tampered[mid] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    let now = DateTime::from_timestamp(OIDC_NOW, 0).unwrap();
    let mut cache = gatehouse_oidc::JwksCache::new(60);
    cache.update(&jwks_json, Some("max-age=3600"), now).unwrap();
    let conn = gatehouse_oidc::OidcConnection::new(
        ISSUER,
        CLIENT,
        gatehouse_oidc::ClientSecret::new("unused"),
        "https://auth.example.com/login/callback",
    )
    .unwrap();
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&jwks_json).unwrap();
    let jwt_keys = set
        .keys
        .iter()
        .map(|k| {
            (
                k.common.key_id.clone().unwrap(),
                jsonwebtoken::DecodingKey::from_jwk(k).unwrap(),
            )
        })
        .collect();
    let oic_jwks: openidconnect::core::CoreJsonWebKeySet =
        serde_json::from_slice(&jwks_json).unwrap();
    let oic = openidconnect::core::CoreIdTokenVerifier::new_public_client(
        openidconnect::ClientId::new(CLIENT.into()),
        openidconnect::IssuerUrl::new(ISSUER.into()).unwrap(),
        oic_jwks,
    )
    .set_time_fn(move || now);
    Oidc {
        token,
        tampered,
        jwks_json,
        conn,
        jwks: cache,
        jwt_keys,
        oic,
    }
}

impl Oidc {
    fn ours(&self, token: &str) -> Result<(), String> {
        let checks = gatehouse_oidc::IdTokenChecks {
            nonce: NONCE,
            max_age_secs: None,
            access_token: None,
            code: None,
        };
        let now = DateTime::from_timestamp(OIDC_NOW, 0).unwrap();
        gatehouse_oidc::VerifiedIdToken::verify(
            gatehouse_oidc::IdToken::new(black_box(token).to_string()),
            &self.conn,
            &self.jwks,
            &checks,
            now,
        )
        .map(|v| {
            black_box(v);
        })
        .map_err(|e| format!("{e:?}"))
    }

    /// jsonwebtoken: header → key by kid (decoded keys cached) → decode with iss, aud, exp checks; the
    /// nonce compared after, as an application must.
    fn jsonwebtoken(&self, token: &str) -> Result<(), String> {
        let header = jsonwebtoken::decode_header(black_box(token)).map_err(|e| e.to_string())?;
        let key = self
            .jwt_keys
            .get(header.kid.as_deref().ok_or("no kid")?)
            .ok_or("unknown kid")?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[CLIENT]);
        // jsonwebtoken reads the system clock; the fixture expires in 2027, so exp is still checked.
        let data = jsonwebtoken::decode::<serde_json::Value>(token, key, &validation)
            .map_err(|e| e.to_string())?;
        if data.claims["nonce"] != NONCE {
            return Err("nonce".into());
        }
        black_box(data);
        Ok(())
    }

    /// openidconnect: parse the compact JWT and `claims()` with the verifier (signature by kid, iss, aud,
    /// exp, iat against a fixed clock, nonce).
    fn openidconnect(&self, token: &str) -> Result<(), String> {
        let id: openidconnect::core::CoreIdToken =
            black_box(token).parse().map_err(|e| format!("{e:?}"))?;
        let claims = id
            .claims(&self.oic, &openidconnect::Nonce::new(NONCE.into()))
            .map_err(|e| e.to_string())?;
        black_box(claims.subject());
        Ok(())
    }
}

fn oidc_group<'a>(o: &'a Oidc, limits: &'a Limits, with_peers: bool) -> Group<'a> {
    let mut g = Group::new("OIDC RS256 ID token, two-key JWKS");
    let check = accept_refuse(o.ours(&o.token), o.ours(&o.tampered));
    g.checked(g.ours.clone(), RAW_AWS_OR_RC, check, || {
        o.ours(&o.token).unwrap()
    });
    let check = accept_refuse(o.jsonwebtoken(&o.token), o.jsonwebtoken(&o.tampered));
    let jwt_backend = if cfg!(feature = "rust-crypto") {
        "rust_crypto"
    } else {
        "aws_lc_rs"
    };
    g.checked(
        format!("jsonwebtoken 12 ({jwt_backend})"),
        RAW_AWS_OR_RC,
        check,
        || o.jsonwebtoken(&o.token).unwrap(),
    );
    if with_peers {
        let check = accept_refuse(o.openidconnect(&o.token), o.openidconnect(&o.tampered));
        g.checked(
            "openidconnect 4 IdTokenVerifier (rsa crate)",
            RAW_RC,
            check,
            || o.openidconnect(&o.token).unwrap(),
        );
    }
    black_box(&o.jwks_json);
    limits.add_to(&mut g);
    g
}

// ---------------------------------------------------------------------------------------------- SCIM

/// Twenty filters an IdP or admin tool sends, with the expected result on the RFC 7643 §8.2 user
/// (`crates/scim/tests/it/data/rfc7643_full_user.json`), checked by hand against that document.
const FILTERS: [(&str, bool); 20] = [
    (r#"userName eq "bjensen@example.com""#, true),
    (r#"userName Eq "BJensen@Example.com""#, true),
    (r#"emails co "example.com""#, true),
    (
        r#"emails[type eq "work"].value eq "bjensen@example.com""#,
        true,
    ),
    (r#"externalId eq "701984""#, true),
    (r#"id eq "2819c223-7f76-453a-919d-413861904646""#, true),
    (r#"displayName eq "Babs Jensen""#, true),
    (r#"name.familyName co "O'Malley""#, false),
    (r#"userName sw "J""#, false),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "b""#,
        true,
    ),
    ("title pr", true),
    (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
    (r#"meta.lastModified ge "2011-05-13T06:42:34+02:00""#, true),
    (r#"title pr and userType eq "Employee""#, true),
    (r#"title pr or userType eq "Intern""#, true),
    (
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        true,
    ),
    (
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        false,
    ),
    (
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        true,
    ),
    (
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        true,
    ),
    (
        r#"active eq true and not (userName ew "@example.org")"#,
        true,
    ),
];

fn scim_groups<'a>(user: &'a serde_json::Value, users: &'a [serde_json::Value]) -> Vec<Group<'a>> {
    use gatehouse_scim::filter::parse_filter;
    let schema = gatehouse_scim::schema::ResourceSchema::user();
    let ours_eval = |f: &str| parse_filter(f).map(|p| p.matches(user, schema)).ok();
    let theirs_eval = |f: &str| {
        scim_filter::scim_filter(f, users.iter())
            .ok()
            .map(|v| !v.is_empty())
    };
    let count = |eval: &dyn Fn(&str) -> Option<bool>| {
        let wrong: Vec<&str> = FILTERS
            .iter()
            .filter(|(f, want)| eval(f) != Some(*want))
            .map(|(f, _)| *f)
            .collect();
        for f in &wrong {
            eprintln!("  wrong or refused: {f}");
        }
        20 - wrong.len()
    };
    eprintln!("gatehouse-scim:");
    let ours_ok = count(&ours_eval);
    eprintln!("scim-filter:");
    let theirs_ok = count(&theirs_eval);

    let mut g = Group::new("SCIM parse + evaluate, 20 filters, RFC 7643 user (time for all 20)");
    g.ours = "gatehouse-scim".into();
    g.add_noted(
        "gatehouse-scim",
        "",
        format!("{ours_ok}/20 correct"),
        move || {
            for (f, _) in FILTERS {
                black_box(ours_eval(black_box(f)));
            }
        },
    );
    g.add_noted(
        "scim-filter 0.2.3",
        "",
        format!("{theirs_ok}/20 correct"),
        move || {
            for (f, _) in FILTERS {
                black_box(theirs_eval(black_box(f)));
            }
        },
    );
    let mut p = Group::new("SCIM parse only, 20 filters (time for all 20)");
    p.ours = "gatehouse-scim".into();
    p.add_noted("gatehouse-scim", "", "20/20 parsed", || {
        for (f, _) in FILTERS {
            let _ = black_box(parse_filter(black_box(f)));
        }
    });
    let parsed = FILTERS
        .iter()
        .filter(|(f, _)| f.parse::<scim_v2::filter::Filter>().is_ok())
        .count();
    p.add_noted(
        "scim_v2 1.0 (parses, does not evaluate)",
        "",
        format!("{parsed}/20 parsed"),
        || {
            for (f, _) in FILTERS {
                let _ = black_box(black_box(f).parse::<scim_v2::filter::Filter>());
            }
        },
    );
    vec![g, p]
}

// ---------------------------------------------------------------------------------------------- table

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn to_tsv(rows: &[Row]) -> String {
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    rows.iter().fold(String::new(), |mut s, r| {
        writeln!(
            s,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.group,
            r.name,
            opt(r.median_ns),
            opt(r.ratio_ours),
            opt(r.ratio_limit),
            r.limit,
            r.note
        )
        .unwrap();
        s
    })
}

fn from_tsv(text: &str) -> Vec<Row> {
    let opt = |s: &str| s.parse::<f64>().ok();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Row {
                group: c[0].into(),
                name: c[1].into(),
                median_ns: opt(c[2]),
                ratio_ours: opt(c[3]),
                ratio_limit: opt(c[4]),
                limit: c[5].into(),
                note: c[6].into(),
            }
        })
        .collect()
}

/// A Markdown table; groups in first-seen order, rows of a later run placed after the same group's rows.
fn table(rows: &[Row]) -> String {
    let mut groups: Vec<&str> = Vec::new();
    for r in rows {
        if !groups.contains(&r.group.as_str()) {
            groups.push(&r.group);
        }
    }
    let mut s = String::from(
        "| operation | implementation | median | × ours | × raw RSA limit | note |\n|---|---|---:|---:|---:|---|\n",
    );
    let ratio = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into());
    for g in groups {
        let mut seen = std::collections::HashSet::new();
        for r in rows.iter().filter(|r| r.group == g) {
            // Limits appear in both runs: keep the first.
            let is_limit = r.name.starts_with("raw ")
                || r.name.starts_with("SHA-256")
                || r.name.starts_with("quick-xml");
            if is_limit && !seen.insert(r.name.clone()) {
                continue;
            }
            let limit = if r.limit.is_empty() {
                String::new()
            } else if r.limit == RAW_AWS {
                " (aws-lc)".into()
            } else {
                " (rsa)".into()
            };
            writeln!(
                s,
                "| {} | {} | {} | {} | {}{} | {} |",
                r.group,
                r.name,
                r.median_ns.map(fmt_ns).unwrap_or_else(|| "–".into()),
                ratio(r.ratio_ours),
                ratio(r.ratio_limit),
                if r.ratio_limit.is_some() {
                    limit
                } else {
                    String::new()
                },
                r.note
            )
            .unwrap();
        }
    }
    s
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let rounds: usize = std::env::var("COMPARE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(301);
    let batch_ms: f64 = std::env::var("COMPARE_BATCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    // Peers that do not depend on our backend run once, in the aws-lc run.
    let with_peers = OURS_BACKEND == "aws-lc";
    let only: Option<String> = std::env::var("COMPARE_ONLY").ok();

    let ours = Ours::new();
    let saml_limits = Limits::new(&read_str("testdata/keys/idp.key"));
    let fixtures: Vec<Fixture> = [
        ("assertion signed, 6 KB", "accept-assertion-signed"),
        ("both signed, 8 KB", "accept-both-signed"),
        (
            "assertion signed, 100 values, 26 KB",
            "accept-assertion-signed-100-values",
        ),
    ]
    .into_iter()
    .map(|(label, case)| {
        let xml = read(&format!("testdata/saml/{case}/response.xml"));
        let tampered = tamper_xml(&xml);
        let b64 = base64::engine::general_purpose::STANDARD;
        let (posted, posted_t) = (b64.encode(&xml), b64.encode(&tampered));
        (label, xml, tampered, posted, posted_t)
    })
    .collect();
    // Profiling aid (valgrind --tool=callgrind): COMPARE_PROFILE=saml|sig|raw[:fixture index] runs one of ours 1000 times.
    if let Ok(what) = std::env::var("COMPARE_PROFILE") {
        // `saml:2` / `sig:2`: the same on the third fixture (26 KB).
        let (what, index) = what.split_once(':').unwrap_or((&what, "0"));
        let (_, xml, _, posted, _) = &fixtures[index.parse::<usize>().unwrap()];
        for _ in 0..1000 {
            match what {
                "saml" => ours.end_to_end(posted).unwrap(),
                "sig" => ours.signature(xml).unwrap(),
                _ => assert!(saml_limits.aws()),
            }
        }
        return;
    }
    #[cfg(feature = "xmlsec-peers")]
    let samael = samael_peer::Samael::new();

    let oidc = oidc_fixture();
    let oidc_limits = Limits::new(&read_str("crates/oidc/tests/data/rsa-2048-b.pem"));

    let user: serde_json::Value = serde_json::from_str(&read_str(
        "crates/scim/tests/it/data/rfc7643_full_user.json",
    ))
    .unwrap();
    let users = vec![user.clone()];

    let mut groups = saml_groups(
        &ours,
        &saml_limits,
        &fixtures,
        #[cfg(feature = "xmlsec-peers")]
        &samael,
        with_peers,
    );
    groups.push(oidc_group(&oidc, &oidc_limits, with_peers));
    if with_peers {
        groups.extend(scim_groups(&user, &users));
    }

    let mut rows = Vec::new();
    for g in groups {
        if only.as_deref().is_some_and(|o| !g.name.contains(o)) {
            continue;
        }
        rows.extend(g.measure(rounds, batch_ms));
    }
    if OURS_BACKEND == "rust-crypto" {
        for r in &mut rows {
            r.note = if r.note.is_empty() {
                "run 2".into()
            } else {
                format!("run 2; {}", r.note)
            };
        }
    }
    if let Ok(path) = std::env::var("COMPARE_OUT") {
        std::fs::write(path, to_tsv(&rows)).unwrap();
    }
    let mut all = std::env::var("COMPARE_PREVIOUS")
        .ok()
        .map(|p| from_tsv(&std::fs::read_to_string(p).unwrap()))
        .unwrap_or_default();
    all.extend(rows);
    println!("{}", table(&all));
}
