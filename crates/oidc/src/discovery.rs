//! OpenID Provider metadata (`/.well-known/openid-configuration`), accepted only for the configured issuer.

use serde::Deserialize;
use url::Url;

use crate::{Error, Issuer, urls};

/// Largest discovery document accepted.
pub(crate) const MAX_DISCOVERY_BYTES: usize = 256 * 1024;

/// The parts of the provider metadata this relying party uses. Built only by [`ProviderMetadata::parse`],
/// which checks that `issuer` equals the configured issuer exactly (OIDC Discovery §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMetadata {
    issuer: Issuer,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
    userinfo_endpoint: Option<Url>,
    end_session_endpoint: Option<Url>,
    token_endpoint_auth_methods: Vec<String>,
    authorization_response_iss_parameter_supported: bool,
}

#[derive(Deserialize)]
struct RawMetadata {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    jwks_uri: Option<String>,
    userinfo_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
    code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

impl ProviderMetadata {
    /// Parses a discovery document and checks it belongs to `expected` (byte-for-byte `issuer` match).
    ///
    /// Endpoints must be `https` (plain `http` only on loopback, for tests). A provider that advertises
    /// `code_challenge_methods_supported` without `S256` is refused, since PKCE S256 is always sent.
    pub fn parse(document: &[u8], expected: &Issuer) -> Result<Self, Error> {
        if document.len() > MAX_DISCOVERY_BYTES {
            return Err(Error::TooLarge {
                what: "discovery document",
                limit: MAX_DISCOVERY_BYTES,
                got: document.len(),
            });
        }
        let raw: RawMetadata = serde_json::from_slice(document).map_err(|e| Error::Malformed {
            what: "discovery document",
            detail: e.to_string(),
        })?;
        let issuer = raw
            .issuer
            .ok_or(Error::MissingEndpoint { name: "issuer" })?;
        if issuer != expected.as_str() {
            return Err(Error::DiscoveryIssuerMismatch {
                expected: expected.as_str().to_owned(),
                received: issuer,
            });
        }
        let required = |name: &'static str, value: Option<String>| -> Result<Url, Error> {
            urls::endpoint(name, &value.ok_or(Error::MissingEndpoint { name })?)
        };
        let optional = |name: &'static str, value: Option<String>| -> Result<Option<Url>, Error> {
            value.map(|v| urls::endpoint(name, &v)).transpose()
        };
        if let Some(methods) = raw.code_challenge_methods_supported
            && !methods.iter().any(|m| m == "S256")
        {
            return Err(Error::PkceUnsupported {
                advertised: methods,
            });
        }
        Ok(Self {
            issuer: expected.clone(),
            authorization_endpoint: required("authorization_endpoint", raw.authorization_endpoint)?,
            token_endpoint: required("token_endpoint", raw.token_endpoint)?,
            jwks_uri: required("jwks_uri", raw.jwks_uri)?,
            userinfo_endpoint: optional("userinfo_endpoint", raw.userinfo_endpoint)?,
            end_session_endpoint: optional("end_session_endpoint", raw.end_session_endpoint)?,
            token_endpoint_auth_methods: raw.token_endpoint_auth_methods_supported,
            authorization_response_iss_parameter_supported: raw
                .authorization_response_iss_parameter_supported,
        })
    }

    /// The issuer (equal to the configured one).
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// `authorization_endpoint`.
    #[must_use]
    pub fn authorization_endpoint(&self) -> &Url {
        &self.authorization_endpoint
    }

    /// `token_endpoint`.
    #[must_use]
    pub fn token_endpoint(&self) -> &Url {
        &self.token_endpoint
    }

    /// `jwks_uri`.
    #[must_use]
    pub fn jwks_uri(&self) -> &Url {
        &self.jwks_uri
    }

    /// `userinfo_endpoint`, if the provider has one.
    #[must_use]
    pub fn userinfo_endpoint(&self) -> Option<&Url> {
        self.userinfo_endpoint.as_ref()
    }

    /// `end_session_endpoint` (RP-initiated logout), if the provider has one.
    #[must_use]
    pub fn end_session_endpoint(&self) -> Option<&Url> {
        self.end_session_endpoint.as_ref()
    }

    /// `token_endpoint_auth_methods_supported` (empty when absent, meaning `client_secret_basic`).
    #[must_use]
    pub fn token_endpoint_auth_methods(&self) -> &[String] {
        &self.token_endpoint_auth_methods
    }

    /// Whether the provider promises the RFC 9207 `iss` parameter on authorization responses; when true, a
    /// callback without `iss` is refused (mix-up defence).
    #[must_use]
    pub fn authorization_response_iss_parameter_supported(&self) -> bool {
        self.authorization_response_iss_parameter_supported
    }
}
