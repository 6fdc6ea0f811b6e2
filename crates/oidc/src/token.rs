//! The token request (authorization code grant with PKCE) and the token response.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::http::{HttpRequest, HttpResponse, Method};
use crate::{
    AccessToken, AuthorizationCode, ClientAuthMethod, Error, IdToken, OidcConnection, PendingLogin,
    ProviderMetadata, RefreshToken,
};

/// Largest token response accepted.
pub(crate) const MAX_TOKEN_RESPONSE_BYTES: usize = 256 * 1024;

/// `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B).
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The `Authorization: Basic` value for `client_secret_basic`: client ID and secret are each
/// form-urlencoded before joining with `:` and base64 (RFC 6749 §2.3.1), so a `:` or `%` in either survives.
#[must_use]
pub fn basic_authorization(client_id: &str, client_secret: &str) -> String {
    let pair = format!("{}:{}", form_encode(client_id), form_encode(client_secret));
    format!("Basic {}", STANDARD.encode(pair))
}

/// Builds the token request exchanging `code` (with the pending login's PKCE verifier and redirect URI).
/// `now` dates the client assertion of `private_key_jwt`.
pub fn token_request(
    conn: &OidcConnection,
    metadata: &ProviderMetadata,
    pending: &PendingLogin,
    code: &AuthorizationCode,
    now: DateTime<Utc>,
) -> Result<HttpRequest, Error> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code.secret())
        .append_pair("redirect_uri", pending.redirect_uri())
        .append_pair("code_verifier", pending.pkce_verifier().secret());
    let mut headers = vec![
        (
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("Accept".to_owned(), "application/json".to_owned()),
    ];
    match conn.auth_method {
        ClientAuthMethod::ClientSecretBasic => {
            headers.push((
                "Authorization".to_owned(),
                basic_authorization(&conn.client_id, conn.client_secret.secret()),
            ));
        }
        ClientAuthMethod::ClientSecretPost => {
            form.append_pair("client_id", &conn.client_id)
                .append_pair("client_secret", conn.client_secret.secret());
        }
        ClientAuthMethod::PrivateKeyJwt => {
            let key = conn.client_assertion_key.as_ref().ok_or(Error::InvalidClientKey {
                reason: "private_key_jwt is selected but the connection has no client assertion key",
            })?;
            let assertion =
                key.assertion(&conn.client_id, metadata.token_endpoint().as_str(), now)?;
            form.append_pair("client_id", &conn.client_id)
                .append_pair(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .append_pair("client_assertion", &assertion);
        }
    }
    Ok(HttpRequest {
        method: Method::Post,
        url: metadata.token_endpoint().clone(),
        headers,
        body: form.finish().into_bytes(),
    })
}

/// A successful token response of the authorization code grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// `access_token` (for userinfo).
    pub access_token: AccessToken,
    /// `id_token`, to validate with [`crate::VerifiedIdToken::verify`].
    pub id_token: IdToken,
    /// `refresh_token`, if issued.
    pub refresh_token: Option<RefreshToken>,
    /// `expires_in` seconds, if given.
    pub expires_in: Option<i64>,
    /// `scope` granted, if given.
    pub scope: Option<String>,
}

#[derive(Deserialize)]
struct RawToken {
    access_token: Option<String>,
    token_type: Option<String>,
    id_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct RawError {
    error: String,
    error_description: Option<String>,
}

impl TokenResponse {
    /// Reads the token endpoint's answer: 200 with `access_token`, `token_type` Bearer and `id_token`; a JSON
    /// OAuth error (400/401) becomes [`Error::IdpError`]; any other status [`Error::HttpStatus`].
    pub fn parse(response: &HttpResponse) -> Result<Self, Error> {
        let body = &response.body;
        if body.len() > MAX_TOKEN_RESPONSE_BYTES {
            return Err(Error::TooLarge {
                what: "token response",
                limit: MAX_TOKEN_RESPONSE_BYTES,
                got: body.len(),
            });
        }
        if response.status != 200 {
            if let Ok(raw) = serde_json::from_slice::<RawError>(body) {
                return Err(Error::IdpError {
                    endpoint: "token",
                    error: raw.error.chars().take(128).collect(),
                    description: raw.error_description.map(|d| d.chars().take(512).collect()),
                });
            }
            return Err(Error::HttpStatus {
                what: "token endpoint",
                status: response.status,
            });
        }
        let raw: RawToken = serde_json::from_slice(body).map_err(|e| Error::Malformed {
            what: "token response",
            detail: e.to_string(),
        })?;
        let missing = |claim| Error::MissingClaim {
            what: "token response",
            claim,
        };
        let token_type = raw.token_type.ok_or(missing("token_type"))?;
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(Error::UnexpectedTokenType {
                received: token_type,
            });
        }
        let expires_in = match raw.expires_in {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            Some(_) => None,
        };
        Ok(Self {
            access_token: AccessToken::new(
                raw.access_token
                    .filter(|t| !t.is_empty())
                    .ok_or(missing("access_token"))?,
            ),
            id_token: IdToken::new(
                raw.id_token
                    .filter(|t| !t.is_empty())
                    .ok_or(missing("id_token"))?,
            ),
            refresh_token: raw.refresh_token.map(RefreshToken::new),
            expires_in,
            scope: raw.scope,
        })
    }
}
