//! Break-glass sign-in: when a workspace's IdP is misconfigured, SSO (the only way members sign in) must not lock
//! its admins out. An operator issues a one-time recovery code from the admin CLI
//! (`login_service workspace recovery-code --workspace W --email E`); the admin redeems it at `/login/recovery`.
//!
//! - The code is random (192 bits), stored as SHA-256, single use, valid for a limited time (default 60 min).
//! - Only an active admin of the workspace can redeem it.
//! - Every attempt is audited; after [`MAX_FAILURES`] failed attempts in [`WINDOW_SECS`] the workspace's recovery
//!   sign-in is locked for the rest of the window (HTTP 429).

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sqlx::Row as _;

use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{self, Workspace};
use crate::web::{self, esc, page};

/// Failed attempts allowed per workspace per window.
pub const MAX_FAILURES: i64 = 5;
/// The rate-limit window, in seconds.
pub const WINDOW_SECS: i64 = 15 * 60;

/// Recovery routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/login/recovery", get(form_page).post(redeem))
}

/// Issues a recovery code for `email` in `workspace`; creates the account as a manual admin if it does not exist.
/// Returns the code (shown once).
pub async fn issue(
    state: &AppState,
    workspace: &Workspace,
    email: &str,
    minutes: i64,
) -> Result<String> {
    let email = gatehouse_jit::Email::parse(email).map_err(|e| Error::Invalid(e.to_string()))?;
    let now = state.now().timestamp();
    let existing =
        sqlx::query("SELECT id, role, active FROM users WHERE workspace_id = $1 AND email = $2")
            .bind(&workspace.id)
            .bind(email.as_str())
            .fetch_optional(&state.pool)
            .await?;
    let user_id = match existing {
        Some(r) => {
            let id: String = r.try_get("id")?;
            if r.try_get::<Option<String>, _>("role")?.as_deref() != Some("admin")
                || r.try_get::<i64, _>("active")? != 1
            {
                return Err(Error::Invalid(format!(
                    "{} is not an active admin of {}",
                    email.as_str(),
                    workspace.name
                )));
            }
            id
        }
        None => {
            let id = crate::db::new_id()?;
            sqlx::query(
                "INSERT INTO users (id, workspace_id, email, role, active, provisioned_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'admin', 1, 'manual', $4, $4)",
            )
            .bind(&id)
            .bind(&workspace.id)
            .bind(email.as_str())
            .bind(now)
            .execute(&state.pool)
            .await?;
            id
        }
    };
    let code = format!("ghr_{}", crate::crypto::random_token(24)?);
    sqlx::query(
        "INSERT INTO recovery_codes (workspace_id, user_id, code_hash, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at",
    )
    .bind(&workspace.id)
    .bind(&user_id)
    .bind(crate::crypto::sha256_hex(code.as_bytes()))
    .bind(now + minutes.clamp(1, 24 * 60) * 60)
    .execute(&state.pool)
    .await?;
    web::audit(
        state,
        Some(&workspace.id),
        None,
        "recovery-issued",
        email.as_str(),
    )
    .await;
    Ok(code)
}

fn form_html(csrf: &str, note: &str) -> String {
    format!(
        "{note}<p>Break-glass sign-in for workspace admins when single sign-on is broken. Ask your operator for a \
         one-time recovery code (<code>login_service workspace recovery-code</code>).</p>\
         <form method=\"post\" action=\"/login/recovery\">{}<p><label>Email <input type=\"email\" name=\"email\" required></label></p>\
         <p><label>Recovery code <input name=\"code\" autocomplete=\"off\" required></label></p><button>Sign in</button></form>",
        web::csrf_input(csrf)
    )
}

async fn form_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match web::csrf_token(&state, &headers) {
        Ok((csrf, cookie)) => web::with_cookie(
            page("Recovery sign-in", &form_html(&csrf, "")).into_response(),
            cookie,
        ),
        Err(e) => web::error_page(&e),
    }
}

async fn failures(state: &AppState, ws: &Workspace) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE workspace_id = $1 AND outcome = 'recovery-failed' AND at > $2")
        .bind(&ws.id)
        .bind(state.now().timestamp() - WINDOW_SECS)
        .fetch_one(&state.pool)
        .await?
        .try_get("n")?)
}

async fn redeem(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    if !web::csrf_ok(&headers, f.get("csrf").map(String::as_str)) {
        return (
            StatusCode::FORBIDDEN,
            page(
                "Recovery sign-in",
                "<p>The form expired. <a href=\"/login/recovery\">Try again</a>.</p>",
            ),
        )
            .into_response();
    }
    match redeem_inner(&state, &f).await {
        Ok(r) => r,
        Err(e) => web::error_page(&e),
    }
}

async fn redeem_inner(state: &AppState, f: &HashMap<String, String>) -> Result<Response> {
    let email = f.get("email").map_or("", |e| e.trim());
    let code = f.get("code").map_or("", |c| c.trim());
    let refused = |status: StatusCode, msg: &str| {
        (
            status,
            page(
                "Recovery sign-in",
                &form_html(
                    f.get("csrf").map_or("", String::as_str),
                    &format!("<p class=\"hint\">{}</p>", esc(msg)),
                ),
            ),
        )
            .into_response()
    };
    let Some(ws) = model::workspace_for_email(state, email).await? else {
        web::audit(state, None, None, "recovery-failed", "unknown domain").await;
        return Ok(refused(
            StatusCode::FORBIDDEN,
            "That email and code do not match.",
        ));
    };
    if failures(state, &ws).await? >= MAX_FAILURES {
        web::audit(state, Some(&ws.id), None, "recovery-throttled", email).await;
        return Ok(refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed attempts. Wait 15 minutes, then try again.",
        ));
    }
    let now = state.now().timestamp();
    // Consume the code atomically: of two concurrent redemptions, one wins.
    let row = sqlx::query(
        "DELETE FROM recovery_codes WHERE workspace_id = $1 AND code_hash = $2 AND expires_at > $3 \
         AND user_id IN (SELECT id FROM users WHERE workspace_id = $1 AND email = $4 AND role = 'admin' AND active = 1) \
         RETURNING user_id",
    )
    .bind(&ws.id)
    .bind(crate::crypto::sha256_hex(code.as_bytes()))
    .bind(now)
    .bind(gatehouse_jit::Email::parse(email).map(|e| e.as_str().to_owned()).unwrap_or_default())
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else {
        web::audit(state, Some(&ws.id), None, "recovery-failed", email).await;
        return Ok(refused(
            StatusCode::FORBIDDEN,
            "That email and code do not match.",
        ));
    };
    let user_id: String = row.try_get("user_id")?;
    web::audit(state, Some(&ws.id), None, "recovery-signed-in", email).await;
    let cookie = web::create_session(state, &ws.id, &user_id, "-", "break-glass", None).await?;
    let mut response = web::see_other("/settings/sso");
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}
