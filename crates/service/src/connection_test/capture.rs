//! Captured failures: the last refused response per connection, sealed for 24 hours, and its re-check.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{self, Connection, Kind, Workspace};
use crate::web::esc;
use gatehouse_saml::PendingRequest;
use sqlx::Row as _;

use super::CAPTURE_TTL_SECS;
use super::jit::preview_jit;
use super::report::{Failure, Report, Run, fmt_time};
use super::saml::{SamlContext, saml_claims, saml_report};

fn capture_purpose(connection: &str) -> String {
    format!("captured-failure:{connection}")
}

/// An outstanding request as recorded at capture.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Request ID.
    pub id: String,
    /// Its connection.
    pub connection: String,
    /// Issued (Unix seconds).
    pub issued_at: i64,
    /// Expires (Unix seconds).
    pub expires_at: i64,
}

impl RecordedRequest {
    /// From the store's view.
    #[must_use]
    pub fn of(p: &PendingRequest) -> Self {
        Self {
            id: p.id.clone(),
            connection: p.connection.clone(),
            issued_at: p.issued_at.timestamp(),
            expires_at: p.expires_at.timestamp(),
        }
    }

    fn pending(&self) -> PendingRequest {
        PendingRequest {
            id: self.id.clone(),
            connection: self.connection.clone(),
            issued_at: DateTime::from_timestamp(self.issued_at, 0).unwrap_or_default(),
            expires_at: DateTime::from_timestamp(self.expires_at, 0).unwrap_or_default(),
        }
    }
}

/// What a captured failure holds (sealed).
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Captured {
    Saml {
        /// The `SAMLResponse` form value as posted.
        saml_response: String,
        /// The clock of the refused login.
        at: DateTime<Utc>,
        /// The request named by the response's InResponseTo, as it stood at capture.
        request: Option<RecordedRequest>,
        /// `Some(true)`: the failure was a replay; `Some(false)`: the assertion was new (the refused login
        /// recorded it itself); `None`: validation stopped before the replay check.
        replayed: Option<bool>,
        /// The refusal's message.
        message: String,
    },
    Oidc {
        /// The clock of the refused login.
        at: DateTime<Utc>,
        /// The refusal's message.
        message: String,
        /// The refusal's admin hint.
        admin_hint: Option<String>,
        /// When the token exchange succeeded: the pending login (issuer, nonce) and the ID token.
        #[serde(default)]
        token: Option<(gatehouse_oidc::PendingLogin, String)>,
    },
}

/// The state of a refused SAML login the capture needs.
#[derive(Debug, Default, Clone)]
pub struct SamlAttempt {
    /// The form carried a `SAMLResponse` (of an Enterprise workspace's connection): worth keeping.
    pub posted: bool,
    /// The request the login consumed, when validation got that far.
    pub consumed: Option<PendingRequest>,
    /// The login passed validation (and recorded the assertion in the replay cache).
    pub accepted: bool,
}

/// The `InResponseTo` a response names (Response, else a SubjectConfirmationData), read without verification:
/// only used to find which outstanding request to record or consume as a test; the library compares the verified
/// value.
#[must_use]
pub fn peek_in_response_to(xml: &[u8]) -> Option<String> {
    let doc = gatehouse_xml::Document::parse(xml).ok()?;
    let root = doc.root();
    let found = root.attr("InResponseTo").map(str::to_owned).or_else(|| {
        root.descendants()
            .filter(|e| e.name() == "SubjectConfirmationData")
            .find_map(|e| e.attr("InResponseTo").map(str::to_owned))
    })?;
    (found.len() <= 256).then_some(found)
}

/// Keeps the refused SAML login's response (`form` is the ACS's form body) for a re-check (sealed, 24 h, the last
/// one per connection). Called on the refusal path only, so a sign-in never copies the response.
pub async fn capture_saml(
    state: &AppState,
    conn: &Connection,
    form: &[u8],
    attempt: &SamlAttempt,
    code: &str,
    message: &str,
) -> Result<()> {
    if !attempt.posted {
        return Ok(());
    }
    let Some(posted) = form_urlencoded::parse(form)
        .find(|(k, _)| k == "SAMLResponse")
        .map(|(_, v)| v.into_owned())
    else {
        return Ok(());
    };
    let request = match &attempt.consumed {
        Some(p) => Some(RecordedRequest::of(p)),
        None => {
            let irt = gatehouse_saml::decode_form_value(&posted)
                .ok()
                .and_then(|xml| peek_in_response_to(&xml));
            match irt {
                Some(id) => sqlx::query(
                    "SELECT connection, issued_at, expires_at FROM saml_requests WHERE id = $1",
                )
                .bind(&id)
                .fetch_optional(&state.pool)
                .await?
                .map(|r| {
                    Ok::<_, Error>(RecordedRequest {
                        id: id.clone(),
                        connection: r.try_get("connection")?,
                        issued_at: r.try_get("issued_at")?,
                        expires_at: r.try_get("expires_at")?,
                    })
                })
                .transpose()?,
                None => None,
            }
        }
    };
    let replayed = if code == "saml:replay" {
        Some(true)
    } else if attempt.accepted {
        Some(false)
    } else {
        None
    };
    let captured = Captured::Saml {
        saml_response: posted,
        at: state.now(),
        request,
        replayed,
        message: message.to_owned(),
    };
    store_capture(state, conn, "saml", code, &captured).await
}

/// Keeps a refused OIDC login for a re-check: the error, and, when the token exchange had succeeded, the pending
/// login and the ID token (see the module docs).
pub async fn capture_oidc(
    state: &AppState,
    conn: &Connection,
    code: &str,
    message: &str,
    admin_hint: Option<&str>,
    token: Option<(gatehouse_oidc::PendingLogin, String)>,
) -> Result<()> {
    let captured = Captured::Oidc {
        at: state.now(),
        message: message.to_owned(),
        admin_hint: admin_hint.map(str::to_owned),
        token,
    };
    store_capture(state, conn, "oidc", code, &captured).await
}

async fn store_capture(
    state: &AppState,
    conn: &Connection,
    kind: &str,
    code: &str,
    captured: &Captured,
) -> Result<()> {
    let json = serde_json::to_vec(captured).map_err(|e| Error::Internal(e.to_string()))?;
    let sealed = state.key.seal(&capture_purpose(&conn.name), &json)?;
    let now = state.now().timestamp();
    sqlx::query(
        "INSERT INTO captured_failures (connection, workspace_id, kind, code, sealed, captured_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (connection) DO UPDATE SET workspace_id = excluded.workspace_id, \
         kind = excluded.kind, code = excluded.code, sealed = excluded.sealed, captured_at = excluded.captured_at, \
         expires_at = excluded.expires_at",
    )
    .bind(&conn.name)
    .bind(&conn.workspace_id)
    .bind(kind)
    .bind(code.chars().take(200).collect::<String>())
    .bind(sealed)
    .bind(now)
    .bind(now + CAPTURE_TTL_SECS)
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// The last failure captured on a connection of `ws`, when one is kept: (kind, code, captured at).
pub async fn last_failure(
    state: &AppState,
    ws: &Workspace,
    connection: &str,
) -> Result<Option<(String, String, i64)>> {
    sqlx::query(
        "SELECT kind, code, captured_at FROM captured_failures WHERE connection = $1 AND workspace_id = $2 AND expires_at > $3",
    )
    .bind(connection)
    .bind(&ws.id)
    .bind(state.now().timestamp())
    .fetch_optional(&state.pool)
    .await?
    .map(|r| Ok((r.try_get("kind")?, r.try_get("code")?, r.try_get("captured_at")?)))
    .transpose()
}

/// The two buttons of a connection's row on `/settings/sso`: "Test connection" always, "Re-check the last
/// failure" when a failure of the last 24 hours is kept (with its code and time). `csrf_input` is
/// [`crate::web::csrf_input`]'s hidden field.
pub async fn row_buttons(
    state: &AppState,
    ws: &Workspace,
    conn: &Connection,
    csrf_input: &str,
) -> Result<String> {
    let name = esc(&conn.name);
    let mut html = format!(
        "<form method=\"post\" action=\"/settings/sso/test\">{csrf_input}<input type=\"hidden\" name=\"name\" \
         value=\"{name}\"><button type=\"submit\">Test connection</button></form>"
    );
    if let Some((_, code, at)) = last_failure(state, ws, &conn.name).await? {
        let when = DateTime::from_timestamp(at, 0).map_or_else(String::new, fmt_time);
        let _ = write!(
            html,
            "<form method=\"post\" action=\"/settings/sso/recheck\">{csrf_input}<input type=\"hidden\" name=\"name\" \
             value=\"{name}\"><button type=\"submit\">Re-check the last failure</button> \
             <small>refused {} with <code>{}</code></small></form>",
            esc(&when),
            esc(&code)
        );
    }
    Ok(html)
}

/// Re-checks the failure captured on `connection` (of `ws`) against the connection's current settings; `None` when
/// nothing is kept. Reads only: no request is consumed, no replay key recorded, no user or session written.
pub async fn recheck(state: &AppState, ws: &Workspace, connection: &str) -> Result<Option<Report>> {
    let conn = model::connection_by_name(state, connection)
        .await?
        .filter(|c| c.workspace_id == ws.id)
        .ok_or_else(|| Error::NotFound(format!("connection {connection:?}")))?;
    let row = sqlx::query(
        "SELECT code, sealed FROM captured_failures WHERE connection = $1 AND workspace_id = $2 AND expires_at > $3",
    )
    .bind(&conn.name)
    .bind(&ws.id)
    .bind(state.now().timestamp())
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let code: String = row.try_get("code")?;
    let sealed: String = row.try_get("sealed")?;
    let captured: Captured =
        serde_json::from_slice(&state.key.open(&capture_purpose(&conn.name), &sealed)?)
            .map_err(|e| Error::Internal(format!("captured failure: {e}")))?;
    match captured {
        Captured::Oidc {
            at,
            message,
            token: Some((pending, id_token)),
            ..
        } => {
            let ctx = model::login_context(state, &conn.name)
                .await?
                .ok_or_else(|| Error::NotFound(format!("connection {:?}", conn.name)))?;
            let run = Run::Recheck {
                captured_at: at,
                captured_code: code,
            };
            let mut report =
                crate::login::recheck_oidc(state, &ctx, run, at, &pending, &id_token).await?;
            report.notes.insert(
                0,
                format!("At capture the sign-in was refused with: {message}"),
            );
            Ok(Some(report))
        }
        Captured::Oidc {
            at,
            message,
            admin_hint,
            token: None,
        } => {
            let mut report = Report::new(
                &conn,
                Run::Recheck {
                    captured_at: at,
                    captured_code: code.clone(),
                },
                at,
            );
            report.failure = Some(Failure {
                code,
                message,
                admin_hint,
                fix: None,
            });
            report.notes.push(
                "This OIDC failure cannot be re-checked: it happened before the token exchange succeeded, and the \
                 state and authorization code are single-use, so only the error is kept. Use \"Test connection\" \
                 to run the whole flow again."
                    .into(),
            );
            Ok(Some(report))
        }
        Captured::Saml {
            saml_response,
            at,
            request,
            replayed,
            message,
        } => {
            if conn.kind != Kind::Saml {
                return Err(Error::Invalid(
                    "the connection is no longer a SAML connection".into(),
                ));
            }
            let run = Run::Recheck {
                captured_at: at,
                captured_code: code,
            };
            let mut report =
                recheck_saml(state, ws, &conn, run, &saml_response, at, request, replayed).await?;
            report.notes.insert(
                0,
                format!("At capture the sign-in was refused with: {message}"),
            );
            Ok(Some(report))
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn recheck_saml(
    state: &AppState,
    ws: &Workspace,
    conn: &Connection,
    run: Run,
    posted: &str,
    at: DateTime<Utc>,
    request: Option<RecordedRequest>,
    replayed: Option<bool>,
) -> Result<Report> {
    let settings = conn.saml_settings()?;
    let sp = model::saml_sp_with(state, conn, true)?;
    let mut solicited = None;
    let mut replay_note = "checked read-only: the replay cache does not hold this assertion (a re-check records nothing)";
    let result = match gatehouse_saml::decode_form_value(posted) {
        Err(e) => Err(e),
        Ok(xml) => match gatehouse_saml::check_response(&sp, &settings.idp, &xml, at) {
            Err(e) => Err(e),
            Ok(checked) => {
                solicited = Some(checked.in_response_to().is_some());
                let fresh = match replayed {
                    Some(r) => {
                        replay_note = "the assertion was new when captured (the refused sign-in recorded it itself)";
                        !r
                    }
                    None => {
                        let key = format!("saml\n{}", checked.replay_key());
                        sqlx::query("SELECT 1 AS one FROM replay_cache WHERE key = $1")
                            .bind(key)
                            .fetch_optional(&state.pool)
                            .await?
                            .is_none()
                    }
                };
                let pending = request.as_ref().map(RecordedRequest::pending);
                checked.finish(&conn.name, pending, fresh, at)
            }
        },
    };
    let ctx = SamlContext {
        sp: &sp,
        idp: &settings.idp,
        now: at,
        replay_note,
        solicited,
    };
    let mut report = saml_report(conn, run, result.as_ref(), &ctx);
    report.notes.push(format!(
        "InResponseTo was matched against {}.",
        match &request {
            Some(r) => format!(
                "request {} recorded at capture (connection {}, valid until {})",
                r.id,
                r.connection,
                DateTime::from_timestamp(r.expires_at, 0).map_or_else(String::new, fmt_time)
            ),
            None => "no request: none was outstanding for it at capture".into(),
        }
    ));
    if let Ok(a) = &result {
        let ctx_domains = model::login_context(state, &conn.name)
            .await?
            .map(|c| c.domains)
            .unwrap_or_default();
        let policy = crate::login::policy_for(&ctx_domains, conn);
        let claims = saml_claims(conn, a);
        report.jit =
            Some(preview_jit(state, ws, &policy, &crate::login::saml_mapping(), &claims).await?);
        report.notes.push(
            "The JIT decision is computed against the accounts as they are now, not at capture."
                .into(),
        );
    }
    Ok(report)
}
