//! The verified assertion: what the application may use, owned, built only by response validation.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A `NameID`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameId {
    /// The identifier, all text nodes joined (a comment cannot truncate it).
    pub value: String,
    /// `Format`, e.g. `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`.
    pub format: Option<String>,
    /// `NameQualifier`.
    pub name_qualifier: Option<String>,
    /// `SPNameQualifier`.
    pub sp_name_qualifier: Option<String>,
}

/// One `Attribute` of an `AttributeStatement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// `Name` (e.g. `http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress`).
    pub name: String,
    /// `NameFormat`, if given.
    pub name_format: Option<String>,
    /// `FriendlyName`, if given.
    pub friendly_name: Option<String>,
    /// The `AttributeValue`s as text, in order (values with `xsi:nil="true"` are left out).
    pub values: Vec<String>,
}

/// An assertion that passed every check: signature, issuer, audience, recipient, times, request
/// correlation and replay. It can only be produced by this crate's response validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedAssertion {
    pub(crate) issuer: String,
    pub(crate) assertion_id: String,
    pub(crate) name_id: NameId,
    pub(crate) session_index: Option<String>,
    pub(crate) authn_instant: Option<DateTime<Utc>>,
    pub(crate) authn_context_class: Option<String>,
    pub(crate) not_on_or_after: DateTime<Utc>,
    pub(crate) session_not_on_or_after: Option<DateTime<Utc>>,
    pub(crate) attributes: Vec<Attribute>,
    pub(crate) in_response_to: Option<String>,
    pub(crate) signed_response: bool,
    pub(crate) signed_assertion: bool,
    pub(crate) encrypted: bool,
    pub(crate) signature_algorithm: &'static str,
    pub(crate) certificate_sha256: String,
}

impl VerifiedAssertion {
    /// The IdP's entity ID (the assertion's `Issuer`, equal to the configured one).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The assertion's `ID`.
    #[must_use]
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }

    /// The subject.
    #[must_use]
    pub fn name_id(&self) -> &NameId {
        &self.name_id
    }

    /// `SessionIndex` of the first `AuthnStatement` (for logout).
    #[must_use]
    pub fn session_index(&self) -> Option<&str> {
        self.session_index.as_deref()
    }

    /// When the user authenticated at the IdP.
    #[must_use]
    pub fn authn_instant(&self) -> Option<DateTime<Utc>> {
        self.authn_instant
    }

    /// The `AuthnContextClassRef` (e.g. `…:PasswordProtectedTransport`).
    #[must_use]
    pub fn authn_context_class(&self) -> Option<&str> {
        self.authn_context_class.as_deref()
    }

    /// The bearer confirmation's deadline.
    #[must_use]
    pub fn not_on_or_after(&self) -> DateTime<Utc> {
        self.not_on_or_after
    }

    /// `SessionNotOnOrAfter`: the IdP's cap on the SP session, if given.
    #[must_use]
    pub fn session_not_on_or_after(&self) -> Option<DateTime<Utc>> {
        self.session_not_on_or_after
    }

    /// All attributes in document order.
    #[must_use]
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// The values of the attribute with this `Name` (several statements with one name are merged).
    #[must_use]
    pub fn attribute(&self, name: &str) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|a| a.name == name)
            .flat_map(|a| a.values.iter().map(String::as_str))
            .collect()
    }

    /// Attributes as a name → values map (deterministic order).
    #[must_use]
    pub fn attribute_map(&self) -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for a in &self.attributes {
            map.entry(a.name.clone())
                .or_default()
                .extend(a.values.iter().cloned());
        }
        map
    }

    /// The request this answers (`None` for IdP-initiated sign-in).
    #[must_use]
    pub fn in_response_to(&self) -> Option<&str> {
        self.in_response_to.as_deref()
    }

    /// Whether the Response carried a verified signature.
    #[must_use]
    pub fn signed_response(&self) -> bool {
        self.signed_response
    }

    /// Whether the Assertion itself carried a verified signature.
    #[must_use]
    pub fn signed_assertion(&self) -> bool {
        self.signed_assertion
    }

    /// The algorithm of the signature the assertion was read through (e.g. `rsa-sha256`).
    #[must_use]
    pub fn signature_algorithm(&self) -> &'static str {
        self.signature_algorithm
    }

    /// SHA-256 fingerprint (colon-separated hex) of the pinned certificate that verified that signature:
    /// during a rotation, this says which certificate the IdP is using.
    #[must_use]
    pub fn certificate_sha256(&self) -> &str {
        &self.certificate_sha256
    }

    /// Whether the assertion arrived encrypted.
    #[must_use]
    pub fn encrypted(&self) -> bool {
        self.encrypted
    }
}
