//! The `login_service` command: serve (optionally with the demo IdP and seed data) and the admin subcommands
//! (`workspace create`, `token create`, `connection add-saml`, `connection add-oidc`).

use std::net::SocketAddr;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::demo_idp::{DemoIdp, OidcClient, SamlApp};
use crate::error::{Error, Result};
use crate::model::{self, OidcSettings, SamlSettings};
use crate::{AppState, Config};

/// Gatehouse reference login service.
#[derive(Debug, Parser)]
#[command(
    name = "login_service",
    about = "Gatehouse reference login service (SAML, OIDC, JIT, SCIM)"
)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,
    /// Public base URL of the app (default: `http://<listen>`).
    #[arg(long, global = true)]
    pub public_url: Option<String>,
    /// Base URL of the auth side (login, callback, metadata); default: the public URL.
    #[arg(long, global = true)]
    pub auth_url: Option<String>,
    /// SQLite database file (created and migrated on start). Default: gatehouse.db, or a temp file with --demo.
    #[arg(long, global = true, conflicts_with = "database_url")]
    pub database: Option<String>,
    /// Database URL instead of a SQLite file: `postgres://user:password@host/db` runs on PostgreSQL, which several
    /// instances behind a load balancer can share (`sqlite://path` also works).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Master key file (base64 of 32 bytes) encrypting secrets at rest. Default: gatehouse.key, or a temp file with
    /// --demo. Create one with: head -c 32 /dev/urandom | base64 > gatehouse.key
    #[arg(long, global = true)]
    pub master_key_file: Option<String>,
    /// The `{tenant}` of the SAML entity ID template.
    #[arg(long, default_value = "gatehouse", global = true)]
    pub tenant: String,
    /// SAML SP entity ID template.
    #[arg(long, default_value = "urn:auth0:{tenant}:{connection}", global = true)]
    pub entity_id_template: String,
    /// Mount the demo IdP under /_demo-idp/ and seed workspace `demo`.
    #[arg(long)]
    pub demo: bool,
    /// Let the service call identity providers (OIDC discovery, JWKS, token, userinfo; SAML metadata URLs) on
    /// private, loopback and link-local addresses: for an IdP on the internal network. Off by default unless the
    /// public URL itself is on loopback (a local trial), because admins and IdP discovery documents choose these URLs.
    #[arg(long, global = true)]
    pub allow_private_idp_addresses: bool,
    /// Admin command (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Admin commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Personal access tokens.
    Token {
        /// What to do.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Workspaces.
    Workspace {
        /// What to do.
        #[command(subcommand)]
        action: WorkspaceAction,
    },
    /// SSO connections.
    Connection {
        /// What to do.
        #[command(subcommand)]
        action: ConnectionAction,
    },
}

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Creates a token and prints it (once).
    Create {
        /// Workspace name.
        #[arg(long)]
        workspace: String,
        /// Token name.
        #[arg(long, default_value = "SCIM")]
        name: String,
    },
}

/// Workspace commands.
#[derive(Debug, Subcommand)]
pub enum WorkspaceAction {
    /// Creates a workspace.
    Create {
        /// Name.
        #[arg(long)]
        name: String,
        /// Plan: free, team or enterprise.
        #[arg(long, default_value = "enterprise")]
        plan: String,
        /// Verified email domains (repeat).
        #[arg(long = "domain")]
        domains: Vec<String>,
    },
    /// Changes a workspace's plan.
    Update {
        /// Name.
        #[arg(long)]
        name: String,
        /// New plan: free, team or enterprise.
        #[arg(long)]
        plan: String,
    },
    /// Issues a one-time break-glass recovery code for an admin (created as a manual admin if absent).
    RecoveryCode {
        /// Workspace name.
        #[arg(long)]
        workspace: String,
        /// The admin's email.
        #[arg(long)]
        email: String,
        /// Validity in minutes.
        #[arg(long, default_value_t = 60)]
        minutes: i64,
    },
}

/// Connection commands.
#[derive(Debug, Subcommand)]
pub enum ConnectionAction {
    /// Adds a SAML connection from IdP metadata.
    AddSaml {
        /// Workspace name.
        #[arg(long)]
        workspace: String,
        /// Connection name.
        #[arg(long)]
        name: String,
        /// IdP metadata XML file.
        #[arg(
            long,
            required_unless_present = "metadata_url",
            conflicts_with = "metadata_url"
        )]
        metadata_file: Option<String>,
        /// IdP metadata URL (Okta: the app's "Metadata URL"), fetched now and again every day (new signing
        /// certificates the IdP publishes are pinned; see `metadata_refresh`).
        #[arg(long)]
        metadata_url: Option<String>,
        /// Accept IdP-initiated (unsolicited) responses.
        #[arg(long)]
        allow_unsolicited: bool,
    },
    /// Adds an OIDC connection.
    AddOidc {
        /// Workspace name.
        #[arg(long)]
        workspace: String,
        /// Connection name.
        #[arg(long)]
        name: String,
        /// Issuer URL or Okta domain.
        #[arg(long)]
        issuer: String,
        /// Client ID.
        #[arg(long)]
        client_id: String,
        /// File holding the client secret.
        #[arg(long)]
        client_secret_file: String,
        /// Send the client secret in the token request body (`client_secret_post`) instead of HTTP Basic.
        #[arg(long)]
        client_secret_post: bool,
    },
}

impl Cli {
    fn config(&self) -> Config {
        let public = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen));
        let mut config = Config::new(&public);
        if let Some(auth) = &self.auth_url {
            config.auth_url = auth.trim_end_matches('/').to_owned();
        }
        config.tenant.clone_from(&self.tenant);
        config.allow_private_idp_addresses |= self.allow_private_idp_addresses;
        config
            .entity_id_template
            .clone_from(&self.entity_id_template);
        config
    }

    fn paths(&self) -> (String, String) {
        if let Some(url) = &self.database_url {
            return (
                url.clone(),
                self.master_key_file
                    .clone()
                    .unwrap_or_else(|| "gatehouse.key".to_owned()),
            );
        }
        if self.demo {
            let dir = std::env::temp_dir();
            let pid = std::process::id();
            (
                self.database.clone().unwrap_or_else(|| {
                    dir.join(format!("gatehouse-demo-{pid}.db"))
                        .display()
                        .to_string()
                }),
                self.master_key_file.clone().unwrap_or_else(|| {
                    dir.join(format!("gatehouse-demo-{pid}.key"))
                        .display()
                        .to_string()
                }),
            )
        } else {
            (
                self.database
                    .clone()
                    .unwrap_or_else(|| "gatehouse.db".to_owned()),
                self.master_key_file
                    .clone()
                    .unwrap_or_else(|| "gatehouse.key".to_owned()),
            )
        }
    }

    /// Opens the state (database and key).
    pub async fn open(&self) -> Result<AppState> {
        let (db, key) = self.paths();
        AppState::open(self.config(), &db, &key, self.demo).await
    }
}

/// A database URL for display: any password replaced by `[redacted]`.
#[must_use]
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("[redacted]"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Parses the command line and runs it; what `examples/login_service.rs` calls.
pub async fn main() -> Result<()> {
    let cli = Cli::parse();
    run(cli).await
}

async fn workspace(state: &AppState, name: &str) -> Result<model::Workspace> {
    model::workspace_by_name(state, name)
        .await?
        .ok_or_else(|| Error::NotFound(format!("workspace {name:?}")))
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let mut state = cli.open().await?;
    match &cli.command {
        Some(Command::Token {
            action: TokenAction::Create { workspace: w, name },
        }) => {
            let ws = workspace(&state, w).await?;
            if !ws.is_enterprise() {
                return Err(Error::Invalid(format!(
                    "workspace {w} is not on the Enterprise plan: SCIM tokens need it"
                )));
            }
            println!("{}", crate::tokens::create(&state, &ws, name).await?);
            Ok(())
        }
        Some(Command::Workspace {
            action:
                WorkspaceAction::Create {
                    name,
                    plan,
                    domains,
                },
        }) => {
            // Refuse a consumer mail domain before anything is created.
            for d in domains {
                crate::consumer_domains::check_claimable(d)?;
            }
            let ws = model::create_workspace(&state, name, plan).await?;
            for d in domains {
                model::add_verified_domain(&state, &ws, d).await?;
            }
            println!("created workspace {} ({} plan)", ws.name, ws.plan);
            Ok(())
        }
        Some(Command::Workspace {
            action: WorkspaceAction::Update { name, plan },
        }) => {
            let ws = workspace(&state, name).await?;
            let ws = model::update_workspace(&state, &ws, plan).await?;
            println!("workspace {}: {} plan", ws.name, ws.plan);
            Ok(())
        }
        Some(Command::Workspace {
            action:
                WorkspaceAction::RecoveryCode {
                    workspace: w,
                    email,
                    minutes,
                },
        }) => {
            let ws = workspace(&state, w).await?;
            let code = crate::recovery::issue(&state, &ws, email, *minutes).await?;
            println!(
                "{code}\nRedeem once within {minutes} minutes at {}/login/recovery",
                state.config.auth_url
            );
            Ok(())
        }
        Some(Command::Connection {
            action:
                ConnectionAction::AddSaml {
                    workspace: w,
                    name,
                    metadata_file,
                    metadata_url,
                    allow_unsolicited,
                },
        }) => {
            let ws = workspace(&state, w).await?;
            let xml = match (metadata_file, metadata_url) {
                (Some(file), _) => {
                    std::fs::read(file).map_err(|e| Error::Config(format!("{file}: {e}")))?
                }
                (None, Some(url)) => crate::settings::fetch_metadata(&state, url).await?,
                (None, None) => {
                    return Err(Error::Invalid(
                        "give --metadata-file or --metadata-url".into(),
                    ));
                }
            };
            let settings = crate::settings::saml_settings_from_metadata(
                &xml,
                state.now(),
                *allow_unsolicited,
            )?;
            let conn = model::add_saml_connection(&state, &ws, name, &settings).await?;
            if metadata_file.is_none()
                && let Some(url) = metadata_url
            {
                // Refetched daily: new IdP signing certificates are picked up (see metadata_refresh).
                crate::metadata_refresh::record_source(&state, &conn.id, url).await?;
            }
            println!(
                "added SAML connection {name}\n  ACS (Single sign-on URL): {}\n  Audience (SP entity ID): {}\n  signing certificate: {}/pem?cert={name}",
                state.acs_url(name),
                state.sp_entity_id(name),
                state.config.auth_url
            );
            Ok(())
        }
        Some(Command::Connection {
            action:
                ConnectionAction::AddOidc {
                    workspace: w,
                    name,
                    issuer,
                    client_id,
                    client_secret_file,
                    client_secret_post,
                },
        }) => {
            let ws = workspace(&state, w).await?;
            let secret = std::fs::read_to_string(client_secret_file)
                .map_err(|e| Error::Config(format!("{client_secret_file}: {e}")))?;
            let settings = OidcSettings {
                issuer: issuer.clone(),
                client_id: client_id.clone(),
                client_secret_post: *client_secret_post,
            };
            model::add_oidc_connection(&state, &ws, name, &settings, secret.trim()).await?;
            println!(
                "added OIDC connection {name}\n  Sign-in redirect URI: {}\n  Sign-out redirect URI: {}\n  Initiate login URI: {}/login",
                state.callback_url(),
                state.config.public_url,
                state.config.public_url
            );
            Ok(())
        }
        None => {
            let mut banner = None;
            if cli.demo {
                let (idp, text) = seed_demo(&state).await?;
                state.demo = Some(idp);
                let (db, key) = cli.paths();
                let db = redact_url(&db);
                banner = Some(format!(
                    "{text}\nState: {db} (master key {key}); pass --database and --master-key-file to keep it across runs.\n"
                ));
            }
            serve(state, cli.listen, banner).await
        }
    }
}

/// Serves until Ctrl-C.
pub async fn serve(state: AppState, listen: SocketAddr, banner: Option<String>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {listen}: {e}")))?;
    crate::spawn_sweeper(&state);
    crate::spawn_metadata_refresh(&state);
    println!(
        "Gatehouse login service on http://{listen} (public URL {})",
        state.config.public_url
    );
    if let Some(b) = banner {
        println!("{b}");
    }
    axum::serve(listener, crate::router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| Error::Config(format!("server: {e}")))
}

/// Demo names.
pub const DEMO_WORKSPACE: &str = "demo";
/// The demo SAML connection.
pub const DEMO_SAML: &str = "demo-saml";
/// The demo OIDC connection.
pub const DEMO_OIDC: &str = "demo-oidc";
/// The demo OIDC client ID.
pub const DEMO_CLIENT_ID: &str = "demo-client";

/// Seeds workspace `demo` (Enterprise, domain demo.example, a SAML and an OIDC connection to the demo IdP, a SCIM
/// token) and workspace `starter` (free plan, domain starter.example); registers the apps with the demo IdP.
/// Returns the IdP and the text to print.
pub async fn seed_demo(state: &AppState) -> Result<(Arc<DemoIdp>, String)> {
    let idp = DemoIdp::load_or_create(state).await?;
    let ws = match model::workspace_by_name(state, DEMO_WORKSPACE).await? {
        Some(ws) => ws,
        None => {
            let ws = model::create_workspace(state, DEMO_WORKSPACE, model::ENTERPRISE).await?;
            model::add_verified_domain(state, &ws, "demo.example").await?;
            let starter = model::create_workspace(state, "starter", "free").await?;
            model::add_verified_domain(state, &starter, "starter.example").await?;
            ws
        }
    };
    let saml = SamlSettings {
        idp: gatehouse_saml::IdentityProvider {
            entity_id: idp.saml_entity_id(),
            sso_url: idp.saml_sso_url(),
            sso_binding: gatehouse_saml::Binding::HttpRedirect,
            certificates: gatehouse_xml::PinnedKeys::from_pem(&idp.saml_cert_pem)
                .map_err(|e| Error::Internal(e.to_string()))?,
            want_authn_requests_signed: false,
            policy: gatehouse_saml::ConnectionPolicy {
                allow_unsolicited: true,
                ..Default::default()
            },
        },
        sign_requests: true,
    };
    let saml_conn = match model::connection_by_name(state, DEMO_SAML).await? {
        Some(c) => {
            let json = serde_json::to_string(&saml).map_err(|e| Error::Internal(e.to_string()))?;
            model::update_connection_config(state, &c, &json).await?;
            c
        }
        None => model::add_saml_connection(state, &ws, DEMO_SAML, &saml).await?,
    };
    let oidc_conn = match model::connection_by_name(state, DEMO_OIDC).await? {
        Some(c) => c,
        None => {
            let secret = crate::crypto::random_token(24)?;
            let settings = OidcSettings {
                issuer: idp.issuer(),
                client_id: DEMO_CLIENT_ID.to_owned(),
                client_secret_post: false,
            };
            model::add_oidc_connection(state, &ws, DEMO_OIDC, &settings, &secret).await?
        }
    };
    let oidc = model::oidc_connection(state, &oidc_conn)?;
    if let Ok(mut apps) = idp.saml_apps.lock() {
        apps.insert(
            DEMO_SAML.to_owned(),
            SamlApp {
                entity_id: state.sp_entity_id(DEMO_SAML),
                acs_url: state.acs_url(DEMO_SAML),
                cert_pem: saml_conn.cert_pem.clone(),
                encryption_cert_pem: None,
            },
        );
    }
    if let Ok(mut clients) = idp.oidc_clients.lock() {
        clients.insert(
            DEMO_CLIENT_ID.to_owned(),
            OidcClient {
                client_id: DEMO_CLIENT_ID.to_owned(),
                client_secret: oidc.client_secret.secret().to_owned(),
                redirect_uri: state.callback_url(),
                post_logout_redirect_uri: url::Url::parse(&state.config.public_url)
                    .map_or_else(|_| state.config.public_url.clone(), |u| u.to_string()),
            },
        );
    }
    let token = crate::tokens::create(state, &ws, "SCIM (demo)").await?;
    let a = &state.config.auth_url;
    let p = &state.config.public_url;
    let text = format!(
        "\nDemo mode: workspace `demo` (Enterprise, domain demo.example), connections `{DEMO_SAML}` (SAML) and `{DEMO_OIDC}` (OIDC)\n\
         at the built-in IdP {a}/_demo-idp/ ; users ada@demo.example (admin), grace@demo.example, linus@demo.example.\n\
         Workspace `starter` (free plan, starter.example) shows the plan gate.\n\n\
         Open:\n  {p}/login                      sign in: type ada@demo.example, pick SAML or OIDC, pick a user\n  \
         {a}/_demo-idp/                 IdP-initiated SAML launch, third-party-initiated OIDC login\n  \
         {p}/settings/tokens            personal access tokens (admins)\n  {p}/settings/sso               connections (admins)\n  \
         {a}/saml/metadata?connection={DEMO_SAML}   SP metadata\n  {a}/pem?cert={DEMO_SAML}        SP signing certificate\n\n\
         SCIM base URL: {p}/backend/scim/v2/\nSCIM bearer token (shown once): {token}\n"
    );
    Ok((Arc::new(idp), text))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_passwords_are_not_printed() {
        for (url, want) in [
            (
                "postgres://gatehouse:s3cret@db.internal/gatehouse",
                "postgres://gatehouse:[redacted]@db.internal/gatehouse",
            ),
            (
                "postgres://gatehouse@db.internal/gatehouse",
                "postgres://gatehouse@db.internal/gatehouse",
            ),
            ("/tmp/gatehouse-demo.db", "/tmp/gatehouse-demo.db"),
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("s3cret"), "{shown}");
            assert_eq!(shown.replace("%5B", "[").replace("%5D", "]"), want);
        }
    }
}
