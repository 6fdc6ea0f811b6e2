//! Run with `OIDC_ISSUER=acme.okta.com OIDC_CLIENT_ID=… OIDC_CLIENT_SECRET=… cargo run --example oidc_rp_minimal`
//! and open <http://127.0.0.1:3000/login> (the Okta app's "Sign-in redirect URIs" must hold
//! `http://127.0.0.1:3000/login/callback`, its "Sign-out redirect URIs" `http://127.0.0.1:3000/`). An OpenID Connect
//! RP: discovery, code flow with PKCE, state and nonce, ID token and userinfo checks, RP-initiated logout.
#![allow(clippy::expect_used, reason = "an example")]

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use axum::http::{HeaderMap, StatusCode, header::COOKIE, header::SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Router, extract::RawQuery, extract::State, routing::get};
use gatehouse::oidc::{AsyncHttpClient, AuthorizationRequest, Callback, ClientSecret, Error};
use gatehouse::oidc::{JwksCache, OidcConnection, PendingLogin, ProviderMetadata, UserClaims};
use gatehouse::oidc::{complete_login_async, fetch_metadata_async, logout_url};

const APP_URL: &str = "http://127.0.0.1:3000/";

/// What every request shares: configuration (`conn`, `metadata`), the provider's keys (refreshed by the login
/// when stale or when a token names an unknown key), logins in flight by `state` (they hold the PKCE verifier:
/// server-side, used once), sessions (a real app keeps these two in its database) and the async HTTP client.
#[allow(missing_docs, reason = "described above")]
pub struct Rp<H> {
    pub conn: OidcConnection,
    pub metadata: ProviderMetadata,
    pub jwks: Mutex<JwksCache>,
    pub pending: Mutex<HashMap<String, PendingLogin>>,
    pub sessions: Mutex<HashMap<String, UserClaims>>,
    pub http: H,
}

/// The app: `/login`, `/login/callback`, `/logout`, for any HTTP client (tests pass an in-process IdP).
pub fn app<H: Http>(rp: Arc<Rp<H>>) -> Router {
    let app = Router::new().route("/login", get(login::<H>));
    let app = app.route("/login/callback", get(callback::<H>));
    app.route("/logout", get(logout::<H>)).with_state(rp)
}

/// What `complete_login_async` needs to reach the token, JWKS and userinfo endpoints from a handler.
pub trait Http: AsyncHttpClient + Send + Sync + 'static {}
impl<H: AsyncHttpClient + Send + Sync + 'static> Http for H {}
type App<H> = State<Arc<Rp<H>>>;
type Reply = Result<Response, (StatusCode, String)>;

/// A refused sign-in: the error (expected and received values, no secrets) and what the admin should change.
fn refused(e: Error) -> (StatusCode, String) {
    let hint = e.admin_hint().unwrap_or("");
    (
        StatusCode::FORBIDDEN,
        format!("Sign-in refused: {e}\n{hint}\n"),
    )
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let mut crumbs = headers.get(COOKIE)?.to_str().ok()?.split(';');
    crumbs.find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

async fn login<H: Http>(State(rp): App<H>) -> Reply {
    let now = chrono::Utc::now();
    let request = AuthorizationRequest::new(&rp.conn, &rp.metadata);
    let (url, pending) = request.build(now).map_err(refused)?;
    // The state cookie binds the login to this browser: a callback with someone else's code is refused.
    let bind = format!("oidc_state={}; HttpOnly; SameSite=Lax", pending.state());
    let mut in_flight = rp.pending.lock().expect("pending");
    in_flight.retain(|_, p| !p.is_expired(now, rp.conn.pending_login_ttl_secs));
    in_flight.insert(pending.state().to_owned(), pending);
    Ok(([(SET_COOKIE, bind)], Redirect::to(url.as_str())).into_response())
}

async fn callback<H: Http>(State(rp): App<H>, headers: HeaderMap, query: RawQuery) -> Reply {
    let state = cookie(&headers, "oidc_state").unwrap_or_default();
    let pending = rp.pending.lock().expect("pending").remove(state);
    let pending = pending.ok_or((StatusCode::BAD_REQUEST, "no sign-in started here".into()))?;
    let callback = Callback::from_query(query.0.as_deref().unwrap_or_default()).map_err(refused)?;
    let mut jwks = rp.jwks.lock().expect("jwks").clone(); // no std Mutex guard across .await
    let (http, conn, meta, now) = (&rp.http, &rp.conn, &rp.metadata, chrono::Utc::now());
    let done = complete_login_async(http, conn, meta, &mut jwks, &pending, &callback, now).await;
    *rp.jwks.lock().expect("jwks") = jwks;
    let login = done.map_err(refused)?;
    let random = || getrandom::u64().expect("OS randomness");
    let sid: String = (0..4).map(|_| format!("{:016x}", random())).collect(); // 256 bits
    let (user, session) = (login.user, format!("sid={sid}; HttpOnly; SameSite=Lax"));
    let email = user.string_claim("email").unwrap_or("");
    let page = format!("Signed in as {} ({email})\n", user.subject());
    rp.sessions.lock().expect("sessions").insert(sid, user);
    Ok(([(SET_COOKIE, session)], page).into_response())
}

async fn logout<H: Http>(State(rp): App<H>, headers: HeaderMap) -> Response {
    let mut sessions = rp.sessions.lock().expect("sessions");
    let user = cookie(&headers, "sid").and_then(|sid| sessions.remove(sid));
    let hint = user.as_ref().map(|user| user.id_token().raw());
    // Okta wants the ID token as `id_token_hint`. Without an end_session_endpoint, sign out here only.
    let to = logout_url(&rp.conn, &rp.metadata, hint, Some(APP_URL), None);
    let to = to.map_or_else(|_| "/".to_owned(), String::from);
    ([(SET_COOKIE, "sid=; Max-Age=0")], Redirect::to(&to)).into_response()
}

#[tokio::main]
async fn main() {
    let var = |name: &str| std::env::var(name).expect(name);
    let (issuer, client_id) = (var("OIDC_ISSUER"), var("OIDC_CLIENT_ID"));
    let secret = ClientSecret::new(var("OIDC_CLIENT_SECRET"));
    let redirect = format!("{APP_URL}login/callback");
    let conn = OidcConnection::new(&issuer, &client_id, secret, &redirect).expect("settings");
    let http = gatehouse::oidc::reqwest_client().expect("HTTP client"); // no redirects, 10 s timeout
    let found = fetch_metadata_async(&http, &conn.issuer).await;
    let rp = Arc::new(Rp {
        jwks: Mutex::new(JwksCache::for_connection(&conn)), // keys fetched at the first login
        metadata: found.expect("discovery"),
        pending: Mutex::default(),
        sessions: Mutex::default(),
        conn,
        http,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await;
    println!("open {APP_URL}login");
    let served = axum::serve(listener.expect("port 3000"), app(rp)).await;
    served.expect("server");
}
