//! OpenID Connect relying party: discovery, JWKS caching, authorization code flow with PKCE, ID token and
//! userinfo validation, third-party-initiated login and RP-initiated logout.
//!
//! Sans-IO: the caller does the HTTP and passes the clock; the JWKS is a [`JwksCache`] value the caller owns.
//! A login's completion is the step machine [`LoginFlow`], which asks for one [`HttpRequest`] at a time; it
//! has two drivers, [`complete_login`] over the blocking [`HttpClient`] trait and [`complete_login_async`]
//! over [`AsyncHttpClient`] (implemented for `reqwest::Client` with the `reqwest` feature), and any other
//! I/O can drive it directly.
//! Claims exist only in a [`VerifiedIdToken`], which only [`VerifiedIdToken::verify`] builds after every check.
//!
//! # Security decisions
//! - The signature algorithm is fixed by the key (JWK `kty`/`crv`/`alg`), never by the token header; `none` is
//!   refused before any key lookup; HS256/384/512 are keyed only by the client secret and only when
//!   [`OidcConnection::symmetric_id_tokens`] is set; `oct` keys in a JWKS are ignored; RSA keys < 2048 bits
//!   are refused.
//! - A token without `kid` verifies only when exactly one key fits its algorithm. An unknown `kid` asks the
//!   caller to refetch the JWKS at most once per cooldown ([`RefetchDecision`]), so forged kids cannot cause
//!   refetch storms.
//! - `iss` is compared byte for byte with the configured issuer, in discovery, ID tokens and RFC 9207
//!   callbacks (mix-up defence). `aud` must contain the client ID, and with several audiences `azp` must be it.
//! - PKCE S256, `state` and `nonce` are always sent; the callback's `state` is compared in constant time.
//! - Third-party-initiated logins never redirect to an unknown issuer, and `target_link_uri` is honoured only
//!   inside the app's origins (exact scheme, host, port; no userinfo, no backslashes).
//! - Secrets ([`ClientSecret`], [`AccessToken`], [`IdToken`], [`AuthorizationCode`], [`PkceVerifier`]) print
//!   `[redacted]` in `Debug`, and errors never carry them.
//!
//! The attacks these rules answer, and the tests showing it, are in [`manual`].
//!
//! # Example
//! ```
//! use gatehouse_oidc::{AuthorizationRequest, ClientSecret, OidcConnection, ProviderMetadata};
//!
//! // What the customer sends: an Okta domain, a client ID and a client secret.
//! let conn = OidcConnection::new(
//!     "acme.okta.com",
//!     "0oa1client",
//!     ClientSecret::new("s3cret"),
//!     "https://auth.example.com/login/callback",
//! )
//! .map_err(|problems| format!("{problems:?}"))?;
//! assert_eq!(conn.issuer.as_str(), "https://acme.okta.com");
//!
//! // The discovery document the caller fetched from conn.issuer.discovery_url().
//! let discovery = br#"{
//!     "issuer": "https://acme.okta.com",
//!     "authorization_endpoint": "https://acme.okta.com/oauth2/v1/authorize",
//!     "token_endpoint": "https://acme.okta.com/oauth2/v1/token",
//!     "jwks_uri": "https://acme.okta.com/oauth2/v1/keys",
//!     "userinfo_endpoint": "https://acme.okta.com/oauth2/v1/userinfo",
//!     "code_challenge_methods_supported": ["S256"]
//! }"#;
//! let metadata = ProviderMetadata::parse(discovery, &conn.issuer)?;
//!
//! // Redirect the browser to `url`; keep `pending` until the callback.
//! let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).ok_or("clock")?;
//! let (url, pending) = AuthorizationRequest::new(&conn, &metadata).login_hint("ada@acme.com").build(now)?;
//! assert!(url.as_str().contains("code_challenge_method=S256"));
//! assert!(url.query_pairs().any(|(k, v)| k == "state" && v == pending.state()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authorize;
mod callback;
mod client_assertion;
mod config;
mod discovery;
mod error;
mod flow;
mod http;
mod id_token;
mod initiate;
mod jwks;
mod jws;
mod logout;
pub mod manual;
mod params;
mod secret;
mod token;
mod urls;
mod userinfo;

pub use authorize::{AuthorizationRequest, PendingLogin, Prompt, ResponseMode, pkce_challenge};
pub use callback::Callback;
pub use client_assertion::ClientAssertionKey;
pub use config::{ClientAuthMethod, Issuer, OidcConnection};
pub use discovery::ProviderMetadata;
pub use error::Error;
pub use flow::{
    LoginFlow, LoginOutcome, Reply, Step, complete_login, complete_login_async, discovery_request,
    fetch_metadata, fetch_metadata_async, jwks_request, refresh_jwks, verify_id_token,
};
pub use http::{AsyncHttpClient, HttpClient, HttpRequest, HttpResponse, Method};
#[cfg(feature = "reqwest")]
pub use http::{ReqwestBlocking, execute_async, reqwest_client};
pub use id_token::{IdTokenChecks, VerifiedIdToken};
pub use initiate::{AllowedOrigins, InitiateLogin};
pub use jsonwebtoken::Algorithm;
pub use jwks::{JwksCache, RefetchDecision, max_age_secs};
pub use logout::logout_url;
pub use secret::{
    AccessToken, AuthorizationCode, ClientSecret, IdToken, PkceVerifier, RefreshToken,
};
pub use token::{TokenResponse, basic_authorization, token_request};
pub use userinfo::{UserClaims, userinfo_request};

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the cargo-fuzz targets in `fuzz/` and the corpus replay test.

    use crate::{
        Callback, ClientSecret, IdToken, IdTokenChecks, JwksCache, OidcConnection, VerifiedIdToken,
    };

    /// A JWKS with one P-256 key (the test key `tests/data/ec-p256.pem`), kid `ec-1`.
    pub(crate) const JWKS: &[u8] = br#"{"keys":[{"kty":"EC","crv":"P-256","kid":"ec-1","alg":"ES256","use":"sig",
        "x":"YvkBgZhpjtuQulaNVbyPI-MNJ2qQqbx7T-F1hNereQ8","y":"HDTYVuU3ocIJExmfjNzXQ7zByIt7AmTxxNFwRPfq9a8"}]}"#;

    /// Feeds `data` to every parser of the crate; the first byte picks the emphasis, and nothing may panic.
    /// The ID token path runs the whole verifier (header, key selection, signature) and, separately, the claim
    /// checks on the payload as if the signature had passed.
    pub fn id_token(data: &[u8]) {
        let Some((selector, rest)) = data.split_first() else {
            return;
        };
        let Ok(conn) = OidcConnection::new(
            "https://op.example.com",
            "client-1",
            ClientSecret::new("fuzz-secret"),
            "https://rp.example.com/login/callback",
        ) else {
            return;
        };
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut jwks = JwksCache::new(60);
        let _ = jwks.update(JWKS, Some("max-age=600"), now);
        let checks = IdTokenChecks {
            nonce: "n-0S6_WzA2Mj",
            max_age_secs: Some(3600),
            access_token: None,
            code: None,
        };
        match selector % 6 {
            0 => {
                let token = IdToken::new(String::from_utf8_lossy(rest).into_owned());
                let _ = VerifiedIdToken::verify(token, &conn, &jwks, &checks, now);
            }
            1 => {
                let _ = jwks.update(rest, std::str::from_utf8(rest).ok(), now);
            }
            2 => {
                let _ = crate::ProviderMetadata::parse(rest, &conn.issuer);
                let _ = crate::Issuer::from_domain_or_url(&String::from_utf8_lossy(rest));
            }
            3 => {
                let _ = Callback::parse(rest);
                let _ = crate::TokenResponse::parse(&crate::HttpResponse {
                    status: 200,
                    headers: Vec::new(),
                    body: rest.to_vec(),
                });
            }
            4 => {
                if let Ok(init) = crate::InitiateLogin::parse(rest)
                    && let Ok(allowed) = crate::AllowedOrigins::new(["https://app.example.com"])
                {
                    let _ = init.target(&allowed);
                    let _ = init.find_connection([&conn]);
                }
            }
            _ => {
                let _ = crate::id_token::fuzz_claims(rest, &conn, &checks, now);
            }
        }
    }
}

#[doc(hidden)]
pub mod signature_layer {
    //! The JWS signature layer alone, for the Wycheproof and RFC 7520 vector tests: key selection and signature
    //! verification exactly as ID tokens get them, without any claim check. Not for production use: a
    //! payload returned here is authentic but unvalidated.

    use chrono::{DateTime, Utc};

    use crate::jws::CompactJws;
    use crate::{Error, JwksCache, OidcConnection};

    /// Verifies the compact JWS `token` with the connection's client secret (HS*, when enabled) or `jwks`
    /// and returns its payload bytes.
    pub fn verify(
        token: &str,
        conn: &OidcConnection,
        jwks: &JwksCache,
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, Error> {
        let jws = CompactJws::parse("JWS", token)?;
        crate::id_token::verify_signature("JWS", &jws, conn, jwks, now)?;
        Ok(jws.payload)
    }
}

#[cfg(test)]
mod tests {
    /// The checked-in seed token must pass the whole verifier in the fuzz entry's setup, so fuzzing starts from
    /// inputs that reach the claim checks, not only the parser.
    #[test]
    fn fuzz_seed_token_is_valid_for_the_fuzz_setup() {
        let seed = include_bytes!("../../../fuzz/corpus/oidc_id_token/id-token-es256-valid");
        let token = std::str::from_utf8(seed.get(1..).unwrap_or_default()).unwrap_or_default();
        let conn = crate::OidcConnection::new(
            "https://op.example.com",
            "client-1",
            crate::ClientSecret::new("fuzz-secret"),
            "https://rp.example.com/login/callback",
        )
        .map_err(|e| format!("{e:?}"));
        let Ok(conn) = conn else { panic!("connection") };
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut jwks = crate::JwksCache::new(60);
        assert!(jwks.update(super::fuzzing::JWKS, None, now).is_ok());
        let checks = crate::IdTokenChecks {
            nonce: "n-0S6_WzA2Mj",
            max_age_secs: Some(3600),
            access_token: None,
            code: None,
        };
        let verified =
            crate::VerifiedIdToken::verify(crate::IdToken::new(token), &conn, &jwks, &checks, now);
        assert_eq!(
            verified.map(|v| v.subject().to_owned()),
            Ok("00u1".to_owned())
        );
    }
}
