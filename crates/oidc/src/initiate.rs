//! Third-party-initiated login (OIDC Core §4): the IdP (Okta's "Initiate login URI") sends the browser to
//! our `/login` with `iss`, `login_hint` and `target_link_uri`; we start a fresh code flow, never redirect
//! to an unknown issuer, and honour `target_link_uri` only within the app's own origins.

use url::Url;

use crate::params::Params;
use crate::{AuthorizationRequest, Error, OidcConnection, ProviderMetadata};

/// Longest `target_link_uri` accepted.
pub(crate) const MAX_TARGET_LINK_URI: usize = 2048;

/// The origins (`scheme://host[:port]`) `target_link_uri` may point into, e.g. `https://app.layer.ai`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<url::Origin>);

impl AllowedOrigins {
    /// Parses each base URL; only its origin counts (path, query are ignored).
    pub fn new<'s>(urls: impl IntoIterator<Item = &'s str>) -> Result<Self, Error> {
        let mut origins = Vec::new();
        for raw in urls {
            let url = crate::urls::endpoint("allowed origin", raw)?;
            origins.push(url.origin());
        }
        Ok(Self(origins))
    }

    /// Checks an absolute URL against the origins: no control characters, whitespace or backslashes, no
    /// userinfo, an exact origin match (so `https://app.example.com.evil.io`, `//evil`, and
    /// `https://app.example.com@evil.io` are all refused). Returns the parsed URL.
    pub fn check(&self, target: &str) -> Result<Url, Error> {
        let reject = |reason| Error::TargetLinkRejected {
            target: target.chars().take(256).collect(),
            reason,
        };
        if target.len() > MAX_TARGET_LINK_URI {
            return Err(reject("too long"));
        }
        if target
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        {
            return Err(reject(
                "contains control characters, whitespace or backslashes",
            ));
        }
        let url = Url::parse(target).map_err(|_| reject("not an absolute URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(reject("carries user information"));
        }
        if !matches!(url.scheme(), "https" | "http") {
            return Err(reject("not an http(s) URL"));
        }
        let origin = url.origin();
        if !self.0.contains(&origin) {
            return Err(reject("outside the allowed origins"));
        }
        Ok(url)
    }
}

/// A parsed third-party login initiation (from the query of a GET or the body of a POST to `/login`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiateLogin {
    iss: String,
    login_hint: Option<String>,
    target_link_uri: Option<String>,
}

impl InitiateLogin {
    /// Parses the parameters; `iss` is required, repeated parameters are refused.
    pub fn parse(query_or_form: &[u8]) -> Result<Self, Error> {
        let params = Params::parse(query_or_form)?;
        let iss = params
            .get("iss")
            .ok_or(Error::MissingParameter { name: "iss" })?;
        Ok(Self {
            iss: iss.to_owned(),
            login_hint: params.get("login_hint").map(str::to_owned),
            target_link_uri: params.get("target_link_uri").map(str::to_owned),
        })
    }

    /// `iss` as received (unverified: only a lookup key).
    #[must_use]
    pub fn iss(&self) -> &str {
        &self.iss
    }

    /// `login_hint`, if any.
    #[must_use]
    pub fn login_hint(&self) -> Option<&str> {
        self.login_hint.as_deref()
    }

    /// The connection whose issuer is exactly `iss`; none is [`Error::UnknownInitiatingIssuer`] (the caller
    /// shows an error page and never redirects to the unknown issuer).
    pub fn find_connection<'c>(
        &self,
        connections: impl IntoIterator<Item = &'c OidcConnection>,
    ) -> Result<&'c OidcConnection, Error> {
        connections
            .into_iter()
            .find(|c| c.issuer.as_str() == self.iss)
            .ok_or_else(|| Error::UnknownInitiatingIssuer {
                iss: self.iss.chars().take(256).collect(),
            })
    }

    /// `target_link_uri` checked against `allowed`; `None` when absent.
    pub fn target(&self, allowed: &AllowedOrigins) -> Result<Option<Url>, Error> {
        self.target_link_uri
            .as_deref()
            .map(|t| allowed.check(t))
            .transpose()
    }

    /// The fresh authorization request for `conn` (found by [`Self::find_connection`]), carrying `login_hint`
    /// and the checked target as the pending login's `return_to`. A refused target is an error, not ignored,
    /// so an attempted open redirect is visible.
    pub fn authorization_request<'a>(
        &self,
        conn: &'a OidcConnection,
        metadata: &'a ProviderMetadata,
        allowed: &AllowedOrigins,
    ) -> Result<AuthorizationRequest<'a>, Error> {
        if conn.issuer.as_str() != self.iss {
            return Err(Error::UnknownInitiatingIssuer {
                iss: self.iss.chars().take(256).collect(),
            });
        }
        let mut request = AuthorizationRequest::new(conn, metadata);
        if let Some(hint) = &self.login_hint {
            request = request.login_hint(hint);
        }
        if let Some(target) = self.target(allowed)? {
            request = request.return_to(target.as_str());
        }
        Ok(request)
    }
}
