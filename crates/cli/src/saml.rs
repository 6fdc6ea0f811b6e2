//! `gatehouse saml verify | metadata | sp-metadata | authn-request`: thin calls into gatehouse-saml.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatehouse_saml::time::format_instant;
use gatehouse_saml::{
    Binding, ConnectionPolicy, FixSide, IdentityProvider, InMemoryReplayCache,
    InMemoryRequestStore, PendingRequest, ReplayCache as _, RequestOptions, RequestStore as _,
    ServiceProvider, SpKey, VerifiedAssertion, authn_request, check_response, parse_idp_metadata,
    sp_metadata,
};
use gatehouse_xml::{KeyType, PinnedKey, PinnedKeys};
use serde_json::{Value, json};

use crate::input;
use crate::output::{Failure, Output, REFUSED, Style, USAGE};

/// The connection name the one-shot verification files its outstanding requests under.
const CONNECTION: &str = "cli";

/// Codes of errors that mean "this is not a readable message" (exit 2) rather than "refused" (exit 1).
const UNREADABLE: &[&str] = &[
    "encoding",
    "malformed",
    "not_utf8",
    "invalid_char",
    "unbound_prefix",
    "duplicate_attribute",
    "unexpected_message",
];

/// Turns a library error into the CLI's refusal, keeping its code, message, hint and fix side.
pub(crate) fn failure(e: &gatehouse_saml::Error) -> Failure {
    let exit = if UNREADABLE.contains(&e.code()) {
        USAGE
    } else {
        REFUSED
    };
    let side = match e.fix_side() {
        FixSide::IdentityProvider => "identity_provider",
        FixSide::ServiceProvider => "service_provider",
        FixSide::Clock => "clock",
        FixSide::Either => "either",
        _ => "none",
    };
    Failure::new(exit, e.code(), e.to_string(), e.admin_hint()).with("fix_side", json!(side))
}

/// The same for errors of gatehouse-xml.
pub(crate) fn xml_failure(e: &gatehouse_xml::Error) -> Failure {
    failure(&gatehouse_saml::Error::Xml(e.clone()))
}

/// `--now`, or the system clock.
pub(crate) fn now_or_clock(now: Option<&str>) -> Result<DateTime<Utc>, Failure> {
    match now {
        None => Ok(Utc::now()),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                Failure::usage(
                    "invalid_now",
                    format!(
                        "--now {text:?} is not an RFC 3339 time (like 2026-01-15T10:00:00Z): {e}"
                    ),
                )
            }),
    }
}

/// Pinned certificates from PEM (or base64 DER) files.
pub(crate) fn pinned(files: &[PathBuf]) -> Result<PinnedKeys, Failure> {
    let mut keys = PinnedKeys::new();
    for file in files {
        let text = input::read_text(file)?;
        let set = PinnedKeys::from_pem(&text)
            .map_err(|e| Failure::usage(e.code(), format!("{}: {e}", file.display())))?;
        for k in set.keys() {
            keys.push(k.clone());
        }
    }
    Ok(keys)
}

/// The first `CERTIFICATE` block of a PEM bundle (key and certificate in one file).
fn certificate_block(pem: &str) -> Option<String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem.find(BEGIN)?;
    let rest = pem.get(start..)?;
    let end = rest.find(END)? + END.len();
    Some(rest.get(..end)?.to_owned())
}

fn sp_key(key: &Path, cert: &Path) -> Result<Arc<SpKey>, Failure> {
    let key_pem = input::read_text(key)?;
    let cert_pem = input::read_text(cert)?;
    SpKey::from_pem(&key_pem, &cert_pem)
        .map(Arc::new)
        .map_err(|e| {
            Failure::usage(
                e.code(),
                format!("{} / {}: {e}", key.display(), cert.display()),
            )
        })
}

/// Arguments of `saml verify`.
#[derive(Debug)]
pub(crate) struct VerifyArgs {
    pub(crate) response: PathBuf,
    pub(crate) idp_cert: Vec<PathBuf>,
    pub(crate) idp_metadata: Option<PathBuf>,
    pub(crate) idp_entity_id: Option<String>,
    pub(crate) sp_entity_id: String,
    pub(crate) acs_url: String,
    pub(crate) request_id: Vec<String>,
    pub(crate) allow_unsolicited: bool,
    pub(crate) require_signed_assertion: bool,
    pub(crate) allow_sha1: bool,
    pub(crate) decrypt_key: Option<PathBuf>,
    pub(crate) decrypt_cert: Option<PathBuf>,
    pub(crate) now: Option<String>,
    pub(crate) skew: Option<i64>,
}

/// `saml verify`: exactly `check_response` + `CheckedResponse::finish` with in-memory stores.
pub(crate) fn verify(args: &VerifyArgs, style: Style) -> Result<Output, Failure> {
    let now = now_or_clock(args.now.as_deref())?;
    let xml = input::saml_xml(&input::read(&args.response)?)?;
    let policy = ConnectionPolicy {
        allow_unsolicited: args.allow_unsolicited,
        require_signed_assertion: args.require_signed_assertion,
        allow_sha1: args.allow_sha1,
    };
    let idp = match &args.idp_metadata {
        Some(path) => {
            let md = parse_idp_metadata(
                &input::read(path)?,
                args.idp_entity_id.as_deref(),
                now,
                None,
            )
            .map_err(|e| failure(&e).with("input", json!(path.display().to_string())))?;
            let mut idp = md.identity_provider(policy).map_err(|e| failure(&e))?;
            for k in pinned(&args.idp_cert)?.keys() {
                idp.certificates.push(k.clone());
            }
            idp
        }
        None => {
            let Some(entity_id) = args.idp_entity_id.clone() else {
                let seen = crate::inspect::response_issuer(&xml)
                    .map(|i| format!(" The response says its Issuer is {i:?}; pass that if it is the IdP you expect."))
                    .unwrap_or_default();
                return Err(Failure::usage(
                    "missing_idp_entity_id",
                    format!(
                        "--idp-cert needs --idp-entity-id (the IdP's entity ID, Okta's \"Identity Provider Issuer\"): the Issuer check is never skipped.{seen}"
                    ),
                ));
            };
            IdentityProvider {
                entity_id,
                sso_url: String::new(),
                sso_binding: Binding::HttpRedirect,
                certificates: pinned(&args.idp_cert)?,
                want_authn_requests_signed: false,
                policy,
            }
        }
    };
    if idp.certificates.is_empty() {
        return Err(Failure::usage(
            "no_idp_certificate",
            "no IdP signing certificate: pass --idp-cert FILE or --idp-metadata FILE",
        ));
    }
    let mut sp = ServiceProvider::new(&args.sp_entity_id, &args.acs_url);
    if let Some(skew) = args.skew {
        sp.clock_skew_seconds = skew;
    }
    if let Some(key) = &args.decrypt_key {
        let key_pem = input::read_text(key)?;
        let cert_pem = match &args.decrypt_cert {
            Some(c) => input::read_text(c)?,
            None => certificate_block(&key_pem).ok_or_else(|| {
                Failure::usage(
                    "missing_decrypt_cert",
                    format!(
                        "{} holds no certificate: pass the SP certificate with --decrypt-cert FILE (gatehouse-saml's SpKey takes the key pair)",
                        key.display()
                    ),
                )
            })?,
        };
        let pair = SpKey::from_pem(&key_pem, &cert_pem)
            .map_err(|e| Failure::usage(e.code(), format!("{}: {e}", key.display())))?;
        sp.decryption_key = Some(Arc::new(pair));
    }
    sp.validate()
        .map_err(|problems| Failure::usage("config", problems.join("; ")))?;

    let requests = InMemoryRequestStore::default();
    for id in &args.request_id {
        requests.insert(PendingRequest {
            id: id.clone(),
            connection: CONNECTION.into(),
            issued_at: now,
            expires_at: now + Duration::hours(1),
        });
    }
    let replay = InMemoryReplayCache::default();
    let policy_json = json!({
        "allow_unsolicited": args.allow_unsolicited,
        "require_signed_assertion": args.require_signed_assertion,
        "allow_sha1": args.allow_sha1,
        "clock_skew_seconds": sp.clock_skew_seconds,
        "now": format_instant(now),
        "request_ids": args.request_id,
    });
    let checked = check_response(&sp, &idp, &xml, now)
        .map_err(|e| failure(&e).with("checked_with", policy_json.clone()))?;
    let pending = checked.in_response_to().and_then(|id| requests.take(id));
    let fresh = replay.insert_if_absent(&checked.replay_key(), checked.replay_expires_at(), now);
    let assertion = checked
        .finish(CONNECTION, pending, fresh, now)
        .map_err(|e| failure(&e).with("checked_with", policy_json.clone()))?;
    Ok(verified_output(&assertion, policy_json, args, style))
}

fn opt_instant(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| json!(format_instant(t)))
}

fn verified_output(
    a: &VerifiedAssertion,
    policy: Value,
    args: &VerifyArgs,
    style: Style,
) -> Output {
    let relaxed: Vec<&str> = [
        (args.allow_sha1, "--allow-sha1"),
        (args.allow_unsolicited, "--allow-unsolicited"),
    ]
    .into_iter()
    .filter_map(|(on, flag)| on.then_some(flag))
    .collect();
    let json = json!({
        "verified": true,
        "issuer": a.issuer(),
        "name_id": a.name_id().value,
        "name_id_format": a.name_id().format,
        "session_index": a.session_index(),
        "authn_instant": opt_instant(a.authn_instant()),
        "not_on_or_after": format_instant(a.not_on_or_after()),
        "attributes": a.attribute_map(),
        "assertion_id": a.assertion_id(),
        "in_response_to": a.in_response_to(),
        "session_not_on_or_after": opt_instant(a.session_not_on_or_after()),
        "authn_context_class": a.authn_context_class(),
        "signed_response": a.signed_response(),
        "signed_assertion": a.signed_assertion(),
        "encrypted": a.encrypted(),
        "checked_with": policy,
        "relaxed": relaxed,
        "not_checked": ["replay across runs: each run starts with an empty replay cache"],
    });
    let mut t = format!(
        "{}  SAML assertion from {}\n",
        style.good("✔ VERIFIED"),
        style.bold(a.issuer())
    );
    let row = |t: &mut String, k: &str, v: &str| t.push_str(&format!("  {:<16}{v}\n", k));
    let name_id = match &a.name_id().format {
        Some(f) => format!("{}  {}", a.name_id().value, style.dim(&format!("({f})"))),
        None => a.name_id().value.clone(),
    };
    row(&mut t, "NameID", &name_id);
    row(&mut t, "Session index", a.session_index().unwrap_or("-"));
    row(
        &mut t,
        "Authenticated",
        &a.authn_instant().map_or("-".into(), format_instant),
    );
    row(&mut t, "Valid until", &format_instant(a.not_on_or_after()));
    row(
        &mut t,
        "InResponseTo",
        a.in_response_to().unwrap_or("- (IdP-initiated)"),
    );
    let signed = match (a.signed_response(), a.signed_assertion()) {
        (true, true) => "Response and Assertion",
        (true, false) => "Response",
        (false, true) => "Assertion",
        (false, false) => "-",
    };
    row(&mut t, "Signed", signed);
    row(
        &mut t,
        "Encrypted",
        if a.encrypted() { "yes" } else { "no" },
    );
    t.push_str(&format!("  {}\n", style.bold("Attributes")));
    for (name, values) in a.attribute_map() {
        t.push_str(&format!("    {name}: {}\n", values.join(", ")));
    }
    if !relaxed.is_empty() {
        t.push_str(&format!(
            "  {} {}\n",
            style.warn("Relaxed by flags:"),
            relaxed.join(" ")
        ));
    }
    t.push_str(&format!(
        "  {}\n",
        style.dim("Not checked: replay across runs (each run starts with an empty replay cache)")
    ));
    Output::new(json, t)
}

/// `saml metadata`: what IdP metadata says, with certificate fingerprints and expiry warnings.
pub(crate) fn metadata(
    file: &Path,
    entity_id: Option<&str>,
    signed_by: &[PathBuf],
    now: Option<&str>,
    style: Style,
) -> Result<Output, Failure> {
    let now = now_or_clock(now)?;
    let xml = input::read(file)?;
    let signers = if signed_by.is_empty() {
        None
    } else {
        Some(pinned(signed_by)?)
    };
    let md = parse_idp_metadata(&xml, entity_id, now, signers.as_ref()).map_err(|e| failure(&e))?;
    let warnings = md.expiry_warnings(now, 30);
    let certs: Vec<Value> = md
        .signing_certificates
        .keys()
        .iter()
        .map(|k| cert_json(k, &warnings))
        .collect();
    let binding_name = |b: Binding| match b {
        Binding::HttpPost => "HTTP-POST",
        _ => "HTTP-Redirect",
    };
    let endpoints = |list: &[(Binding, String)]| -> Value {
        Value::Array(
            list.iter()
                .map(|(b, url)| json!({"binding": binding_name(*b), "binding_uri": b.uri(), "location": url}))
                .collect(),
        )
    };
    let warning_texts: Vec<String> = warnings
        .iter()
        .map(|w| {
            if w.expired {
                format!(
                    "certificate {} EXPIRED at {}",
                    w.fingerprint,
                    format_instant(w.not_after)
                )
            } else {
                format!(
                    "certificate {} expires at {} (within 30 days): plan the rotation",
                    w.fingerprint,
                    format_instant(w.not_after)
                )
            }
        })
        .collect();
    let json = json!({
        "entity_id": md.entity_id,
        "sso": endpoints(&md.sso_services),
        "slo": endpoints(&md.slo_services),
        "signing_certificates": certs,
        "want_authn_requests_signed": md.want_authn_requests_signed,
        "valid_until": opt_instant(md.valid_until),
        "cache_duration": md.cache_duration,
        "name_id_formats": md.name_id_formats,
        "signature_verified": md.signature_verified,
        "warnings": warning_texts,
        "checked_at": format_instant(now),
    });
    let mut t = format!("{} {}\n", style.bold("IdP entity ID"), md.entity_id);
    if !md.signature_verified {
        t.push_str(&format!(
            "  {}\n",
            style.dim("metadata signature not checked (pass --signed-by FILE to require one)")
        ));
    } else {
        t.push_str(&format!(
            "  {}\n",
            style.good("metadata signature verified")
        ));
    }
    t.push_str(&format!("{}\n", style.bold("Single sign-on")));
    for (b, url) in &md.sso_services {
        t.push_str(&format!("  {:<14}{url}\n", binding_name(*b)));
    }
    if !md.slo_services.is_empty() {
        t.push_str(&format!("{}\n", style.bold("Single logout")));
        for (b, url) in &md.slo_services {
            t.push_str(&format!("  {:<14}{url}\n", binding_name(*b)));
        }
    }
    t.push_str(&format!("{}\n", style.bold("Signing certificates")));
    for k in md.signing_certificates.keys() {
        let expiry = DateTime::<Utc>::from_timestamp(k.not_after_unix(), 0)
            .map_or("?".into(), format_instant);
        t.push_str(&format!(
            "  SHA-256 {}\n    {}  {}  expires {expiry}\n",
            k.fingerprint_hex(),
            k.subject(),
            key_desc(k)
        ));
    }
    t.push_str(&format!(
        "{} {}\n",
        style.bold("WantAuthnRequestsSigned"),
        md.want_authn_requests_signed
    ));
    if let Some(v) = md.valid_until {
        t.push_str(&format!(
            "{} {}\n",
            style.bold("validUntil"),
            format_instant(v)
        ));
    }
    for f in &md.name_id_formats {
        t.push_str(&format!("{} {f}\n", style.bold("NameIDFormat")));
    }
    for w in &warning_texts {
        t.push_str(&format!("{} {w}\n", style.warn("warning:")));
    }
    Ok(Output::new(json, t))
}

fn key_desc(k: &PinnedKey) -> String {
    match k.key_type() {
        KeyType::Rsa => format!("RSA-{}", k.bits()),
        KeyType::EcP256 => "EC P-256".into(),
        KeyType::EcP384 => "EC P-384".into(),
    }
}

fn cert_json(k: &PinnedKey, warnings: &[gatehouse_saml::metadata::ExpiryWarning]) -> Value {
    let fp = k.fingerprint_hex();
    let warning = warnings.iter().find(|w| w.fingerprint == fp);
    json!({
        "sha256_fingerprint": fp,
        "subject": k.subject(),
        "key": key_desc(k),
        "not_after": DateTime::<Utc>::from_timestamp(k.not_after_unix(), 0).map(format_instant),
        "expires_within_30_days": warning.is_some(),
        "expired": warning.is_some_and(|w| w.expired),
    })
}

/// `saml sp-metadata`.
pub(crate) fn sp_metadata_cmd(
    sp_entity_id: &str,
    acs_url: &str,
    cert: Option<&Path>,
    key: Option<&Path>,
    encryption: bool,
) -> Result<Output, Failure> {
    let mut sp = ServiceProvider::new(sp_entity_id, acs_url);
    if let (Some(cert), Some(key)) = (cert, key) {
        let k = sp_key(key, cert)?;
        sp.signing_key = Some(k.clone());
        if encryption {
            sp.decryption_key = Some(k);
        }
    }
    sp.validate()
        .map_err(|problems| Failure::usage("config", problems.join("; ")))?;
    let xml = sp_metadata(&sp, true);
    let json = json!({
        "entity_id": sp.entity_id,
        "acs_url": sp.acs_url,
        "authn_requests_signed": sp.signing_key.is_some(),
        "encryption_certificate": sp.decryption_key.is_some(),
        "want_assertions_signed": true,
        "xml": xml,
    });
    Ok(Output::new(json, format!("{xml}\n")))
}

/// Arguments of `saml authn-request`.
#[derive(Debug)]
pub(crate) struct RequestArgs {
    pub(crate) sp_entity_id: String,
    pub(crate) acs_url: String,
    pub(crate) idp_sso_url: String,
    pub(crate) sign_key: Option<PathBuf>,
    pub(crate) sign_cert: Option<PathBuf>,
    pub(crate) relay_state: Option<String>,
    pub(crate) force_authn: bool,
    pub(crate) now: Option<String>,
}

/// `saml authn-request`: the HTTP-Redirect URL of an AuthnRequest, signed when a key is given.
pub(crate) fn authn_request_cmd(args: &RequestArgs) -> Result<Output, Failure> {
    let now = now_or_clock(args.now.as_deref())?;
    let mut sp = ServiceProvider::new(&args.sp_entity_id, &args.acs_url);
    if let (Some(key), Some(cert)) = (&args.sign_key, &args.sign_cert) {
        sp.signing_key = Some(sp_key(key, cert)?);
    }
    sp.validate()
        .map_err(|problems| Failure::usage("config", problems.join("; ")))?;
    if !(args.idp_sso_url.starts_with("https://") || args.idp_sso_url.starts_with("http://")) {
        return Err(Failure::usage(
            "config",
            format!(
                "--idp-sso-url {:?} is not an absolute http(s) URL",
                args.idp_sso_url
            ),
        ));
    }
    let idp = IdentityProvider {
        entity_id: String::new(),
        sso_url: args.idp_sso_url.clone(),
        sso_binding: Binding::HttpRedirect,
        certificates: PinnedKeys::new(),
        want_authn_requests_signed: false,
        policy: ConnectionPolicy::default(),
    };
    let options = RequestOptions {
        force_authn: args.force_authn,
        relay_state: args.relay_state.clone(),
        ..RequestOptions::default()
    };
    let request = authn_request(&sp, &idp, CONNECTION, now, &options).map_err(|e| {
        let mut f = failure(&e);
        f.exit = USAGE;
        f
    })?;
    let url = request.redirect_url(&sp).map_err(|e| failure(&e))?;
    let json = json!({
        "url": url,
        "id": request.id(),
        "signed": sp.signing_key.is_some(),
        "binding": Binding::HttpRedirect.uri(),
        "issue_instant": format_instant(now),
        "xml": request.xml(),
    });
    Ok(Output::new(json, format!("{url}\n")))
}
