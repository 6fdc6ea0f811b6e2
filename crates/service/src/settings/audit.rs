//! `/settings/audit`: the workspace's audit log, filtered and paged.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use sqlx::Row as _;

use super::{Gate, form, gate, time};
use crate::AppState;
use crate::error::Error;
use crate::web::{self, esc, page};

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
pub(super) async fn audit_page(
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
        // `ref`: the one record a refusal page named (its reference), still scoped to this workspace.
        let reference = get("ref");
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
             AND ($8 = '' OR id = $8) ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7",
        )
        .bind(&ws.id)
        .bind(&connection)
        .bind(&outcome)
        .bind(from_at)
        .bind(to_at)
        .bind(AUDIT_PAGE_SIZE + 1)
        .bind(page_no.saturating_mul(AUDIT_PAGE_SIZE))
        .bind(&reference)
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
        if !reference.is_empty() {
            body.push_str(&format!(
                "<p>Showing record <code>{}</code> only. <a href=\"/settings/audit\">Show all</a></p>",
                esc(&reference)
            ));
            // The admin's view of a refusal: the message with what was expected and what arrived, then the hint.
            if let Some(r) = rows.first() {
                let reason: String = r.try_get("reason")?;
                let conn: Option<String> = r.try_get("connection")?;
                let (detail, hint) = reason
                    .split_once(" | admin hint: ")
                    .map_or((reason.as_str(), None), |(d, h)| (d, Some(h)));
                body.push_str(&format!("<p><strong>What happened:</strong> {}</p>", esc(&redact(detail))));
                if let Some(h) = hint {
                    body.push_str(&format!(
                        "<div class=\"hint\"><p><strong>What to change:</strong> {}</p></div>",
                        esc(&redact(h))
                    ));
                }
                if let Some(c) = conn.filter(|c| !c.is_empty() && c != "-") {
                    body.push_str(&format!(
                        "<p><a href=\"/settings/sso#conn-{0}\">Open the settings of {0}</a></p>",
                        esc(&c)
                    ));
                }
            } else {
                body.push_str("<p>No such record in this workspace.</p>");
            }
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
                .append_pair("ref", &reference)
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
