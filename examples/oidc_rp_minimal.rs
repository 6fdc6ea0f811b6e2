//! Run with `OIDC_ISSUER=acme.okta.com OIDC_CLIENT_ID=… OIDC_CLIENT_SECRET=… cargo run --example oidc_rp_minimal`
//! and open <http://127.0.0.1:3000/login>, after adding `http://127.0.0.1:3000/login/callback` to the Okta app's
//! "Sign-in redirect URIs" and `http://127.0.0.1:3000/` to its "Sign-out redirect URIs".
//!
//! An OpenID Connect relying party in an axum app: discovery at startup, `/login` (code flow, PKCE S256, state,
//! nonce), `/login/callback` (code exchange, ID token and userinfo checks), `/logout` (at the IdP too).
#![allow(clippy::expect_used, reason = "an example")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header::COOKIE, header::SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Router, routing::get};
use chrono::Utc;
use gatehouse::oidc::{AuthorizationRequest, Callback, ClientSecret, Error, HttpClient};
use gatehouse::oidc::{HttpRequest, HttpResponse, JwksCache, OidcConnection, PendingLogin};
use gatehouse::oidc::{ProviderMetadata, UserClaims, complete_login, logout_url};

const APP_URL: &str = "http://127.0.0.1:3000/";

/// What every request shares. `conn` and `metadata` are plain `Clone + Send + Sync` configuration; the rest is
/// what the host must keep: the provider's keys (refreshed by `complete_login` when stale or when a token names
/// an unknown key), logins in flight by `state` (they hold the PKCE verifier, so they stay server-side; each is
/// used once) and sessions. A real app keeps the last two in its database.
#[allow(missing_docs, reason = "described above")]
pub struct Rp {
    pub conn: OidcConnection,
    pub metadata: ProviderMetadata,
    pub jwks: Mutex<JwksCache>,
    pub pending: Mutex<HashMap<String, PendingLogin>>,
    pub sessions: Mutex<HashMap<String, UserClaims>>,
    /// How `complete_login` reaches the token, JWKS and userinfo endpoints (blocking calls).
    pub http: Box<dyn HttpClient + Send + Sync>,
}

/// `complete_login` takes `&impl HttpClient`; this lends it the boxed client.
struct Http<'a>(&'a (dyn HttpClient + Send + Sync));
impl HttpClient for Http<'_> {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        self.0.execute(request)
    }
}

/// The app: `/login`, `/login/callback`, `/logout`.
pub fn app(rp: Arc<Rp>) -> Router {
    let routes = Router::new()
        .route("/login", get(login))
        .route("/logout", get(logout));
    routes
        .route("/login/callback", get(callback))
        .with_state(rp)
}

type App = State<Arc<Rp>>;
type Reply = Result<Response, Refused>;

/// A refused sign-in: the error (expected and received values, no secrets) and what the admin should change.
pub struct Refused(StatusCode, String);
impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, format!("Sign-in refused: {}\n", self.1)).into_response()
    }
}
impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        let hint = e.admin_hint().unwrap_or("");
        Self(StatusCode::FORBIDDEN, format!("{e}\n{hint}"))
    }
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let mut crumbs = headers.get(COOKIE)?.to_str().ok()?.split(';');
    crumbs.find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

async fn login(State(rp): App) -> Reply {
    let now = Utc::now();
    let (url, pending) = AuthorizationRequest::new(&rp.conn, &rp.metadata).build(now)?;
    // The state cookie binds the login to this browser: a callback with someone else's code is refused.
    let bind = format!("oidc_state={}; HttpOnly; SameSite=Lax", pending.state());
    let mut in_flight = rp.pending.lock().expect("pending");
    in_flight.retain(|_, p| !p.is_expired(now, rp.conn.pending_login_ttl_secs));
    in_flight.insert(pending.state().to_owned(), pending);
    Ok(([(SET_COOKIE, bind)], Redirect::to(url.as_str())).into_response())
}

async fn callback(State(rp): App, headers: HeaderMap, query: RawQuery) -> Reply {
    let state = cookie(&headers, "oidc_state").unwrap_or_default();
    let pending = rp.pending.lock().expect("pending").remove(state);
    let no_login = || Refused(StatusCode::BAD_REQUEST, "no sign-in started here".into());
    let pending = pending.ok_or_else(no_login)?;
    let callback = Callback::from_query(query.0.as_deref().unwrap_or_default())?;
    // The token, JWKS and userinfo requests block: run them off the async worker threads.
    let (shared, now) = (rp.clone(), Utc::now());
    let outcome = tokio::task::spawn_blocking(move || {
        let (http, conn, meta) = (Http(&*shared.http), &shared.conn, &shared.metadata);
        let mut jwks = shared.jwks.lock().expect("jwks").clone();
        let done = complete_login(&http, conn, meta, &mut jwks, &pending, &callback, now);
        *shared.jwks.lock().expect("jwks") = jwks;
        done
    });
    let login = outcome.await.expect("the login task")?;
    let mut id = [0u8; 32];
    getrandom::fill(&mut id).expect("OS randomness");
    let sid: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let (user, session) = (login.user, format!("sid={sid}; HttpOnly; SameSite=Lax"));
    let email = user.string_claim("email").unwrap_or("");
    let page = format!("Signed in as {} ({email})\n", user.subject());
    rp.sessions.lock().expect("sessions").insert(sid, user);
    Ok(([(SET_COOKIE, session)], page).into_response())
}

async fn logout(State(rp): App, headers: HeaderMap) -> Response {
    let mut sessions = rp.sessions.lock().expect("sessions");
    let user = cookie(&headers, "sid").and_then(|sid| sessions.remove(sid));
    let hint = user.as_ref().map(|user| user.id_token().raw());
    // Okta wants the ID token as `id_token_hint`. Without an end_session_endpoint, sign out here only.
    let to = logout_url(&rp.conn, &rp.metadata, hint, Some(APP_URL), None);
    let to = to.map_or_else(|_| "/".to_owned(), String::from);
    ([(SET_COOKIE, "sid=; Max-Age=0")], Redirect::to(&to)).into_response()
}

fn main() {
    let var = |name: &str| std::env::var(name).expect(name);
    let (issuer, client_id) = (var("OIDC_ISSUER"), var("OIDC_CLIENT_ID"));
    let secret = ClientSecret::new(var("OIDC_CLIENT_SECRET"));
    let redirect = format!("{APP_URL}login/callback");
    let conn = OidcConnection::new(&issuer, &client_id, secret, &redirect).expect("settings");
    let http = Box::new(gatehouse::oidc::ReqwestBlocking::new().expect("HTTP client"));
    let metadata = gatehouse::oidc::fetch_metadata(&Http(&*http), &conn.issuer).expect("discovery");
    let jwks = Mutex::new(JwksCache::new(conn.jwks_refetch_cooldown_secs)); // fetched at the first login
    let (pending, sessions) = (Mutex::default(), Mutex::default());
    let rp = Arc::new(Rp {
        conn,
        metadata,
        jwks,
        pending,
        sessions,
        http,
    });
    let server = async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await;
        println!("open {APP_URL}login");
        axum::serve(listener.expect("port 3000"), app(rp)).await
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    runtime.block_on(server).expect("server");
}
