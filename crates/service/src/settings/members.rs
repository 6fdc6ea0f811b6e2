//! `/settings/members`: who exists in the workspace and how each was provisioned.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::{Gate, gate};
use crate::AppState;
use crate::error::Error;
use crate::web::{self, esc, page};

pub(super) async fn members_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
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
