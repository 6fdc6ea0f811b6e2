//! Long-lived configuration of one OIDC connection: a plain `Clone + Send + Sync` struct.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::{ClientSecret, Error, urls};

/// An issuer identifier (OIDC Core §2): an `https` URL without query or fragment, compared byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Issuer(String);

impl Issuer {
    /// Builds the issuer from what a customer sends: a bare Okta domain (`acme.okta.com` →
    /// `https://acme.okta.com`, the org authorization server) or a full issuer URL
    /// (`https://acme.okta.com/oauth2/default`, a custom authorization server). A trailing `/` is dropped,
    /// since Okta's issuers have none; the discovery document must then name exactly this issuer.
    pub fn from_domain_or_url(input: &str) -> Result<Self, Error> {
        let bad = |reason| Error::InvalidIssuerInput {
            input: input.to_owned(),
            reason,
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(bad("empty"));
        }
        if trimmed
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        {
            return Err(bad(
                "contains whitespace, control characters or backslashes",
            ));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("https://{trimmed}")
        };
        let url = Url::parse(&with_scheme).map_err(|_| bad("not a domain or URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if urls::is_loopback(&url) => {}
            _ => return Err(bad("the issuer must use https")),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not carry user information"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("an issuer has no query or fragment"));
        }
        let host = url.host_str().unwrap_or_default();
        if [".okta.com", ".oktapreview.com", ".okta-emea.com"]
            .iter()
            .any(|d| host.ends_with(&format!("-admin{d}")))
        {
            return Err(bad(
                "this is the Okta admin console domain; use the org domain without `-admin`",
            ));
        }
        let text = url.as_str().trim_end_matches('/').to_owned();
        Ok(Self(text))
    }

    /// The issuer string, as the `iss` claim must carry it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{issuer}/.well-known/openid-configuration` (OIDC Discovery §4).
    #[must_use]
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.0)
    }
}

impl std::fmt::Display for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// HTTP Basic with the form-urlencoded client ID and secret (Okta's default for Web apps).
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A JWT signed with [`OidcConnection::client_assertion_key`] (OIDC Core §9); no secret is sent.
    PrivateKeyJwt,
}

/// One OIDC connection: what the customer sends (Okta domain, client ID, client secret) plus our callback.
///
/// Everything else comes from discovery. The defaults follow OIDC Core: 60 s clock leeway, ID tokens signed
/// with the provider's asymmetric keys only.
#[derive(Debug, Clone)]
pub struct OidcConnection {
    /// The issuer; the discovery document and every ID token must name exactly this value.
    pub issuer: Issuer,
    /// The OAuth client ID ("Client ID" in Okta).
    pub client_id: String,
    /// The OAuth client secret ("Client secret" in Okta).
    pub client_secret: ClientSecret,
    /// Our callback, registered in Okta's "Sign-in redirect URIs" (`https://auth.example.com/login/callback`).
    pub redirect_uri: Url,
    /// Scopes to request; `openid` is always sent even when missing here.
    pub scopes: Vec<String>,
    /// Token endpoint client authentication.
    pub auth_method: ClientAuthMethod,
    /// Clock skew tolerated on `exp`, `nbf`, `iat` and `auth_time`, in seconds (default 60).
    pub leeway_secs: i64,
    /// Largest accepted age of an ID token's `iat`, in seconds (default 600): code-flow ID tokens are
    /// issued at the code exchange, moments before validation.
    pub max_id_token_age_secs: i64,
    /// Accept ID tokens signed with HS256/384/512 keyed by the client secret (default false). When false,
    /// an HMAC-signed token is refused outright, so a leaked secret cannot mint ID tokens.
    pub symmetric_id_tokens: bool,
    /// Minimum time between two JWKS fetches, in seconds (default 60): a token naming an unknown `kid` triggers a
    /// refetch only when the last fetch — scheduled, triggered by another unknown `kid`, or failed — is at least this
    /// old, so a flood of forged `kid`s costs the IdP one request a minute. An IdP that starts signing with a key it
    /// did not publish first is refused until then (`unknown_key_id`, with the seconds to wait).
    pub jwks_refetch_cooldown_secs: i64,
    /// Audiences besides the client ID an ID token may also list (default none: any other audience is
    /// refused, OIDC Core §3.1.3.7 step 3).
    pub trusted_audiences: Vec<String>,
    /// How long a [`crate::PendingLogin`] stays usable, in seconds (default 600).
    pub pending_login_ttl_secs: i64,
    /// The client's private key, required when `auth_method` is [`ClientAuthMethod::PrivateKeyJwt`].
    pub client_assertion_key: Option<crate::ClientAssertionKey>,
}

impl OidcConnection {
    /// Builds a connection from the customer's Okta domain (or issuer URL), client ID and secret and our
    /// callback URL, with the defaults. Returns every problem found at once, which is what an admin page needs.
    pub fn new(
        okta_domain_or_issuer: &str,
        client_id: &str,
        client_secret: ClientSecret,
        redirect_uri: &str,
    ) -> Result<Self, Vec<Error>> {
        let mut problems = Vec::new();
        let issuer = Issuer::from_domain_or_url(okta_domain_or_issuer)
            .map_err(|e| problems.push(e))
            .ok();
        let client_id = client_id.trim();
        if client_id.is_empty() {
            problems.push(Error::MissingParameter { name: "client_id" });
        }
        if client_secret.secret().is_empty() {
            problems.push(Error::MissingParameter {
                name: "client_secret",
            });
        }
        let redirect = urls::endpoint("redirect", redirect_uri)
            .map_err(|e| problems.push(e))
            .ok();
        match (issuer, redirect) {
            (Some(issuer), Some(redirect_uri)) if problems.is_empty() => Ok(Self {
                issuer,
                client_id: client_id.to_owned(),
                client_secret,
                redirect_uri,
                scopes: ["openid", "profile", "email"].map(str::to_owned).to_vec(),
                auth_method: ClientAuthMethod::default(),
                leeway_secs: 60,
                max_id_token_age_secs: 600,
                symmetric_id_tokens: false,
                jwks_refetch_cooldown_secs: crate::jwks::DEFAULT_REFETCH_COOLDOWN_SECS,
                trusted_audiences: Vec::new(),
                pending_login_ttl_secs: 600,
                client_assertion_key: None,
            }),
            _ => Err(problems),
        }
    }
}
