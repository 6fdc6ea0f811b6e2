//! Workspace settings pages: `/settings/tokens` (personal access tokens), `/settings/sso` (connections) and
//! `/settings/members` (who exists and how each was provisioned: SCIM, JIT via which connection, manual) and
//! `/settings/audit` (the workspace's audit log: sign-ins, refusals, SCIM and settings changes, filtered and paged), for
//! admins of an Enterprise workspace. Every form carries a CSRF token; every query is scoped to the session's
//! workspace.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sqlx::Row as _;

use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{self, Workspace};
use crate::web::{self, esc, page};

/// Settings routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/tokens", get(tokens_page).post(tokens_create))
        .route("/settings/tokens/revoke", post(tokens_revoke))
        .route("/settings/sso", get(sso_page))
        .route("/settings/members", get(members_page))
        .route("/settings/audit", get(audit_page))
        .route("/settings/sso/oidc", post(sso_add_oidc))
        .route("/settings/sso/saml", post(sso_add_saml))
        .route("/settings/sso/saml/edit", post(sso_edit_saml))
        .route("/settings/sso/delete", post(sso_delete))
}

enum Gate {
    Ok(Workspace),
    Stop(Response),
}

/// Signed in, admin, Enterprise plan.
async fn gate(state: &AppState, headers: &HeaderMap) -> Result<Gate> {
    let Some(session) = web::current_session(state, headers).await? else {
        return Ok(Gate::Stop(web::see_other("/login")));
    };
    let ws = model::workspace_by_id(state, &session.workspace_id)
        .await?
        .ok_or_else(|| Error::NotFound("workspace".into()))?;
    let user = crate::jit_store::user(state, &ws.id, &session.user_id).await?;
    if user.and_then(|u| u.role).as_deref() != Some("admin") {
        return Ok(Gate::Stop(
            (StatusCode::FORBIDDEN, page("Settings", &format!(
                "<p>Only workspace admins can change these settings (members of the IdP group <code>{}</code>).</p>",
                crate::login::ADMIN_GROUP
            )))
            .into_response(),
        ));
    }
    if !ws.is_enterprise() {
        return Ok(Gate::Stop(
            (StatusCode::PAYMENT_REQUIRED, page("Enterprise plan required", &format!(
                "<p>Workspace <strong>{}</strong> is on the {} plan. Single sign-on, SCIM provisioning and the tokens that \
                 authorise it need the Enterprise plan: subscribe in the workspace's plan settings.</p>",
                esc(&ws.name),
                esc(&ws.plan)
            )))
            .into_response(),
        ));
    }
    Ok(Gate::Ok(ws))
}

fn time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map_or_else(String::new, |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

async fn render_tokens(
    state: &AppState,
    headers: &HeaderMap,
    ws: &Workspace,
    created: Option<&str>,
) -> Result<Response> {
    let (csrf, cookie) = web::csrf_token(state, headers)?;
    let mut body = String::new();
    if let Some(token) = created {
        body.push_str(&format!(
            "<div class=\"hint\"><p>Your new token (copy it now: it is shown only once):</p><pre>{}</pre></div>",
            esc(token)
        ));
    }
    body.push_str(&format!(
        "<p>Use a token as <code>Authorization: Bearer &lt;token&gt;</code> for SCIM at <code>{}/backend/scim/v2/</code>.</p>\
         <form method=\"post\" action=\"/settings/tokens\">{}<label>Name <input name=\"name\" value=\"SCIM\" required></label> \
         <button type=\"submit\">Create token</button></form><table><tr><th>Name</th><th>Prefix</th><th>Created</th><th>Last used</th><th></th></tr>",
        esc(&state.config.public_url),
        web::csrf_input(&csrf)
    ));
    for t in crate::tokens::list(state, ws).await? {
        let action = match t.revoked_at {
            Some(at) => format!("revoked {}", time(at)),
            None => format!(
                "<form method=\"post\" action=\"/settings/tokens/revoke\">{}<input type=\"hidden\" name=\"id\" value=\"{}\"><button>Revoke</button></form>",
                web::csrf_input(&csrf),
                esc(&t.id)
            ),
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td><code>{}…</code></td><td>{}</td><td>{}</td><td>{action}</td></tr>",
            esc(&t.name),
            esc(&t.prefix),
            time(t.created_at),
            t.last_used_at.map_or_else(|| "never".to_owned(), time)
        ));
    }
    body.push_str("</table><p><a href=\"/\">Home</a></p>");
    Ok(web::with_cookie(
        page(&format!("Personal access tokens · {}", ws.name), &body).into_response(),
        cookie,
    ))
}

async fn tokens_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = async {
        match gate(&state, &headers).await? {
            Gate::Stop(r) => Ok(r),
            Gate::Ok(ws) => render_tokens(&state, &headers, &ws, None).await,
        }
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn csrf_refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        page(
            "Form expired",
            "<p>The form expired; reload the page and try again.</p>",
        ),
    )
        .into_response()
}

async fn tokens_create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form(&body);
    if !web::csrf_ok(&headers, f.get("csrf").map(String::as_str)) {
        return csrf_refused();
    }
    let r = async {
        match gate(&state, &headers).await? {
            Gate::Stop(r) => Ok(r),
            Gate::Ok(ws) => {
                let token =
                    crate::tokens::create(&state, &ws, f.get("name").map_or("", String::as_str))
                        .await?;
                render_tokens(&state, &headers, &ws, Some(&token)).await
            }
        }
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

async fn tokens_revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form(&body);
    if !web::csrf_ok(&headers, f.get("csrf").map(String::as_str)) {
        return csrf_refused();
    }
    let r = async {
        match gate(&state, &headers).await? {
            Gate::Stop(r) => Ok(r),
            Gate::Ok(ws) => {
                if !crate::tokens::revoke(&state, &ws, f.get("id").map_or("", String::as_str))
                    .await?
                {
                    return Err(Error::NotFound("token".into()));
                }
                Ok(web::see_other("/settings/tokens"))
            }
        }
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

async fn sso_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let (csrf, cookie) = web::csrf_token(&state, &headers)?;
        let c = web::csrf_input(&csrf);
        let mut body = String::from("<h2>Connections</h2><table><tr><th>Name</th><th>Type</th><th>Details</th><th></th></tr>");
        for conn in model::connections_of(&state, &ws.id).await? {
            let details = match conn.kind {
                model::Kind::Saml => saml_details(&state, &conn, &c)?,
                model::Kind::Oidc => {
                    let s = conn.oidc_settings()?;
                    format!("issuer <code>{}</code>, client <code>{}</code>, redirect <code>{}</code>", esc(&s.issuer), esc(&s.client_id), esc(&state.callback_url()))
                }
            };
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{details}</td><td><form method=\"post\" action=\"/settings/sso/delete\">{c}\
                 <input type=\"hidden\" name=\"name\" value=\"{}\"><button>Delete</button></form></td></tr>",
                esc(&conn.name),
                conn.kind_str().to_uppercase(),
                esc(&conn.name)
            ));
        }
        body.push_str(&format!(
            "</table><h2>Add an OIDC connection</h2><form method=\"post\" action=\"/settings/sso/oidc\">{c}\
             <p><label>Name <input name=\"name\" required></label></p><p><label>Okta domain or issuer <input name=\"issuer\" required></label></p>\
             <p><label>Client ID <input name=\"client_id\" required></label></p><p><label>Client secret <input name=\"client_secret\" type=\"password\" required></label></p>\
             <button>Add</button></form><h2>Add a SAML connection</h2><form method=\"post\" action=\"/settings/sso/saml\">{c}\
             <p><label>Name <input name=\"name\" required></label></p><p><label>IdP metadata URL <input name=\"metadata_url\" size=\"60\"></label></p><p><label>or the metadata XML<br><textarea name=\"metadata\" rows=\"6\" cols=\"70\"></textarea></label></p>\
             <p><label><input type=\"checkbox\" name=\"allow_unsolicited\" value=\"1\"> Allow IdP-initiated sign-in</label></p><button>Add</button></form><p><a href=\"/\">Home</a></p>"
        ));
        Ok::<_, Error>(web::with_cookie(page(&format!("SSO connections · {}", ws.name), &body).into_response(), cookie))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

async fn sso_add_oidc(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form(&body);
    if !web::csrf_ok(&headers, f.get("csrf").map(String::as_str)) {
        return csrf_refused();
    }
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let get = |k: &str| f.get(k).map_or("", |v| v.trim()).to_owned();
        let settings = model::OidcSettings {
            issuer: get("issuer"),
            client_id: get("client_id"),
            client_secret_post: false,
        };
        model::add_oidc_connection(&state, &ws, &get("name"), &settings, &get("client_secret"))
            .await?;
        web::audit(
            &state,
            Some(&ws.id),
            Some(&get("name")),
            "connection-added",
            "oidc",
        )
        .await;
        Ok::<_, Error>(web::see_other("/settings/sso"))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// Builds SAML settings from IdP metadata XML.
pub fn saml_settings_from_metadata(
    xml: &[u8],
    now: chrono::DateTime<chrono::Utc>,
    allow_unsolicited: bool,
) -> Result<model::SamlSettings> {
    let md = gatehouse_saml::parse_idp_metadata(xml, None, now, None)
        .map_err(|e| Error::Invalid(format!("IdP metadata: {e}")))?;
    let policy = gatehouse_saml::ConnectionPolicy {
        allow_unsolicited,
        ..Default::default()
    };
    let idp = md
        .identity_provider(policy)
        .map_err(|e| Error::Invalid(format!("IdP metadata: {e}")))?;
    Ok(model::SamlSettings {
        idp,
        sign_requests: false,
    })
}

async fn sso_add_saml(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form(&body);
    if !web::csrf_ok(&headers, f.get("csrf").map(String::as_str)) {
        return csrf_refused();
    }
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let name = f.get("name").map_or("", |v| v.trim()).to_owned();
        let pasted = f.get("metadata").map_or("", |m| m.trim());
        let xml = match f
            .get("metadata_url")
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
        {
            Some(url) if pasted.is_empty() => fetch_metadata(&state, url).await?,
            _ => pasted.as_bytes().to_vec(),
        };
        let settings =
            saml_settings_from_metadata(&xml, state.now(), f.contains_key("allow_unsolicited"))?;
        model::add_saml_connection(&state, &ws, &name, &settings).await?;
        web::audit(
            &state,
            Some(&ws.id),
            Some(&name),
            "connection-added",
            "saml",
        )
        .await;
        Ok::<_, Error>(web::see_other("/settings/sso"))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

async fn sso_delete(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = form(&body);
    if !web::csrf_ok(&headers, f.get("csrf").map(String::as_str)) {
        return csrf_refused();
    }
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let name = f.get("name").cloned().unwrap_or_default();
        if !model::delete_connection(&state, &ws, &name).await? {
            return Err(Error::NotFound(format!("connection {name:?}")));
        }
        web::audit(&state, Some(&ws.id), Some(&name), "connection-deleted", "").await;
        Ok::<_, Error>(web::see_other("/settings/sso"))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

async fn members_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let mut body = String::from(
            "<table><tr><th>Email</th><th>Name</th><th>SCIM userName</th><th>Role</th><th>Status</th><th>Provisioned by</th></tr>",
        );
        for u in crate::jit_store::users_of(&state, &ws.id).await? {
            let how = match u.provisioned_by.as_str() {
                "scim" => "SCIM".to_owned(),
                "manual" => "manual".to_owned(),
                other => other.strip_prefix("jit:").map_or_else(|| other.to_owned(), |c| format!("JIT via {c}")),
            };
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(u.email.as_deref().unwrap_or("")),
                esc(u.display_name.as_deref().unwrap_or("")),
                esc(u.user_name.as_deref().unwrap_or("")),
                esc(u.role.as_deref().unwrap_or("member")),
                if u.active { "active" } else { "deactivated" },
                esc(&how)
            ));
        }
        body.push_str("</table><p><a href=\"/\">Home</a></p>");
        Ok::<_, Error>(page(&format!("Members · {}", ws.name), &body).into_response())
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// The attribute statements the Okta guide has an admin add to the SAML app: (name, Okta expression).
pub const OKTA_ATTRIBUTE_STATEMENTS: &[(&str, &str)] = &[
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "user.email",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "user.name",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "user.given_name",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "user.family_name",
    ),
    ("email_verified", "true"),
];

/// Details and the edit form of a SAML connection: pinned IdP certificates (add one before the IdP rotates, remove
/// the old one after: rotation without downtime), IdP-initiated sign-in, request signing.
fn saml_details(state: &AppState, conn: &model::Connection, csrf_input: &str) -> Result<String> {
    let s = conn.saml_settings()?;
    let mut certs = String::new();
    for k in s.idp.certificates.keys() {
        let until = chrono::DateTime::from_timestamp(k.not_after_unix(), 0)
            .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string());
        certs.push_str(&format!(
            "<li><code>{}</code> {} (until {until}) <label><input type=\"checkbox\" name=\"remove\" value=\"{}\"> remove</label></li>",
            esc(&k.fingerprint_hex()),
            esc(k.subject()),
            esc(&k.fingerprint_hex())
        ));
    }
    let checked = |b: bool| if b { " checked" } else { "" };
    Ok(format!(
        "<p><strong>Paste into Okta</strong> (a click selects a whole value):</p>\
         <p>Single sign-on URL (also <em>Recipient URL</em> and <em>Destination URL</em>):<br><code class=\"copy\">{acs}</code></p>\
         <p>Audience URI (SP Entity ID):<br><code class=\"copy\">{entity}</code></p>\
         <p>Attribute statements:</p><table><tr><th>Name</th><th>Value</th></tr>{attributes}</table>\
         <p>Request-signing certificate: <a href=\"/pem?cert={name}\">{pem}</a> · <a href=\"/saml/metadata?connection={name}\">SP metadata</a></p>\
         <p>IdP <code>{idp}</code></p>\
         <form method=\"post\" action=\"/settings/sso/saml/edit\">{csrf_input}<input type=\"hidden\" name=\"name\" value=\"{name}\">\
         <p>Pinned IdP certificates (SHA-256):</p><ul>{certs}</ul>\
         <p><label>Add a certificate (PEM)<br><textarea name=\"add_cert\" rows=\"3\" cols=\"50\"></textarea></label></p>\
         <p><label><input type=\"checkbox\" name=\"allow_unsolicited\" value=\"1\"{unsolicited}> Allow IdP-initiated sign-in</label> \
         <label><input type=\"checkbox\" name=\"sign_requests\" value=\"1\"{signed}> Sign AuthnRequests</label></p><button>Save</button></form>",
        acs = esc(&state.acs_url(&conn.name)),
        attributes = OKTA_ATTRIBUTE_STATEMENTS
            .iter()
            .map(|(n, v)| format!("<tr><td><code class=\"copy\">{}</code></td><td><code class=\"copy\">{}</code></td></tr>", esc(n), esc(v)))
            .collect::<String>(),
        pem = esc(&format!("{}/pem?cert={}", state.config.auth_url, conn.name)),
        entity = esc(&state.sp_entity_id(&conn.name)),
        idp = esc(&s.idp.entity_id),
        name = esc(&conn.name),
        unsolicited = checked(s.idp.policy.allow_unsolicited),
        signed = checked(s.sign_requests),
    ))
}

async fn sso_edit_saml(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if !web::csrf_ok(&headers, get("csrf")) {
        return csrf_refused();
    }
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let name = get("name").unwrap_or_default();
        let conn = model::connection_by_name(&state, name)
            .await?
            .filter(|c| c.workspace_id == ws.id && c.kind == model::Kind::Saml)
            .ok_or_else(|| Error::NotFound(format!("SAML connection {name:?}")))?;
        let mut settings = conn.saml_settings()?;
        let remove: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == "remove")
            .map(|(_, v)| v.as_str())
            .collect();
        let mut keys = gatehouse_xml::PinnedKeys::new();
        for k in settings.idp.certificates.keys() {
            if !remove.contains(&k.fingerprint_hex().as_str()) {
                keys.push(k.clone());
            }
        }
        if let Some(pem) = get("add_cert").filter(|p| !p.trim().is_empty()) {
            let added = gatehouse_xml::PinnedKeys::from_pem(pem)
                .map_err(|e| Error::Invalid(format!("certificate: {e}")))?;
            for k in added.keys() {
                keys.push(k.clone());
            }
        }
        if keys.is_empty() {
            return Err(Error::Invalid(
                "a SAML connection needs at least one pinned IdP certificate".into(),
            ));
        }
        settings.idp.certificates = keys;
        settings.idp.policy.allow_unsolicited = get("allow_unsolicited").is_some();
        settings.sign_requests = get("sign_requests").is_some();
        let json = serde_json::to_string(&settings).map_err(|e| Error::Internal(e.to_string()))?;
        model::update_connection_config(&state, &conn, &json).await?;
        web::audit(
            &state,
            Some(&ws.id),
            Some(&conn.name),
            "connection-updated",
            &format!(
                "certificates {}, unsolicited {}, signed requests {}",
                settings.idp.certificates.keys().len(),
                settings.idp.policy.allow_unsolicited,
                settings.sign_requests
            ),
        )
        .await;
        Ok::<_, Error>(web::see_other("/settings/sso"))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// Largest IdP metadata document fetched.
const MAX_METADATA: usize = 4 * 1024 * 1024;

/// Fetches IdP metadata from an https URL (http only on loopback), without redirects, bounded in size.
pub async fn fetch_metadata(state: &AppState, url: &str) -> Result<Vec<u8>> {
    let parsed = url::Url::parse(url)
        .map_err(|_| Error::Invalid(format!("metadata URL {url:?} is not a URL")))?;
    let loopback = matches!(parsed.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(parsed.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || parsed.host_str() == Some("localhost");
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
        return Err(Error::Invalid(format!(
            "metadata URL {url:?} must use https"
        )));
    }
    let mut resp = state
        .http
        .get(parsed)
        .send()
        .await
        .map_err(|e| Error::Invalid(format!("fetching IdP metadata: {e}")))?;
    if !resp.status().is_success() {
        return Err(Error::Invalid(format!(
            "fetching IdP metadata: HTTP {}",
            resp.status()
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| Error::Invalid(format!("fetching IdP metadata: {e}")))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_METADATA {
            return Err(Error::Invalid("IdP metadata is larger than 4 MB".into()));
        }
    }
    Ok(body)
}

/// Audit log rows per page.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// One day in seconds (the `to` date of the audit filter is inclusive).
const DAY: i64 = 86_400;

/// Start of `YYYY-MM-DD` (UTC) as a Unix time.
fn day_start(s: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// Hides anything shaped like a personal access token in an audit reason (reasons are written by code that never
/// passes secrets, this is a second line).
fn redact(reason: &str) -> String {
    reason
        .split(' ')
        .map(|w| {
            if w.contains("gh_pat_") {
                "[redacted]"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `/settings/audit?connection=&outcome=&from=YYYY-MM-DD&to=YYYY-MM-DD&page=N`: this workspace's audit rows, newest
/// first, [`AUDIT_PAGE_SIZE`] per page.
async fn audit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let q = form(query.unwrap_or_default().as_bytes());
        let get = |k: &str| q.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        let (connection, outcome, from, to) = (get("connection"), get("outcome"), get("from"), get("to"));
        let page_no: i64 = get("page").parse().unwrap_or(0).clamp(0, 1_000_000);
        let mut problems = Vec::new();
        let from_at = if from.is_empty() {
            i64::MIN
        } else {
            day_start(&from).unwrap_or_else(|| {
                problems.push(format!("“from” must be a date like 2026-01-31, got {from:?}"));
                i64::MIN
            })
        };
        let to_at = if to.is_empty() {
            i64::MAX
        } else {
            day_start(&to).map_or_else(
                || {
                    problems.push(format!("“to” must be a date like 2026-01-31, got {to:?}"));
                    i64::MAX
                },
                |t| t.saturating_add(DAY),
            )
        };
        let rows = sqlx::query(
            "SELECT at, connection, outcome, reason FROM audit_log WHERE workspace_id = $1 \
             AND ($2 = '' OR connection = $2) AND ($3 = '' OR outcome = $3) AND at >= $4 AND at < $5 \
             ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7",
        )
        .bind(&ws.id)
        .bind(&connection)
        .bind(&outcome)
        .bind(from_at)
        .bind(to_at)
        .bind(AUDIT_PAGE_SIZE + 1)
        .bind(page_no.saturating_mul(AUDIT_PAGE_SIZE))
        .fetch_all(&state.pool)
        .await?;
        let distinct = |col: &'static str| {
            let state = state.clone();
            let ws_id = ws.id.clone();
            async move {
                let sql = if col == "connection" {
                    "SELECT DISTINCT connection AS v FROM audit_log WHERE workspace_id = $1 AND connection IS NOT NULL ORDER BY v"
                } else {
                    "SELECT DISTINCT outcome AS v FROM audit_log WHERE workspace_id = $1 ORDER BY v"
                };
                sqlx::query(sql)
                    .bind(ws_id)
                    .fetch_all(&state.pool)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<String, _>("v"))
                    .collect::<std::result::Result<Vec<String>, _>>()
                    .map_err(Error::from)
            }
        };
        let options = |all: &str, values: Vec<String>, chosen: &str| {
            let mut o = format!("<option value=\"\">{all}</option>");
            for v in values {
                let sel = if v == chosen { " selected" } else { "" };
                o.push_str(&format!("<option value=\"{0}\"{sel}>{0}</option>", esc(&v)));
            }
            o
        };
        let connections = options("all connections", distinct("connection").await?, &connection);
        let outcomes = options("all outcomes", distinct("outcome").await?, &outcome);
        let mut body = format!(
            "<form method=\"get\" action=\"/settings/audit\">\
             <p><label>Connection <select name=\"connection\">{connections}</select></label> \
             <label>Outcome <select name=\"outcome\">{outcomes}</select></label></p>\
             <p><label>From <input type=\"date\" name=\"from\" value=\"{}\"></label> \
             <label>To <input type=\"date\" name=\"to\" value=\"{}\"></label> <button>Filter</button></p></form>",
            esc(&from),
            esc(&to)
        );
        for p in &problems {
            body.push_str(&format!("<p class=\"hint\">{}</p>", esc(p)));
        }
        body.push_str("<table><tr><th>Time</th><th>Connection</th><th>Outcome</th><th>Details</th></tr>");
        let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > AUDIT_PAGE_SIZE;
        for r in rows.iter().take(usize::try_from(AUDIT_PAGE_SIZE).unwrap_or(50)) {
            let at: i64 = r.try_get("at")?;
            let conn: Option<String> = r.try_get("connection")?;
            let out: String = r.try_get("outcome")?;
            let reason: String = r.try_get("reason")?;
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                time(at),
                esc(conn.as_deref().unwrap_or("")),
                esc(&out),
                esc(&redact(&reason))
            ));
        }
        if rows.is_empty() {
            body.push_str("<tr><td colspan=\"4\">No entries.</td></tr>");
        }
        body.push_str("</table><p>");
        let link = |n: i64, text: &str| {
            let qs: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("connection", &connection)
                .append_pair("outcome", &outcome)
                .append_pair("from", &from)
                .append_pair("to", &to)
                .append_pair("page", &n.to_string())
                .finish();
            format!("<a href=\"/settings/audit?{}\">{text}</a> ", esc(&qs))
        };
        if page_no > 0 {
            body.push_str(&link(page_no - 1, "← Newer"));
        }
        if more {
            body.push_str(&link(page_no + 1, "Older →"));
        }
        body.push_str("<a href=\"/\">Home</a></p>");
        Ok::<_, Error>(page(&format!("Audit log · {}", ws.name), &body).into_response())
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}
