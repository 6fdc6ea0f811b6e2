//! The guide's login routes: `/login` (home-realm discovery, SP-initiated SAML and OIDC, OIDC third-party-initiated
//! login), `/login/callback` (OIDC code callback and SAML ACS), `/logout`, `/pem`, `/saml/metadata` and `/`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gatehouse_jit::{
    Claims, ConnectionId, Decision, IdpKind, Mapping, Policy, Role, RoleMapping, RoleRule, Rule,
    ScimKey,
};
use gatehouse_oidc::{
    AllowedOrigins, AuthorizationRequest, Callback, HttpResponse, IdToken, InitiateLogin,
    JwksCache, OidcConnection, PendingLogin, ProviderMetadata, RefetchDecision, TokenResponse,
    VerifiedIdToken,
};
use gatehouse_saml::{Outgoing, PendingRequest, RequestOptions};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use crate::AppState;
use crate::connection_test;
use crate::error::{Error, Result};
use crate::model::{self, Connection, Kind, Workspace};
use crate::web::{self, Refusal, esc, page};

/// The group whose members get the `admin` role (may manage tokens and connections).
pub const ADMIN_GROUP: &str = "gatehouse-admins";

/// Login routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/login", get(login_get).post(login_post))
        .route("/login/callback", get(callback_get).post(callback_post))
        .route("/logout", get(logout))
        .route("/pem", get(pem))
        .route("/saml/metadata", get(saml_metadata))
}

fn form_map(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

async fn landing(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match landing_inner(&state, &headers).await {
        Ok(r) => r,
        Err(e) => web::error_page(&e),
    }
}

async fn landing_inner(state: &AppState, headers: &HeaderMap) -> Result<Response> {
    let demo = if state.demo.is_some() {
        "<p>Demo mode: the built-in identity provider lives at <a href=\"/_demo-idp/\">/_demo-idp/</a> \
         (IdP-initiated SAML and third-party-initiated OIDC launch from there).</p>"
    } else {
        ""
    };
    let Some(session) = web::current_session(state, headers).await? else {
        let body = format!(
            "<p>You are not signed in.</p><p><a href=\"/login\">Sign in with SSO</a></p>{demo}"
        );
        return Ok(page("Gatehouse", &body).into_response());
    };
    let ws = model::workspace_by_id(state, &session.workspace_id).await?;
    let user = crate::jit_store::user(state, &session.workspace_id, &session.user_id).await?;
    let (Some(ws), Some(user)) = (ws, user) else {
        return Ok(page("Gatehouse", "<p>Your session refers to an account that no longer exists. <a href=\"/logout\">Sign out</a></p>").into_response());
    };
    let how = match session.method.as_str() {
        "saml-sp" => "SAML, started here (SP-initiated)",
        "saml-idp" => "SAML, started at the identity provider (IdP-initiated)",
        "oidc" => "OpenID Connect, authorization code flow with PKCE",
        "oidc-third-party" => {
            "OpenID Connect, started at the identity provider (third-party-initiated login)"
        }
        other => other,
    };
    let body = format!(
        "<p>Signed in as <strong>{}</strong> ({})</p><table>\
         <tr><th>Workspace</th><td>{} ({} plan)</td></tr>\
         <tr><th>Connection</th><td>{}</td></tr><tr><th>How</th><td>{}</td></tr>\
         <tr><th>Role</th><td>{}</td></tr><tr><th>Provisioned by</th><td>{}</td></tr></table>\
         <p><a href=\"/settings/tokens\">Personal access tokens</a> · <a href=\"/settings/sso\">SSO connections</a> · <a href=\"/settings/domains\">Domains</a> · <a href=\"/settings/scim\">SCIM</a> · <a href=\"/settings/members\">Members</a> · <a href=\"/settings/audit\">Audit log</a> · \
         <a href=\"/logout\">Sign out</a></p>{demo}",
        esc(user.display_name.as_deref().unwrap_or("(no name)")),
        esc(user.email.as_deref().unwrap_or("no email")),
        esc(&ws.name),
        esc(&ws.plan),
        esc(&session.connection),
        esc(how),
        esc(user.role.as_deref().unwrap_or("member")),
        esc(&user.provisioned_by),
    );
    Ok(page("Welcome", &body).into_response())
}

fn login_form(csrf: &str, email: &str, note: &str) -> String {
    format!(
        "{note}<form method=\"post\" action=\"/login\">{}<label>Work email <input type=\"email\" name=\"email\" value=\"{}\" required autofocus></label> \
         <button type=\"submit\">Continue</button></form><p><small>Admin locked out by a broken IdP? \
         <a href=\"/login/recovery\">Recovery sign-in</a></small></p>",
        web::csrf_input(csrf),
        esc(email)
    )
}

async fn login_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    if form_map(query.as_bytes()).contains_key("iss") {
        return third_party_login(&state, &headers, query.as_bytes()).await;
    }
    let (csrf, cookie) = match web::csrf_token(&state, &headers) {
        Ok(v) => v,
        Err(e) => return web::error_page(&e),
    };
    let params = form_map(query.as_bytes());
    let email = params.get("login_hint").map_or("", String::as_str);
    web::with_cookie(
        page("Sign in", &login_form(&csrf, email, "")).into_response(),
        cookie,
    )
}

async fn login_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = form_map(&body);
    if form.contains_key("iss") {
        // Third-party-initiated login (OIDC Core §4) may arrive as a POST from the IdP: no CSRF token, and
        // none is needed, since it only starts a fresh login.
        return third_party_login(&state, &headers, &body).await;
    }
    if !web::csrf_ok(&headers, form.get("csrf").map(String::as_str)) {
        return (
            StatusCode::FORBIDDEN,
            page(
                "Sign in",
                "<p>The form expired. <a href=\"/login\">Try again</a>.</p>",
            ),
        )
            .into_response();
    }
    let email = form.get("email").map_or("", |e| e.trim());
    let return_to = form
        .get("return_to")
        .and_then(|t| web::safe_return_to(&state, t));
    match discover(&state, email).await {
        Ok(Discovery::Unknown) => {
            let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
            web::audit(
                &state,
                None,
                None,
                "refused",
                &format!("hrd: no workspace has verified the domain {domain:?}"),
            )
            .await;
            let csrf = form.get("csrf").cloned().unwrap_or_default();
            let note = format!(
                "<p class=\"hint\">No workspace has set up single sign-on for <strong>{}</strong>. Check the address, or ask your administrator.</p>",
                esc(email)
            );
            (
                StatusCode::NOT_FOUND,
                page("Sign in", &login_form(&csrf, email, &note)),
            )
                .into_response()
        }
        Ok(Discovery::NotEnterprise(ws)) => {
            Refusal::new(
                "plan",
                "Single sign-on is not available",
                format!(
                    "Workspace {} is on the {} plan; single sign-on needs the Enterprise plan.",
                    ws.name, ws.plan
                ),
                Some("subscribe the workspace to the Enterprise plan in its plan settings".into()),
            )
            .respond(&state, Some(&ws.id), None)
            .await
        }
        Ok(Discovery::Found(ws, conns)) => {
            let chosen = match form.get("connection") {
                Some(name) => conns.iter().find(|c| &c.name == name),
                None if conns.len() == 1 => conns.first(),
                None => None,
            };
            match chosen {
                Some(conn) => start(&state, &headers, &ws, conn, Some(email), return_to).await,
                None if conns.is_empty() => {
                    Refusal::new(
                        "no-connection",
                        "Single sign-on is not set up",
                        format!("Workspace {} has no SSO connection yet.", ws.name),
                        Some("add a SAML or OIDC connection under /settings/sso".into()),
                    )
                    .respond(&state, Some(&ws.id), None)
                    .await
                }
                None => {
                    let csrf = form.get("csrf").cloned().unwrap_or_default();
                    let mut body = format!(
                        "<p>Workspace <strong>{}</strong> has several sign-in options:</p>",
                        esc(&ws.name)
                    );
                    for c in &conns {
                        body.push_str(&format!(
                            "<form method=\"post\" action=\"/login\">{}<input type=\"hidden\" name=\"email\" value=\"{}\">\
                             <input type=\"hidden\" name=\"connection\" value=\"{}\"><button type=\"submit\">Continue with {} ({})</button></form>",
                            web::csrf_input(&csrf),
                            esc(email),
                            esc(&c.name),
                            esc(&c.name),
                            c.kind_str().to_uppercase()
                        ));
                    }
                    page("Choose how to sign in", &body).into_response()
                }
            }
        }
        Err(e) => web::error_page(&e),
    }
}

enum Discovery {
    Unknown,
    NotEnterprise(Workspace),
    Found(Workspace, Vec<Connection>),
}

async fn discover(state: &AppState, email: &str) -> Result<Discovery> {
    let Some(ws) = model::workspace_for_email(state, email).await? else {
        return Ok(Discovery::Unknown);
    };
    if !ws.is_enterprise() {
        return Ok(Discovery::NotEnterprise(ws));
    }
    let conns = model::connections_of(state, &ws.id).await?;
    Ok(Discovery::Found(ws, conns))
}

/// Starts an SP-initiated login on `conn`.
async fn start(
    state: &AppState,
    headers: &HeaderMap,
    ws: &Workspace,
    conn: &Connection,
    login_hint: Option<&str>,
    return_to: Option<String>,
) -> Response {
    let result = match conn.kind {
        Kind::Saml => start_saml(state, conn, return_to, "login").await,
        Kind::Oidc => start_oidc(state, headers, conn, login_hint, return_to, false, "login").await,
    };
    match result {
        Ok(r) => r,
        Err(LoginError::Refused(r)) => r.respond(state, Some(&ws.id), Some(&conn.name)).await,
        Err(LoginError::Internal(e)) => {
            Refusal::internal(&e)
                .respond(state, Some(&ws.id), Some(&conn.name))
                .await
        }
    }
}

/// Why a login step stopped.
enum LoginError {
    Refused(Refusal),
    Internal(Error),
}

impl From<Error> for LoginError {
    fn from(e: Error) -> Self {
        Self::Internal(e)
    }
}

impl From<sqlx::Error> for LoginError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<gatehouse_saml::Error> for LoginError {
    fn from(e: gatehouse_saml::Error) -> Self {
        Self::Refused(Refusal::saml(&e))
    }
}

impl From<gatehouse_oidc::Error> for LoginError {
    fn from(e: gatehouse_oidc::Error) -> Self {
        Self::Refused(Refusal::oidc(&e))
    }
}

async fn start_saml(
    state: &AppState,
    conn: &Connection,
    return_to: Option<String>,
    purpose: &str,
) -> Result<Response, LoginError> {
    let settings = conn.saml_settings()?;
    let sp = model::saml_sp(state, conn, &settings)?;
    let now = state.now();
    let options = RequestOptions {
        // A test run's ID travels as RelayState too (see saml_acs_inner).
        relay_state: connection_test::test_id(purpose).map(|_| purpose.to_owned()),
        ..RequestOptions::default()
    };
    let request = gatehouse_saml::authn_request(&sp, &settings.idp, &conn.name, now, &options)?;
    let pending = request.pending();
    sqlx::query("INSERT INTO saml_requests (id, connection, return_to, issued_at, expires_at, purpose) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&pending.id)
        .bind(&conn.name)
        .bind(return_to)
        .bind(pending.issued_at.timestamp())
        .bind(pending.expires_at.timestamp())
        .bind(purpose)
        .execute(&state.pool)
        .await?;
    let nonce = web::csp_nonce()?;
    Ok(match request.encode(&sp, Some(&nonce))? {
        Outgoing::Redirect(url) => web::see_other(&url),
        Outgoing::PostForm(html) => web::auto_post_page(html, &nonce),
    })
}

/// What `oidc_pending.sealed` holds.
#[derive(Serialize, Deserialize)]
struct StoredLogin {
    pending: PendingLogin,
    third_party: bool,
    /// SHA-256 of the `gh_login` cookie of the browser that started the login.
    browser: String,
}

/// The cookie binding an OIDC login to the browser that started it (the callback is a top-level GET, which
/// carries SameSite=Lax cookies): a callback URL delivered to another browser is refused, so an attacker cannot
/// sign a victim into the attacker's account.
const LOGIN_COOKIE: &str = "gh_login";

/// The browser's login-binding value, and the header setting it when new.
fn browser_binding(state: &AppState, headers: &HeaderMap) -> Result<(String, Option<HeaderValue>)> {
    if let Some(v) = web::cookie(headers, LOGIN_COOKIE).filter(|v| (32..=64).contains(&v.len())) {
        return Ok((v.to_owned(), None));
    }
    let v = crate::crypto::random_token(24)?;
    let cookie = web::set_cookie(state, LOGIN_COOKIE, &v, Some(3600));
    Ok((v, Some(cookie)))
}

async fn start_oidc(
    state: &AppState,
    headers: &HeaderMap,
    conn: &Connection,
    login_hint: Option<&str>,
    return_to: Option<String>,
    third_party: bool,
    purpose: &str,
) -> Result<Response, LoginError> {
    let oidc = model::oidc_connection(state, conn)?;
    let metadata = metadata(state, &conn.name, &oidc).await?;
    let mut request = AuthorizationRequest::new(&oidc, &metadata);
    if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
        request = request.login_hint(hint);
    }
    if let Some(target) = &return_to {
        request = request.return_to(target);
    }
    let (url, pending) = request.build(state.now())?;
    let (browser, cookie) = browser_binding(state, headers)?;
    store_pending(state, conn, &oidc, pending, third_party, &browser, purpose).await?;
    Ok(web::with_cookie(web::see_other(url.as_str()), cookie))
}

async fn store_pending(
    state: &AppState,
    conn: &Connection,
    oidc: &OidcConnection,
    pending: PendingLogin,
    third_party: bool,
    browser: &str,
    purpose: &str,
) -> Result<()> {
    let state_value = pending.state().to_owned();
    let stored = serde_json::to_vec(&StoredLogin {
        pending,
        third_party,
        browser: crate::crypto::sha256_hex(browser.as_bytes()),
    })
    .map_err(|e| Error::Internal(e.to_string()))?;
    let sealed = state.key.seal("oidc-pending", &stored)?;
    sqlx::query(
        "INSERT INTO oidc_pending (state, connection, sealed, expires_at, purpose) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(state_value)
    .bind(&conn.name)
    .bind(sealed)
    .bind(state.now().timestamp() + oidc.pending_login_ttl_secs)
    .bind(purpose)
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// A pending OIDC login belongs to the connection's issuer (report step 2, passed here) and is within its lifetime at
/// `now` (step 3: the caller words its pass).
fn check_pending(
    steps: &mut connection_test::Steps,
    oidc: &OidcConnection,
    pending: &PendingLogin,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), LoginError> {
    if pending.issuer() != &oidc.issuer {
        return Err(steps
            .error(gatehouse_oidc::Error::IssuerMismatch {
                what: "pending login",
                expected: oidc.issuer.as_str().to_owned(),
                received: pending.issuer().as_str().to_owned(),
            })
            .into());
    }
    steps.pass(2, format!("issuer {}", oidc.issuer.as_str()));
    if pending.is_expired(now, oidc.pending_login_ttl_secs) {
        return Err(steps
            .error(gatehouse_oidc::Error::LoginExpired {
                created_at: pending.created_at(),
                now,
                ttl_secs: oidc.pending_login_ttl_secs,
            })
            .into());
    }
    Ok(())
}

async fn http(
    state: &AppState,
    request: gatehouse_oidc::HttpRequest,
    what: &'static str,
) -> Result<HttpResponse, LoginError> {
    crate::egress::execute(state, request)
        .await
        .map_err(|detail| {
            LoginError::Refused(Refusal::oidc(&gatehouse_oidc::Error::Http { what, detail }))
        })
}

/// The provider metadata of a connection (fetched once, then cached).
async fn metadata(
    state: &AppState,
    name: &str,
    oidc: &OidcConnection,
) -> Result<ProviderMetadata, LoginError> {
    if let Ok(cache) = state.oidc_cache.lock()
        && let Some((md, _)) = cache.get(name)
        && md.issuer() == &oidc.issuer
    {
        return Ok(md.clone());
    }
    let response = http(
        state,
        gatehouse_oidc::discovery_request(&oidc.issuer)?,
        "discovery",
    )
    .await?;
    if response.status != 200 {
        return Err(gatehouse_oidc::Error::HttpStatus {
            what: "discovery",
            status: response.status,
        }
        .into());
    }
    let md = ProviderMetadata::parse(&response.body, &oidc.issuer)?;
    if let Ok(mut cache) = state.oidc_cache.lock() {
        cache.insert(
            name.to_owned(),
            (md.clone(), JwksCache::for_connection(oidc)),
        );
    }
    Ok(md)
}

async fn refresh_jwks(
    state: &AppState,
    name: &str,
    md: &ProviderMetadata,
) -> Result<JwksCache, LoginError> {
    let now = state.now();
    let response = http(state, gatehouse_oidc::jwks_request(md), "jwks_uri").await;
    let mut jwks = state
        .oidc_cache
        .lock()
        .ok()
        .and_then(|c| c.get(name).map(|(_, j)| j.clone()))
        .unwrap_or_else(|| JwksCache::new(60));
    match response {
        Ok(r) if r.status == 200 => jwks.update(&r.body, r.header("cache-control"), now)?,
        Ok(r) => {
            jwks.record_failed_fetch(now);
            return Err(gatehouse_oidc::Error::HttpStatus {
                what: "jwks_uri",
                status: r.status,
            }
            .into());
        }
        Err(e) => {
            jwks.record_failed_fetch(now);
            return Err(e);
        }
    }
    if let Ok(mut cache) = state.oidc_cache.lock()
        && let Some(entry) = cache.get_mut(name)
    {
        entry.1 = jwks.clone();
    }
    Ok(jwks)
}

async fn jwks(
    state: &AppState,
    name: &str,
    md: &ProviderMetadata,
) -> Result<JwksCache, LoginError> {
    let held = state
        .oidc_cache
        .lock()
        .ok()
        .and_then(|c| c.get(name).map(|(_, j)| j.clone()));
    match held {
        Some(j) if !j.is_empty() && !j.needs_refresh(state.now()) => Ok(j),
        _ => refresh_jwks(state, name, md).await,
    }
}

async fn third_party_login(state: &AppState, headers: &HeaderMap, params: &[u8]) -> Response {
    let initiate = match InitiateLogin::parse(params) {
        Ok(i) => i,
        Err(e) => {
            return Refusal::oidc(&e)
                .status(StatusCode::BAD_REQUEST)
                .respond(state, None, None)
                .await;
        }
    };
    let result = async {
        let conns = model::oidc_connections(state).await?;
        let mut built = Vec::new();
        for c in conns {
            let oidc = model::oidc_connection(state, &c)?;
            built.push((c, oidc));
        }
        let found = initiate.find_connection(built.iter().map(|(_, o)| o))?;
        let Some((conn, oidc)) = built.iter().find(|(_, o)| std::ptr::eq(o, found)) else {
            return Err(LoginError::Internal(Error::Internal(
                "connection vanished".into(),
            )));
        };
        let ws = model::workspace_by_id(state, &conn.workspace_id)
            .await?
            .ok_or_else(|| Error::NotFound("workspace".into()))?;
        if !ws.is_enterprise() {
            return Err(LoginError::Refused(Refusal::new(
                "plan",
                "Single sign-on is not available",
                format!("Workspace {} is not on the Enterprise plan.", ws.name),
                None,
            )));
        }
        let md = metadata(state, &conn.name, oidc).await?;
        let allowed = AllowedOrigins::new([
            state.config.public_url.as_str(),
            state.config.auth_url.as_str(),
        ])?;
        let (url, pending) = initiate
            .authorization_request(oidc, &md, &allowed)?
            .build(state.now())?;
        let (browser, cookie) = browser_binding(state, headers)?;
        store_pending(state, conn, oidc, pending, true, &browser, "login").await?;
        Ok::<_, LoginError>(web::with_cookie(web::see_other(url.as_str()), cookie))
    }
    .await;
    match result {
        Ok(r) => r,
        Err(LoginError::Refused(r)) => r.respond(state, None, None).await,
        Err(LoginError::Internal(e)) => Refusal::internal(&e).respond(state, None, None).await,
    }
}

async fn callback_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    if form_map(query.as_bytes()).contains_key("connection") {
        return Refusal::new(
            "saml:binding",
            "Sign-in failed",
            "The SAML response must be posted (HTTP-POST binding).",
            Some("Okta: the Single sign-on URL must be used with the HTTP-POST binding".into()),
        )
        .status(StatusCode::METHOD_NOT_ALLOWED)
        .respond(&state, None, None)
        .await;
    }
    match Callback::from_query(&query) {
        Ok(cb) => oidc_callback(&state, &headers, &cb).await,
        Err(e) => {
            Refusal::oidc(&e)
                .status(StatusCode::BAD_REQUEST)
                .respond(&state, None, None)
                .await
        }
    }
}

async fn callback_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = form_map(query.unwrap_or_default().as_bytes());
    if let Some(connection) = params.get("connection") {
        return saml_acs(&state, connection, &body).await;
    }
    match Callback::from_form_post(&body) {
        Ok(cb) => oidc_callback(&state, &headers, &cb).await,
        Err(e) => {
            Refusal::oidc(&e)
                .status(StatusCode::BAD_REQUEST)
                .respond(&state, None, None)
                .await
        }
    }
}

async fn saml_acs(state: &AppState, connection: &str, body: &[u8]) -> Response {
    let ctx = match model::login_context(state, connection).await {
        Ok(Some(c)) if c.connection.kind == Kind::Saml => c,
        Ok(_) => {
            return Refusal::new(
                "saml:unknown-connection",
                "Sign-in failed",
                format!("There is no SAML connection named {connection:?}."),
                Some("Okta: check the connection name in the Single sign-on URL".into()),
            )
            .status(StatusCode::NOT_FOUND)
            .respond(state, None, None)
            .await;
        }
        Err(e) => return Refusal::internal(&e).respond(state, None, None).await,
    };
    let conn = ctx.connection.clone();
    let ws_id = conn.workspace_id.clone();
    let mut attempt = connection_test::SamlAttempt::default();
    match saml_acs_inner(state, &ctx, body, &mut attempt).await {
        Ok(r) => r,
        Err(LoginError::Refused(r)) => {
            // Keep the response for "Re-check the last failure" (sealed, 24 h).
            if let Err(error) =
                connection_test::capture_saml(state, &conn, body, &attempt, &r.code, &r.message)
                    .await
            {
                tracing::warn!(%error, "could not capture the refused SAML response");
            }
            r.respond(state, Some(&ws_id), Some(&conn.name)).await
        }
        Err(LoginError::Internal(e)) => {
            Refusal::internal(&e)
                .respond(state, Some(&ws_id), Some(&conn.name))
                .await
        }
    }
}

async fn saml_acs_inner(
    state: &AppState,
    ctx: &model::LoginContext,
    body: &[u8],
    attempt: &mut connection_test::SamlAttempt,
) -> Result<Response, LoginError> {
    let conn = &ctx.connection;
    let ws = enterprise(&ctx.workspace)?;
    let form = form_map(body);
    let Some(posted) = form.get("SAMLResponse") else {
        return Err(LoginError::Refused(
            Refusal::new(
                "saml:missing-response",
                "Sign-in failed",
                "The request carries no SAMLResponse.",
                None,
            )
            .status(StatusCode::BAD_REQUEST),
        ));
    };
    attempt.posted = true;
    let settings = conn.saml_settings()?;
    let sp = model::acs_sp(state, ctx);
    let now = state.now();
    let xml = gatehouse_saml::decode_form_value(posted)?;
    // A test run also sends its ID as RelayState: an IdP that answers without InResponseTo (as if IdP-initiated)
    // still lands in the report, never in a sign-in.
    let relay_test = form
        .get("RelayState")
        .and_then(|r| connection_test::test_id(r))
        .map(str::to_owned);
    let checked = match gatehouse_saml::check_response(&sp, &settings.idp, &xml, now) {
        Ok(c) => c,
        Err(e) => {
            // Was it the answer to a test run? Its request is found by the response's InResponseTo, read unverified:
            // that only decides where the report goes (the run's admin), never who signs in.
            let irt = connection_test::peek_in_response_to(&xml);
            if irt.is_none()
                && let Some(test) = &relay_test
            {
                let sctx = connection_test::SamlContext {
                    sp: &sp,
                    idp: &settings.idp,
                    now,
                    replay_note: "",
                    solicited: None,
                };
                let mut report =
                    connection_test::saml_report(conn, connection_test::Run::Test, Err(&e), &sctx);
                report.notes.push(UNSOLICITED_TEST_NOTE.to_owned());
                return Ok(test_done(state, conn, test, &report).await?);
            }
            if let Some(id) = irt {
                let row = sqlx::query(
                    "DELETE FROM saml_requests WHERE id = $1 AND connection = $2 AND purpose LIKE 'test:%' RETURNING purpose",
                )
                .bind(&id)
                .bind(&conn.name)
                .fetch_optional(&state.pool)
                .await?;
                if let Some(r) = row {
                    let purpose: String = r.try_get("purpose")?;
                    if let Some(test) = connection_test::test_id(&purpose) {
                        let ctx = connection_test::SamlContext {
                            sp: &sp,
                            idp: &settings.idp,
                            now,
                            replay_note: "",
                            solicited: None,
                        };
                        let report = connection_test::saml_report(
                            conn,
                            connection_test::Run::Test,
                            Err(&e),
                            &ctx,
                        );
                        return Ok(test_done(state, conn, test, &report).await?);
                    }
                }
            }
            return Err(e.into());
        }
    };
    // Consume the outstanding request and record the replay key in one transaction, committed only when the
    // response is accepted. Of several posts of one response (to this or another instance), the first to delete
    // the request row holds it until it commits; the others find no request, or find the replay key, and roll
    // back — so exactly one succeeds, and a refused post (a replay, another connection's ACS) consumes nothing.
    let solicited = checked.in_response_to().is_some();
    let mut return_to = None;
    let mut purpose = None;
    let mut tx = state.pool.begin().await?;
    let pending = match checked.in_response_to() {
        Some(id) => {
            let row = sqlx::query("DELETE FROM saml_requests WHERE id = $1 RETURNING connection, return_to, issued_at, expires_at, purpose")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            match row {
                Some(r) => {
                    return_to = r.try_get::<Option<String>, _>("return_to")?;
                    purpose = Some(r.try_get::<String, _>("purpose")?);
                    Some(PendingRequest {
                        id: id.to_owned(),
                        connection: r.try_get("connection")?,
                        issued_at: chrono::DateTime::from_timestamp(r.try_get("issued_at")?, 0)
                            .unwrap_or_default(),
                        expires_at: chrono::DateTime::from_timestamp(r.try_get("expires_at")?, 0)
                            .unwrap_or_default(),
                    })
                }
                None => None,
            }
        }
        None => None,
    };
    // A solicited response whose request is gone fails whatever the replay cache says: do not touch it then.
    let fresh = if solicited && pending.is_none() {
        false
    } else {
        sqlx::query(
            "INSERT INTO replay_cache (key, expires_at) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_cache.expires_at <= $3",
        )
        .bind(format!("saml\n{}", checked.replay_key()))
        .bind(checked.replay_expires_at().timestamp())
        .bind(now.timestamp())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1
    };
    let test = purpose
        .as_deref()
        .and_then(connection_test::test_id)
        .map(str::to_owned)
        .or(if solicited { None } else { relay_test });
    if let Some(test) = test {
        // A test run: the request is consumed and the assertion recorded whatever the outcome, so this response
        // can never sign anyone in; then the report, and nothing else.
        let result = checked.finish(&conn.name, pending, fresh, now);
        tx.commit().await?;
        let sctx = connection_test::SamlContext {
            sp: &sp,
            idp: &settings.idp,
            now,
            replay_note: "new; now recorded in the replay cache, so this response can never sign anyone in",
            solicited: Some(solicited),
        };
        let mut report =
            connection_test::saml_report(conn, connection_test::Run::Test, result.as_ref(), &sctx);
        if !solicited {
            report.notes.push(UNSOLICITED_TEST_NOTE.to_owned());
        }
        if let Ok(a) = &result {
            let claims = connection_test::saml_claims(conn, a);
            report.jit = Some(
                connection_test::preview_jit(
                    state,
                    &ws,
                    &policy_for(&ctx.domains, conn),
                    &saml_mapping(),
                    &claims,
                )
                .await?,
            );
        }
        return Ok(test_done(state, conn, &test, &report).await?);
    }
    attempt.consumed.clone_from(&pending);
    let assertion = match checked.finish(&conn.name, pending, fresh, now) {
        Ok(a) => {
            tx.commit().await?;
            attempt.accepted = true;
            a
        }
        Err(e) => {
            tx.rollback().await?;
            return Err(e.into());
        }
    };
    let claims = connection_test::saml_claims(conn, &assertion);
    if return_to.is_none()
        && !solicited
        && let Some(relay) = form.get("RelayState")
    {
        // IdP-initiated: RelayState may name a page of the app; followed only when same-origin.
        return_to = web::safe_return_to(state, relay);
    }
    let mapping = saml_mapping();
    let method = if solicited { "saml-sp" } else { "saml-idp" };
    let policy = policy_for(&ctx.domains, conn);
    complete(
        state, &ws, conn, &policy, &claims, &mapping, method, None, return_to,
    )
    .await
}

/// Said on a test report whose response named no request.
const UNSOLICITED_TEST_NOTE: &str = "The IdP answered without InResponseTo, as if the sign-in had started at the \
     IdP; the RelayState named this test run, so the response was reported here instead of signing anyone in. A \
     real SP-initiated sign-in needs the IdP to answer the request (Okta does).";

/// The claim mapping of SAML connections: Okta's attribute statements, groups from `groups`.
pub(crate) fn saml_mapping() -> Mapping {
    let mut mapping = Mapping::okta_saml();
    mapping.groups = Some("groups".to_owned());
    mapping
}

/// Stores a test run's report and sends the browser to it (the report page checks it is the run's admin).
async fn test_done(
    state: &AppState,
    conn: &Connection,
    test: &str,
    report: &connection_test::Report,
) -> Result<Response> {
    if connection_test::store_report(state, test, conn, report).await? {
        Ok(web::see_other(&format!(
            "/settings/sso/test/report?id={test}"
        )))
    } else {
        Ok((
            StatusCode::GONE,
            page(
                "Test connection",
                "<p>This test run expired, already has its report, or belongs to another connection. Start it \
                 again from <a href=\"/settings/sso\">SSO connections</a>.</p>",
            ),
        )
            .into_response())
    }
}

/// Starts a test run's login on `conn` (the run `test` was opened by the admin): a real SAML AuthnRequest or OIDC
/// authorization request whose outstanding state is marked `test:<id>`. When the login cannot even start (OIDC
/// discovery fails, the connection is misconfigured), the run's report says so.
pub(crate) async fn start_test(
    state: &AppState,
    headers: &HeaderMap,
    conn: &Connection,
    test: &str,
) -> Result<Response> {
    let purpose = format!("{}{test}", connection_test::TEST_PURPOSE_PREFIX);
    let result = match conn.kind {
        Kind::Saml => start_saml(state, conn, None, &purpose).await,
        Kind::Oidc => start_oidc(state, headers, conn, None, None, false, &purpose).await,
    };
    match result {
        Ok(r) => Ok(r),
        Err(LoginError::Internal(e)) => Err(e),
        Err(LoginError::Refused(r)) => {
            let report = connection_test::start_failure(
                conn,
                state.now(),
                connection_test::Failure {
                    code: r.code,
                    message: r.message,
                    admin_hint: r.admin_hint,
                    fix: None,
                },
            );
            test_done(state, conn, test, &report).await
        }
    }
}

fn enterprise(ws: &Workspace) -> Result<Workspace, LoginError> {
    if !ws.is_enterprise() {
        return Err(LoginError::Refused(Refusal::new(
            "plan",
            "Single sign-on is not available",
            format!(
                "Workspace {} is on the {} plan; single sign-on needs the Enterprise plan.",
                ws.name, ws.plan
            ),
            Some("subscribe the workspace to the Enterprise plan in its plan settings".into()),
        )));
    }
    Ok(ws.clone())
}

/// The JIT policy of a connection: the workspace's verified domains are trusted for linking, SCIM users are matched
/// by externalId, userName, then verified email; members of [`ADMIN_GROUP`] get the `admin` role.
pub fn policy_for(domains: &[String], conn: &Connection) -> Policy {
    let mut policy = Policy::new(ConnectionId::new(&conn.name));
    for d in domains {
        if let Ok(domain) = gatehouse_jit::Domain::parse(d) {
            policy.verified_domains.insert(domain);
        }
    }
    policy.email_linking = gatehouse_jit::EmailLinking::ToAnyAccount;
    policy.scim_match = vec![ScimKey::ExternalId, ScimKey::UserName, ScimKey::Email];
    policy.roles = Some(RoleMapping {
        rules: vec![RoleRule {
            group: ADMIN_GROUP.to_owned(),
            role: Role::new("admin"),
        }],
        default: Role::new("member"),
    });
    policy
}

#[allow(clippy::too_many_arguments)]
async fn complete(
    state: &AppState,
    ws: &Workspace,
    conn: &Connection,
    policy: &Policy,
    claims: &Claims,
    mapping: &Mapping,
    method: &str,
    id_token: Option<&str>,
    return_to: Option<String>,
) -> Result<Response, LoginError> {
    let identity = mapping.map(claims).map_err(|e| {
        LoginError::Refused(Refusal::new(
            "jit:claims",
            "Sign-in failed",
            e.to_string(),
            e.admin_hint(),
        ))
    })?;
    let (decision, user) = match crate::jit_store::provision(state, &ws.id, &identity, policy).await
    {
        Ok(v) => v,
        Err(Error::Invalid(msg)) => {
            return Err(LoginError::Refused(
                Refusal::new("jit:conflict", "Sign-in failed", msg, None)
                    .status(StatusCode::CONFLICT),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let Some(user_id) = user else {
        let rule = decision.rule();
        let (title, message) = match rule {
            Rule::ScimDeactivated | Rule::AccountDeactivated => (
                "Account deactivated",
                "Your account was deactivated by your administrator.".to_owned(),
            ),
            _ => ("Sign-in refused", rule.description().to_owned()),
        };
        return Err(LoginError::Refused(Refusal::new(
            format!("jit:{}", rule.code()),
            title,
            message,
            rule.admin_hint().map(str::to_owned),
        )));
    };
    let what = match &decision {
        Decision::Create { .. } => "created",
        Decision::Link { .. } => "linked",
        Decision::Update { .. } => "updated",
        _ => "signed-in",
    };
    let reason = format!("{method}; jit:{} ({what})", decision.rule().code());
    let cookie = web::create_session_audited(
        state, &ws.id, &user_id, &conn.name, method, id_token, &reason,
    )
    .await?;
    let target = return_to
        .and_then(|t| web::safe_return_to(state, &t))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = web::see_other(&target);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn oidc_callback(state: &AppState, headers: &HeaderMap, cb: &Callback) -> Response {
    let Some(state_value) = cb.state() else {
        let e = gatehouse_oidc::Error::MissingParameter { name: "state" };
        let refusal = cb.error().map_or_else(
            || Refusal::oidc(&e),
            |err| {
                Refusal::new(
                    "oidc:idp-error",
                    "Sign-in failed",
                    format!("The identity provider answered {err}."),
                    None,
                )
            },
        );
        return refusal
            .status(StatusCode::BAD_REQUEST)
            .respond(state, None, None)
            .await;
    };
    let row = sqlx::query(
        "DELETE FROM oidc_pending WHERE state = $1 RETURNING connection, sealed, expires_at, purpose",
    )
    .bind(state_value)
    .fetch_optional(&state.pool)
    .await;
    let (conn_name, sealed, purpose) = match row {
        Ok(Some(r)) => (
            r.try_get::<String, _>("connection").unwrap_or_default(),
            r.try_get::<String, _>("sealed").unwrap_or_default(),
            r.try_get::<String, _>("purpose").unwrap_or_default(),
        ),
        Ok(None) => {
            return Refusal::oidc(&gatehouse_oidc::Error::StateMismatch)
                .status(StatusCode::BAD_REQUEST)
                .respond(state, None, None)
                .await;
        }
        Err(e) => {
            return Refusal::internal(&e.into())
                .respond(state, None, None)
                .await;
        }
    };
    let ctx = match model::login_context(state, &conn_name).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Refusal::new(
                "oidc:connection-removed",
                "Sign-in failed",
                "The connection was removed during sign-in.",
                None,
            )
            .respond(state, None, Some(&conn_name))
            .await;
        }
        Err(e) => {
            return Refusal::internal(&e)
                .respond(state, None, Some(&conn_name))
                .await;
        }
    };
    let conn = ctx.connection.clone();
    let mut steps = connection_test::Steps::default();
    let mut trace = OidcTrace::default();
    let verified = oidc_verify(state, headers, &ctx, &sealed, cb, &mut steps, &mut trace).await;
    if let Some(test) = connection_test::test_id(&purpose) {
        return match oidc_test_report(state, &ctx, test, &steps, verified).await {
            Ok(r) => r,
            Err(e) => web::error_page(&e),
        };
    }
    let result = match verified {
        Ok(v) => {
            complete(
                state,
                &v.ws,
                &conn,
                &policy_for(&ctx.domains, &conn),
                &v.claims,
                &Mapping::oidc(IdpKind::Okta),
                v.method,
                Some(&v.id_token),
                v.return_to,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => r,
        Err(LoginError::Refused(r)) => {
            // Kept for a re-check: the ID token and the pending login once the token exchange succeeded, else only
            // the error (see connection_test).
            let token = match (trace.pending, trace.id_token) {
                (Some(p), Some(t)) => Some((p, t)),
                _ => None,
            };
            if let Err(error) = connection_test::capture_oidc(
                state,
                &conn,
                &r.code,
                &r.message,
                r.admin_hint.as_deref(),
                token,
            )
            .await
            {
                tracing::warn!(%error, "could not capture the refused OIDC login");
            }
            r.respond(state, Some(&conn.workspace_id), Some(&conn.name))
                .await
        }
        Err(LoginError::Internal(e)) => {
            Refusal::internal(&e)
                .respond(state, Some(&conn.workspace_id), Some(&conn.name))
                .await
        }
    }
}

/// What an OIDC callback got before it stopped: the pending login and, after the token exchange, the ID token.
#[derive(Default)]
struct OidcTrace {
    pending: Option<PendingLogin>,
    id_token: Option<String>,
}

/// What a verified OIDC callback yields for JIT.
struct OidcVerified {
    ws: Workspace,
    claims: Claims,
    claims_json: serde_json::Map<String, serde_json::Value>,
    method: &'static str,
    return_to: Option<String>,
    id_token: String,
}

/// A test run's OIDC report: the steps that returned, the error of the one that did not, the claims and the JIT
/// preview. Nobody is signed in.
async fn oidc_test_report(
    state: &AppState,
    ctx: &model::LoginContext,
    test: &str,
    steps: &connection_test::Steps,
    verified: Result<OidcVerified, LoginError>,
) -> Result<Response> {
    let conn = &ctx.connection;
    let now = state.now();
    let report = match verified {
        Ok(v) => {
            let mut report =
                connection_test::oidc_report(conn, now, steps, None, Some(&v.claims_json));
            report.jit = Some(
                connection_test::preview_jit(
                    state,
                    &v.ws,
                    &policy_for(&ctx.domains, conn),
                    &Mapping::oidc(IdpKind::Okta),
                    &v.claims,
                )
                .await?,
            );
            report
        }
        Err(LoginError::Refused(r)) => connection_test::oidc_report(
            conn,
            now,
            steps,
            Some(connection_test::Failure {
                code: r.code,
                message: r.message,
                admin_hint: r.admin_hint,
                fix: None,
            }),
            None,
        ),
        Err(LoginError::Internal(e)) => return Err(e),
    };
    test_done(state, conn, test, &report).await
}

/// Re-checks a refused OIDC login's ID token (kept sealed with its pending login) against the connection's current
/// settings and the IdP's current keys, with the capture time as the clock. What cannot be repeated is marked so:
/// the state and the code were single-use, `at_hash`/`c_hash` need the access token and code (not kept), and the
/// UserInfo endpoint needs the access token. The JIT preview uses the ID token's claims only.
pub(crate) async fn recheck_oidc(
    state: &AppState,
    ctx: &model::LoginContext,
    run: connection_test::Run,
    at: chrono::DateTime<chrono::Utc>,
    pending: &PendingLogin,
    id_token: &str,
) -> Result<connection_test::Report> {
    let conn = &ctx.connection;
    let mut steps = connection_test::Steps::default();
    let once = "passed at capture; not repeatable (single-use)";
    steps.skip(0, once);
    steps.skip(1, "passed at capture; not repeatable");
    let verified = async {
        let oidc = model::oidc_connection(state, conn)?;
        check_pending(&mut steps, &oidc, pending, at)?;
        steps.pass(3, "within its lifetime at the capture time");
        let md = metadata(state, &conn.name, &oidc).await?;
        steps.pass(
            4,
            format!("provider metadata of {} (fetched now)", md.issuer().as_str()),
        );
        steps.skip(5, once);
        steps.skip(6, once);
        let checks = pending.id_token_checks(None, None);
        let token = IdToken::new(id_token.to_owned());
        let mut keys = jwks(state, &conn.name, &md).await?;
        let verified = match VerifiedIdToken::verify(token.clone(), &oidc, &keys, &checks, at) {
            Err(
                gatehouse_oidc::Error::UnknownKeyId {
                    refetch: RefetchDecision::Refetch,
                    ..
                }
                | gatehouse_oidc::Error::NoKeyForAlgorithm {
                    refetch: RefetchDecision::Refetch,
                    ..
                },
            ) => {
                keys = refresh_jwks(state, &conn.name, &md).await?;
                VerifiedIdToken::verify(token, &oidc, &keys, &checks, at)
                    .map_err(|e| steps.error(e))?
            }
            other => other.map_err(|e| steps.error(e))?,
        };
        steps.pass(
            7,
            format!(
                "{:?} signature verifies with the IdP's current JWKS",
                verified.algorithm()
            ),
        );
        steps.pass(
            8,
            format!(
                "iss {}, aud {}, sub {}, nonce match, valid at the capture time; at_hash/c_hash not re-checked \
                 (the access token and code are not kept)",
                verified.issuer(),
                verified.audiences().join(" "),
                verified.subject()
            ),
        );
        steps.skip(9, "not re-checkable: the access token is not kept");
        let user = verified.without_userinfo();
        let json =
            serde_json::to_vec(user.claims()).map_err(|e| Error::Internal(e.to_string()))?;
        let claims = Claims::from_oidc_json(ConnectionId::new(&conn.name), &json).map_err(|e| {
            LoginError::Refused(Refusal::new(
                "jit:claims",
                "Sign-in failed",
                e.to_string(),
                e.admin_hint(),
            ))
        })?;
        steps.pass(10, "the ID token's claims are readable for the mapping");
        Ok::<_, LoginError>((claims, user.claims().clone()))
    }
    .await;
    let mut report = match verified {
        Ok((claims, json)) => {
            let mut report = connection_test::oidc_report(conn, at, &steps, None, Some(&json));
            report.jit = Some(
                connection_test::preview_jit(
                    state,
                    &ctx.workspace,
                    &policy_for(&ctx.domains, conn),
                    &Mapping::oidc(IdpKind::Okta),
                    &claims,
                )
                .await?,
            );
            report.notes.push(
                "The JIT decision uses the ID token's claims only (UserInfo is not re-fetched) and the accounts \
                 as they are now."
                    .into(),
            );
            report
        }
        Err(LoginError::Refused(r)) => connection_test::oidc_report(
            conn,
            at,
            &steps,
            Some(connection_test::Failure {
                code: r.code,
                message: r.message,
                admin_hint: r.admin_hint,
                fix: None,
            }),
            None,
        ),
        Err(LoginError::Internal(e)) => return Err(e),
    };
    report.run = run;
    Ok(report)
}

/// Every check of the OIDC callback, each recorded in `steps` when it returned.
async fn oidc_verify(
    state: &AppState,
    headers: &HeaderMap,
    ctx: &model::LoginContext,
    sealed: &str,
    cb: &Callback,
    steps: &mut connection_test::Steps,
    trace: &mut OidcTrace,
) -> Result<OidcVerified, LoginError> {
    let conn = &ctx.connection;
    let ws = enterprise(&ctx.workspace)?;
    let stored: StoredLogin = serde_json::from_slice(&state.key.open("oidc-pending", sealed)?)
        .map_err(|e| Error::Internal(format!("pending login: {e}")))?;
    steps.pass(0, "the state names a login started here");
    let browser =
        web::cookie(headers, LOGIN_COOKIE).map(|c| crate::crypto::sha256_hex(c.as_bytes()));
    if !browser
        .is_some_and(|b| crate::crypto::constant_time_eq(b.as_bytes(), stored.browser.as_bytes()))
    {
        return Err(LoginError::Refused(
            Refusal::new(
                "oidc:browser-mismatch",
                "Sign-in failed",
                "This sign-in was started in another browser (or its cookies were cleared). Start again from the sign-in page.",
                None,
            )
            .status(StatusCode::BAD_REQUEST),
        ));
    }
    steps.pass(
        1,
        "the callback arrived in the browser that started the login",
    );
    let pending = stored.pending;
    let oidc = model::oidc_connection(state, conn)?;
    let now = state.now();
    check_pending(steps, &oidc, &pending, now)?;
    steps.pass(
        3,
        format!("started within the last {} s", oidc.pending_login_ttl_secs),
    );
    let md = metadata(state, &conn.name, &oidc).await?;
    steps.pass(4, format!("provider metadata of {}", md.issuer().as_str()));
    let code = pending
        .accept_callback(cb, &md)
        .map_err(|e| steps.error(e))?;
    steps.pass(5, "state matches; iss (RFC 9207) as expected; no error");
    let response = http(
        state,
        gatehouse_oidc::token_request(&oidc, &md, &pending, &code, now)
            .map_err(|e| steps.error(e))?,
        "token endpoint",
    )
    .await?;
    let tokens = TokenResponse::parse(&response).map_err(|e| steps.error(e))?;
    trace.pending = Some(pending.clone());
    trace.id_token = Some(tokens.id_token.secret().to_owned());
    steps.pass(
        6,
        "the token endpoint returned an ID token and an access token",
    );
    let checks = pending.id_token_checks(Some(&tokens.access_token), Some(&code));
    let mut keys = jwks(state, &conn.name, &md).await?;
    let verified =
        match VerifiedIdToken::verify(tokens.id_token.clone(), &oidc, &keys, &checks, now) {
            Err(
                gatehouse_oidc::Error::UnknownKeyId {
                    refetch: RefetchDecision::Refetch,
                    ..
                }
                | gatehouse_oidc::Error::NoKeyForAlgorithm {
                    refetch: RefetchDecision::Refetch,
                    ..
                },
            ) => {
                keys = refresh_jwks(state, &conn.name, &md).await?;
                VerifiedIdToken::verify(tokens.id_token.clone(), &oidc, &keys, &checks, now)
                    .map_err(|e| steps.error(e))?
            }
            other => other.map_err(|e| steps.error(e))?,
        };
    steps.pass(
        7,
        format!(
            "{:?} signature verifies with the IdP's JWKS",
            verified.algorithm()
        ),
    );
    steps.pass(
        8,
        format!(
            "iss {}, aud {}, sub {}, nonce and hashes match, valid at {}",
            verified.issuer(),
            verified.audiences().join(" "),
            verified.subject(),
            now.format("%Y-%m-%d %H:%M:%S UTC")
        ),
    );
    let user = match md.userinfo_endpoint() {
        Some(_) => {
            let request = gatehouse_oidc::userinfo_request(&md, &tokens.access_token)?;
            let response = http(state, request, "userinfo endpoint").await?;
            let merged = verified
                .merge_userinfo(&response, &oidc, &keys, now)
                .map_err(|e| steps.error(e))?;
            steps.pass(9, "UserInfo answered for the same subject; claims merged");
            merged
        }
        None => {
            steps.skip(9, "the provider has no userinfo endpoint");
            verified.without_userinfo()
        }
    };
    let json = serde_json::to_vec(user.claims()).map_err(|e| Error::Internal(e.to_string()))?;
    let claims = Claims::from_oidc_json(ConnectionId::new(&conn.name), &json).map_err(|e| {
        LoginError::Refused(Refusal::new(
            "jit:claims",
            "Sign-in failed",
            e.to_string(),
            e.admin_hint(),
        ))
    })?;
    steps.pass(10, "the claims are readable for the mapping");
    let method = if stored.third_party {
        "oidc-third-party"
    } else {
        "oidc"
    };
    Ok(OidcVerified {
        ws,
        claims,
        claims_json: user.claims().clone(),
        method,
        return_to: pending.return_to().map(str::to_owned),
        id_token: tokens.id_token.secret().to_owned(),
    })
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let clear = web::set_cookie(&state, web::SESSION_COOKIE, "", Some(0));
    let mut target = "/".to_owned();
    if let Ok(Some(session)) = web::current_session(&state, &headers).await {
        if let Err(e) = web::delete_session(&state, &session).await {
            return web::error_page(&e);
        }
        web::audit(
            &state,
            Some(&session.workspace_id),
            Some(&session.connection),
            "signed-out",
            &session.method,
        )
        .await;
        if session.method.starts_with("oidc")
            && let Ok(Some(conn)) = model::connection_by_name(&state, &session.connection).await
            && let Ok(oidc) = model::oidc_connection(&state, &conn)
            && let Ok(md) = metadata(&state, &conn.name, &oidc).await
        {
            let hint = session
                .sealed_id_token
                .as_deref()
                .and_then(|s| state.key.open("id-token", s).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .map(IdToken::new);
            if let Ok(url) = gatehouse_oidc::logout_url(
                &oidc,
                &md,
                hint.as_ref(),
                Some(&state.config.public_url),
                None,
            ) {
                target = url.to_string();
            }
        }
    }
    let mut response = web::see_other(&target);
    response.headers_mut().append(header::SET_COOKIE, clear);
    response
}

async fn saml_connection(state: &AppState, name: Option<&String>) -> Result<Connection> {
    let name =
        name.ok_or_else(|| Error::Invalid("name the connection: ?connection=<name>".into()))?;
    match model::connection_by_name(state, name).await? {
        Some(c) if c.kind == Kind::Saml => Ok(c),
        _ => Err(Error::NotFound(format!("SAML connection {name:?}"))),
    }
}

async fn pem(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    match saml_connection(&state, q.get("cert")).await {
        Ok(conn) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-pem-file"),
            )],
            conn.cert_pem.unwrap_or_default(),
        )
            .into_response(),
        Err(e) => web::error_page(&e),
    }
}

async fn saml_metadata(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let result = async {
        let conn = saml_connection(&state, q.get("connection")).await?;
        // The certificate is always published, so an IdP can be set to verify signed requests beforehand.
        let sp = model::saml_sp_with(&state, &conn, true)?;
        Ok::<_, Error>(gatehouse_saml::sp_metadata(&sp, true))
    }
    .await;
    match result {
        Ok(xml) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/samlmetadata+xml"),
            )],
            xml,
        )
            .into_response(),
        Err(e) => web::error_page(&e),
    }
}
