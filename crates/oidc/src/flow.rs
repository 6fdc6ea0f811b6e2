//! The code flow: discovery, JWKS refresh with the refetch rule, code exchange, ID token validation and
//! userinfo. The login's completion is a sans-IO step machine, [`LoginFlow`], with two drivers over it:
//! [`complete_login`] (blocking, [`HttpClient`]) and [`complete_login_async`] ([`AsyncHttpClient`]); a host
//! with other I/O drives [`LoginFlow`] itself. The checks live once, in the machine.

use chrono::{DateTime, Utc};

use crate::http::{AsyncHttpClient, HttpClient, HttpRequest, HttpResponse};
use crate::id_token::IdTokenChecks;
use crate::{
    AuthorizationCode, Callback, Error, IdToken, Issuer, JwksCache, OidcConnection, PendingLogin,
    ProviderMetadata, RefetchDecision, TokenResponse, UserClaims, VerifiedIdToken,
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

/// Fetches and checks the provider metadata of `issuer`.
pub fn fetch_metadata(http: &impl HttpClient, issuer: &Issuer) -> Result<ProviderMetadata, Error> {
    read_metadata(http.execute(discovery_request(issuer)?), issuer)
}

/// [`fetch_metadata`] over an [`AsyncHttpClient`].
pub async fn fetch_metadata_async(
    http: &impl AsyncHttpClient,
    issuer: &Issuer,
) -> Result<ProviderMetadata, Error> {
    read_metadata(http.execute(discovery_request(issuer)?).await, issuer)
}

/// Checks the answer to [`discovery_request`].
fn read_metadata(reply: Reply, issuer: &Issuer) -> Result<ProviderMetadata, Error> {
    let response = reply.map_err(|detail| Error::Http {
        what: "discovery",
        detail,
    })?;
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
    store_jwks(jwks, http.execute(jwks_request(metadata)), now)
}

/// Stores the answer to [`jwks_request`] in `jwks`; a transport failure or a status other than 200 is
/// recorded as a failed fetch (it starts the refetch cooldown) and returned.
fn store_jwks(jwks: &mut JwksCache, reply: Reply, now: DateTime<Utc>) -> Result<(), Error> {
    let response = match reply {
        Ok(r) if r.status == 200 => r,
        Ok(r) => {
            jwks.record_failed_fetch(now);
            return Err(Error::HttpStatus {
                what: "jwks_uri",
                status: r.status,
            });
        }
        Err(detail) => {
            jwks.record_failed_fetch(now);
            return Err(Error::Http {
                what: "jwks_uri",
                detail,
            });
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
    let mut keys = Keys::Start;
    let mut reply = None;
    loop {
        let step = keys.next(reply.take(), conn, metadata, jwks, &token, checks, now)?;
        match step {
            KeyStep::Send(request) => reply = Some(http.execute(request)),
            KeyStep::Verified(verified) => return Ok(verified),
        }
    }
}

/// The ID token check's dealings with the JWKS, shared by [`verify_id_token`] and [`LoginFlow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// Nothing sent yet.
    Start,
    /// The keys' `max-age` had passed: the refresh was asked for.
    Refreshing,
    /// The token named a key not held: the one refetch was asked for.
    Refetching,
}

enum KeyStep {
    Send(HttpRequest),
    Verified(VerifiedIdToken),
}

impl Keys {
    /// One step: the JWKS request to send, or the verified token. A failed refresh is logged and verification
    /// goes on with the keys held; a failed refetch fails the login.
    #[allow(
        clippy::too_many_arguments,
        reason = "the verification's inputs, as verify_id_token takes them"
    )]
    fn next(
        &mut self,
        reply: Option<Reply>,
        conn: &OidcConnection,
        metadata: &ProviderMetadata,
        jwks: &mut JwksCache,
        token: &IdToken,
        checks: &IdTokenChecks<'_>,
        now: DateTime<Utc>,
    ) -> Result<KeyStep, Error> {
        match (*self, reply) {
            (Self::Start, None) => {
                if jwks.needs_refresh(now) {
                    *self = Self::Refreshing;
                    return Ok(KeyStep::Send(jwks_request(metadata)));
                }
            }
            (Self::Refreshing, Some(reply)) => {
                if let Err(error) = store_jwks(jwks, reply, now) {
                    tracing::warn!(%error, "JWKS refresh failed; verifying with the keys held");
                }
            }
            (Self::Refetching, Some(reply)) => {
                store_jwks(jwks, reply, now)?;
                return VerifiedIdToken::verify(token.clone(), conn, jwks, checks, now)
                    .map(KeyStep::Verified);
            }
            (stage, reply) => return Err(out_of_order(stage.expected(), reply.as_ref())),
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
                *self = Self::Refetching;
                Ok(KeyStep::Send(jwks_request(metadata)))
            }
            other => other.map(KeyStep::Verified),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Self::Start => "no reply (nothing sent yet)",
            Self::Refreshing | Self::Refetching => "the jwks_uri reply",
        }
    }
}

/// A step machine driven out of turn: `expected` is what its state allowed.
fn out_of_order(expected: &'static str, reply: Option<&Reply>) -> Error {
    Error::FlowOutOfOrder {
        expected,
        received: if reply.is_some() {
            "a reply"
        } else {
            "no reply"
        },
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

/// What a [`LoginFlow`] asks of its driver next.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "one value per step, moved once")]
pub enum Step {
    /// Send this request and pass its reply (or the transport failure) to the next [`LoginFlow::next`].
    Send(HttpRequest),
    /// The login succeeded.
    Done(LoginOutcome),
}

/// The reply a driver passes back: the response, or the transport failure as text (no secrets), as
/// [`HttpClient::execute`] returns it.
pub type Reply = Result<HttpResponse, String>;

/// Where a [`LoginFlow`] stands.
#[derive(Debug)]
enum Stage {
    /// Nothing checked or sent yet.
    Start,
    /// The code exchange was sent.
    Token(AuthorizationCode),
    /// The tokens arrived; the ID token is being checked (possibly with JWKS requests).
    IdToken {
        code: AuthorizationCode,
        tokens: TokenResponse,
        keys: Keys,
    },
    /// The userinfo request was sent.
    UserInfo {
        tokens: TokenResponse,
        id_token: VerifiedIdToken,
    },
    /// Done or failed: nothing more to do.
    Finished,
}

/// The code flow's completion as a sans-IO step machine: it checks the callback, then asks for the token
/// request, JWKS requests (a refresh when the keys' `max-age` passed, one refetch when the ID token names a
/// key not held and the cooldown allows it) and the userinfo request, one [`Step::Send`] at a time, and ends
/// with [`Step::Done`] or an error. Nothing in it blocks or awaits, so any I/O drives it:
///
/// ```
/// use gatehouse_oidc::{AuthorizationRequest, Callback, ClientSecret, Error, HttpRequest, JwksCache};
/// use gatehouse_oidc::{LoginFlow, Method, OidcConnection, ProviderMetadata, Reply, Step};
///
/// let conn = OidcConnection::new(
///     "acme.okta.com",
///     "0oa1client",
///     ClientSecret::new("s3cret"),
///     "https://auth.example.com/login/callback",
/// )
/// .map_err(|problems| format!("{problems:?}"))?;
/// let metadata = ProviderMetadata::parse(
///     br#"{"issuer": "https://acme.okta.com",
///          "authorization_endpoint": "https://acme.okta.com/oauth2/v1/authorize",
///          "token_endpoint": "https://acme.okta.com/oauth2/v1/token",
///          "jwks_uri": "https://acme.okta.com/oauth2/v1/keys",
///          "code_challenge_methods_supported": ["S256"]}"#,
///     &conn.issuer,
/// )?;
/// let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).ok_or("clock")?;
/// let (_, pending) = AuthorizationRequest::new(&conn, &metadata).build(now)?;
/// let query = format!("code=SplxlOBeZQQYbYS6WxSbIA&state={}", pending.state());
/// let callback = Callback::from_query(&query)?;
///
/// // The host's own I/O (here: the network is down).
/// let mut sent = Vec::new();
/// let mut send = |request: HttpRequest| -> Reply {
///     sent.push((request.method, request.url.path().to_owned()));
///     Err("connection refused".into())
/// };
/// let mut jwks = JwksCache::for_connection(&conn);
/// let mut flow = LoginFlow::new(&conn, &metadata, &mut jwks, &pending, &callback, now);
/// let mut reply = None;
/// let result = loop {
///     match flow.next(reply.take()) {
///         Ok(Step::Send(request)) => reply = Some(send(request)), // or `client.send(request).await`
///         Ok(Step::Done(outcome)) => break Ok(outcome),
///         Err(error) => break Err(error),
///     }
/// };
/// assert_eq!(sent, [(Method::Post, "/oauth2/v1/token".to_owned())]);
/// assert!(matches!(result, Err(Error::Http { what: "token endpoint", .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`complete_login`] (blocking, over [`HttpClient`]) and [`complete_login_async`] (over
/// [`AsyncHttpClient`]) are that loop. The first call takes `None`; every later call takes the reply to the
/// request just asked for. Driven out of turn, or after it finished or failed, it fails with
/// [`Error::FlowOutOfOrder`].
#[derive(Debug)]
pub struct LoginFlow<'a> {
    conn: &'a OidcConnection,
    metadata: &'a ProviderMetadata,
    jwks: &'a mut JwksCache,
    pending: &'a PendingLogin,
    callback: &'a Callback,
    now: DateTime<Utc>,
    stage: Stage,
}

impl<'a> LoginFlow<'a> {
    /// A flow for the callback of `pending` (which the caller already removed from its store: single use).
    /// `jwks` is read and updated in place.
    #[must_use]
    pub fn new(
        conn: &'a OidcConnection,
        metadata: &'a ProviderMetadata,
        jwks: &'a mut JwksCache,
        pending: &'a PendingLogin,
        callback: &'a Callback,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            conn,
            metadata,
            jwks,
            pending,
            callback,
            now,
            stage: Stage::Start,
        }
    }

    /// Advances the flow: `reply` is `None` on the first call, then the reply to the last [`Step::Send`].
    pub fn next(&mut self, reply: Option<Reply>) -> Result<Step, Error> {
        // Any error leaves the flow finished (fail closed: it cannot be resumed).
        match std::mem::replace(&mut self.stage, Stage::Finished) {
            Stage::Start if reply.is_none() => self.start(),
            Stage::Token(code) => match reply {
                Some(reply) => {
                    let response = reply.map_err(|detail| Error::Http {
                        what: "token endpoint",
                        detail,
                    })?;
                    let tokens = TokenResponse::parse(&response)?;
                    self.check_id_token(code, tokens, Keys::Start, None)
                }
                None => Err(out_of_order("the token endpoint reply", None)),
            },
            Stage::IdToken { code, tokens, keys } => self.check_id_token(code, tokens, keys, reply),
            Stage::UserInfo { tokens, id_token } => match reply {
                Some(reply) => {
                    let response = reply.map_err(|detail| Error::Http {
                        what: "userinfo endpoint",
                        detail,
                    })?;
                    let user =
                        id_token.merge_userinfo(&response, self.conn, self.jwks, self.now)?;
                    Ok(self.done(user, tokens))
                }
                None => Err(out_of_order("the userinfo endpoint reply", None)),
            },
            Stage::Start => Err(out_of_order("no reply (nothing sent yet)", reply.as_ref())),
            Stage::Finished => Err(out_of_order(
                "no call (the flow has finished)",
                reply.as_ref(),
            )),
        }
    }

    /// The callback checks, then the code exchange.
    fn start(&mut self) -> Result<Step, Error> {
        let (conn, pending) = (self.conn, self.pending);
        if pending.issuer() != &conn.issuer {
            return Err(Error::IssuerMismatch {
                what: "pending login",
                expected: conn.issuer.as_str().to_owned(),
                received: pending.issuer().as_str().to_owned(),
            });
        }
        if pending.is_expired(self.now, conn.pending_login_ttl_secs) {
            return Err(Error::LoginExpired {
                created_at: pending.created_at(),
                now: self.now,
                ttl_secs: conn.pending_login_ttl_secs,
            });
        }
        let code = pending.accept_callback(self.callback, self.metadata)?;
        let request = crate::token_request(conn, self.metadata, pending, &code, self.now)?;
        self.stage = Stage::Token(code);
        Ok(Step::Send(request))
    }

    /// The ID token checks (with their JWKS requests), then userinfo when the provider has it.
    fn check_id_token(
        &mut self,
        code: AuthorizationCode,
        tokens: TokenResponse,
        mut keys: Keys,
        reply: Option<Reply>,
    ) -> Result<Step, Error> {
        let checks = self
            .pending
            .id_token_checks(Some(&tokens.access_token), Some(&code));
        let step = keys.next(
            reply,
            self.conn,
            self.metadata,
            self.jwks,
            &tokens.id_token,
            &checks,
            self.now,
        )?;
        let id_token = match step {
            KeyStep::Send(request) => {
                self.stage = Stage::IdToken { code, tokens, keys };
                return Ok(Step::Send(request));
            }
            KeyStep::Verified(id_token) => id_token,
        };
        if self.metadata.userinfo_endpoint().is_none() {
            return Ok(self.done(id_token.without_userinfo(), tokens));
        }
        let request = crate::userinfo_request(self.metadata, &tokens.access_token)?;
        self.stage = Stage::UserInfo { tokens, id_token };
        Ok(Step::Send(request))
    }

    fn done(&self, user: UserClaims, tokens: TokenResponse) -> Step {
        tracing::info!(issuer = %self.conn.issuer, "OIDC login completed");
        Step::Done(LoginOutcome { user, tokens })
    }
}

/// Completes a login from the callback: checks it against `pending`, exchanges the code, validates the ID
/// token (with the JWKS refetch rule) and merges userinfo. The caller removes `pending` from its store first
/// (single use) and signs the user in with [`LoginOutcome::user`]. Blocking: a [`LoginFlow`] driven by
/// `http`; [`complete_login_async`] is the same over an [`AsyncHttpClient`].
pub fn complete_login(
    http: &impl HttpClient,
    conn: &OidcConnection,
    metadata: &ProviderMetadata,
    jwks: &mut JwksCache,
    pending: &PendingLogin,
    callback: &Callback,
    now: DateTime<Utc>,
) -> Result<LoginOutcome, Error> {
    let mut flow = LoginFlow::new(conn, metadata, jwks, pending, callback, now);
    let mut reply = None;
    loop {
        match flow.next(reply.take())? {
            Step::Send(request) => reply = Some(http.execute(request)),
            Step::Done(outcome) => return Ok(outcome),
        }
    }
}

/// [`complete_login`] over an [`AsyncHttpClient`] (e.g. `reqwest::Client` with the `reqwest` feature): the
/// same [`LoginFlow`], so the same checks, requests and errors. The future is `Send` when the client is
/// `Sync`, so it runs in an axum handler; `jwks` stays borrowed until it completes (a host keeping the cache
/// in a `std::sync::Mutex` works on a copy and stores it back, never holding the guard across `.await`).
pub async fn complete_login_async(
    http: &impl AsyncHttpClient,
    conn: &OidcConnection,
    metadata: &ProviderMetadata,
    jwks: &mut JwksCache,
    pending: &PendingLogin,
    callback: &Callback,
    now: DateTime<Utc>,
) -> Result<LoginOutcome, Error> {
    let mut flow = LoginFlow::new(conn, metadata, jwks, pending, callback, now);
    let mut reply = None;
    loop {
        match flow.next(reply.take())? {
            Step::Send(request) => reply = Some(http.execute(request).await),
            Step::Done(outcome) => return Ok(outcome),
        }
    }
}
