//! AuthnRequests (SP-initiated sign-in) over the HTTP-Redirect and HTTP-POST bindings.

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use gatehouse_xml::SignatureAlgorithm;
use gatehouse_xml::sign::{Placement, sign_detached, sign_enveloped};

use crate::config::{Binding, IdentityProvider, ServiceProvider};
use crate::error::{Error, Result};
use crate::response::{ASSERTION_NS, PROTOCOL_NS};
use crate::store::PendingRequest;
use crate::time::format_instant;

/// SAML bindings §3.4.3 and §3.5.3: a RelayState MUST NOT exceed 80 bytes.
pub const MAX_RELAY_STATE: usize = 80;

/// Options of one AuthnRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOptions {
    /// Ask the IdP to authenticate again even with a session (`ForceAuthn`).
    pub force_authn: bool,
    /// Ask the IdP not to interact with the user (`IsPassive`).
    pub is_passive: bool,
    /// Opaque state the IdP returns with the response (at most 80 bytes); keep secrets out of it.
    pub relay_state: Option<String>,
    /// How long the request stays outstanding, in seconds (default 600).
    pub lifetime_seconds: i64,
}

impl Default for RequestOptions {
    fn default() -> Self {
        Self {
            force_authn: false,
            is_passive: false,
            relay_state: None,
            lifetime_seconds: 600,
        }
    }
}

/// An AuthnRequest ready to send. Store [`AuthnRequest::pending`] before sending, so that the response's
/// `InResponseTo` can be matched.
#[derive(Debug, Clone)]
pub struct AuthnRequest {
    xml: String,
    destination: String,
    binding: Binding,
    relay_state: Option<String>,
    pending: PendingRequest,
}

/// A fresh request ID: `_` followed by 40 hex digits of OS randomness (an XML NCName).
///
/// # Errors
/// [`Error::Request`] if the OS has no randomness to give.
pub fn new_id() -> Result<String> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| Error::Request {
        reason: format!("no randomness: {e}"),
    })?;
    let mut id = String::with_capacity(41);
    id.push('_');
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    Ok(id)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Builds an AuthnRequest for `connection` to the IdP's SSO URL, over the IdP's configured binding.
///
/// # Errors
/// [`Error::Request`] for a RelayState over 80 bytes or without randomness.
pub fn authn_request(
    sp: &ServiceProvider,
    idp: &IdentityProvider,
    connection: &str,
    now: DateTime<Utc>,
    options: &RequestOptions,
) -> Result<AuthnRequest> {
    if let Some(rs) = &options.relay_state
        && rs.len() > MAX_RELAY_STATE
    {
        return Err(Error::Request {
            reason: format!("RelayState is {} bytes; SAML allows at most 80", rs.len()),
        });
    }
    let id = new_id()?;
    let mut xml = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"{PROTOCOL_NS}\" xmlns:saml=\"{ASSERTION_NS}\" ID=\"{id}\" Version=\"2.0\" \
         IssueInstant=\"{}\" Destination=\"{}\" AssertionConsumerServiceURL=\"{}\" ProtocolBinding=\"{}\"",
        format_instant(now),
        escape(&idp.sso_url),
        escape(&sp.acs_url),
        Binding::HttpPost.uri(),
    );
    if options.force_authn {
        xml.push_str(" ForceAuthn=\"true\"");
    }
    if options.is_passive {
        xml.push_str(" IsPassive=\"true\"");
    }
    xml.push_str(&format!(
        "><saml:Issuer>{}</saml:Issuer>",
        escape(&sp.entity_id)
    ));
    match &sp.name_id_format {
        Some(f) => xml.push_str(&format!(
            "<samlp:NameIDPolicy Format=\"{}\" AllowCreate=\"true\"/>",
            escape(f)
        )),
        None => xml.push_str("<samlp:NameIDPolicy AllowCreate=\"true\"/>"),
    }
    xml.push_str("</samlp:AuthnRequest>");
    let pending = PendingRequest {
        id,
        connection: connection.to_owned(),
        issued_at: now,
        expires_at: now + Duration::seconds(options.lifetime_seconds),
    };
    Ok(AuthnRequest {
        xml,
        destination: idp.sso_url.clone(),
        binding: idp.sso_binding,
        relay_state: options.relay_state.clone(),
        pending,
    })
}

/// How to send an [`AuthnRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// Redirect the browser to this URL (HTTP-Redirect binding).
    Redirect(String),
    /// Serve this self-submitting HTML form (HTTP-POST binding).
    PostForm(String),
}

impl AuthnRequest {
    /// The request's ID.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.pending.id
    }

    /// What to store in the outstanding-request store before sending.
    #[must_use]
    pub fn pending(&self) -> &PendingRequest {
        &self.pending
    }

    /// The unsigned XML of the request.
    #[must_use]
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// Encodes the request for the IdP's binding, signed when the SP has a signing key.
    ///
    /// # Errors
    /// [`Error::Request`] if compression or signing fails.
    pub fn encode(&self, sp: &ServiceProvider, csp_nonce: Option<&str>) -> Result<Outgoing> {
        match self.binding {
            Binding::HttpRedirect => self.redirect_url(sp).map(Outgoing::Redirect),
            Binding::HttpPost => self.post_form(sp, csp_nonce).map(Outgoing::PostForm),
        }
    }

    /// The HTTP-Redirect URL: DEFLATE, base64, URL-encoding; with a key, `SigAlg` and `Signature` over
    /// the exact query octets `SAMLRequest=…&RelayState=…&SigAlg=…` (SAML bindings §3.4.4.1).
    ///
    /// # Errors
    /// [`Error::Request`] if compression or signing fails.
    pub fn redirect_url(&self, sp: &ServiceProvider) -> Result<String> {
        let mut deflater =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        deflater
            .write_all(self.xml.as_bytes())
            .map_err(|e| Error::Request {
                reason: e.to_string(),
            })?;
        let deflated = deflater.finish().map_err(|e| Error::Request {
            reason: e.to_string(),
        })?;
        let mut query = format!("SAMLRequest={}", urlencode(&STANDARD.encode(deflated)));
        if let Some(rs) = &self.relay_state {
            query.push_str(&format!("&RelayState={}", urlencode(rs)));
        }
        if let Some(key) = &sp.signing_key {
            let alg = SignatureAlgorithm::RsaSha256;
            query.push_str(&format!("&SigAlg={}", urlencode(alg.uri())));
            let sig = sign_detached(&key.key, alg, query.as_bytes())?;
            query.push_str(&format!("&Signature={}", urlencode(&STANDARD.encode(sig))));
        }
        let sep = if self.destination.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(format!("{}{sep}{query}", self.destination))
    }

    /// The HTTP-POST binding: a self-submitting HTML form carrying the request, with an enveloped
    /// signature when the SP has a key. `csp_nonce` goes on the submitting script for pages served
    /// with a nonce-based Content-Security-Policy.
    ///
    /// # Errors
    /// [`Error::Request`] if signing fails.
    pub fn post_form(&self, sp: &ServiceProvider, csp_nonce: Option<&str>) -> Result<String> {
        let xml = match &sp.signing_key {
            Some(key) => sign_enveloped(
                &self.xml,
                Some(self.id()),
                Placement::After(ASSERTION_NS, "Issuer"),
                &key.key,
                SignatureAlgorithm::RsaSha256,
            )?,
            None => self.xml.clone(),
        };
        let relay = self.relay_state.as_ref().map_or_else(String::new, |rs| {
            format!(
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">",
                escape(rs)
            )
        });
        let nonce = csp_nonce.map_or_else(String::new, |n| format!(" nonce=\"{}\"", escape(n)));
        Ok(format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Signing in…</title></head><body>\
             <form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"SAMLRequest\" value=\"{}\">{relay}\
             <noscript><p>JavaScript is off. Press Continue to sign in.</p><button type=\"submit\">Continue</button></noscript>\
             </form><script{nonce}>document.forms[0].submit();</script></body></html>",
            escape(&self.destination),
            STANDARD.encode(xml.as_bytes()),
        ))
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
