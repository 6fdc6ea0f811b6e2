//! Test runs: opened by an admin, their sealed report readable by that admin only.

use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{Connection, Workspace};
use sqlx::Row as _;

use super::TEST_PURPOSE_PREFIX;
use super::TEST_TTL_SECS;
use super::report::{Report, Run};

fn report_purpose(id: &str) -> String {
    format!("connection-test:{id}")
}

/// Opens a test run of `conn` for the admin `admin_user_id`; returns its ID.
pub async fn open_run(
    state: &AppState,
    ws: &Workspace,
    admin_user_id: &str,
    conn: &Connection,
) -> Result<String> {
    let id = crate::db::new_id()?;
    let now = state.now().timestamp();
    sqlx::query(
        "INSERT INTO connection_tests (id, workspace_id, connection, admin_user_id, sealed_report, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6)",
    )
    .bind(&id)
    .bind(&ws.id)
    .bind(&conn.name)
    .bind(admin_user_id)
    .bind(now)
    .bind(now + TEST_TTL_SECS)
    .execute(&state.pool)
    .await?;
    Ok(id)
}

/// Seals `report` into test run `id` of `conn` (only while the run is open and belongs to the connection's
/// workspace); returns whether it was stored.
pub async fn store_report(
    state: &AppState,
    id: &str,
    conn: &Connection,
    report: &Report,
) -> Result<bool> {
    let json = serde_json::to_vec(report).map_err(|e| Error::Internal(e.to_string()))?;
    let sealed = state.key.seal(&report_purpose(id), &json)?;
    let n = sqlx::query(
        "UPDATE connection_tests SET sealed_report = $1 WHERE id = $2 AND workspace_id = $3 AND connection = $4 \
         AND expires_at > $5 AND sealed_report IS NULL",
    )
    .bind(sealed)
    .bind(id)
    .bind(&conn.workspace_id)
    .bind(&conn.name)
    .bind(state.now().timestamp())
    .execute(&state.pool)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(false);
    }
    let outcome = if report.passed() { "passed" } else { "failed" };
    let reason = match (&report.run, &report.failure) {
        (Run::Test, Some(f)) => format!("test {outcome}: {}", f.code),
        (Run::Test, None) => format!("test {outcome}"),
        (Run::Recheck { .. }, Some(f)) => format!("re-check {outcome}: {}", f.code),
        (Run::Recheck { .. }, None) => format!("re-check {outcome}"),
    };
    crate::web::audit(
        state,
        Some(&conn.workspace_id),
        Some(&conn.name),
        "connection-tested",
        &reason,
    )
    .await;
    Ok(true)
}

/// What a report page shows.
#[derive(Debug)]
pub enum Stored {
    /// No such run for this admin (or expired).
    Missing,
    /// The run is open; the IdP has not answered yet.
    Waiting {
        /// The connection.
        connection: String,
    },
    /// The report.
    Done(Box<Report>),
}

/// The report of run `id`, only for the admin who started it in their workspace.
pub async fn load_report(
    state: &AppState,
    id: &str,
    workspace_id: &str,
    admin_user_id: &str,
) -> Result<Stored> {
    let row = sqlx::query(
        "SELECT connection, sealed_report FROM connection_tests WHERE id = $1 AND workspace_id = $2 \
         AND admin_user_id = $3 AND expires_at > $4",
    )
    .bind(id)
    .bind(workspace_id)
    .bind(admin_user_id)
    .bind(state.now().timestamp())
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else {
        return Ok(Stored::Missing);
    };
    let connection: String = row.try_get("connection")?;
    match row.try_get::<Option<String>, _>("sealed_report")? {
        None => Ok(Stored::Waiting { connection }),
        Some(sealed) => {
            let plain = state.key.open(&report_purpose(id), &sealed)?;
            let report: Report = serde_json::from_slice(&plain)
                .map_err(|e| Error::Internal(format!("stored report: {e}")))?;
            Ok(Stored::Done(Box::new(report)))
        }
    }
}

/// The test run named by a purpose, if it is one.
#[must_use]
pub fn test_id(purpose: &str) -> Option<&str> {
    purpose
        .strip_prefix(TEST_PURPOSE_PREFIX)
        .filter(|id| !id.is_empty())
}
