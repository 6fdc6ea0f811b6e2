//! Personal access tokens: `gh_pat_<prefix>_<secret>`, shown once, stored as SHA-256 (the secret has 192 bits of
//! entropy, so a fast hash is enough), scoped to one workspace, revocable.

use sqlx::Row as _;

use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{self, Workspace};

/// A token as listed (never the secret).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Row ID.
    pub id: String,
    /// Name given at creation ("SCIM").
    pub name: String,
    /// The public prefix, to recognise it.
    pub prefix: String,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Last used (Unix seconds).
    pub last_used_at: Option<i64>,
    /// Revoked (Unix seconds).
    pub revoked_at: Option<i64>,
}

/// Creates a token for `workspace`; returns the only copy of the token text.
pub async fn create(state: &AppState, workspace: &Workspace, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::Invalid(
            "a token needs a name of 1–100 characters".into(),
        ));
    }
    let prefix: String = crate::crypto::random_token(6)?
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(6)
        .collect();
    let secret = crate::crypto::random_token(24)?;
    let token = format!("gh_pat_{prefix}_{secret}");
    sqlx::query("INSERT INTO access_tokens (id, workspace_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(crate::db::new_id()?)
        .bind(&workspace.id)
        .bind(name)
        .bind(format!("gh_pat_{prefix}"))
        .bind(crate::crypto::sha256_hex(token.as_bytes()))
        .bind(state.now().timestamp())
        .execute(&state.pool)
        .await?;
    crate::web::audit(state, Some(&workspace.id), None, "token-created", name).await;
    Ok(token)
}

/// The workspace a bearer token belongs to, if the token is valid and not revoked; records the use.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Option<Workspace>> {
    if !token.starts_with("gh_pat_") || token.len() > 200 {
        return Ok(None);
    }
    let hash = crate::crypto::sha256_hex(token.as_bytes());
    let row = sqlx::query(
        "SELECT id, workspace_id FROM access_tokens WHERE hash = $1 AND revoked_at IS NULL",
    )
    .bind(&hash)
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: String = row.try_get("id")?;
    let now = state.now().timestamp();
    // Record the use at most once a minute (keeps SCIM bursts from serialising on this row).
    sqlx::query("UPDATE access_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(now)
        .bind(&id)
        .bind(now - 60)
        .execute(&state.pool)
        .await?;
    model::workspace_by_id(state, &row.try_get::<String, _>("workspace_id")?).await
}

/// The workspace's tokens, newest first.
pub async fn list(state: &AppState, workspace: &Workspace) -> Result<Vec<TokenInfo>> {
    sqlx::query(
        "SELECT * FROM access_tokens WHERE workspace_id = $1 ORDER BY created_at DESC, name",
    )
    .bind(&workspace.id)
    .fetch_all(&state.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(TokenInfo {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            prefix: r.try_get("prefix")?,
            created_at: r.try_get("created_at")?,
            last_used_at: r.try_get("last_used_at")?,
            revoked_at: r.try_get("revoked_at")?,
        })
    })
    .collect()
}

/// Revokes a token of `workspace` (a token of another workspace is not found).
pub async fn revoke(state: &AppState, workspace: &Workspace, id: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL")
        .bind(state.now().timestamp())
        .bind(id)
        .bind(&workspace.id)
        .execute(&state.pool)
        .await?
        .rows_affected();
    if done > 0 {
        crate::web::audit(state, Some(&workspace.id), None, "token-revoked", id).await;
    }
    Ok(done > 0)
}
