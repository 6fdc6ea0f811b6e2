//! UserInfo (OIDC Core §5.3): request with the access token, JSON or signed JWT response, `sub` bound to
//! the ID token's, claims merged over the ID token's.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::http::{HttpRequest, HttpResponse};
use crate::id_token::{self, verify_signature};
use crate::jws::CompactJws;
use crate::{AccessToken, Error, JwksCache, OidcConnection, ProviderMetadata, VerifiedIdToken};

/// Largest userinfo response accepted.
pub(crate) const MAX_USERINFO_BYTES: usize = 256 * 1024;

/// Claims that describe the ID token itself and are never taken from userinfo when merging.
const PROTOCOL_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "azp",
    "at_hash",
    "c_hash",
    "auth_time",
    "acr",
    "amr",
    "sid",
    "jti",
];

/// Builds the userinfo request (`Authorization: Bearer`).
pub fn userinfo_request(
    metadata: &ProviderMetadata,
    access_token: &AccessToken,
) -> Result<HttpRequest, Error> {
    let url = metadata
        .userinfo_endpoint()
        .ok_or(Error::NoEndpoint {
            name: "userinfo_endpoint",
        })?
        .clone();
    let mut request = HttpRequest::get(url, "application/json, application/jwt");
    request.headers.push((
        "Authorization".to_owned(),
        format!("Bearer {}", access_token.secret()),
    ));
    Ok(request)
}

/// Verified identity: the ID token plus the userinfo claims merged into one map.
#[derive(Debug, Clone)]
pub struct UserClaims {
    id_token: VerifiedIdToken,
    merged: Map<String, Value>,
}

impl UserClaims {
    /// The verified ID token the claims belong to.
    #[must_use]
    pub fn id_token(&self) -> &VerifiedIdToken {
        &self.id_token
    }

    /// `sub` (identical in the ID token and userinfo).
    #[must_use]
    pub fn subject(&self) -> &str {
        self.id_token.subject()
    }

    /// All claims: the ID token's, with userinfo adding and updating profile claims (Okta's code-flow ID tokens
    /// are thin: `groups`, names and email come from here). Protocol claims (`iss`, `aud`, `exp`, `nonce`…)
    /// always come from the ID token.
    #[must_use]
    pub fn claims(&self) -> &Map<String, Value> {
        &self.merged
    }

    /// A string claim by name.
    #[must_use]
    pub fn string_claim(&self, name: &str) -> Option<&str> {
        self.merged.get(name).and_then(Value::as_str)
    }
}

impl VerifiedIdToken {
    /// The claims without userinfo (providers without a userinfo endpoint).
    #[must_use]
    pub fn without_userinfo(self) -> UserClaims {
        let merged = self.claims().clone();
        UserClaims {
            id_token: self,
            merged,
        }
    }

    /// Reads a userinfo response and merges it into this token's claims.
    ///
    /// `application/json` is used as is; `application/jwt` is verified like an ID token's signature (JWKS key
    /// fixing the algorithm, or the client secret when symmetric tokens are enabled), and its `iss`/`aud`, when
    /// present, must be the issuer and contain the client ID. In both cases `sub` must equal this token's.
    pub fn merge_userinfo(
        self,
        response: &HttpResponse,
        conn: &OidcConnection,
        jwks: &JwksCache,
        now: DateTime<Utc>,
    ) -> Result<UserClaims, Error> {
        const WHAT: &str = "userinfo";
        if response.status != 200 {
            return Err(Error::HttpStatus {
                what: "userinfo endpoint",
                status: response.status,
            });
        }
        if response.body.len() > MAX_USERINFO_BYTES {
            return Err(Error::TooLarge {
                what: WHAT,
                limit: MAX_USERINFO_BYTES,
                got: response.body.len(),
            });
        }
        let claims: Map<String, Value> =
            if response.media_type().as_deref() == Some("application/jwt") {
                let text = std::str::from_utf8(&response.body).map_err(|_| Error::Malformed {
                    what: WHAT,
                    detail: "JWT is not UTF-8".to_owned(),
                })?;
                let jws = CompactJws::parse(WHAT, text.trim())?;
                verify_signature(WHAT, &jws, conn, jwks, now)?;
                let claims: Map<String, Value> =
                    serde_json::from_slice(&jws.payload).map_err(|e| Error::Malformed {
                        what: WHAT,
                        detail: e.to_string(),
                    })?;
                if claims.contains_key("iss") {
                    let iss = id_token::string(&claims, WHAT, "iss")?;
                    if iss != conn.issuer.as_str() {
                        return Err(Error::IssuerMismatch {
                            what: WHAT,
                            expected: conn.issuer.as_str().to_owned(),
                            received: iss.to_owned(),
                        });
                    }
                }
                if claims.contains_key("aud") {
                    let audiences = id_token::audiences(&claims, WHAT)?;
                    if !audiences.contains(&conn.client_id) {
                        return Err(Error::AudienceMismatch {
                            expected: conn.client_id.clone(),
                            received: audiences,
                        });
                    }
                }
                claims
            } else {
                serde_json::from_slice(&response.body).map_err(|e| Error::Malformed {
                    what: WHAT,
                    detail: e.to_string(),
                })?
            };
        let sub = id_token::subject(&claims, WHAT)?;
        if sub != self.subject() {
            return Err(Error::UserInfoSubjectMismatch {
                id_token_sub: self.subject().to_owned(),
                userinfo_sub: sub,
            });
        }
        let mut merged = self.claims().clone();
        for (name, value) in claims {
            if !PROTOCOL_CLAIMS.contains(&name.as_str()) {
                merged.insert(name, value);
            }
        }
        Ok(UserClaims {
            id_token: self,
            merged,
        })
    }
}
