//! `/settings/tokens`: personal access tokens (created once, shown once, revoked).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::{Gate, admin_post, gate, time};
use crate::AppState;
use crate::error::{Error, Result};
use crate::model::Workspace;
use crate::web::{self, esc, page};

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

pub(super) async fn tokens_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = async {
        match gate(&state, &headers).await? {
            Gate::Stop(r) => Ok(r),
            Gate::Ok(ws) => render_tokens(&state, &headers, &ws, None).await,
        }
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

pub(super) async fn tokens_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ws, f) = match admin_post(&state, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(stop) => return stop,
    };
    let r = async {
        let token =
            crate::tokens::create(&state, &ws, f.get("name").map_or("", String::as_str)).await?;
        render_tokens(&state, &headers, &ws, Some(&token)).await
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

pub(super) async fn tokens_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ws, f) = match admin_post(&state, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(stop) => return stop,
    };
    let r = async {
        if !crate::tokens::revoke(&state, &ws, f.get("id").map_or("", String::as_str)).await? {
            return Err(Error::NotFound("token".into()));
        }
        Ok(web::see_other("/settings/tokens"))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}
