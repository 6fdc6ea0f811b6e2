//! Workspaces, their verified domains and SSO connections: rows, and the library configurations built from
//! them (a SAML [`ServiceProvider`]/[`IdentityProvider`] pair, an [`OidcConnection`]).

use std::sync::Arc;

use gatehouse_oidc::{ClientAuthMethod, ClientSecret, OidcConnection};
use gatehouse_saml::{IdentityProvider, ServiceProvider, SpKey};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::AppState;
use crate::error::{Error, Result};

/// What a login needs about its connection, cached per process for [`LOGIN_CACHE_SECS`]: the connection, its
/// workspace and the workspace's verified domains. Writes through this module clear the cache; other processes
/// sharing the database see a change within the TTL.
#[derive(Debug, Clone)]
pub struct LoginContext {
    /// The connection.
    pub connection: Connection,
    /// Its workspace.
    pub workspace: Workspace,
    /// The workspace's verified domains.
    pub domains: Vec<String>,
    /// A SAML connection's SP key (unsealed once per cache period, not per login): decrypts encrypted assertions.
    pub sp_key: Option<Arc<SpKey>>,
}

/// How long a [`LoginContext`] is reused, in seconds.
pub const LOGIN_CACHE_SECS: u64 = 5;

/// The per-process cache of [`LoginContext`]s by connection name.
pub(crate) type LoginCache = std::collections::HashMap<String, (std::time::Instant, LoginContext)>;

/// Clears the login cache (after any configuration write).
pub fn invalidate(state: &AppState) {
    if let Ok(mut c) = state.login_cache.lock() {
        c.clear();
    }
}

/// The login context of connection `name` (cached), or `None` if there is no such connection.
pub async fn login_context(state: &AppState, name: &str) -> Result<Option<LoginContext>> {
    if let Ok(c) = state.login_cache.lock()
        && let Some((at, ctx)) = c.get(name)
        && at.elapsed().as_secs() < LOGIN_CACHE_SECS
    {
        return Ok(Some(ctx.clone()));
    }
    let Some(connection) = connection_by_name(state, name).await? else {
        return Ok(None);
    };
    let workspace = workspace_by_id(state, &connection.workspace_id)
        .await?
        .ok_or_else(|| Error::NotFound("workspace".into()))?;
    let domains = verified_domains(state, &workspace.id).await?;
    let sp_key = match connection.kind {
        Kind::Saml => Some(sp_key(state, &connection)?),
        Kind::Oidc => None,
    };
    let ctx = LoginContext {
        connection,
        workspace,
        domains,
        sp_key,
    };
    if let Ok(mut c) = state.login_cache.lock() {
        if c.len() > 10_000 {
            c.clear();
        }
        c.insert(name.to_owned(), (std::time::Instant::now(), ctx.clone()));
    }
    Ok(Some(ctx))
}

/// The Enterprise plan: SSO connections and SCIM need it.
pub const ENTERPRISE: &str = "enterprise";

/// A workspace (tenant).
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Row ID.
    pub id: String,
    /// Unique name (`demo`).
    pub name: String,
    /// `free`, `team` or `enterprise`.
    pub plan: String,
}

impl Workspace {
    /// Whether SSO and SCIM may be configured and used.
    #[must_use]
    pub fn is_enterprise(&self) -> bool {
        self.plan == ENTERPRISE
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            plan: r.try_get("plan")?,
        })
    }
}

/// Creates a workspace.
pub async fn create_workspace(state: &AppState, name: &str, plan: &str) -> Result<Workspace> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::Invalid(format!(
            "workspace name {name:?}: use 1–64 letters, digits, - or _"
        )));
    }
    if !["free", "team", ENTERPRISE].contains(&plan) {
        return Err(Error::Invalid(format!(
            "plan {plan:?}: expected free, team or enterprise"
        )));
    }
    if workspace_by_name(state, name).await?.is_some() {
        return Err(Error::Invalid(format!("workspace {name:?} already exists")));
    }
    let id = crate::db::new_id()?;
    sqlx::query("INSERT INTO workspaces (id, name, plan, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(name)
        .bind(plan)
        .bind(state.now().timestamp())
        .execute(&state.pool)
        .await?;
    Ok(Workspace {
        id,
        name: name.to_owned(),
        plan: plan.to_owned(),
    })
}

/// Changes a workspace's plan. (Members sign in only through SSO here, so every workspace is SSO-enforced; the
/// `enforce_sso` column is kept for hosts that add other sign-in methods.)
pub async fn update_workspace(
    state: &AppState,
    workspace: &Workspace,
    plan: &str,
) -> Result<Workspace> {
    if !["free", "team", ENTERPRISE].contains(&plan) {
        return Err(Error::Invalid(format!(
            "plan {plan:?}: expected free, team or enterprise"
        )));
    }
    sqlx::query("UPDATE workspaces SET plan = $1 WHERE id = $2")
        .bind(plan)
        .bind(&workspace.id)
        .execute(&state.pool)
        .await?;
    invalidate(state);
    crate::web::audit(
        state,
        Some(&workspace.id),
        None,
        "workspace-updated",
        &format!("plan {plan}"),
    )
    .await;
    Ok(Workspace {
        plan: plan.to_owned(),
        ..workspace.clone()
    })
}

/// The workspace called `name`.
pub async fn workspace_by_name(state: &AppState, name: &str) -> Result<Option<Workspace>> {
    sqlx::query("SELECT * FROM workspaces WHERE name = $1")
        .bind(name)
        .fetch_optional(&state.pool)
        .await?
        .as_ref()
        .map(Workspace::from_row)
        .transpose()
}

/// The workspace with row ID `id`.
pub async fn workspace_by_id(state: &AppState, id: &str) -> Result<Option<Workspace>> {
    sqlx::query("SELECT * FROM workspaces WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.pool)
        .await?
        .as_ref()
        .map(Workspace::from_row)
        .transpose()
}

/// Records `domain` as verified for the workspace: the operator's path (admin CLI), which trusts the caller;
/// admins prove a domain themselves with a DNS TXT record ([`crate::domains`]). A consumer mail domain (see
/// [`crate::consumer_domains`]) is refused. The workspace's pending DNS claim of the domain, if any, goes.
pub async fn add_verified_domain(
    state: &AppState,
    workspace: &Workspace,
    domain: &str,
) -> Result<()> {
    let domain = gatehouse_jit::Domain::parse(domain).map_err(|e| Error::Invalid(e.to_string()))?;
    crate::consumer_domains::check_claimable(domain.as_str())?;
    sqlx::query("INSERT INTO domains (domain, workspace_id, verified) VALUES ($1, $2, 1)")
        .bind(domain.as_str())
        .bind(&workspace.id)
        .execute(&state.pool)
        .await
        .map_err(|_| Error::Invalid(format!("domain {} is already claimed", domain.as_str())))?;
    sqlx::query("DELETE FROM domain_challenges WHERE workspace_id = $1 AND domain = $2")
        .bind(&workspace.id)
        .bind(domain.as_str())
        .execute(&state.pool)
        .await?;
    invalidate(state);
    Ok(())
}

/// Removes a verified domain of `workspace` (only that workspace's): discovery stops routing its addresses there
/// and the JIT rule stops trusting them. `false` if the workspace did not have it. Audited as `domain-removed`.
pub async fn remove_verified_domain(
    state: &AppState,
    workspace: &Workspace,
    domain: &str,
) -> Result<bool> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let n = sqlx::query("DELETE FROM domains WHERE domain = $1 AND workspace_id = $2")
        .bind(&domain)
        .bind(&workspace.id)
        .execute(&state.pool)
        .await?
        .rows_affected();
    invalidate(state);
    if n > 0 {
        crate::web::audit(state, Some(&workspace.id), None, "domain-removed", &domain).await;
    }
    Ok(n > 0)
}

/// The workspace's verified domains.
pub async fn verified_domains(state: &AppState, workspace_id: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT domain FROM domains WHERE workspace_id = $1 AND verified = 1 ORDER BY domain",
    )
    .bind(workspace_id)
    .fetch_all(&state.pool)
    .await?;
    // A consumer mail domain is never a verified domain, even if a row for one exists.
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("domain")?))
        .filter(|d| {
            !d.as_ref()
                .is_ok_and(|d| crate::consumer_domains::is_consumer_mail_domain(d))
        })
        .collect()
}

/// Home-realm discovery: the workspace that verified the email's domain.
pub async fn workspace_for_email(state: &AppState, email: &str) -> Result<Option<Workspace>> {
    let Ok(email) = gatehouse_jit::Email::parse(email) else {
        return Ok(None);
    };
    let domain = email.domain();
    if crate::consumer_domains::is_consumer_mail_domain(domain.as_str()) {
        return Ok(None);
    }
    let row = sqlx::query("SELECT workspace_id FROM domains WHERE domain = $1 AND verified = 1")
        .bind(domain.as_str())
        .fetch_optional(&state.pool)
        .await?;
    match row {
        Some(r) => workspace_by_id(state, &r.try_get::<String, _>("workspace_id")?).await,
        None => Ok(None),
    }
}

/// What kind of connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SAML 2.0.
    Saml,
    /// OpenID Connect.
    Oidc,
}

/// Non-secret SAML settings, stored as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlSettings {
    /// The IdP (entity ID, SSO URL and binding, pinned certificates, policy).
    pub idp: IdentityProvider,
    /// Sign AuthnRequests with the connection's SP key.
    #[serde(default)]
    pub sign_requests: bool,
}

/// Non-secret OIDC settings, stored as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcSettings {
    /// Issuer URL or Okta domain as entered.
    pub issuer: String,
    /// Client ID.
    pub client_id: String,
    /// `client_secret_post` instead of HTTP Basic.
    #[serde(default)]
    pub client_secret_post: bool,
}

/// An SSO connection.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Row ID.
    pub id: String,
    /// Owning workspace.
    pub workspace_id: String,
    /// Globally unique name (the `?connection=` of the ACS URL).
    pub name: String,
    /// SAML or OIDC.
    pub kind: Kind,
    /// The settings JSON.
    pub config: String,
    sealed_secret: Option<String>,
    /// The SP signing certificate (SAML), PEM.
    pub cert_pem: Option<String>,
}

impl Connection {
    fn from_row(r: &AnyRow) -> Result<Self> {
        let kind: String = r.try_get("kind")?;
        Ok(Self {
            id: r.try_get("id")?,
            workspace_id: r.try_get("workspace_id")?,
            name: r.try_get("name")?,
            kind: if kind == "saml" {
                Kind::Saml
            } else {
                Kind::Oidc
            },
            config: r.try_get("config")?,
            sealed_secret: r.try_get("sealed_secret")?,
            cert_pem: r.try_get("cert_pem")?,
        })
    }

    /// The SAML settings.
    pub fn saml_settings(&self) -> Result<SamlSettings> {
        serde_json::from_str(&self.config)
            .map_err(|e| Error::Internal(format!("connection {}: {e}", self.name)))
    }

    /// The OIDC settings.
    pub fn oidc_settings(&self) -> Result<OidcSettings> {
        serde_json::from_str(&self.config)
            .map_err(|e| Error::Internal(format!("connection {}: {e}", self.name)))
    }

    /// `saml` or `oidc`.
    #[must_use]
    pub fn kind_str(&self) -> &'static str {
        match self.kind {
            Kind::Saml => "saml",
            Kind::Oidc => "oidc",
        }
    }
}

fn secret_purpose(kind: Kind, name: &str) -> String {
    match kind {
        Kind::Saml => format!("sp-key:{name}"),
        Kind::Oidc => format!("client-secret:{name}"),
    }
}

/// A connection name appears in URLs (ACS, entity ID, `/pem`): 1–64 ASCII letters, digits, `-` or `_`.
pub fn check_connection_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::Invalid(format!(
            "connection name {name:?}: use 1–64 letters, digits, - or _"
        )));
    }
    Ok(())
}

async fn insert_connection(
    state: &AppState,
    workspace: &Workspace,
    name: &str,
    kind: Kind,
    config: String,
    secret: &[u8],
    cert_pem: Option<String>,
) -> Result<Connection> {
    if !workspace.is_enterprise() {
        return Err(Error::Invalid(format!(
            "workspace {} is on the {} plan: SSO connections need the Enterprise plan",
            workspace.name, workspace.plan
        )));
    }
    check_connection_name(name)?;
    let sealed = state.key.seal(&secret_purpose(kind, name), secret)?;
    let id = crate::db::new_id()?;
    sqlx::query(
        "INSERT INTO connections (id, workspace_id, name, kind, config, sealed_secret, cert_pem, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&workspace.id)
    .bind(name)
    .bind(if kind == Kind::Saml { "saml" } else { "oidc" })
    .bind(&config)
    .bind(&sealed)
    .bind(cert_pem.clone())
    .bind(state.now().timestamp())
    .execute(&state.pool)
    .await
    .map_err(|_| Error::Invalid(format!("a connection named {name:?} already exists")))?;
    invalidate(state);
    Ok(Connection {
        id,
        workspace_id: workspace.id.clone(),
        name: name.to_owned(),
        kind,
        config,
        sealed_secret: Some(sealed),
        cert_pem,
    })
}

/// Adds a SAML connection; generates its SP signing key and certificate (the key is stored encrypted).
pub async fn add_saml_connection(
    state: &AppState,
    workspace: &Workspace,
    name: &str,
    settings: &SamlSettings,
) -> Result<Connection> {
    let pair = crate::crypto::generate_rsa_cert(&format!("Gatehouse SP {name}"))?;
    let config = serde_json::to_string(settings).map_err(|e| Error::Internal(e.to_string()))?;
    insert_connection(
        state,
        workspace,
        name,
        Kind::Saml,
        config,
        pair.key_pem.as_bytes(),
        Some(pair.cert_pem),
    )
    .await
}

/// Adds an OIDC connection (the client secret is stored encrypted).
pub async fn add_oidc_connection(
    state: &AppState,
    workspace: &Workspace,
    name: &str,
    settings: &OidcSettings,
    client_secret: &str,
) -> Result<Connection> {
    // Validate everything at once, as the library does.
    OidcConnection::new(
        &settings.issuer,
        &settings.client_id,
        ClientSecret::new(client_secret),
        &state.callback_url(),
    )
    .map_err(|problems| {
        Error::Invalid(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let config = serde_json::to_string(settings).map_err(|e| Error::Internal(e.to_string()))?;
    insert_connection(
        state,
        workspace,
        name,
        Kind::Oidc,
        config,
        client_secret.as_bytes(),
        None,
    )
    .await
}

/// Replaces a connection's settings JSON (pinned certificates after a rotation, the unsolicited policy).
pub async fn update_connection_config(
    state: &AppState,
    conn: &Connection,
    config: &str,
) -> Result<()> {
    sqlx::query("UPDATE connections SET config = $1 WHERE id = $2")
        .bind(config)
        .bind(&conn.id)
        .execute(&state.pool)
        .await?;
    invalidate(state);
    Ok(())
}

/// Deletes a connection of `workspace` (only that workspace's).
pub async fn delete_connection(
    state: &AppState,
    workspace: &Workspace,
    name: &str,
) -> Result<bool> {
    let done = sqlx::query("DELETE FROM connections WHERE workspace_id = $1 AND name = $2")
        .bind(&workspace.id)
        .bind(name)
        .execute(&state.pool)
        .await?
        .rows_affected();
    invalidate(state);
    sqlx::query("DELETE FROM sso_links WHERE workspace_id = $1 AND connection = $2")
        .bind(&workspace.id)
        .bind(name)
        .execute(&state.pool)
        .await?;
    Ok(done > 0)
}

/// The connection called `name`.
pub async fn connection_by_name(state: &AppState, name: &str) -> Result<Option<Connection>> {
    sqlx::query("SELECT * FROM connections WHERE name = $1")
        .bind(name)
        .fetch_optional(&state.pool)
        .await?
        .as_ref()
        .map(Connection::from_row)
        .transpose()
}

/// The workspace's connections, by name.
pub async fn connections_of(state: &AppState, workspace_id: &str) -> Result<Vec<Connection>> {
    sqlx::query("SELECT * FROM connections WHERE workspace_id = $1 ORDER BY name")
        .bind(workspace_id)
        .fetch_all(&state.pool)
        .await?
        .iter()
        .map(Connection::from_row)
        .collect()
}

/// All OIDC connections (third-party-initiated login looks the issuer up among them).
pub async fn oidc_connections(state: &AppState) -> Result<Vec<Connection>> {
    sqlx::query("SELECT * FROM connections WHERE kind = 'oidc' ORDER BY name")
        .fetch_all(&state.pool)
        .await?
        .iter()
        .map(Connection::from_row)
        .collect()
}

/// The SP side of a SAML connection: entity ID from the template, ACS URL, signing key when requests are signed.
pub fn saml_sp(
    state: &AppState,
    conn: &Connection,
    settings: &SamlSettings,
) -> Result<ServiceProvider> {
    saml_sp_with(
        state,
        conn,
        settings.sign_requests || settings.idp.want_authn_requests_signed,
    )
}

/// The SP side of a SAML connection; with `with_key`, its unsealed key too: it signs AuthnRequests when the connection
/// says so, and decrypts assertions an IdP encrypted to its certificate (the same certificate is published for both
/// uses in the SP metadata and at `/pem`).
pub fn saml_sp_with(
    state: &AppState,
    conn: &Connection,
    with_key: bool,
) -> Result<ServiceProvider> {
    let mut sp = ServiceProvider::new(state.sp_entity_id(&conn.name), state.acs_url(&conn.name));
    if with_key {
        let key = sp_key(state, conn)?;
        sp.signing_key = Some(key.clone());
        sp.decryption_key = Some(key);
    }
    Ok(sp)
}

/// The SP of a connection at the ACS: validation uses only the IdP's pinned certificates; the (cached) SP key
/// decrypts an `EncryptedAssertion`.
#[must_use]
pub fn acs_sp(state: &AppState, ctx: &LoginContext) -> ServiceProvider {
    let conn = &ctx.connection;
    let mut sp = ServiceProvider::new(state.sp_entity_id(&conn.name), state.acs_url(&conn.name));
    sp.decryption_key.clone_from(&ctx.sp_key);
    sp
}

/// A SAML connection's SP key, unsealed with the master key.
fn sp_key(state: &AppState, conn: &Connection) -> Result<Arc<SpKey>> {
    let sealed = conn
        .sealed_secret
        .as_deref()
        .ok_or_else(|| Error::Internal(format!("connection {} has no SP key", conn.name)))?;
    let key_pem = state
        .key
        .open(&secret_purpose(Kind::Saml, &conn.name), sealed)?;
    let key_pem =
        String::from_utf8(key_pem).map_err(|_| Error::Internal("SP key is not UTF-8".into()))?;
    let cert = conn.cert_pem.as_deref().unwrap_or_default();
    let key =
        SpKey::from_pem(&key_pem, cert).map_err(|e| Error::Internal(format!("SP key: {e}")))?;
    Ok(Arc::new(key))
}

/// The library configuration of an OIDC connection, with the decrypted client secret.
pub fn oidc_connection(state: &AppState, conn: &Connection) -> Result<OidcConnection> {
    let settings = conn.oidc_settings()?;
    let sealed = conn
        .sealed_secret
        .as_deref()
        .ok_or_else(|| Error::Internal(format!("connection {} has no client secret", conn.name)))?;
    let secret = state
        .key
        .open(&secret_purpose(Kind::Oidc, &conn.name), sealed)?;
    let secret = String::from_utf8(secret)
        .map_err(|_| Error::Internal("client secret is not UTF-8".into()))?;
    let mut oidc = OidcConnection::new(
        &settings.issuer,
        &settings.client_id,
        ClientSecret::new(secret),
        &state.callback_url(),
    )
    .map_err(|problems| {
        Error::Config(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    if settings.client_secret_post {
        oidc.auth_method = ClientAuthMethod::ClientSecretPost;
    }
    Ok(oidc)
}
