//! Building connections from the fixtures' params.json.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use gatehouse_saml::{Binding, ConnectionPolicy, IdentityProvider, ServiceProvider, SpKey};
use gatehouse_xml::PinnedKeys;
use serde_json::Value;

pub(crate) fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(rel)
}

pub(crate) fn read(rel: &str) -> Vec<u8> {
    let p = testdata(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

pub(crate) fn json(rel: &str) -> Value {
    serde_json::from_slice(&read(rel)).unwrap()
}

pub(crate) fn text(rel: &str) -> String {
    String::from_utf8(read(rel)).unwrap()
}

pub(crate) fn sp_key() -> Arc<SpKey> {
    Arc::new(SpKey::from_pem(&text("keys/sp.key"), &text("keys/sp.crt")).unwrap())
}

/// The SP and IdP a case's params.json describes (the SP can decrypt with sp.key).
pub(crate) fn connection(params: &Value) -> (ServiceProvider, IdentityProvider, DateTime<Utc>) {
    let mut sp = ServiceProvider::new(
        params["sp_entity_id"].as_str().unwrap(),
        params["acs_url"].as_str().unwrap(),
    );
    if let Some(skew) = params["clock_skew_seconds"].as_i64() {
        sp.clock_skew_seconds = skew;
    }
    sp.decryption_key = Some(sp_key());
    let pem: String = params["pinned_certs"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| text(&format!("keys/{}", c.as_str().unwrap())))
                .collect()
        })
        .unwrap_or_else(|| text("keys/idp.crt"));
    let policy = &params["policy"];
    let idp = IdentityProvider {
        entity_id: params["idp_entity_id"].as_str().unwrap().into(),
        sso_url: "https://acme.okta.com/app/acme_layerstackapp_1/exk1abcdEXAMPLE/sso/saml".into(),
        sso_binding: Binding::HttpRedirect,
        certificates: PinnedKeys::from_pem(&pem).unwrap(),
        want_authn_requests_signed: false,
        policy: ConnectionPolicy {
            allow_unsolicited: policy["allow_unsolicited"].as_bool().unwrap_or(false),
            require_signed_assertion: policy["require_assertion_signed"]
                .as_bool()
                .unwrap_or(false),
            allow_sha1: policy["allow_sha1"].as_bool().unwrap_or(false),
        },
    };
    let now = params["now"].as_str().unwrap().parse().unwrap();
    (sp, idp, now)
}
