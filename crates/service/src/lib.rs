//! The Gatehouse reference login service: every flow of the Okta integration guide, end to end, composed from
//! the Gatehouse crates on an embedded SQLite store or, for several instances sharing state, PostgreSQL
//! ([`db`]).
//!
//! - `GET/POST /login`: email → home-realm discovery (the workspace's verified domains) → SAML AuthnRequest or
//!   OIDC authorization request; with `iss` it is OIDC third-party-initiated login.
//! - `GET/POST /login/callback`: OIDC code callback; SAML ACS (`POST ?connection=<name>`), SP- and IdP-initiated.
//! - `GET /logout`, `GET /pem?cert=<connection>`, `GET /saml/metadata?connection=<connection>`, `GET /`.
//! - `/settings/…` (admins of Enterprise workspaces): connections with set-up pages that follow the Okta guide
//!   (`settings`), *Test connection* and re-checks of captured failures ([`connection_test`]), certificate expiry
//!   and scheduled metadata refetch ([`metadata_refresh`]), domains proven by DNS TXT ([`domains`]), tokens,
//!   members, the audit log.
//! - `/login/recovery`: break-glass sign-in for admins with a one-time code from the admin CLI ([`recovery`]).
//! - `/backend/scim/v2/`: the SCIM 2.0 server, bearer personal access tokens.
//! - `/_demo-idp/`: with `--demo`, a built-in SAML and OIDC identity provider with a few demo users.
//!
//! State (outstanding SAML requests, OIDC state/nonce/PKCE, the replay cache, sessions, users) lives in the
//! database, so the ACS works under browsers' SameSite defaults and several workers can share it.
//!
//! ```no_run
//! # async fn run() -> Result<(), gatehouse_service::Error> {
//! let config = gatehouse_service::Config::new("http://127.0.0.1:8080");
//! let state = gatehouse_service::AppState::open(config, "/tmp/gatehouse.db", "/tmp/gatehouse.key", true).await?;
//! let app = gatehouse_service::router(state);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.map_err(|e| gatehouse_service::Error::Config(e.to_string()))?;
//! axum::serve(listener, app).await.map_err(|e| gatehouse_service::Error::Config(e.to_string()))?;
//! # Ok(()) }
//! ```

pub mod cli;
pub mod connection_test;
pub mod consumer_domains;
pub mod crypto;
pub mod db;
pub mod demo_idp;
pub mod domains;
pub mod egress;
mod error;
pub mod jit_store;
pub mod login;
pub mod metadata_refresh;
pub mod model;
pub mod recovery;
pub mod scim;

pub mod settings;
pub mod tokens;
pub mod web;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use chrono::{DateTime, Utc};
use sqlx::AnyPool;

pub use error::{Error, Result};

/// Public URLs and naming templates.
#[derive(Debug, Clone)]
pub struct Config {
    /// The app's base URL (`https://app.layer.ai`): landing page, SCIM, settings, post-logout target.
    pub public_url: String,
    /// The auth base URL (`https://auth.app.layer.ai`): login, callback/ACS, metadata, PEM.
    pub auth_url: String,
    /// SAML SP entity ID template; `{tenant}` and `{connection}` are replaced.
    pub entity_id_template: String,
    /// The `{tenant}` of the template.
    pub tenant: String,
    /// Session lifetime in seconds.
    pub session_ttl_secs: i64,
    /// Outgoing calls to IdPs may reach private, loopback and link-local addresses ([`egress`]). [`Config::new`]
    /// allows them only when the public URL itself is on loopback (a local trial or the demo).
    pub allow_private_idp_addresses: bool,
}

impl Config {
    /// One base URL for both sides, the guide's entity ID template and tenant `gatehouse`.
    #[must_use]
    pub fn new(public_url: &str) -> Self {
        let url = public_url.trim_end_matches('/').to_owned();
        let loopback = url::Url::parse(&url).is_ok_and(|u| match u.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        });
        Self {
            allow_private_idp_addresses: loopback,
            auth_url: url.clone(),
            public_url: url,
            entity_id_template: "urn:auth0:{tenant}:{connection}".to_owned(),
            tenant: "gatehouse".to_owned(),
            session_ttl_secs: 8 * 3600,
        }
    }

    /// Cookies get `Secure` when the app is served over https.
    #[must_use]
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Cached discovery document and JWKS of an OIDC connection.
pub(crate) type OidcCache =
    HashMap<String, (gatehouse_oidc::ProviderMetadata, gatehouse_oidc::JwksCache)>;

/// Shared state of the service: cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub pool: AnyPool,
    /// SQLite or PostgreSQL: the SQL that differs.
    pub dialect: db::Dialect,
    /// URLs and templates.
    pub config: Arc<Config>,
    /// Encrypts secrets at rest.
    pub key: Arc<crypto::MasterKey>,
    /// Outgoing HTTP (OIDC discovery, JWKS, token, userinfo, SAML metadata): no redirects, 10 s timeout, public
    /// addresses only unless the configuration allows private ones ([`egress`]).
    pub http: reqwest::Client,
    pub(crate) oidc_cache: Arc<Mutex<OidcCache>>,
    pub(crate) login_cache: Arc<Mutex<model::LoginCache>>,
    /// The built-in demo IdP, when mounted.
    pub demo: Option<Arc<demo_idp::DemoIdp>>,
    /// DNS TXT lookups for domain verification: the system resolver by default, a
    /// [`domains::MemoryResolver`] in tests.
    pub dns: Arc<dyn domains::DnsResolver>,
    clock: Option<Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens (creating and migrating) the database — a SQLite path or a `postgres://` URL — and the master key file
    /// (created when `create_key`).
    pub async fn open(
        config: Config,
        database: &str,
        master_key_file: &str,
        create_key: bool,
    ) -> Result<Self> {
        let key =
            crypto::MasterKey::load_or_create(std::path::Path::new(master_key_file), create_key)?;
        let pool = db::open(database).await?;
        Self::with_parts(config, pool, key)
    }

    /// From an open pool and key.
    pub fn with_parts(config: Config, pool: AnyPool, key: crypto::MasterKey) -> Result<Self> {
        let http = egress::client(config.allow_private_idp_addresses)
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            dialect: db::Dialect::of(&pool),
            pool,
            config: Arc::new(config),
            key: Arc::new(key),
            http,
            oidc_cache: Arc::new(Mutex::new(HashMap::new())),
            login_cache: Arc::new(Mutex::new(HashMap::new())),
            demo: None,
            dns: Arc::new(domains::SystemResolver::default()),
            clock: None,
        })
    }

    /// Replaces the clock (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Now.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.as_ref().map_or_else(Utc::now, |c| c())
    }

    /// `<auth-url>/login/callback`: the OIDC redirect URI.
    #[must_use]
    pub fn callback_url(&self) -> String {
        format!("{}/login/callback", self.config.auth_url)
    }

    /// The ACS URL of a SAML connection.
    #[must_use]
    pub fn acs_url(&self, connection: &str) -> String {
        format!(
            "{}/login/callback?connection={connection}",
            self.config.auth_url
        )
    }

    /// The SP entity ID of a SAML connection, from the template.
    #[must_use]
    pub fn sp_entity_id(&self, connection: &str) -> String {
        self.config
            .entity_id_template
            .replace("{tenant}", &self.config.tenant)
            .replace("{connection}", connection)
    }
}

/// The whole application: login, settings, SCIM and (when [`AppState::demo`] is set) the demo IdP.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .merge(login::routes())
        .merge(settings::routes())
        .merge(recovery::routes())
        .route("/static/gatehouse.js", axum::routing::get(web::script))
        .nest("/backend/scim/v2", scim::routes());
    if state.demo.is_some() {
        app = app
            .route("/_demo-idp/", axum::routing::get(demo_idp::index))
            .nest("/_demo-idp", demo_idp::routes());
    }
    app.layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers on every response: no framing (clickjacking on settings forms), no MIME sniffing, no Referer (login
/// URLs carry codes and states), no caching of pages that show tokens or personal data, and scripts only from the
/// service itself. A response that brings its own Content-Security-Policy (an auto-submitting POST-binding page
/// with a nonce) keeps it.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The Content-Security-Policy of every page without its own: scripts only from the service (no inline script),
/// never framed, no `<base>`, no plugins.
pub const DEFAULT_CSP: &str =
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The Content-Security-Policy of an auto-submitting POST-binding page whose one inline script carries `nonce`.
#[must_use]
pub fn post_binding_csp(nonce: &str) -> String {
    format!(
        "script-src 'nonce-{nonce}'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}

/// Spawns the periodic sweep of expired rows (every minute).
pub fn spawn_sweeper(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            match db::sweep(&state.pool, state.now().timestamp()).await {
                Ok(n) if n > 0 => tracing::debug!(rows = n, "swept expired rows"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "sweep failed"),
            }
        }
    });
}

/// Spawns the scheduled refetch of IdP metadata URLs ([`metadata_refresh`]): every five minutes it refreshes the
/// sources that are due (each once a day by default).
pub fn spawn_metadata_refresh(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            match metadata_refresh::refresh_due(&state, state.now()).await {
                Ok(n) if n > 0 => tracing::debug!(sources = n, "refreshed IdP metadata"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "metadata refresh failed"),
            }
        }
    });
}
