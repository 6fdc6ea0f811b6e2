//! Connection configuration: this service provider and the identity provider it trusts. Plain data,
//! cheap to clone (keys are shared), serde-friendly (keys excluded: store them separately, encrypted).

use std::fmt;
use std::sync::Arc;

use gatehouse_xml::{DecryptionKey, PinnedKey, PinnedKeys, SigningKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The SAML bindings Gatehouse speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Binding {
    /// `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect`
    #[serde(rename = "HTTP-Redirect")]
    HttpRedirect,
    /// `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST`
    #[serde(rename = "HTTP-POST")]
    HttpPost,
}

impl Binding {
    /// The binding URI.
    #[must_use]
    pub fn uri(self) -> &'static str {
        match self {
            Self::HttpRedirect => "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            Self::HttpPost => "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        }
    }

    /// Looks up a binding URI.
    #[must_use]
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" => Some(Self::HttpRedirect),
            "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" => Some(Self::HttpPost),
            _ => None,
        }
    }
}

/// This service provider, as one connection sees it.
#[derive(Clone, Serialize, Deserialize)]
pub struct ServiceProvider {
    /// SP entity ID: what the IdP puts in `Audience` (Okta's "Audience URI (SP Entity ID)").
    pub entity_id: String,
    /// The exact public ACS URL, query included (`https://auth.example.com/login/callback?connection=acme`);
    /// `Destination` and `Recipient` must equal it byte for byte.
    pub acs_url: String,
    /// Tolerance for clock differences, in seconds (default 180).
    #[serde(default = "default_skew")]
    pub clock_skew_seconds: i64,
    /// Refuse assertions issued (or authentications performed) longer ago than this, in seconds.
    #[serde(default)]
    pub max_assertion_age_seconds: Option<i64>,
    /// The `NameIDPolicy` format requested in AuthnRequests (none: let the IdP choose).
    #[serde(default)]
    pub name_id_format: Option<String>,
    /// Key and certificate for signing AuthnRequests; its certificate is what `/pem?cert=<connection>` serves.
    #[serde(skip)]
    pub signing_key: Option<Arc<SpKey>>,
    /// Key for decrypting `EncryptedAssertion`s (its certificate is what the IdP encrypts to). May be the
    /// same key pair as `signing_key`.
    #[serde(skip)]
    pub decryption_key: Option<Arc<SpKey>>,
}

fn default_skew() -> i64 {
    180
}

impl ServiceProvider {
    /// A service provider with the default skew and no keys.
    #[must_use]
    pub fn new(entity_id: impl Into<String>, acs_url: impl Into<String>) -> Self {
        Self {
            entity_id: entity_id.into(),
            acs_url: acs_url.into(),
            clock_skew_seconds: default_skew(),
            max_assertion_age_seconds: None,
            name_id_format: None,
            signing_key: None,
            decryption_key: None,
        }
    }

    /// Checks every field at once and returns every problem (what an admin page needs).
    ///
    /// # Errors
    /// The list of problems, if any.
    pub fn validate(&self) -> std::result::Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.entity_id.trim().is_empty() {
            problems.push("SP entity ID is empty".to_owned());
        }
        if !(self.acs_url.starts_with("https://") || self.acs_url.starts_with("http://")) {
            problems.push(format!(
                "ACS URL {:?} is not an absolute http(s) URL",
                self.acs_url
            ));
        }
        if !(0..=3600).contains(&self.clock_skew_seconds) {
            problems.push(format!(
                "clock skew {} s is outside 0..=3600",
                self.clock_skew_seconds
            ));
        }
        if self.max_assertion_age_seconds.is_some_and(|a| a <= 0) {
            problems.push("maximum assertion age must be positive".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

impl fmt::Debug for ServiceProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceProvider")
            .field("entity_id", &self.entity_id)
            .field("acs_url", &self.acs_url)
            .field("clock_skew_seconds", &self.clock_skew_seconds)
            .field("max_assertion_age_seconds", &self.max_assertion_age_seconds)
            .field(
                "signing_key",
                &self.signing_key.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "decryption_key",
                &self.decryption_key.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// An SP key pair with its certificate (PEM): signs AuthnRequests and/or decrypts assertions.
pub struct SpKey {
    pub(crate) key: SigningKey,
    pub(crate) decryption: DecryptionKey,
    cert: PinnedKey,
    cert_pem: String,
}

impl SpKey {
    /// Reads a PKCS#8 PEM private key and its PEM certificate.
    ///
    /// # Errors
    /// [`Error::Xml`] with [`gatehouse_xml::Error::InvalidKey`] if either is unreadable.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<Self> {
        let cert = PinnedKey::from_pem_or_base64(cert_pem)?;
        let key = SigningKey::from_pem(key_pem, Some(cert_pem))?;
        let decryption = DecryptionKey::from_pem(key_pem)?;
        Ok(Self {
            key,
            decryption,
            cert,
            cert_pem: cert_pem.trim().to_owned() + "\n",
        })
    }

    /// The certificate in PEM (safe to publish).
    #[must_use]
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The certificate.
    #[must_use]
    pub fn certificate(&self) -> &PinnedKey {
        &self.cert
    }
}

impl fmt::Debug for SpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpKey")
            .field("certificate", &self.cert)
            .finish_non_exhaustive()
    }
}

/// Per-connection policies. The defaults are the safe ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionPolicy {
    /// Accept unsolicited responses (IdP-initiated SSO: the user clicks the app tile in Okta).
    pub allow_unsolicited: bool,
    /// Require the Assertion itself to be signed (a signed Response alone is not enough).
    pub require_signed_assertion: bool,
    /// Accept SHA-1 signatures and RSA keys of 1024–2047 bits. Dangerous; for legacy IdPs only.
    pub allow_sha1: bool,
}

/// The identity provider a connection trusts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityProvider {
    /// IdP entity ID: the `Issuer` of its responses (Okta's "Identity Provider Issuer").
    pub entity_id: String,
    /// Where AuthnRequests go (Okta's "Identity Provider Single Sign-On URL").
    pub sso_url: String,
    /// How AuthnRequests are sent there.
    pub sso_binding: Binding,
    /// Pinned signing certificates; several during a rotation.
    #[serde(with = "pinned_serde")]
    pub certificates: PinnedKeys,
    /// The IdP wants signed AuthnRequests (from its metadata's `WantAuthnRequestsSigned`).
    #[serde(default)]
    pub want_authn_requests_signed: bool,
    /// Policies of this connection.
    #[serde(default)]
    pub policy: ConnectionPolicy,
}

impl IdentityProvider {
    /// Checks every field at once and returns every problem.
    ///
    /// # Errors
    /// The list of problems, if any.
    pub fn validate(&self) -> std::result::Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.entity_id.trim().is_empty() {
            problems.push("IdP entity ID is empty".to_owned());
        }
        if !self.sso_url.starts_with("https://") && !self.sso_url.starts_with("http://") {
            problems.push(format!(
                "IdP SSO URL {:?} is not an absolute http(s) URL",
                self.sso_url
            ));
        }
        if self.certificates.is_empty() {
            problems.push("no IdP signing certificate is pinned".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Serializes pinned certificates as a list of base64 DER strings.
mod pinned_serde {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::{Deserialize, Deserializer, PinnedKey, PinnedKeys, Serializer};

    pub(super) fn serialize<S: Serializer>(keys: &PinnedKeys, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(keys.keys().iter().map(|k| STANDARD.encode(k.der())))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PinnedKeys, D::Error> {
        let list = Vec::<String>::deserialize(d)?;
        list.iter()
            .map(|c| PinnedKey::from_pem_or_base64(c).map_err(serde::de::Error::custom))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.into_iter().collect())
    }
}

/// Validates both sides of a connection together.
///
/// # Errors
/// [`Error::Config`] listing every problem.
pub fn check_connection(sp: &ServiceProvider, idp: &IdentityProvider) -> Result<()> {
    let mut problems = sp.validate().err().unwrap_or_default();
    problems.extend(idp.validate().err().unwrap_or_default());
    if idp.want_authn_requests_signed && sp.signing_key.is_none() {
        problems
            .push("the IdP wants signed AuthnRequests but the SP has no signing key".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Config {
            reason: problems.join("; "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_reports_every_problem() {
        let mut sp = ServiceProvider::new("", "ftp://x");
        sp.clock_skew_seconds = -1;
        let problems = sp.validate().unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn debug_hides_keys() {
        let sp = ServiceProvider::new("urn:sp", "https://sp/acs");
        assert!(!format!("{sp:?}").contains("PRIVATE"));
    }
}
