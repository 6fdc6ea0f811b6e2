//! Workspace settings pages: `/settings/tokens` (personal access tokens), `/settings/sso` (connections) and
//! `/settings/members` (who exists and how each was provisioned: SCIM, JIT via which connection, manual) and
//! `/settings/audit` (the workspace's audit log: sign-ins, refusals, SCIM and settings changes, filtered and paged), for
//! admins of an Enterprise workspace. Every form carries a CSRF token; every query is scoped to the session's
//! workspace.

mod audit;
mod domains;
mod members;
mod sso;
mod test;
mod tokens;
mod wizard;

use std::collections::HashMap;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{self, Workspace};
use crate::web::{self, esc, page};

pub use audit::AUDIT_PAGE_SIZE;
pub use members::MEMBERS_PAGE_SIZE;
pub use sso::{
    EXPIRY_WARNING_DAYS, OKTA_ATTRIBUTE_STATEMENTS, expiry_warning, fetch_metadata,
    saml_settings_from_metadata,
};
pub use wizard::{expected_fingerprints, pin_expected};

use audit::audit_page;
use members::members_page;
use sso::{sso_delete, sso_edit_saml, sso_metadata_refresh, sso_page};
use tokens::{tokens_create, tokens_page, tokens_revoke};
use wizard::{new_oidc_page, new_saml_page, scim_page, sso_add_oidc, sso_add_saml};

/// Settings routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/tokens", get(tokens_page).post(tokens_create))
        .route("/settings/tokens/revoke", post(tokens_revoke))
        .route("/settings/sso", get(sso_page))
        .route("/settings/members", get(members_page))
        .route("/settings/audit", get(audit_page))
        .route(
            "/settings/domains",
            get(domains::domains_page).post(domains::domains_add),
        )
        .route("/settings/domains/verify", post(domains::domains_verify))
        .route("/settings/domains/cancel", post(domains::domains_cancel))
        .route("/settings/domains/remove", post(domains::domains_remove))
        .route("/settings/sso/new/oidc", get(new_oidc_page))
        .route("/settings/sso/new/saml", get(new_saml_page))
        .route("/settings/scim", get(scim_page))
        .route("/settings/sso/oidc", post(sso_add_oidc))
        .route("/settings/sso/saml", post(sso_add_saml))
        .route("/settings/sso/saml/edit", post(sso_edit_saml))
        .route("/settings/sso/delete", post(sso_delete))
        .route("/settings/sso/metadata/refresh", post(sso_metadata_refresh))
        .route("/settings/sso/test", post(test::test_start))
        .route("/settings/sso/test/report", get(test::test_report))
        .route("/settings/sso/recheck", post(test::recheck))
}

/// The links between the settings pages, at the top of each.
pub(super) const NAV: &str = "<nav><a href=\"/settings/sso\">SSO connections</a><a href=\"/settings/domains\">Domains</a><a href=\"/settings/scim\">SCIM</a>\
     <a href=\"/settings/tokens\">Tokens</a><a href=\"/settings/members\">Members</a><a href=\"/settings/audit\">Audit log</a>\
     <a href=\"/\">Home</a></nav>";

pub(super) enum Gate {
    Ok(Workspace),
    Stop(Response),
}

/// Signed in, admin, Enterprise plan.
pub(super) async fn gate(state: &AppState, headers: &HeaderMap) -> Result<Gate> {
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

pub(super) fn time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map_or_else(String::new, |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// A settings form post: the CSRF token first, then [`gate`]; `Err` is the response to send instead (form expired,
/// sign in, not an admin, plan, or a storage error).
pub(super) async fn admin_post(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> std::result::Result<(Workspace, HashMap<String, String>), Response> {
    let f = form(body);
    if !web::csrf_ok(headers, f.get("csrf").map(String::as_str)) {
        return Err(csrf_refused());
    }
    match gate(state, headers).await {
        Ok(Gate::Ok(ws)) => Ok((ws, f)),
        Ok(Gate::Stop(r)) => Err(r),
        Err(e) => Err(web::error_page(&e)),
    }
}

pub(super) fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

pub(super) fn csrf_refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        page(
            "Form expired",
            "<p>The form expired; reload the page and try again.</p>",
        ),
    )
        .into_response()
}
