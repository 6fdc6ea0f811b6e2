//! The neutral input: claims from a verified SAML assertion or OIDC ID token, with where they came from.
//!
//! The host fills [`Claims`] only from an assertion or token its protocol crate has fully verified; this crate
//! trusts the values as statements of that connection's IdP and nothing more.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::JitError;

/// Limits applied when claims are built, so a hostile document cannot make mapping expensive.
pub mod limits {
    /// Most attributes (claim names) accepted per login; later ones are dropped.
    pub const MAX_CLAIMS: usize = 256;
    /// Most values per attribute; later ones are dropped.
    pub const MAX_VALUES: usize = 1024;
}

/// The host's identifier of an SSO connection (for example the `<connection>` in the guide's ACS URL).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConnectionId(pub String);

impl ConnectionId {
    /// Wraps a connection identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SSO protocol a login came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Protocol {
    /// SAML 2.0 assertion attributes (plus the assertion's `NameID`).
    Saml,
    /// OpenID Connect ID token and userinfo claims.
    Oidc,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Saml => "SAML",
            Self::Oidc => "OIDC",
        })
    }
}

/// The IdP a mapping was written for; it only changes the words of admin hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IdpKind {
    /// Okta (SAML "Attribute Statements" or OIDC claims).
    Okta,
    /// Microsoft Entra ID ("Attributes & Claims").
    Entra,
    /// Active Directory Federation Services (claim issuance rules).
    Adfs,
    /// Any other IdP.
    Generic,
}

impl IdpKind {
    /// The IdP admin console setting where claims are configured.
    pub fn claims_setting(self) -> &'static str {
        match self {
            Self::Okta => "Okta: the app's SAML settings → Attribute Statements",
            Self::Entra => "Entra ID: the enterprise app → Single sign-on → Attributes & Claims",
            Self::Adfs => "AD FS: the relying party trust → Edit Claim Issuance Policy",
            Self::Generic => "the IdP's attribute or claim settings for this application",
        }
    }

    /// The hint for a claim that is missing.
    pub fn add_claim_hint(self, claim: &str) -> String {
        match self {
            Self::Okta => format!(
                "In Okta, open the app's SAML settings and, under \"Attribute Statements\", add `{claim}`"
            ),
            Self::Entra => format!(
                "In Entra ID, open the enterprise app → Single sign-on → \"Attributes & Claims\" and add a claim named `{claim}`"
            ),
            Self::Adfs => format!(
                "In AD FS, add a claim issuance rule on the relying party trust that sends `{claim}`"
            ),
            Self::Generic => format!(
                "Configure the IdP to send `{claim}` for this application (for OIDC, request the scope that carries it: openid email profile)"
            ),
        }
    }
}

impl fmt::Display for IdpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Okta => "Okta",
            Self::Entra => "Entra ID",
            Self::Adfs => "AD FS",
            Self::Generic => "IdP",
        })
    }
}

/// Where a set of claims came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClaimSource {
    /// SAML or OIDC.
    pub protocol: Protocol,
    /// The connection whose IdP issued (and whose keys verified) the claims.
    pub connection: ConnectionId,
}

/// Attribute name → values, from one verified login, plus the SAML `NameID` when there is one.
///
/// Not `Deserialize`: claims are built through [`Claims::add`] so the size limits always apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// Where the claims came from.
    pub source: ClaimSource,
    /// The assertion's `<Subject><NameID>` text (SAML only).
    pub name_id: Option<String>,
    attributes: BTreeMap<String, Vec<String>>,
}

impl Claims {
    /// Empty claims from a SAML assertion of `connection`, with its `NameID` if it had one.
    pub fn saml(connection: ConnectionId, name_id: Option<String>) -> Self {
        Self {
            source: ClaimSource {
                protocol: Protocol::Saml,
                connection,
            },
            name_id,
            attributes: BTreeMap::new(),
        }
    }

    /// Empty claims from an OIDC login through `connection`.
    pub fn oidc(connection: ConnectionId) -> Self {
        Self {
            source: ClaimSource {
                protocol: Protocol::Oidc,
                connection,
            },
            name_id: None,
            attributes: BTreeMap::new(),
        }
    }

    /// Adds values to an attribute (SAML attributes may repeat; values accumulate). Past
    /// [`limits::MAX_CLAIMS`] names or [`limits::MAX_VALUES`] values per name, the rest is dropped.
    pub fn add<I, S>(&mut self, name: impl Into<String>, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let name = name.into();
        if !self.attributes.contains_key(&name) && self.attributes.len() >= limits::MAX_CLAIMS {
            return self;
        }
        let slot = self.attributes.entry(name).or_default();
        for value in values {
            if slot.len() >= limits::MAX_VALUES {
                break;
            }
            slot.push(value.into());
        }
        self
    }

    /// Builder form of [`Claims::add`].
    pub fn with<I, S>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.add(name, values);
        self
    }

    /// The values of an attribute, empty if it is absent.
    pub fn get(&self, name: &str) -> &[String] {
        self.attributes.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// All attributes, by name.
    pub fn attributes(&self) -> &BTreeMap<String, Vec<String>> {
        &self.attributes
    }

    /// Claims from an OIDC ID token payload or userinfo response (a JSON object). Strings are kept, booleans
    /// become `"true"`/`"false"`, numbers their decimal text, arrays their scalar elements; `null`, nested objects
    /// and nested arrays are skipped (map them in the host if an app needs them).
    pub fn from_oidc_json(connection: ConnectionId, json: &[u8]) -> Result<Self, JitError> {
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| JitError::InvalidClaimsJson {
                problem: e.to_string(),
            })?;
        let mut claims = Self::oidc(connection);
        claims.merge_oidc_value(&value)?;
        Ok(claims)
    }

    /// Adds the members of a JSON object (an ID token payload or userinfo response) to these claims.
    pub fn merge_oidc_value(&mut self, value: &serde_json::Value) -> Result<(), JitError> {
        let serde_json::Value::Object(object) = value else {
            return Err(JitError::InvalidClaimsJson {
                problem: "top-level value is not an object".to_owned(),
            });
        };
        for (name, value) in object {
            let values: Vec<String> = match value {
                serde_json::Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
                other => scalar_text(other).into_iter().collect(),
            };
            if !values.is_empty() {
                self.add(name.clone(), values);
            }
        }
        Ok(())
    }
}

fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Null | serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            None
        }
    }
}
