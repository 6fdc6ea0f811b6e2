//! `/settings/members`: who exists in the workspace, how each was provisioned (SCIM, JIT via which connection,
//! manual), whether they are active and when they last signed in; paged.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use sqlx::Row as _;

use super::{Gate, form, gate, time};
use crate::AppState;
use crate::error::Error;
use crate::web::{self, esc, page};

/// Members per page.
pub const MEMBERS_PAGE_SIZE: i64 = 100;

/// "SCIM", "JIT via <connection>", "manual" from the `provisioned_by` column.
fn source(provisioned_by: &str) -> String {
    match provisioned_by {
        "scim" => "SCIM".to_owned(),
        "manual" => "manual".to_owned(),
        other => other
            .strip_prefix("jit:")
            .map_or_else(|| other.to_owned(), |c| format!("JIT via {c}")),
    }
}

pub(super) async fn members_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let q = form(query.unwrap_or_default().as_bytes());
        let page_no: i64 = q
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
            .clamp(0, 1_000_000);
        let rows = sqlx::query(
            "SELECT email, display_name, user_name, role, active, provisioned_by, last_login_at FROM users \
             WHERE workspace_id = $1 ORDER BY email, user_name, id LIMIT $2 OFFSET $3",
        )
        .bind(&ws.id)
        .bind(MEMBERS_PAGE_SIZE + 1)
        .bind(page_no.saturating_mul(MEMBERS_PAGE_SIZE))
        .fetch_all(&state.pool)
        .await?;
        let mut body = String::from(super::NAV);
        body.push_str(
            "<table><tr><th>Email</th><th>Name</th><th>SCIM userName</th><th>Role</th><th>Status</th>\
             <th>Provisioned by</th><th>Last sign-in</th></tr>",
        );
        let shown = usize::try_from(MEMBERS_PAGE_SIZE).unwrap_or(100);
        for r in rows.iter().take(shown) {
            let text = |c: &str| -> Result<String, Error> {
                Ok(r.try_get::<Option<String>, _>(c)?.unwrap_or_default())
            };
            let active: i64 = r.try_get("active")?;
            let last: Option<i64> = r.try_get("last_login_at")?;
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&text("email")?),
                esc(&text("display_name")?),
                esc(&text("user_name")?),
                esc(&r.try_get::<Option<String>, _>("role")?.unwrap_or_else(|| "member".to_owned())),
                if active == 1 { "active" } else { "deactivated" },
                esc(&source(&r.try_get::<String, _>("provisioned_by")?)),
                last.map_or_else(|| "never".to_owned(), time),
            ));
        }
        if rows.is_empty() {
            body.push_str("<tr><td colspan=\"7\">No members.</td></tr>");
        }
        body.push_str("</table><p>");
        if page_no > 0 {
            body.push_str(&format!(
                "<a href=\"/settings/members?page={}\">← Previous</a> ",
                page_no - 1
            ));
        }
        if rows.len() > shown {
            body.push_str(&format!(
                "<a href=\"/settings/members?page={}\">Next →</a> ",
                page_no + 1
            ));
        }
        body.push_str("</p>");
        Ok::<_, Error>(page(&format!("Members · {}", ws.name), &body).into_response())
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}
