//! The JIT preview: gatehouse-jit's `decide` on a read-only snapshot of the accounts; nothing is applied.

use std::collections::BTreeSet;

use crate::AppState;
use crate::error::Result;
use crate::model::Workspace;
use gatehouse_jit::{
    ConnectionId, Decision, Email, Existing, Identity, Policy, Profile, Role, ScimKey, ScimRecord,
    SsoLink, Subject, User,
};
use sqlx::Row as _;

use super::report::JitPreview;

/// What JIT would decide for `claims` on `conn`, without writing anything.
pub async fn preview_jit(
    state: &AppState,
    ws: &Workspace,
    policy: &Policy,
    mapping: &gatehouse_jit::Mapping,
    claims: &gatehouse_jit::Claims,
) -> Result<JitPreview> {
    let identity = match mapping.map(claims) {
        Ok(i) => i,
        Err(e) => {
            return Ok(JitPreview {
                decision: "Deny".into(),
                rule: "claims".into(),
                description: e.to_string(),
                admin_hint: e.admin_hint(),
                details: Vec::new(),
            });
        }
    };
    let mut read = state.pool.begin().await?;
    if state.dialect == crate::db::Dialect::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *read)
            .await?;
    }
    let existing = lookup(&mut read, &ws.id, &identity, policy).await?;
    read.rollback().await?;
    let decision = gatehouse_jit::decide(&identity, &existing, policy);
    let rule = decision.rule();
    let (name, details) = match &decision {
        Decision::Create { user, .. } => (
            "Create",
            vec![
                format!(
                    "new user: email {}, name {}, role {}",
                    user.email.as_ref().map_or("(none)", |e| e.as_str()),
                    user.profile.display_name.as_deref().unwrap_or("(none)"),
                    user.role.as_ref().map_or("(none)", |r| r.0.as_str())
                ),
                format!(
                    "linked to connection {} subject {}",
                    user.link.connection.0, user.link.subject.0
                ),
            ],
        ),
        Decision::Update { user, changes, .. } => (
            "Update",
            std::iter::once(format!("user {}", user.0))
                .chain(changes.iter().map(change_text))
                .collect(),
        ),
        Decision::Link {
            user,
            link,
            changes,
            ..
        } => (
            "Link",
            std::iter::once(format!(
                "user {} gets the link connection {} subject {}",
                user.0, link.connection.0, link.subject.0
            ))
            .chain(changes.iter().map(change_text))
            .collect(),
        ),
        Decision::SignIn { user, .. } => ("SignIn", vec![format!("user {}", user.0)]),
        Decision::Deny { .. } => ("Deny", Vec::new()),
    };
    Ok(JitPreview {
        decision: name.into(),
        rule: rule.code().into(),
        description: rule.description().into(),
        admin_hint: rule.admin_hint().map(str::to_owned),
        details,
    })
}

fn change_text(c: &gatehouse_jit::Change) -> String {
    format!(
        "{:?}: {} → {}",
        c.field,
        c.old.as_deref().unwrap_or("(none)"),
        c.new.as_deref().unwrap_or("(none)")
    )
}

const USER_COLUMNS: &str = "u.id, u.email, u.user_name, u.display_name, u.given_name, u.family_name, u.picture, \
                            u.role, u.active, u.scim_managed, u.external_id";

type ReadTx<'t> = sqlx::Transaction<'t, sqlx::Any>;

async fn load_user(tx: &mut ReadTx<'_>, row: Option<sqlx::any::AnyRow>) -> Result<Option<User>> {
    let Some(r) = row else { return Ok(None) };
    let id: String = r.try_get("id")?;
    let mut user = User::new(id.clone());
    user.email = r
        .try_get::<Option<String>, _>("email")?
        .and_then(|e| Email::parse(&e).ok());
    user.user_name = r.try_get("user_name")?;
    user.profile = Profile {
        display_name: r.try_get("display_name")?,
        given_name: r.try_get("given_name")?,
        family_name: r.try_get("family_name")?,
        picture: r.try_get("picture")?,
        ..Profile::default()
    };
    user.role = r.try_get::<Option<String>, _>("role")?.map(Role);
    user.active = r.try_get::<i64, _>("active")? != 0;
    if r.try_get::<i64, _>("scim_managed")? != 0 {
        user.scim = Some(ScimRecord {
            external_id: r.try_get("external_id")?,
        });
    }
    let links = sqlx::query("SELECT connection, subject FROM sso_links WHERE user_id = $1")
        .bind(&id)
        .fetch_all(&mut **tx)
        .await?;
    user.links = links
        .iter()
        .map(|l| {
            Ok(SsoLink {
                connection: ConnectionId(l.try_get("connection")?),
                subject: Subject(l.try_get("subject")?),
            })
        })
        .collect::<Result<BTreeSet<_>>>()?;
    Ok(Some(user))
}

/// The same lookups as the login's JIT step (`jit_store`), read-only.
async fn lookup(
    tx: &mut ReadTx<'_>,
    ws: &str,
    identity: &Identity,
    policy: &Policy,
) -> Result<Existing> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users u JOIN sso_links l ON l.user_id = u.id \
         WHERE l.workspace_id = $1 AND l.connection = $2 AND l.subject = $3"
    )))
    .bind(ws)
    .bind(&identity.connection.0)
    .bind(&identity.subject.0)
    .fetch_optional(&mut **tx)
    .await?;
    let by_subject = load_user(tx, row).await?;
    let by_email = match &identity.email {
        Some(email) => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE workspace_id = $1 AND email = $2"
            )))
            .bind(ws)
            .bind(email.as_str())
            .fetch_optional(&mut **tx)
            .await?;
            load_user(tx, row).await?
        }
        None => None,
    };
    let mut by_scim = None;
    for key in &policy.scim_match {
        let row = match key {
            ScimKey::ExternalId => match &identity.external_id {
                Some(id) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {USER_COLUMNS} FROM users u WHERE workspace_id = $1 AND scim_managed = 1 AND external_id = $2"
                    )))
                    .bind(ws)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
                }
                None => None,
            },
            ScimKey::UserName => match &identity.user_name {
                Some(name) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {USER_COLUMNS} FROM users u WHERE workspace_id = $1 AND scim_managed = 1 AND user_name_lc = $2"
                    )))
                    .bind(ws)
                    .bind(name.to_ascii_lowercase())
                    .fetch_optional(&mut **tx)
                    .await?
                }
                None => None,
            },
            ScimKey::Email => {
                if policy.trusts_email_for_linking(identity)
                    && let Some(u) = by_email.clone().filter(User::is_scim_managed)
                {
                    by_scim = Some(u);
                    break;
                }
                None
            }
        };
        if let Some(found) = load_user(tx, row).await? {
            by_scim = Some(found);
            break;
        }
    }
    Ok(Existing {
        by_subject,
        by_email,
        by_scim,
    })
}
