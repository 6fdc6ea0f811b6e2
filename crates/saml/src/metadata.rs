//! SAML metadata: reading an IdP's (Okta's "Identity Provider metadata") and writing the SP's.

use chrono::{DateTime, Utc};
use gatehouse_xml::dsig::{DSIG_NS, signature_children};
use gatehouse_xml::{
    Document, Element, Limits, PinnedKey, PinnedKeys, VerifyPolicy, verify_enveloped,
};

use crate::config::{Binding, ConnectionPolicy, IdentityProvider, ServiceProvider};
use crate::error::{Error, Result};
use crate::response::PROTOCOL_NS;
use crate::time::{format_instant, parse_instant};

/// The SAML 2.0 metadata namespace.
pub const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// What an IdP's metadata says about it.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    /// `entityID`.
    pub entity_id: String,
    /// `SingleSignOnService` endpoints by binding (unknown bindings left out), in document order.
    pub sso_services: Vec<(Binding, String)>,
    /// `SingleLogoutService` endpoints by binding.
    pub slo_services: Vec<(Binding, String)>,
    /// Signing certificates (`KeyDescriptor use="signing"` or without `use`).
    pub signing_certificates: PinnedKeys,
    /// `WantAuthnRequestsSigned`.
    pub want_authn_requests_signed: bool,
    /// `validUntil` (of the entity, or of the enclosing `EntitiesDescriptor` if earlier).
    pub valid_until: Option<DateTime<Utc>>,
    /// `cacheDuration` as written (an `xs:duration`).
    pub cache_duration: Option<String>,
    /// `NameIDFormat`s the IdP supports.
    pub name_id_formats: Vec<String>,
    /// Whether the metadata's signature was verified with a pinned certificate.
    pub signature_verified: bool,
}

/// A certificate that expires soon or has expired: time to rotate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryWarning {
    /// SHA-256 fingerprint of the certificate.
    pub fingerprint: String,
    /// Its `notAfter`.
    pub not_after: DateTime<Utc>,
    /// Whether it has already expired.
    pub expired: bool,
}

/// Reads IdP metadata. `entity_id` picks the entity from an `EntitiesDescriptor` (required when it holds
/// more than one IdP). With `signed_by`, the metadata must carry a signature that verifies with one of
/// those certificates.
///
/// # Errors
/// [`Error::Metadata`] for anything missing or expired, [`Error::Xml`] for parse or signature failures.
pub fn parse_idp_metadata(
    xml: &[u8],
    entity_id: Option<&str>,
    now: DateTime<Utc>,
    signed_by: Option<&PinnedKeys>,
) -> Result<IdpMetadata> {
    // Aggregates can be large; still bounded.
    let limits = Limits::default()
        .max_bytes(16 * 1024 * 1024)
        .max_nodes(2_000_000)
        .max_namespaces(1024);
    let doc = Document::parse_with(xml, &limits)?;
    let root = doc.root();
    let signature_verified = match signed_by {
        Some(keys) => {
            if signature_children(root).next().is_none() {
                return Err(meta(
                    "the metadata is not signed, but a signing certificate was given to check it",
                ));
            }
            verify_enveloped(root, keys, &VerifyPolicy::strict())?;
            true
        }
        None => false,
    };
    let (entity, outer_valid_until) = if root.is(METADATA_NS, "EntityDescriptor") {
        (root, None)
    } else if root.is(METADATA_NS, "EntitiesDescriptor") {
        let idps: Vec<Element<'_, '_>> = root
            .descendants()
            .filter(|e| e.is(METADATA_NS, "EntityDescriptor") && idp_descriptor(*e).is_some())
            .collect();
        let chosen = match (entity_id, idps.as_slice()) {
            (Some(id), _) => idps
                .iter()
                .find(|e| e.attr("entityID") == Some(id))
                .copied(),
            (None, [only]) => Some(*only),
            (None, _) => {
                return Err(meta(&format!(
                    "{} IdPs in this metadata: say which entity ID to use",
                    idps.len()
                )));
            }
        };
        (
            chosen.ok_or_else(|| meta("no IdP with that entity ID in the metadata"))?,
            time_attr(root, "validUntil")?,
        )
    } else {
        return Err(meta(&format!(
            "expected an EntityDescriptor, found <{}>",
            root.qname()
        )));
    };
    let id = entity
        .attr("entityID")
        .ok_or_else(|| meta("EntityDescriptor has no entityID"))?;
    if let Some(want) = entity_id
        && want != id
    {
        return Err(meta(&format!(
            "the metadata describes {id:?}, not {want:?}"
        )));
    }
    let idp = idp_descriptor(entity).ok_or_else(|| meta("no IDPSSODescriptor for SAML 2.0"))?;

    let valid_until = match (time_attr(entity, "validUntil")?, outer_valid_until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(v) = valid_until
        && v <= now
    {
        return Err(meta(&format!(
            "the metadata expired at {}; fetch a fresh copy from the IdP",
            format_instant(v)
        )));
    }

    let mut signing_certificates = PinnedKeys::new();
    for kd in idp
        .child_elements()
        .filter(|e| e.is(METADATA_NS, "KeyDescriptor"))
    {
        if !matches!(kd.attr("use"), None | Some("signing")) {
            continue;
        }
        for cert in kd
            .descendants()
            .filter(|e| e.is(DSIG_NS, "X509Certificate"))
        {
            signing_certificates.push(PinnedKey::from_pem_or_base64(&cert.text())?);
        }
    }
    if signing_certificates.is_empty() {
        return Err(meta("the IdP metadata has no signing certificate"));
    }
    let endpoints = |local: &str| -> Vec<(Binding, String)> {
        idp.child_elements()
            .filter(|e| e.is(METADATA_NS, local))
            .filter_map(|e| {
                Some((
                    Binding::from_uri(e.attr("Binding")?)?,
                    e.attr("Location")?.to_owned(),
                ))
            })
            .collect()
    };
    let sso_services = endpoints("SingleSignOnService");
    if sso_services.is_empty() {
        return Err(meta(
            "the IdP metadata has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding",
        ));
    }
    Ok(IdpMetadata {
        entity_id: id.to_owned(),
        slo_services: endpoints("SingleLogoutService"),
        sso_services,
        signing_certificates,
        want_authn_requests_signed: matches!(
            idp.attr("WantAuthnRequestsSigned"),
            Some("true" | "1")
        ),
        valid_until,
        cache_duration: entity
            .attr("cacheDuration")
            .or_else(|| root.attr("cacheDuration"))
            .map(str::to_owned),
        name_id_formats: idp
            .child_elements()
            .filter(|e| e.is(METADATA_NS, "NameIDFormat"))
            .map(|e| e.text().trim().to_owned())
            .collect(),
        signature_verified,
    })
}

fn meta(reason: &str) -> Error {
    Error::Metadata {
        reason: reason.to_owned(),
    }
}

fn time_attr(e: Element<'_, '_>, name: &'static str) -> Result<Option<DateTime<Utc>>> {
    e.attr(name)
        .map(|v| {
            parse_instant(v).ok_or_else(|| Error::Timestamp {
                field: name,
                value: v.chars().take(64).collect(),
            })
        })
        .transpose()
}

fn idp_descriptor<'d, 'a>(entity: Element<'d, 'a>) -> Option<Element<'d, 'a>> {
    entity.child_elements().find(|e| {
        e.is(METADATA_NS, "IDPSSODescriptor")
            && e.attr("protocolSupportEnumeration")
                .is_some_and(|p| p.split_ascii_whitespace().any(|x| x == PROTOCOL_NS))
    })
}

impl IdpMetadata {
    /// The IdP configuration this metadata implies: HTTP-Redirect SSO preferred, then HTTP-POST.
    ///
    /// # Errors
    /// [`Error::Metadata`] if no usable SSO endpoint exists (cannot happen for parsed metadata).
    pub fn identity_provider(&self, policy: ConnectionPolicy) -> Result<IdentityProvider> {
        let (binding, url) = self
            .sso_services
            .iter()
            .find(|(b, _)| *b == Binding::HttpRedirect)
            .or_else(|| self.sso_services.first())
            .cloned()
            .ok_or_else(|| meta("no SingleSignOnService"))?;
        Ok(IdentityProvider {
            entity_id: self.entity_id.clone(),
            sso_url: url,
            sso_binding: binding,
            certificates: self.signing_certificates.clone(),
            want_authn_requests_signed: self.want_authn_requests_signed,
            policy,
        })
    }

    /// Whether a certificate with this SHA-256 fingerprint is among the signing certificates. Accepts
    /// the fingerprint with or without colons, any case (as Okta and openssl print it).
    #[must_use]
    pub fn has_fingerprint(&self, sha256: &str) -> bool {
        let want: String = sha256
            .chars()
            .filter(char::is_ascii_hexdigit)
            .collect::<String>()
            .to_ascii_uppercase();
        self.signing_certificates
            .keys()
            .iter()
            .any(|k| k.fingerprint_hex().replace(':', "") == want)
    }

    /// Signing certificates that expire within `within_days` of `now` (or already have).
    #[must_use]
    pub fn expiry_warnings(&self, now: DateTime<Utc>, within_days: i64) -> Vec<ExpiryWarning> {
        self.signing_certificates
            .keys()
            .iter()
            .filter_map(|k| {
                let not_after = DateTime::<Utc>::from_timestamp(k.not_after_unix(), 0)?;
                (not_after <= now + chrono::Duration::days(within_days)).then(|| ExpiryWarning {
                    fingerprint: k.fingerprint_hex(),
                    not_after,
                    expired: not_after <= now,
                })
            })
            .collect()
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SP's metadata: entity ID, ACS (HTTP-POST), signing and encryption certificates, whether requests
/// are signed and assertions are wanted signed, and the NameID format.
#[must_use]
pub fn sp_metadata(sp: &ServiceProvider, want_assertions_signed: bool) -> String {
    let mut out = format!(
        "<md:EntityDescriptor xmlns:md=\"{METADATA_NS}\" xmlns:ds=\"{DSIG_NS}\" entityID=\"{}\">\
         <md:SPSSODescriptor AuthnRequestsSigned=\"{}\" WantAssertionsSigned=\"{want_assertions_signed}\" \
         protocolSupportEnumeration=\"{PROTOCOL_NS}\">",
        escape(&sp.entity_id),
        sp.signing_key.is_some(),
    );
    for (usage, key) in [
        ("signing", &sp.signing_key),
        ("encryption", &sp.decryption_key),
    ] {
        if let Some(key) = key {
            out.push_str(&format!(
                "<md:KeyDescriptor use=\"{usage}\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate>\
                 </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
                base64_der(key.certificate().der())
            ));
        }
    }
    if let Some(f) = &sp.name_id_format {
        out.push_str(&format!("<md:NameIDFormat>{}</md:NameIDFormat>", escape(f)));
    }
    out.push_str(&format!(
        "<md:AssertionConsumerService Binding=\"{}\" Location=\"{}\" index=\"0\" isDefault=\"true\"/>\
         </md:SPSSODescriptor></md:EntityDescriptor>",
        Binding::HttpPost.uri(),
        escape(&sp.acs_url),
    ));
    out
}

fn base64_der(der: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(der)
}
