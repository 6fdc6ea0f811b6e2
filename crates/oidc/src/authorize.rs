//! The authorization request (OIDC Core §3.1.2.1) with state, nonce and PKCE S256, and the
//! [`PendingLogin`] the caller keeps until the callback.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use url::Url;

use crate::id_token::IdTokenChecks;
use crate::{
    AccessToken, AuthorizationCode, Error, Issuer, OidcConnection, PkceVerifier, ProviderMetadata,
};

/// How the provider returns the authorization response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ResponseMode {
    /// Query string of a `GET` to the redirect URI (the OAuth default for `code`).
    #[default]
    Query,
    /// Auto-submitted `POST` form (OAuth 2.0 Form Post Response Mode): keeps the code out of URLs and logs.
    FormPost,
}

/// The `prompt` parameter (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Prompt {
    /// `none`: no UI; fails with `login_required` when the user has no session.
    None,
    /// `login`: re-authenticate.
    Login,
    /// `consent`: ask for consent again.
    Consent,
    /// `select_account`: let the user choose an account.
    SelectAccount,
}

impl Prompt {
    fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Login => "login",
            Self::Consent => "consent",
            Self::SelectAccount => "select_account",
        }
    }
}

/// What the callback must be checked against. Store it server-side (or in an encrypted, signed cookie) keyed by
/// [`PendingLogin::state`]; it holds the PKCE verifier, which must not reach the browser in clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    state: String,
    nonce: String,
    pkce_verifier: PkceVerifier,
    issuer: Issuer,
    client_id: String,
    redirect_uri: String,
    response_mode: ResponseMode,
    max_age_secs: Option<i64>,
    return_to: Option<String>,
    created_at: DateTime<Utc>,
}

impl PendingLogin {
    /// The `state` sent; look the pending login up by the callback's `state`.
    #[must_use]
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The `nonce` sent.
    #[must_use]
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The PKCE verifier for the code exchange.
    #[must_use]
    pub fn pkce_verifier(&self) -> &PkceVerifier {
        &self.pkce_verifier
    }

    /// The issuer this login went to.
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The redirect URI sent (repeated in the token request).
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The response mode requested (a `form_post` login must come back as a `POST`).
    #[must_use]
    pub fn response_mode(&self) -> ResponseMode {
        self.response_mode
    }

    /// `max_age` requested, if any.
    #[must_use]
    pub fn max_age_secs(&self) -> Option<i64> {
        self.max_age_secs
    }

    /// Where to send the user after sign-in (an already-checked `target_link_uri`), if any.
    #[must_use]
    pub fn return_to(&self) -> Option<&str> {
        self.return_to.as_deref()
    }

    /// When the request was built; the caller expires pending logins (10 minutes is plenty).
    #[must_use]
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// True when the login was started more than `ttl_secs` before `now` (or lies in the future).
    #[must_use]
    pub fn is_expired(&self, now: DateTime<Utc>, ttl_secs: i64) -> bool {
        let ttl = chrono::TimeDelta::try_seconds(ttl_secs.max(0)).unwrap_or(chrono::TimeDelta::MAX);
        now < self.created_at
            || self
                .created_at
                .checked_add_signed(ttl)
                .is_some_and(|end| now > end)
    }

    /// The per-login ID token checks for a token response carrying `access_token`, for `code`.
    #[must_use]
    pub fn id_token_checks<'a>(
        &'a self,
        access_token: Option<&'a AccessToken>,
        code: Option<&'a AuthorizationCode>,
    ) -> IdTokenChecks<'a> {
        IdTokenChecks {
            nonce: &self.nonce,
            max_age_secs: self.max_age_secs,
            access_token,
            code,
        }
    }
}

/// Builder of one authorization request. `state`, `nonce` and the PKCE verifier are always fresh random
/// values; the code challenge is always S256.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest<'a> {
    conn: &'a OidcConnection,
    metadata: &'a ProviderMetadata,
    response_mode: ResponseMode,
    extra_scopes: Vec<String>,
    login_hint: Option<String>,
    prompt: Vec<Prompt>,
    max_age_secs: Option<i64>,
    return_to: Option<String>,
}

/// 32 random bytes, base64url: 43 characters, 256 bits.
pub(crate) fn random_token() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 code challenge of a verifier (RFC 7636 §4.2).
#[must_use]
pub fn pkce_challenge(verifier: &PkceVerifier) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.secret().as_bytes()))
}

impl<'a> AuthorizationRequest<'a> {
    /// A request for `conn` at the provider described by `metadata`, with the connection's scopes.
    #[must_use]
    pub fn new(conn: &'a OidcConnection, metadata: &'a ProviderMetadata) -> Self {
        Self {
            conn,
            metadata,
            response_mode: ResponseMode::Query,
            extra_scopes: Vec::new(),
            login_hint: None,
            prompt: Vec::new(),
            max_age_secs: None,
            return_to: None,
        }
    }

    /// Sets the response mode.
    #[must_use]
    pub fn response_mode(mut self, mode: ResponseMode) -> Self {
        self.response_mode = mode;
        self
    }

    /// Adds a scope (for example `groups`, or `offline_access`).
    #[must_use]
    pub fn scope(mut self, scope: &str) -> Self {
        self.extra_scopes.push(scope.to_owned());
        self
    }

    /// Sets `login_hint` (the email typed on our login page, or the third-party login's hint).
    #[must_use]
    pub fn login_hint(mut self, hint: &str) -> Self {
        self.login_hint = Some(hint.to_owned());
        self
    }

    /// Adds a `prompt` value.
    #[must_use]
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompt.push(prompt);
        self
    }

    /// Sets `max_age`: the ID token must then carry an `auth_time` no older than this.
    #[must_use]
    pub fn max_age_secs(mut self, max_age: i64) -> Self {
        self.max_age_secs = Some(max_age.max(0));
        self
    }

    /// Remembers where to send the user after sign-in. Pass only values already checked against the allowed
    /// origins (see [`crate::InitiateLogin`]).
    #[must_use]
    pub fn return_to(mut self, url: &str) -> Self {
        self.return_to = Some(url.to_owned());
        self
    }

    /// Builds the URL to redirect the browser to and the [`PendingLogin`] to store.
    pub fn build(self, now: DateTime<Utc>) -> Result<(Url, PendingLogin), Error> {
        let state = random_token()?;
        let nonce = random_token()?;
        let verifier = PkceVerifier::new(random_token()?);
        let mut scopes: Vec<&str> = vec!["openid"];
        for scope in self.conn.scopes.iter().chain(&self.extra_scopes) {
            if !scopes.contains(&scope.as_str()) {
                scopes.push(scope);
            }
        }
        let mut url = self.metadata.authorization_endpoint().clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.conn.client_id)
                .append_pair("redirect_uri", self.conn.redirect_uri.as_str())
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", &pkce_challenge(&verifier))
                .append_pair("code_challenge_method", "S256");
            if self.response_mode == ResponseMode::FormPost {
                query.append_pair("response_mode", "form_post");
            }
            if let Some(hint) = &self.login_hint {
                query.append_pair("login_hint", hint);
            }
            if !self.prompt.is_empty() {
                let prompt: Vec<&str> = self.prompt.iter().map(|p| p.as_str()).collect();
                query.append_pair("prompt", &prompt.join(" "));
            }
            if let Some(max_age) = self.max_age_secs {
                query.append_pair("max_age", &max_age.to_string());
            }
        }
        let pending = PendingLogin {
            state,
            nonce,
            pkce_verifier: verifier,
            issuer: self.conn.issuer.clone(),
            client_id: self.conn.client_id.clone(),
            redirect_uri: self.conn.redirect_uri.to_string(),
            response_mode: self.response_mode,
            max_age_secs: self.max_age_secs,
            return_to: self.return_to,
            created_at: now,
        };
        tracing::debug!(issuer = %pending.issuer, "authorization request built");
        Ok((url, pending))
    }
}
