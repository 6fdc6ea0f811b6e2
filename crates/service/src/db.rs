//! Storage: one `sqlx` Any pool (SQLite today; the SQL is kept to what PostgreSQL also runs, with `$n`
//! placeholders and `INSERT … ON CONFLICT`/`RETURNING`), created and migrated on start, swept of expired rows.
//!
//! Times are stored as Unix seconds (`BIGINT`), booleans as 0/1, so the Any driver's small type set suffices.

use std::path::Path;
use std::str::FromStr as _;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row as _};

use crate::error::Result;

/// The schema, one migration per entry; applied in order, each once (recorded in `schema_version`).
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL,
    enforce_sso BIGINT NOT NULL DEFAULT 0,
    jit_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE domains (
    domain TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    verified BIGINT NOT NULL
);
CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    config TEXT NOT NULL,
    sealed_secret TEXT,
    cert_pem TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email TEXT,
    user_name TEXT,
    user_name_lc TEXT,
    display_name TEXT,
    given_name TEXT,
    family_name TEXT,
    picture TEXT,
    role TEXT,
    active BIGINT NOT NULL,
    scim_managed BIGINT NOT NULL DEFAULT 0,
    external_id TEXT,
    provisioned_by TEXT NOT NULL,
    data TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users(workspace_id, email);
CREATE UNIQUE INDEX users_user_name ON users(workspace_id, user_name_lc);
CREATE INDEX users_external_id ON users(workspace_id, external_id);
CREATE TABLE sso_links (
    workspace_id TEXT NOT NULL,
    connection TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, connection, subject)
);
CREATE UNIQUE INDEX sso_links_user ON sso_links(user_id, connection);
CREATE TABLE scim_groups (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    display_name_lc TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scim_groups_name ON scim_groups(workspace_id, display_name_lc);
CREATE TABLE saml_requests (
    id TEXT PRIMARY KEY,
    connection TEXT NOT NULL,
    return_to TEXT,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE oidc_pending (
    state TEXT PRIMARY KEY,
    connection TEXT NOT NULL,
    sealed TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE replay_cache (
    key TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    connection TEXT NOT NULL,
    method TEXT NOT NULL,
    sealed_id_token TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE access_tokens (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    workspace_id TEXT,
    connection TEXT,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
",
    r"
CREATE TABLE recovery_codes (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX audit_log_outcome ON audit_log(workspace_id, outcome, at)
",
];

/// Opens (creating if needed) the database at `url_or_path` — a path for SQLite, or a `sqlite:` URL — and
/// applies the migrations.
pub async fn open(url_or_path: &str) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let url = if url_or_path.contains(':') && !Path::new(url_or_path).exists() {
        url_or_path.to_owned()
    } else {
        format!("sqlite://{url_or_path}?mode=rwc")
    };
    let options = AnyConnectOptions::from_str(&url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(4)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                sqlx::query("PRAGMA foreign_keys = ON")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA busy_timeout = 10000")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA synchronous = NORMAL")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&pool)
        .await?;
    migrate(&pool).await?;
    Ok(pool)
}

async fn migrate(pool: &AnyPool) -> Result<()> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .execute(pool)
        .await?;
    let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
        .fetch_one(pool)
        .await?
        .try_get("v")?;
    for (i, migration) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
        if version <= current {
            continue;
        }
        let mut tx = pool.begin().await?;
        for statement in migration
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO schema_version (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}

/// Deletes expired outstanding requests, pending logins, replay keys and sessions; returns how many rows went.
pub async fn sweep(pool: &AnyPool, now: i64) -> Result<u64> {
    let mut removed = 0;
    for table in [
        "saml_requests",
        "oidc_pending",
        "replay_cache",
        "sessions",
        "recovery_codes",
    ] {
        removed += sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE expires_at <= $1"
        )))
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected();
    }
    Ok(removed)
}

/// A fresh row ID: 16 random bytes, base64url.
pub fn new_id() -> Result<String> {
    crate::crypto::random_token(16)
}

/// Reads a value from the `settings` table.
pub async fn setting(pool: &AnyPool, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await?
        .map(|r| r.try_get::<String, _>("value"))
        .transpose()?)
}

/// Writes a value to the `settings` table.
pub async fn set_setting(pool: &AnyPool, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(pool)
    .await?;
    Ok(())
}
