//! `/settings/sso`: the workspace's SAML and OIDC connections, the values to paste into the IdP, certificates.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::{Gate, admin_post, csrf_refused, gate};
use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{self};
use crate::web::{self, esc, page};

/// Days before a pinned certificate's expiry from which the settings page warns.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// The warning for a certificate that expires within [`EXPIRY_WARNING_DAYS`] (or has expired), if any.
#[must_use]
pub fn expiry_warning(not_after_unix: i64, now_unix: i64) -> Option<String> {
    let days = not_after_unix.saturating_sub(now_unix).div_euclid(86_400);
    if not_after_unix <= now_unix {
        Some(format!(
            "expired {} day(s) ago: sign-ins still work (the certificate is pinned by its fingerprint, not trusted \
             for its dates), but the IdP should rotate it",
            now_unix.saturating_sub(not_after_unix).div_euclid(86_400)
        ))
    } else if days < EXPIRY_WARNING_DAYS {
        Some(format!(
            "expires in {days} day(s): add the IdP's next certificate below before it rotates (Okta: Sign On tab → \
             SAML Signing Certificates → Generate new certificate)"
        ))
    } else {
        None
    }
}

pub(super) async fn sso_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let (csrf, cookie) = web::csrf_token(&state, &headers)?;
        let c = web::csrf_input(&csrf);
        let now = state.now().timestamp();
        let mut warnings = Vec::new();
        let mut sections = String::new();
        let connections = model::connections_of(&state, &ws.id).await?;
        for conn in &connections {
            let details = match conn.kind {
                model::Kind::Saml => {
                    let s = conn.saml_settings()?;
                    for k in s.idp.certificates.keys() {
                        if let Some(w) = expiry_warning(k.not_after_unix(), now) {
                            warnings.push(format!(
                                "<li><a href=\"#conn-{0}\">{0}</a>: certificate <code>{1}</code> {2}</li>",
                                esc(&conn.name),
                                esc(&k.fingerprint_hex()),
                                esc(&w)
                            ));
                        }
                    }
                    let mut d = saml_details(&state, conn, &c, now)?;
                    d.push_str(&metadata_html(&state, conn, &c).await?);
                    d
                }
                model::Kind::Oidc => oidc_details(&state, conn)?,
            };
            let buttons = crate::connection_test::row_buttons(&state, &ws, conn, &c).await?;
            sections.push_str(&format!(
                "<section id=\"conn-{name}\"><h2>{name} <small>({kind})</small></h2>{buttons}{details}\
                 <form method=\"post\" action=\"/settings/sso/delete\">{c}<input type=\"hidden\" name=\"name\" value=\"{name}\">\
                 <button>Delete {name}</button></form></section>",
                name = esc(&conn.name),
                kind = conn.kind_str().to_uppercase(),
            ));
        }
        let mut body = String::from(super::NAV);
        if !warnings.is_empty() {
            body.push_str(&format!(
                "<div class=\"warn\" role=\"alert\"><p><strong>Certificates need attention:</strong></p><ul>{}</ul></div>",
                warnings.concat()
            ));
        }
        body.push_str(
            "<p><a href=\"/settings/sso/new/saml\">Add a SAML connection</a> · \
             <a href=\"/settings/sso/new/oidc\">Add an OIDC connection</a> · \
             <a href=\"/settings/scim\">Set up SCIM provisioning</a></p>",
        );
        if connections.is_empty() {
            body.push_str("<p>No connections yet.</p>");
        }
        body.push_str(&sections);
        Ok::<_, Error>(web::with_cookie(page(&format!("SSO connections · {}", ws.name), &body).into_response(), cookie))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// Where a SAML connection's metadata comes from and what the scheduled refetch last saw, with a button to refetch
/// now ([`crate::metadata_refresh`]).
async fn metadata_html(
    state: &AppState,
    conn: &model::Connection,
    csrf_input: &str,
) -> Result<String> {
    let Some(st) = crate::metadata_refresh::metadata_status(state, &conn.id).await? else {
        return Ok("<p><small>Metadata was pasted, so it is not refetched: add the IdP's next certificate above \
                   before it rotates.</small></p>"
            .to_owned());
    };
    let fetched = st
        .fetched_at
        .map_or_else(|| "not yet".to_owned(), super::time);
    let mut out = format!(
        "<p>Metadata URL <code>{}</code>: refetched every day (new signing certificates are added, an old one is \
         removed once its successor is published; a changed entity ID is only reported). Last fetched {fetched}, next \
         {}.</p>",
        esc(&st.url),
        super::time(st.next_fetch_at)
    );
    if let Some(change) = &st.last_change {
        out.push_str(&format!(
            "<p class=\"hint\"><strong>Last change ({}):</strong> {}</p>",
            st.last_change_at.map_or_else(String::new, super::time),
            esc(change)
        ));
    }
    if let Some(err) = &st.last_error {
        out.push_str(&format!(
            "<p class=\"warn\"><strong>The last fetch failed:</strong> {} (the connection keeps its settings)</p>",
            esc(err)
        ));
    }
    out.push_str(&format!(
        "<form method=\"post\" action=\"/settings/sso/metadata/refresh\">{csrf_input}\
         <input type=\"hidden\" name=\"name\" value=\"{0}\"><button>Refetch metadata now</button></form>",
        esc(&conn.name)
    ));
    Ok(out)
}

/// `POST /settings/sso/metadata/refresh` (`name`): refetches a connection's metadata now.
pub(super) async fn sso_metadata_refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ws, f) = match admin_post(&state, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(stop) => return stop,
    };
    let r = async {
        let name = f.get("name").cloned().unwrap_or_default();
        let conn = model::connection_by_name(&state, &name)
            .await?
            .filter(|c| c.workspace_id == ws.id && c.kind == model::Kind::Saml)
            .ok_or_else(|| Error::NotFound(format!("SAML connection {name:?}")))?;
        if crate::metadata_refresh::refresh_now(&state, &conn.id)
            .await?
            .is_none()
        {
            return Err(Error::Invalid(format!(
                "connection {name:?} was not created from a metadata URL"
            )));
        }
        Ok::<_, Error>(web::see_other(&format!("/settings/sso#conn-{name}")))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// An OIDC connection: what Okta must hold, what the connection holds.
fn oidc_details(state: &AppState, conn: &model::Connection) -> Result<String> {
    let s = conn.oidc_settings()?;
    let public = &state.config.public_url;
    Ok(format!(
        "<p>Issuer <code>{}</code>, client ID <code>{}</code>, client secret sent {}.</p>\
         <p><strong>In Okta</strong> (the app's General tab):</p><ul>\
         <li>Sign-in redirect URI: {}</li><li>Sign-out redirect URI: {}</li><li>Initiate login URI: {}</li></ul>",
        esc(&s.issuer),
        esc(&s.client_id),
        if s.client_secret_post {
            "in the request body (client_secret_post)"
        } else {
            "with HTTP Basic (client_secret_basic)"
        },
        web::copyable(&state.callback_url()),
        web::copyable(public),
        web::copyable(&format!("{public}/login")),
    ))
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

pub(super) async fn sso_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ws, f) = match admin_post(&state, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(stop) => return stop,
    };
    let r = async {
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
fn saml_details(
    state: &AppState,
    conn: &model::Connection,
    csrf_input: &str,
    now: i64,
) -> Result<String> {
    let s = conn.saml_settings()?;
    let mut certs = String::new();
    for k in s.idp.certificates.keys() {
        let until = chrono::DateTime::from_timestamp(k.not_after_unix(), 0)
            .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string());
        let warning = expiry_warning(k.not_after_unix(), now).map_or_else(String::new, |w| {
            format!(" <strong class=\"bad\">{}</strong>", esc(&w))
        });
        certs.push_str(&format!(
            "<li><code>{}</code> {} (until {until}){warning} <label><input type=\"checkbox\" name=\"remove\" value=\"{}\"> remove</label></li>",
            esc(&k.fingerprint_hex()),
            esc(k.subject()),
            esc(&k.fingerprint_hex())
        ));
    }
    let checked = |b: bool| if b { " checked" } else { "" };
    Ok(format!(
        "<p><strong>Paste into Okta</strong> (a click on a value selects all of it):</p>\
         <p>Single sign-on URL (also <em>Recipient URL</em> and <em>Destination URL</em>):<br>{acs}</p>\
         <p>Audience URI (SP Entity ID):<br>{entity}</p>\
         <p>Attribute statements:</p><table><tr><th>Name</th><th>Value</th></tr>{attributes}</table>\
         <p>Request-signing certificate: <a href=\"/pem?cert={name}\">{pem}</a> · <a href=\"/saml/metadata?connection={name}\">SP metadata</a></p>\
         <p>IdP <code>{idp}</code></p>\
         <form method=\"post\" action=\"/settings/sso/saml/edit\">{csrf_input}<input type=\"hidden\" name=\"name\" value=\"{name}\">\
         <p>Pinned IdP certificates (SHA-256):</p><ul>{certs}</ul>\
         <p><label>Add a certificate (PEM)<br><textarea name=\"add_cert\" rows=\"3\" cols=\"50\"></textarea></label></p>\
         <p><label><input type=\"checkbox\" name=\"allow_unsolicited\" value=\"1\"{unsolicited}> Allow IdP-initiated sign-in</label> \
         <label><input type=\"checkbox\" name=\"sign_requests\" value=\"1\"{signed}> Sign AuthnRequests</label></p><button>Save</button></form>",
        acs = web::copyable(&state.acs_url(&conn.name)),
        attributes = OKTA_ATTRIBUTE_STATEMENTS
            .iter()
            .map(|(n, v)| format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                web::copyable(n),
                web::copyable(v)
            ))
            .collect::<String>(),
        pem = esc(&format!("{}/pem?cert={}", state.config.auth_url, conn.name)),
        entity = web::copyable(&state.sp_entity_id(&conn.name)),
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
    crate::egress::check_url(&parsed, state.config.allow_private_idp_addresses)
        .map_err(|e| Error::Invalid(format!("metadata URL {url:?}: {e}")))?;
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
