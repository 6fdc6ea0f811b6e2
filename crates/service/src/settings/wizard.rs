//! Connection set-up pages that follow the Okta guide step by step: what to paste into Okta first (with copy
//! buttons), then the few values to bring back — checked before anything is saved.
//!
//! - `GET /settings/sso/new/oidc`, `POST /settings/sso/oidc`: the sign-in redirect, sign-out redirect and initiate
//!   login URIs; then name, Okta domain (or issuer), client ID and secret. Saving fetches the discovery document
//!   and refuses with what went wrong (unreachable, not a discovery document, another issuer).
//! - `GET /settings/sso/new/saml[?name=]`, `POST /settings/sso/saml`: the connection name first (it is part of the
//!   Single sign-on URL and the Audience URI), then those values, the attribute statements and the request-signing
//!   certificate link; then the metadata (URL, file or pasted XML) and the expected signing certificate (SHA-256
//!   fingerprint or the PEM): only the certificate the admin names is pinned.
//! - `GET /settings/scim`: the SCIM connector values and a link to create the token.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

use super::{Gate, admin_post, gate};
use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{self, Workspace};
use crate::web::{self, copyable, esc, page};

/// The problems of a submitted form, shown above it.
fn problems_html(problems: &[String]) -> String {
    if problems.is_empty() {
        return String::new();
    }
    let items: String = problems
        .iter()
        .map(|p| format!("<li>{}</li>", esc(p)))
        .collect();
    format!(
        "<div class=\"warn\" role=\"alert\"><p><strong>Not saved:</strong></p><ul>{items}</ul></div>"
    )
}

// ---------------------------------------------------------------------------------------------------------------
// OIDC

/// What the OIDC form held (the secret is never echoed back).
#[derive(Default)]
struct OidcForm {
    name: String,
    issuer: String,
    client_id: String,
}

async fn render_oidc(
    state: &AppState,
    headers: &HeaderMap,
    ws: &Workspace,
    f: &OidcForm,
    problems: &[String],
) -> Result<Response> {
    let (csrf, cookie) = web::csrf_token(state, headers)?;
    let public = &state.config.public_url;
    let body = format!(
        "{nav}{problems}<ol class=\"steps\">\
         <li>In Okta, go to <em>Applications → Create App Integration</em>, choose <em>OIDC - OpenID Connect</em> and \
         <em>Web Application</em>, then <em>Next</em>.</li>\
         <li><strong>Sign-in redirect URIs:</strong><br>{callback}</li>\
         <li><strong>Sign-out redirect URIs:</strong><br>{signout}</li>\
         <li>To let people start from their Okta dashboard: <em>Login initiated by</em> “Either Okta or App”, \
         <em>Login flow</em> “Redirect to app to initiate login”, and <strong>Initiate login URI:</strong><br>{initiate}</li>\
         <li>Click <em>Create</em>, assign the users or groups who may sign in, and note the <em>Client ID</em> and \
         <em>Client secret</em> (General tab).</li>\
         <li><form method=\"post\" action=\"/settings/sso/oidc\">{csrf}\
         <p><label>Connection name (letters, digits, - or _)<br><input name=\"name\" value=\"{name}\" required pattern=\"[A-Za-z0-9_-]{{1,64}}\"></label></p>\
         <p><label>Okta domain (like <code>acme.okta.com</code>) or the issuer URL of a custom authorization server<br>\
         <input name=\"issuer\" value=\"{issuer}\" size=\"50\" required></label></p>\
         <p><label>Client ID<br><input name=\"client_id\" value=\"{client_id}\" size=\"40\" required autocomplete=\"off\"></label></p>\
         <p><label>Client secret<br><input name=\"client_secret\" type=\"password\" size=\"40\" required autocomplete=\"off\"></label></p>\
         <button>Check and save</button> <small>(fetches the discovery document first)</small></form></li></ol>",
        nav = super::NAV,
        problems = problems_html(problems),
        callback = copyable(&state.callback_url()),
        signout = copyable(public),
        initiate = copyable(&format!("{public}/login")),
        csrf = web::csrf_input(&csrf),
        name = esc(&f.name),
        issuer = esc(&f.issuer),
        client_id = esc(&f.client_id),
    );
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(web::with_cookie(
        (
            status,
            page(&format!("Add an OIDC connection · {}", ws.name), &body),
        )
            .into_response(),
        cookie,
    ))
}

pub(super) async fn new_oidc_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = async {
        match gate(&state, &headers).await? {
            Gate::Stop(r) => Ok(r),
            Gate::Ok(ws) => render_oidc(&state, &headers, &ws, &OidcForm::default(), &[]).await,
        }
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// Fetches and checks the discovery document of `issuer`; on success says whether the OP wants the client secret
/// in the request body (it lists `client_secret_post` but not `client_secret_basic`).
async fn check_discovery(
    state: &AppState,
    issuer: &gatehouse_oidc::Issuer,
) -> std::result::Result<bool, String> {
    let url = issuer.discovery_url();
    let request = gatehouse_oidc::discovery_request(issuer).map_err(|e| e.to_string())?;
    let response = crate::egress::execute(state, request)
        .await
        .map_err(|detail| {
            format!(
                "Could not reach {url} ({detail}). Check the Okta domain: it looks like acme.okta.com \
                 (Okta admin console, top right menu)."
            )
        })?;
    if response.status != 200 {
        return Err(format!(
            "{url} answered HTTP {}, not an OpenID Connect discovery document. Check the Okta domain; for a custom \
             authorization server paste its Issuer URI (Security → API → Authorization Servers).",
            response.status
        ));
    }
    let md = gatehouse_oidc::ProviderMetadata::parse(&response.body, issuer).map_err(|e| {
        let hint = e.admin_hint().map_or_else(String::new, |h| format!(" {h}"));
        format!("The discovery document at {url} is not usable: {e}.{hint}")
    })?;
    let methods = md.token_endpoint_auth_methods();
    let basic = methods.is_empty() || methods.iter().any(|m| m == "client_secret_basic");
    let post = methods.iter().any(|m| m == "client_secret_post");
    if !basic && !post {
        return Err(format!(
            "The provider authenticates clients only with {methods:?}; this connection sends a client secret \
             (client_secret_basic or client_secret_post). In Okta: General → Client Credentials → Client \
             authentication “Client secret”."
        ));
    }
    Ok(!basic && post)
}

pub(super) async fn sso_add_oidc(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ws, f) = match admin_post(&state, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(stop) => return stop,
    };
    let r = async {
        let get = |k: &str| f.get(k).map_or("", |v| v.trim()).to_owned();
        let submitted = OidcForm {
            name: get("name"),
            issuer: get("issuer"),
            client_id: get("client_id"),
        };
        let secret = get("client_secret");
        let mut problems = Vec::new();
        if let Err(e) = model::check_connection_name(&submitted.name) {
            problems.push(e.to_string());
        } else if model::connection_by_name(&state, &submitted.name)
            .await?
            .is_some()
        {
            problems.push(format!(
                "A connection named {:?} already exists: choose another name.",
                submitted.name
            ));
        }
        let connection = gatehouse_oidc::OidcConnection::new(
            &submitted.issuer,
            &submitted.client_id,
            gatehouse_oidc::ClientSecret::new(&secret),
            &state.callback_url(),
        );
        let mut client_secret_post = false;
        match connection {
            Err(errors) => problems.extend(errors.iter().map(|e| match e.admin_hint() {
                Some(h) => format!("{e}. {h}"),
                None => e.to_string(),
            })),
            Ok(c) if problems.is_empty() => match check_discovery(&state, &c.issuer).await {
                Ok(post) => client_secret_post = post,
                Err(p) => problems.push(p),
            },
            Ok(_) => {}
        }
        if !problems.is_empty() {
            return render_oidc(&state, &headers, &ws, &submitted, &problems).await;
        }
        let settings = model::OidcSettings {
            issuer: submitted.issuer.clone(),
            client_id: submitted.client_id.clone(),
            client_secret_post,
        };
        if let Err(e) =
            model::add_oidc_connection(&state, &ws, &submitted.name, &settings, &secret).await
        {
            return render_oidc(&state, &headers, &ws, &submitted, &[e.to_string()]).await;
        }
        web::audit(
            &state,
            Some(&ws.id),
            Some(&submitted.name),
            "connection-added",
            "oidc",
        )
        .await;
        Ok::<_, Error>(web::see_other("/settings/sso"))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

// ---------------------------------------------------------------------------------------------------------------
// SAML

/// What the SAML form held.
#[derive(Default)]
struct SamlForm {
    name: String,
    metadata_url: String,
    metadata: String,
    expected: String,
    allow_unsolicited: bool,
}

/// Step 1: the connection name.
fn saml_name_step(problems: &[String], name: &str) -> String {
    format!(
        "{nav}{problems}<p>Step 1 of 2. The connection name is part of the Single sign-on URL and the Audience URI you \
         will paste into Okta, so it comes first.</p>\
         <form method=\"get\" action=\"/settings/sso/new/saml\"><p><label>Connection name (letters, digits, - or _; \
         for example <code>acme-okta</code>)<br><input name=\"name\" value=\"{}\" required pattern=\"[A-Za-z0-9_-]{{1,64}}\"></label></p>\
         <button>Next</button></form>",
        esc(name),
        nav = super::NAV,
        problems = problems_html(problems),
    )
}

async fn render_saml(
    state: &AppState,
    headers: &HeaderMap,
    ws: &Workspace,
    f: &SamlForm,
    problems: &[String],
) -> Result<Response> {
    let (csrf, cookie) = web::csrf_token(state, headers)?;
    let name = &f.name;
    let attributes: String = super::OKTA_ATTRIBUTE_STATEMENTS
        .iter()
        .map(|(n, v)| format!("<tr><td>{}</td><td>{}</td></tr>", copyable(n), copyable(v)))
        .collect();
    let body = format!(
        "{nav}{problems}<p>Step 2 of 2 for connection <strong>{name_html}</strong> \
         (<a href=\"/settings/sso/new/saml\">choose another name</a>).</p><ol class=\"steps\">\
         <li>In Okta, go to <em>Applications → Create App Integration</em>, choose <em>SAML 2.0</em>, then <em>Next</em> \
         and give the app a name.</li>\
         <li><strong>Single sign-on URL:</strong><br>{acs}<br>Keep <em>Use this for Recipient URL and Destination URL</em> checked.</li>\
         <li><strong>Audience URI (SP Entity ID):</strong><br>{entity}</li>\
         <li>Name ID format <em>EmailAddress</em>, Application username <em>Email</em>. Under <em>Attribute Statements</em> add:\
         <table><tr><th>Name</th><th>Value</th></tr>{attributes}</table>\
         <small>Optional: <code>profile_picture</code> = <code>user.profilePicture</code> (or your picture field).</small></li>\
         <li>Optional, signed requests and encrypted assertions: once this connection is saved, its certificate is \
         at<br>{pem}<br>For signed requests upload it in Okta (<em>Show Advanced Settings → Signature Certificate</em>) \
         and tick <em>Sign AuthnRequests</em> on the connection's settings. For encrypted assertions set <em>Assertion \
         Encryption</em> to <em>Encrypted</em>, upload the same certificate as <em>Encryption Certificate</em> and keep \
         the key transport at RSA-OAEP (RSA-1.5 is refused).</li>\
         <li>Click <em>Finish</em> and assign the users or groups who may sign in. On the app's <em>Sign On</em> tab copy \
         the <em>Metadata URL</em>, and download the active <em>SHA-2</em> certificate under <em>SAML Signing \
         Certificates</em> (or note its SHA-256 fingerprint).</li>\
         <li><form method=\"post\" action=\"/settings/sso/saml\">{csrf}<input type=\"hidden\" name=\"name\" value=\"{name_html}\">\
         <p><label>Metadata URL<br><input name=\"metadata_url\" value=\"{metadata_url}\" size=\"60\" \
         placeholder=\"https://acme.okta.com/app/…/sso/saml/metadata\"></label></p>\
         <p><label>or the metadata XML<br><textarea name=\"metadata\" rows=\"5\">{metadata}</textarea></label><br>\
         <input type=\"file\" accept=\".xml,application/xml,text/xml,application/samlmetadata+xml\" data-into=\"metadata\" \
         hidden aria-label=\"Read the metadata XML from a file\"></p>\
         <p><label>Expected signing certificate: its SHA-256 fingerprint, or the certificate (PEM)<br>\
         <textarea name=\"expected_certificate\" rows=\"3\" placeholder=\"AB:CD:… or -----BEGIN CERTIFICATE-----\">{expected}</textarea></label><br>\
         <small>Only this certificate is trusted, even if the metadata lists others. Leave empty to trust every signing \
         certificate in the metadata, then compare the fingerprints shown on the connection with Okta's.</small></p>\
         <p><label><input type=\"checkbox\" name=\"allow_unsolicited\" value=\"1\"{unsolicited}> Allow IdP-initiated \
         sign-in (from the Okta dashboard)</label></p>\
         <button>Check and save</button></form></li></ol>",
        nav = super::NAV,
        problems = problems_html(problems),
        name_html = esc(name),
        acs = copyable(&state.acs_url(name)),
        entity = copyable(&state.sp_entity_id(name)),
        pem = copyable(&format!("{}/pem?cert={name}", state.config.auth_url)),
        csrf = web::csrf_input(&csrf),
        metadata_url = esc(&f.metadata_url),
        metadata = esc(&f.metadata),
        expected = esc(&f.expected),
        unsolicited = if f.allow_unsolicited { " checked" } else { "" },
    );
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(web::with_cookie(
        (
            status,
            page(&format!("Add a SAML connection · {}", ws.name), &body),
        )
            .into_response(),
        cookie,
    ))
}

/// Is `name` usable for a new connection? The problem if not.
async fn name_problem(state: &AppState, name: &str) -> Result<Option<String>> {
    if let Err(e) = model::check_connection_name(name) {
        return Ok(Some(e.to_string()));
    }
    if model::connection_by_name(state, name).await?.is_some() {
        return Ok(Some(format!(
            "A connection named {name:?} already exists: choose another name."
        )));
    }
    Ok(None)
}

pub(super) async fn new_saml_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let title = format!("Add a SAML connection · {}", ws.name);
        let Some(name) = q.get("name").map(|n| n.trim()) else {
            return Ok(page(&title, &saml_name_step(&[], "")).into_response());
        };
        if let Some(problem) = name_problem(&state, name).await? {
            return Ok((
                StatusCode::BAD_REQUEST,
                page(&title, &saml_name_step(&[problem], name)),
            )
                .into_response());
        }
        let f = SamlForm {
            name: name.to_owned(),
            ..SamlForm::default()
        };
        render_saml(&state, &headers, &ws, &f, &[]).await
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// A fingerprint as bare lowercase hex (Okta shows `AB:CD:…`, other tools `abcd…`).
fn bare_hex(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The SHA-256 fingerprints (bare lowercase hex) an admin named: one fingerprint (hex, any case, colons or spaces
/// allowed) or PEM certificates.
pub fn expected_fingerprints(text: &str) -> std::result::Result<Vec<String>, String> {
    let text = text.trim();
    if text.contains("-----BEGIN") {
        let keys = gatehouse_xml::PinnedKeys::from_pem(text).map_err(|e| {
            format!("The expected certificate is not a usable PEM certificate: {e}.")
        })?;
        return Ok(keys
            .keys()
            .iter()
            .map(|k| bare_hex(&k.fingerprint_hex()))
            .collect());
    }
    let hex = bare_hex(text);
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "The expected certificate fingerprint must be 64 hexadecimal digits (a SHA-256 fingerprint; colons \
             allowed), got {} characters. A SHA-1 fingerprint (40 digits) is not enough; paste the certificate itself \
             if Okta shows no SHA-256 fingerprint.",
            hex.len()
        ));
    }
    Ok(vec![hex])
}

/// Keeps only the metadata's certificates the admin named; refuses when none matches.
pub fn pin_expected(
    settings: &mut model::SamlSettings,
    expected: &[String],
) -> std::result::Result<(), String> {
    let offered: Vec<String> = settings
        .idp
        .certificates
        .keys()
        .iter()
        .map(gatehouse_xml::PinnedKey::fingerprint_hex)
        .collect();
    let mut kept = gatehouse_xml::PinnedKeys::new();
    for k in settings.idp.certificates.keys() {
        if expected.contains(&bare_hex(&k.fingerprint_hex())) {
            kept.push(k.clone());
        }
    }
    if kept.is_empty() {
        return Err(format!(
            "None of the metadata's signing certificates is the expected one: the metadata has SHA-256 {}, expected {}. \
             Check that the metadata and the certificate come from the same Okta app (its Sign On tab), and that the \
             certificate is the active one.",
            offered.join(", "),
            expected.join(", ")
        ));
    }
    settings.idp.certificates = kept;
    Ok(())
}

pub(super) async fn sso_add_saml(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ws, f) = match admin_post(&state, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(stop) => return stop,
    };
    let r = async {
        let get = |k: &str| f.get(k).map_or("", |v| v.trim()).to_owned();
        let submitted = SamlForm {
            name: get("name"),
            metadata_url: get("metadata_url"),
            metadata: get("metadata"),
            expected: get("expected_certificate"),
            allow_unsolicited: f.contains_key("allow_unsolicited"),
        };
        if let Some(problem) = name_problem(&state, &submitted.name).await? {
            return Ok((
                StatusCode::BAD_REQUEST,
                page(
                    &format!("Add a SAML connection · {}", ws.name),
                    &saml_name_step(&[problem], &submitted.name),
                ),
            )
                .into_response());
        }
        let mut problems = Vec::new();
        let expected = if submitted.expected.is_empty() {
            None
        } else {
            expected_fingerprints(&submitted.expected)
                .map_err(|p| problems.push(p))
                .ok()
        };
        let xml = match (submitted.metadata_url.is_empty(), submitted.metadata.is_empty()) {
            (true, true) => {
                problems.push("Give the metadata: its URL (Okta: Sign On tab → Metadata URL), a file or the XML.".into());
                None
            }
            (false, false) => {
                problems.push("Give the metadata once: either the URL or the XML, not both.".into());
                None
            }
            (false, true) => match super::fetch_metadata(&state, &submitted.metadata_url).await {
                Ok(x) => Some(x),
                Err(e) => {
                    problems.push(e.to_string());
                    None
                }
            },
            (true, false) => Some(submitted.metadata.clone().into_bytes()),
        };
        let mut settings = None;
        if let Some(xml) = xml {
            match super::saml_settings_from_metadata(&xml, state.now(), submitted.allow_unsolicited) {
                Ok(s) => settings = Some(s),
                Err(e) => problems.push(e.to_string()),
            }
        }
        if let (Some(s), Some(expected)) = (settings.as_mut(), expected.as_ref())
            && let Err(p) = pin_expected(s, expected)
        {
            problems.push(p);
        }
        let settings = match settings {
            Some(s) if problems.is_empty() => s,
            _ => return render_saml(&state, &headers, &ws, &submitted, &problems).await,
        };
        let conn = match model::add_saml_connection(&state, &ws, &submitted.name, &settings).await {
            Ok(c) => c,
            Err(e) => return render_saml(&state, &headers, &ws, &submitted, &[e.to_string()]).await,
        };
        if !submitted.metadata_url.is_empty() {
            crate::metadata_refresh::record_source(&state, &conn.id, &submitted.metadata_url).await?;
        }
        web::audit(
            &state,
            Some(&ws.id),
            Some(&submitted.name),
            "connection-added",
            &format!(
                "saml, pinned {}",
                settings
                    .idp
                    .certificates
                    .keys()
                    .iter()
                    .map(gatehouse_xml::PinnedKey::fingerprint_hex)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .await;
        Ok::<_, Error>(web::see_other("/settings/sso"))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

// ---------------------------------------------------------------------------------------------------------------
// SCIM

pub(super) async fn scim_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let tokens = crate::tokens::list(&state, &ws).await?;
        let live: Vec<_> = tokens.iter().filter(|t| t.revoked_at.is_none()).collect();
        let token_state = if live.is_empty() {
            "You have no token yet: <a href=\"/settings/tokens\">create one</a> (name it “SCIM”).".to_owned()
        } else {
            format!(
                "{} active token(s): {}. <a href=\"/settings/tokens\">Create or revoke tokens</a>.",
                live.len(),
                live.iter()
                    .map(|t| {
                        format!(
                            "<code>{}…</code> ({}, {})",
                            esc(&t.prefix),
                            esc(&t.name),
                            t.last_used_at
                                .map_or_else(|| "never used".to_owned(), |at| format!("last used {}", super::time(at)))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let body = format!(
            "{nav}<p>SCIM provisioning works with the SAML app in Okta: add a SAML connection first.</p><ol class=\"steps\">\
             <li>Get a personal access token: {token_state}</li>\
             <li>In Okta, open the SAML app's <em>General</em> tab → <em>Edit</em> → Provisioning <em>SCIM</em>, save, then \
             the <em>Provisioning</em> tab → <em>Integration</em> → <em>Edit</em>:\
             <table><tr><th>Field</th><th>Value</th></tr>\
             <tr><td>SCIM version</td><td>2.0</td></tr>\
             <tr><td>SCIM connector base URL</td><td>{base}</td></tr>\
             <tr><td>Unique identifier field for users</td><td>{user_name}</td></tr>\
             <tr><td>Supported provisioning actions</td><td>Push New Users, Push Profile Updates, Push Groups</td></tr>\
             <tr><td>Authentication Mode</td><td>HTTP Header</td></tr>\
             <tr><td>Authorization</td><td>Bearer <em>the token from step 1</em></td></tr></table>\
             Click <em>Test Connector Configuration</em>, then <em>Save</em>.</li>\
             <li>Provisioning tab → <em>To App</em> → <em>Edit</em>: enable <em>Create Users</em>, <em>Update User \
             Attributes</em> and <em>Deactivate Users</em>.</li></ol>\
             <p>Every SCIM change shows up in the <a href=\"/settings/audit?outcome=scim-created\">audit log</a>; \
             provisioned people are on the <a href=\"/settings/members\">members page</a>.</p>",
            nav = super::NAV,
            base = copyable(&format!("{}/backend/scim/v2/", state.config.public_url)),
            user_name = copyable("userName"),
        );
        Ok::<_, Error>(page(&format!("SCIM provisioning · {}", ws.name), &body).into_response())
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

#[cfg(test)]
mod tests {
    use super::expected_fingerprints;

    #[test]
    fn fingerprints_are_normalised_and_checked() {
        let hex = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
        assert_eq!(
            expected_fingerprints(hex),
            Ok(vec![
                "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789".to_owned()
            ])
        );
        let sha1 = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01";
        assert!(expected_fingerprints(sha1).unwrap_err().contains("SHA-1"));
        assert!(expected_fingerprints(&"zz".repeat(32)).is_err());
        assert!(
            expected_fingerprints("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")
                .is_err()
        );
    }
}
