//! Storage: one `sqlx` Any pool on SQLite (a file path or `sqlite:` URL, the default) or PostgreSQL (a
//! `postgres://` URL), created and migrated on start, swept of expired rows in small batches.
//!
//! The SQL is portable (`$n` placeholders, `INSERT … ON CONFLICT`, `DELETE … RETURNING`); the few places where the
//! dialects differ go through [`Dialect`]: the type of the SCIM JSON column (`TEXT` / `JSONB`) and how it is
//! written and read, the row identity the sweeper deletes by (`rowid` / `ctid`), and the SCIM filter dialect.
//! Times are stored as Unix seconds (`BIGINT`), booleans as 0/1, so the Any driver's small type set suffices.

use std::path::Path;
use std::str::FromStr as _;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row as _};

use crate::error::Result;

/// Which database a pool talks to, and the SQL that differs between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (one process, or several on one machine sharing the file).
    Sqlite,
    /// PostgreSQL (any number of instances sharing the database).
    Postgres,
}

impl Dialect {
    /// The dialect of a database URL: `postgres:`/`postgresql:` is PostgreSQL, anything else SQLite.
    #[must_use]
    pub fn of_url(url: &str) -> Self {
        let scheme = url.split_once(':').map_or("", |(s, _)| s);
        if scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    /// The dialect of an open pool.
    #[must_use]
    pub fn of(pool: &AnyPool) -> Self {
        Self::of_url(pool.connect_options().database_url.as_str())
    }

    /// The column type of stored SCIM resources: JSON text in SQLite, `jsonb` in PostgreSQL (what
    /// gatehouse-scim's filter translation expects in each).
    #[must_use]
    pub fn json_type(self) -> &'static str {
        match self {
            Self::Sqlite => "TEXT",
            Self::Postgres => "JSONB",
        }
    }

    /// Placeholder `n` for a JSON text parameter written to a JSON column.
    #[must_use]
    pub fn json_param(self, n: usize) -> String {
        match self {
            Self::Sqlite => format!("${n}"),
            Self::Postgres => format!("CAST(${n} AS JSONB)"),
        }
    }

    /// A JSON column read back as text (the Any driver has no JSON type).
    #[must_use]
    pub fn json_text(self, column: &str) -> String {
        match self {
            Self::Sqlite => column.to_owned(),
            Self::Postgres => format!("CAST({column} AS TEXT)"),
        }
    }

    /// gatehouse-scim's filter dialect.
    #[must_use]
    pub fn scim(self) -> gatehouse_scim::filter::sql::Dialect {
        match self {
            Self::Sqlite => gatehouse_scim::filter::sql::Dialect::Sqlite,
            Self::Postgres => gatehouse_scim::filter::sql::Dialect::Postgres,
        }
    }

    /// One batch of the sweep of `table`: expired rows by physical row identity, at most `$2` of them. In
    /// PostgreSQL rows another transaction holds (a login consuming its request right now, another instance's
    /// sweeper) are skipped, not waited for.
    fn sweep_batch(self, table: &str) -> String {
        match self {
            Self::Sqlite => format!(
                "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE expires_at <= $1 LIMIT $2)"
            ),
            Self::Postgres => format!(
                "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE expires_at <= $1 \
                 LIMIT $2 FOR UPDATE SKIP LOCKED))"
            ),
        }
    }

    /// A migration's text in this dialect (`{json}` is the JSON column type).
    fn migration(self, text: &str) -> String {
        text.replace("{json}", self.json_type())
    }
}

/// The schema, one migration per entry, in both dialects (`{json}` stands for [`Dialect::json_type`]); applied
/// in order, each once (recorded in `schema_version`).
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
    data {json},
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
    data {json} NOT NULL,
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
    r"
CREATE INDEX saml_requests_expires ON saml_requests(expires_at);
CREATE INDEX oidc_pending_expires ON oidc_pending(expires_at);
CREATE INDEX replay_cache_expires ON replay_cache(expires_at);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX recovery_codes_expires ON recovery_codes(expires_at)
",
    // The admin experience: last sign-in per user, test-connection runs (`purpose` of an outstanding request or
    // pending OIDC login is `login` or `test:<connection_tests.id>`), the last failed response per connection
    // (sealed, short retention) for re-checking after an edit, DNS TXT domain challenges, scheduled IdP metadata
    // refetches.
    r"
ALTER TABLE users ADD COLUMN last_login_at BIGINT;
ALTER TABLE saml_requests ADD COLUMN purpose TEXT NOT NULL DEFAULT 'login';
ALTER TABLE oidc_pending ADD COLUMN purpose TEXT NOT NULL DEFAULT 'login';
CREATE TABLE connection_tests (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    connection TEXT NOT NULL,
    admin_user_id TEXT NOT NULL,
    sealed_report TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX connection_tests_expires ON connection_tests(expires_at);
CREATE TABLE captured_failures (
    connection TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    sealed TEXT NOT NULL,
    captured_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX captured_failures_expires ON captured_failures(expires_at);
CREATE TABLE domain_challenges (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_checked_at BIGINT,
    last_result TEXT,
    PRIMARY KEY (workspace_id, domain)
);
CREATE TABLE metadata_sources (
    connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    fetched_at BIGINT,
    next_fetch_at BIGINT NOT NULL,
    last_error TEXT,
    last_change TEXT,
    last_change_at BIGINT
);
CREATE INDEX metadata_sources_next ON metadata_sources(next_fetch_at)
",
];

/// Rows deleted per sweep statement: each batch is its own short transaction.
pub const SWEEP_BATCH: i64 = 500;

/// Opens the database at `url_or_path` — a SQLite file path (created if needed), a `sqlite:` URL or a
/// `postgres://` URL — and applies the migrations.
pub async fn open(url_or_path: &str) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let url = if url_or_path.contains(':') && !Path::new(url_or_path).exists() {
        url_or_path.to_owned()
    } else {
        format!("sqlite://{url_or_path}?mode=rwc")
    };
    let options = AnyConnectOptions::from_str(&url)?;
    let pool = match Dialect::of_url(&url) {
        Dialect::Postgres => {
            AnyPoolOptions::new()
                .max_connections(10)
                .connect_with(options)
                .await?
        }
        Dialect::Sqlite => {
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
            pool
        }
    };
    migrate(&pool).await?;
    Ok(pool)
}

/// Applies the pending migrations in one transaction. In PostgreSQL it first takes an advisory lock, so instances
/// starting together migrate one after the other (the later ones find nothing to do).
async fn migrate(pool: &AnyPool) -> Result<()> {
    let dialect = Dialect::of(pool);
    let mut tx = pool.begin().await?;
    if dialect == Dialect::Postgres {
        sqlx::query("SELECT 1 AS one FROM pg_advisory_xact_lock(7246183902)")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .execute(&mut *tx)
        .await?;
    let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
        .fetch_one(&mut *tx)
        .await?
        .try_get("v")?;
    for (i, migration) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
        if version <= current {
            continue;
        }
        for statement in dialect
            .migration(migration)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO schema_version (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *tx)
            .await?;
        tracing::info!(version, "database migrated");
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes expired outstanding requests, pending logins, replay keys, sessions, recovery codes, test-connection
/// reports and captured failed responses, in batches of [`SWEEP_BATCH`], and expired domain challenges (few, in one
/// statement); returns how many rows went.
pub async fn sweep(pool: &AnyPool, now: i64) -> Result<u64> {
    sweep_batched(pool, now, SWEEP_BATCH).await
}

/// [`sweep`] with a chosen batch size. Each batch is one short statement (its own transaction, index-backed by
/// `expires_at`), so no lock is held across batches and logins interleave with a long sweep.
pub async fn sweep_batched(pool: &AnyPool, now: i64, batch: i64) -> Result<u64> {
    let dialect = Dialect::of(pool);
    let batch = batch.max(1);
    let mut removed = 0;
    for table in [
        "saml_requests",
        "oidc_pending",
        "replay_cache",
        "sessions",
        "recovery_codes",
        "connection_tests",
        "captured_failures",
    ] {
        loop {
            let n = sqlx::query(sqlx::AssertSqlSafe(dialect.sweep_batch(table)))
                .bind(now)
                .bind(batch)
                .execute(pool)
                .await?
                .rows_affected();
            removed += n;
            if n < u64::try_from(batch).unwrap_or(u64::MAX) {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
    removed += crate::domains::sweep_expired(pool, now).await?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]

    use super::{Dialect, MIGRATIONS};

    #[test]
    fn the_url_scheme_picks_the_dialect() {
        for (url, want) in [
            ("postgres://u:p@db.internal/gatehouse", Dialect::Postgres),
            (
                "postgresql://localhost/g?host=/run/postgresql",
                Dialect::Postgres,
            ),
            ("POSTGRES://localhost/g", Dialect::Postgres),
            ("sqlite://gatehouse.db?mode=rwc", Dialect::Sqlite),
            ("sqlite::memory:", Dialect::Sqlite),
            ("gatehouse.db", Dialect::Sqlite),
            ("/var/lib/gatehouse/postgres.db", Dialect::Sqlite),
        ] {
            assert_eq!(Dialect::of_url(url), want, "{url}");
        }
    }

    #[test]
    fn one_schema_differs_only_in_the_json_column_type() {
        for m in MIGRATIONS {
            let sqlite = Dialect::Sqlite.migration(m);
            let postgres = Dialect::Postgres.migration(m);
            assert!(!sqlite.contains('{') && !postgres.contains('{'));
            assert_eq!(sqlite.replace("data TEXT", "data JSONB"), postgres);
        }
        // The SQLite text of the first migration is what databases created before PostgreSQL support ran.
        let first = Dialect::Sqlite.migration(MIGRATIONS[0]);
        assert!(first.contains("    data TEXT,\n    created_at BIGINT NOT NULL,"));
        assert!(first.contains("    data TEXT NOT NULL,\n"));
        assert_eq!(first.matches("JSONB").count(), 0);
        assert_eq!(
            Dialect::Postgres
                .migration(MIGRATIONS[0])
                .matches("data JSONB")
                .count(),
            2
        );
    }

    #[test]
    fn json_placeholders_cast_only_on_postgres() {
        assert_eq!(Dialect::Sqlite.json_param(9), "$9");
        assert_eq!(Dialect::Postgres.json_param(9), "CAST($9 AS JSONB)");
        assert_eq!(Dialect::Sqlite.json_text("r.data"), "r.data");
        assert_eq!(
            Dialect::Postgres.json_text("r.data"),
            "CAST(r.data AS TEXT)"
        );
    }
}
