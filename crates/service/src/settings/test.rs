//! `/settings/sso/test`, `/settings/sso/test/report`, `/settings/sso/recheck`: "Test connection" and "Re-check the
//! last failure" (see [`crate::connection_test`]). A run and its report belong to the admin who started it.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{Gate, admin_post, gate};
use crate::AppState;
use crate::connection_test::{self, Stored};
use crate::error::{Error, Result};
use crate::model::{self, Connection, Workspace};
use crate::web::{self, esc, page};

/// The signed-in admin's user ID (after [`gate`] passed).
async fn admin_id(state: &AppState, headers: &HeaderMap) -> Result<String> {
    web::current_session(state, headers)
        .await?
        .map(|s| s.user_id)
        .ok_or_else(|| Error::NotFound("session".into()))
}

async fn own_connection(state: &AppState, ws: &Workspace, name: &str) -> Result<Connection> {
    model::connection_by_name(state, name)
        .await?
        .filter(|c| c.workspace_id == ws.id)
        .ok_or_else(|| Error::NotFound(format!("connection {name:?}")))
}

/// POST `/settings/sso/test` (`name`): opens a run and starts a real login against the connection.
pub(super) async fn test_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ws, f) = match admin_post(&state, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(stop) => return stop,
    };
    let r = async {
        let admin = admin_id(&state, &headers).await?;
        let conn = own_connection(&state, &ws, f.get("name").map_or("", |n| n.trim())).await?;
        let run = connection_test::open_run(&state, &ws, &admin, &conn).await?;
        crate::login::start_test(&state, &headers, &conn, &run).await
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// GET `/settings/sso/test/report?id=…`: the report, for the admin who started the run only.
pub(super) async fn test_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let r = async {
        let ws = match gate(&state, &headers).await? {
            Gate::Stop(r) => return Ok(r),
            Gate::Ok(ws) => ws,
        };
        let admin = admin_id(&state, &headers).await?;
        let id = q.get("id").map_or("", String::as_str);
        let title = "Test connection";
        Ok::<_, Error>(
            match connection_test::load_report(&state, id, &ws.id, &admin).await? {
                Stored::Missing => (
                    StatusCode::NOT_FOUND,
                    page(
                        title,
                        "<p>No such report: it expired, or it belongs to another admin's run.</p>\
                         <p><a href=\"/settings/sso\">SSO connections</a></p>",
                    ),
                )
                    .into_response(),
                Stored::Waiting { connection } => page(
                    title,
                    &format!(
                        "<p>Waiting for the identity provider's answer on <strong>{}</strong>. Finish the sign-in \
                         at the identity provider, then reload this page.</p><p><a href=\"/settings/sso\">SSO connections</a></p>",
                        esc(&connection)
                    ),
                )
                .into_response(),
                Stored::Done(report) => {
                    let title = match report.run {
                        connection_test::Run::Test => "Test connection",
                        connection_test::Run::Recheck { .. } => "Re-check of the last failure",
                    };
                    page(
                        title,
                        &format!(
                            "{}<p><a href=\"/settings/sso\">SSO connections</a></p>",
                            report.render()
                        ),
                    )
                    .into_response()
                }
            },
        )
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}

/// POST `/settings/sso/recheck` (`name`): validates the connection's last captured failure again against its
/// current settings and shows the report (stored as a run of this admin, so the page can be reloaded).
pub(super) async fn recheck(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ws, f) = match admin_post(&state, &headers, &body).await {
        Ok(admitted) => admitted,
        Err(stop) => return stop,
    };
    let r = async {
        let admin = admin_id(&state, &headers).await?;
        let conn = own_connection(&state, &ws, f.get("name").map_or("", |n| n.trim())).await?;
        let Some(report) = connection_test::recheck(&state, &ws, &conn.name).await? else {
            return Ok((
                StatusCode::NOT_FOUND,
                page(
                    "Re-check of the last failure",
                    &format!(
                        "<p>No failed sign-in on <strong>{}</strong> is kept (failures are kept for 24 hours).</p>\
                         <p><a href=\"/settings/sso\">SSO connections</a></p>",
                        esc(&conn.name)
                    ),
                ),
            )
                .into_response());
        };
        let run = connection_test::open_run(&state, &ws, &admin, &conn).await?;
        if !connection_test::store_report(&state, &run, &conn, &report).await? {
            return Err(Error::Internal("the re-check report was not stored".into()));
        }
        Ok(web::see_other(&format!("/settings/sso/test/report?id={run}")))
    }
    .await;
    r.unwrap_or_else(|e| web::error_page(&e))
}
