//! JIT provisioning on SQL: look up, [`decide`], apply — in one transaction whose first statement takes the
//! workspace's write lock, so two first logins of one person yield one account and a SCIM deactivation between
//! lookup and apply cannot be overwritten.

use std::collections::BTreeSet;

use gatehouse_jit::{
    ConnectionId, Decision, Email, Existing, Field, Identity, Policy, Profile, ProfileField, Role,
    ScimKey, ScimRecord, SsoLink, Subject, User, UserId, decide,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _, Transaction};

use crate::AppState;
use crate::error::{Error, Result};

/// A user row as the pages need it.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// ID.
    pub id: String,
    /// Workspace.
    pub workspace_id: String,
    /// Email.
    pub email: Option<String>,
    /// SCIM userName.
    pub user_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Active.
    pub active: bool,
    /// `scim`, `jit:<connection>` or `manual`.
    pub provisioned_by: String,
}

impl UserRow {
    /// From a `users` row.
    pub fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            workspace_id: r.try_get("workspace_id")?,
            email: r.try_get("email")?,
            user_name: r.try_get("user_name")?,
            display_name: r.try_get("display_name")?,
            role: r.try_get("role")?,
            active: r.try_get::<i64, _>("active")? != 0,
            provisioned_by: r.try_get("provisioned_by")?,
        })
    }
}

/// The user `id` of `workspace_id` (never another workspace's).
pub async fn user(state: &AppState, workspace_id: &str, id: &str) -> Result<Option<UserRow>> {
    sqlx::query("SELECT u.id, u.workspace_id, u.email, u.user_name, u.display_name, u.given_name, u.family_name, u.picture, u.role, u.active, u.scim_managed, u.external_id, u.provisioned_by FROM users u WHERE workspace_id = $1 AND id = $2")
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&state.pool)
        .await?
        .as_ref()
        .map(UserRow::from_row)
        .transpose()
}

/// The workspace's users, by email.
pub async fn users_of(state: &AppState, workspace_id: &str) -> Result<Vec<UserRow>> {
    sqlx::query("SELECT u.id, u.workspace_id, u.email, u.user_name, u.display_name, u.given_name, u.family_name, u.picture, u.role, u.active, u.scim_managed, u.external_id, u.provisioned_by FROM users u WHERE workspace_id = $1 ORDER BY email, user_name LIMIT 500")
        .bind(workspace_id)
        .fetch_all(&state.pool)
        .await?
        .iter()
        .map(UserRow::from_row)
        .collect()
}

async fn load_user(tx: &mut Transaction<'_, Any>, row: Option<AnyRow>) -> Result<Option<User>> {
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

/// The accounts `identity` could be in workspace `ws` (by subject, email, SCIM keys), read in one snapshot and
/// without any write: what the optimistic JIT pass and the test-connection preview decide on.
pub async fn existing_snapshot(
    state: &AppState,
    ws: &str,
    identity: &Identity,
    policy: &Policy,
) -> Result<Existing> {
    let mut read = state.pool.begin().await?;
    if state.dialect == crate::db::Dialect::Postgres {
        // One snapshot for all the lookups, as SQLite's read transaction gives. Under READ COMMITTED each
        // statement would see the commits made so far, so a concurrent first login could show up by email with
        // its link but not by subject, and read as "linked to another subject". (A read-only REPEATABLE READ
        // transaction never fails to serialize.)
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *read)
            .await?;
    }
    let existing = lookup(&mut read, ws, identity, policy).await?;
    read.rollback().await?;
    Ok(existing)
}

async fn lookup(
    tx: &mut Transaction<'_, Any>,
    ws: &str,
    identity: &Identity,
    policy: &Policy,
) -> Result<Existing> {
    let row = sqlx::query(
        "SELECT u.id, u.workspace_id, u.email, u.user_name, u.display_name, u.given_name, u.family_name, u.picture, u.role, u.active, u.scim_managed, u.external_id, u.provisioned_by FROM users u JOIN sso_links l ON l.user_id = u.id \
         WHERE l.workspace_id = $1 AND l.connection = $2 AND l.subject = $3",
    )
    .bind(ws)
    .bind(&identity.connection.0)
    .bind(&identity.subject.0)
    .fetch_optional(&mut **tx)
    .await?;
    let by_subject = load_user(tx, row).await?;
    let by_email = match &identity.email {
        Some(email) => {
            let row = sqlx::query("SELECT u.id, u.workspace_id, u.email, u.user_name, u.display_name, u.given_name, u.family_name, u.picture, u.role, u.active, u.scim_managed, u.external_id, u.provisioned_by FROM users u WHERE workspace_id = $1 AND email = $2")
                .bind(ws)
                .bind(email.as_str())
                .fetch_optional(&mut **tx)
                .await?;
            // The same user as by subject (the usual case) needs no second load.
            let same = row
                .as_ref()
                .and_then(|r| r.try_get::<String, _>("id").ok())
                .filter(|id| by_subject.as_ref().is_some_and(|u| &u.id.0 == id));
            match same {
                Some(_) => by_subject.clone(),
                None => load_user(tx, row).await?,
            }
        }
        None => None,
    };
    let mut by_scim = None;
    for key in &policy.scim_match {
        let row = match key {
            ScimKey::ExternalId => match &identity.external_id {
                Some(id) => sqlx::query("SELECT u.id, u.workspace_id, u.email, u.user_name, u.display_name, u.given_name, u.family_name, u.picture, u.role, u.active, u.scim_managed, u.external_id, u.provisioned_by FROM users u WHERE workspace_id = $1 AND scim_managed = 1 AND external_id = $2")
                    .bind(ws)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?,
                None => None,
            },
            ScimKey::UserName => match &identity.user_name {
                Some(name) => sqlx::query("SELECT u.id, u.workspace_id, u.email, u.user_name, u.display_name, u.given_name, u.family_name, u.picture, u.role, u.active, u.scim_managed, u.external_id, u.provisioned_by FROM users u WHERE workspace_id = $1 AND scim_managed = 1 AND user_name_lc = $2")
                    .bind(ws)
                    .bind(name.to_ascii_lowercase())
                    .fetch_optional(&mut **tx)
                    .await?,
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

fn column(field: &Field) -> Option<&'static str> {
    Some(match field {
        Field::Profile(ProfileField::Email) => "email",
        Field::Profile(ProfileField::DisplayName) => "display_name",
        Field::Profile(ProfileField::GivenName) => "given_name",
        Field::Profile(ProfileField::FamilyName) => "family_name",
        Field::Profile(ProfileField::Picture) => "picture",
        Field::Role => "role",
        _ => return None,
    })
}

async fn apply_changes(
    tx: &mut Transaction<'_, Any>,
    user: &UserId,
    changes: &[gatehouse_jit::Change],
    now: i64,
) -> Result<()> {
    for change in changes {
        let Some(col) = column(&change.field) else {
            continue;
        };
        // Re-check the old value inside the transaction: a concurrent change makes this fail, not overwrite.
        let sql = format!(
            "UPDATE users SET {col} = $1, updated_at = $2 WHERE id = $3 AND active = 1 AND \
             (({col} IS NULL AND $4 IS NULL) OR {col} = $4)"
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(change.new.clone())
            .bind(now)
            .bind(&user.0)
            .bind(change.old.clone())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if done != 1 {
            return Err(Error::Invalid(
                "the account changed during sign-in; try again".into(),
            ));
        }
    }
    Ok(())
}

async fn require_link(
    tx: &mut Transaction<'_, Any>,
    ws: &str,
    user: &UserId,
    link: &SsoLink,
) -> Result<()> {
    let row = sqlx::query(
        "SELECT 1 AS one FROM sso_links l JOIN users u ON u.id = l.user_id WHERE l.workspace_id = $1 AND l.connection = $2 \
         AND l.subject = $3 AND l.user_id = $4 AND u.active = 1",
    )
    .bind(ws)
    .bind(&link.connection.0)
    .bind(&link.subject.0)
    .bind(&user.0)
    .fetch_optional(&mut **tx)
    .await?;
    if row.is_none() {
        return Err(Error::Invalid(
            "the account changed during sign-in; try again".into(),
        ));
    }
    Ok(())
}

/// Runs the JIT decision for `identity` in workspace `ws` and applies it atomically. Returns the decision and the
/// signed-in user (`None` when denied).
pub async fn provision(
    state: &AppState,
    ws: &str,
    identity: &Identity,
    policy: &Policy,
) -> Result<(Decision, Option<String>)> {
    // Optimistic pass on a read snapshot: a returning user with nothing to change (the common case) or a refusal
    // needs no write, so it takes no write lock.
    {
        let existing = existing_snapshot(state, ws, identity, policy).await?;
        let decision = decide(identity, &existing, policy);
        match &decision {
            Decision::Deny { .. } => return Ok((decision, None)),
            Decision::SignIn { user, .. } => {
                let id = user.0.clone();
                return Ok((decision, Some(id)));
            }
            _ => {}
        }
    }
    let now = state.now().timestamp();
    let mut tx = state.pool.begin().await?;
    // Take the write lock first (SQLite: no read-to-write upgrade failure; PostgreSQL: a row lock per workspace).
    sqlx::query("UPDATE workspaces SET jit_seq = jit_seq + 1 WHERE id = $1")
        .bind(ws)
        .execute(&mut *tx)
        .await?;
    let existing = lookup(&mut tx, ws, identity, policy).await?;
    let decision = decide(identity, &existing, policy);
    let user = match &decision {
        Decision::Deny { .. } => None,
        Decision::Create { user, .. } => {
            let id = crate::db::new_id()?;
            sqlx::query(
                "INSERT INTO users (id, workspace_id, email, user_name, user_name_lc, display_name, given_name, family_name, \
                 picture, role, active, scim_managed, provisioned_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, 0, $11, $12, $12)",
            )
            .bind(&id)
            .bind(ws)
            .bind(user.email.as_ref().map(|e| e.as_str().to_owned()))
            .bind(user.user_name.clone())
            .bind(user.user_name.as_ref().map(|n| n.to_ascii_lowercase()))
            .bind(user.profile.display_name.clone())
            .bind(user.profile.given_name.clone())
            .bind(user.profile.family_name.clone())
            .bind(user.profile.picture.clone())
            .bind(user.role.as_ref().map(|r| r.0.clone()))
            .bind(format!("jit:{}", user.link.connection.0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            insert_link(&mut tx, ws, &id, &user.link).await?;
            Some(id)
        }
        Decision::Update {
            user, via, changes, ..
        } => {
            require_link(&mut tx, ws, user, via).await?;
            apply_changes(&mut tx, user, changes, now).await?;
            Some(user.0.clone())
        }
        Decision::Link {
            user,
            link,
            changes,
            ..
        } => {
            let active =
                sqlx::query("SELECT active FROM users WHERE id = $1 AND workspace_id = $2")
                    .bind(&user.0)
                    .bind(ws)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get::<i64, _>("active"))
                    .transpose()?;
            if active != Some(1) {
                return Err(Error::Invalid(
                    "the account changed during sign-in; try again".into(),
                ));
            }
            insert_link(&mut tx, ws, &user.0, link).await?;
            apply_changes(&mut tx, user, changes, now).await?;
            Some(user.0.clone())
        }
        Decision::SignIn { user, via, .. } => {
            require_link(&mut tx, ws, user, via).await?;
            Some(user.0.clone())
        }
    };
    tx.commit().await?;
    Ok((decision, user))
}

async fn insert_link(
    tx: &mut Transaction<'_, Any>,
    ws: &str,
    user_id: &str,
    link: &SsoLink,
) -> Result<()> {
    sqlx::query("INSERT INTO sso_links (workspace_id, connection, subject, user_id) VALUES ($1, $2, $3, $4)")
        .bind(ws)
        .bind(&link.connection.0)
        .bind(&link.subject.0)
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map_err(|_| Error::Invalid("this sign-in is already linked to another account".into()))?;
    Ok(())
}
