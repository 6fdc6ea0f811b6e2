//! The code flow driven through an [`HttpClient`]: discovery, JWKS refresh with the refetch rule, code
//! exchange, ID token validation and userinfo. Callers doing their own (async) I/O use the request builders
//! and parsers these functions are made of.

use chrono::{DateTime, Utc};

use crate::http::{HttpClient, HttpRequest, HttpResponse};
use crate::id_token::IdTokenChecks;
use crate::{
    Callback, Error, IdToken, Issuer, JwksCache, OidcConnection, PendingLogin, ProviderMetadata,
    RefetchDecision, TokenResponse, UserClaims, VerifiedIdToken,
};

/// The discovery request for `issuer`.
pub fn discovery_request(issuer: &Issuer) -> Result<HttpRequest, Error> {
    let url = crate::urls::endpoint("discovery", &issuer.discovery_url())?;
    Ok(HttpRequest::get(url, "application/json"))
}

/// The JWKS request.
#[must_use]
pub fn jwks_request(metadata: &ProviderMetadata) -> HttpRequest {
    HttpRequest::get(
        metadata.jwks_uri().clone(),
        "application/jwk-set+json, application/json",
    )
}

fn send(
    http: &impl HttpClient,
    what: &'static str,
    request: HttpRequest,
) -> Result<HttpResponse, Error> {
    http.execute(request)
        .map_err(|detail| Error::Http { what, detail })
}

/// Fetches and checks the provider metadata of `issuer`.
pub fn fetch_metadata(http: &impl HttpClient, issuer: &Issuer) -> Result<ProviderMetadata, Error> {
    let response = send(http, "discovery", discovery_request(issuer)?)?;
    if response.status != 200 {
        return Err(Error::HttpStatus {
            what: "discovery",
            status: response.status,
        });
    }
    ProviderMetadata::parse(&response.body, issuer)
}

/// Fetches the JWKS into `jwks` (recording the attempt even when it fails).
pub fn refresh_jwks(
    http: &impl HttpClient,
    metadata: &ProviderMetadata,
    jwks: &mut JwksCache,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let response = match send(http, "jwks_uri", jwks_request(metadata)) {
        Ok(r) if r.status == 200 => r,
        Ok(r) => {
            jwks.record_failed_fetch(now);
            return Err(Error::HttpStatus {
                what: "jwks_uri",
                status: r.status,
            });
        }
        Err(e) => {
            jwks.record_failed_fetch(now);
            return Err(e);
        }
    };
    jwks.update(&response.body, response.header("cache-control"), now)
}

/// Validates an ID token, refreshing the JWKS first when its `max-age` passed, and refetching once when the
/// token names an unknown key and the cooldown allows it (key rotation without refetch storms).
pub fn verify_id_token(
    http: &impl HttpClient,
    conn: &OidcConnection,
    metadata: &ProviderMetadata,
    jwks: &mut JwksCache,
    token: IdToken,
    checks: &IdTokenChecks<'_>,
    now: DateTime<Utc>,
) -> Result<VerifiedIdToken, Error> {
    if jwks.needs_refresh(now)
        && let Err(error) = refresh_jwks(http, metadata, jwks, now)
    {
        tracing::warn!(%error, "JWKS refresh failed; verifying with the keys held");
    }
    match VerifiedIdToken::verify(token.clone(), conn, jwks, checks, now) {
        Err(
            Error::UnknownKeyId {
                refetch: RefetchDecision::Refetch,
                ..
            }
            | Error::NoKeyForAlgorithm {
                refetch: RefetchDecision::Refetch,
                ..
            },
        ) => {
            tracing::info!("ID token names a key not held; refetching the JWKS once");
            refresh_jwks(http, metadata, jwks, now)?;
            VerifiedIdToken::verify(token, conn, jwks, checks, now)
        }
        other => other,
    }
}

/// What a completed login yields.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The verified ID token with userinfo merged (when the provider has a userinfo endpoint).
    pub user: UserClaims,
    /// The token response (access token, refresh token).
    pub tokens: TokenResponse,
}

/// Completes a login from the callback: checks it against `pending`, exchanges the code, validates the ID
/// token (with the JWKS refetch rule) and merges userinfo. The caller removes `pending` from its store first
/// (single use) and signs the user in with [`LoginOutcome::user`].
pub fn complete_login(
    http: &impl HttpClient,
    conn: &OidcConnection,
    metadata: &ProviderMetadata,
    jwks: &mut JwksCache,
    pending: &PendingLogin,
    callback: &Callback,
    now: DateTime<Utc>,
) -> Result<LoginOutcome, Error> {
    if pending.issuer() != &conn.issuer {
        return Err(Error::IssuerMismatch {
            what: "pending login",
            expected: conn.issuer.as_str().to_owned(),
            received: pending.issuer().as_str().to_owned(),
        });
    }
    if pending.is_expired(now, conn.pending_login_ttl_secs) {
        return Err(Error::LoginExpired {
            created_at: pending.created_at(),
            now,
            ttl_secs: conn.pending_login_ttl_secs,
        });
    }
    let code = pending.accept_callback(callback, metadata)?;
    let response = send(
        http,
        "token endpoint",
        crate::token_request(conn, metadata, pending, &code, now)?,
    )?;
    let tokens = TokenResponse::parse(&response)?;
    let checks = pending.id_token_checks(Some(&tokens.access_token), Some(&code));
    let id_token = verify_id_token(
        http,
        conn,
        metadata,
        jwks,
        tokens.id_token.clone(),
        &checks,
        now,
    )?;
    let user = match metadata.userinfo_endpoint() {
        Some(_) => {
            let request = crate::userinfo_request(metadata, &tokens.access_token)?;
            let response = send(http, "userinfo endpoint", request)?;
            id_token.merge_userinfo(&response, conn, jwks, now)?
        }
        None => id_token.without_userinfo(),
    };
    tracing::info!(issuer = %conn.issuer, "OIDC login completed");
    Ok(LoginOutcome { user, tokens })
}
