//! `/settings/sso`: the workspace's SAML and OIDC connections, the values to paste into the IdP, certificates.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::{Gate, csrf_refused, form, gate};
use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{self};
use crate::web::{self, esc, page};

pub(super) async fn sso_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
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

pub(super) async fn sso_add_oidc(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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

pub(super) async fn sso_add_saml(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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

pub(super) async fn sso_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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

pub(super) async fn sso_edit_saml(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
