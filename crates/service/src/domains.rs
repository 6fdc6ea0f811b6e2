//! Domain verification: a workspace proves that it controls an email domain before home-realm discovery routes
//! that domain's addresses to the workspace's IdP and before the JIT "verified domain" rule trusts them for
//! account linking. Without this step any admin could type `bigbank.com` and capture the sign-ins of its users.
//!
//! # How a domain is proven
//! - **DNS TXT record** (self-service on `/settings/domains`): adding a domain creates a challenge with a random
//!   token (table `domain_challenges`). The admin publishes a TXT record at [`record_name`] —
//!   `_gatehouse-challenge.<domain>` — whose value is [`record_value`] —
//!   `gatehouse-domain-verification=<token>` — and presses *Verify*. The record is looked up through the
//!   [`DnsResolver`] in [`AppState::dns`]; when one of the TXT records at that name is exactly the value (surrounding
//!   white space and quotes ignored), the domain becomes verified (`domains.verified = 1`), the challenge is
//!   removed and an audit row `domain-verified` is written. The record may be deleted afterwards: verification is
//!   not re-checked later.
//! - **Operator** (the admin CLI's `workspace create --domain`, [`crate::model::add_verified_domain`]).
//!
//! # What is refused
//! - A consumer mail domain ([`crate::consumer_domains`]): refused when a challenge is created, not only at the
//!   end, so no admin publishes a record for nothing.
//! - A domain that another workspace has verified: one domain routes to one workspace. The error tells the admin
//!   to ask the operator (support), who can move it with the admin CLI after checking who owns it.
//! - More than [`MAX_PENDING`] pending challenges per workspace.
//!
//! A challenge lasts [`CHALLENGE_TTL_SECS`] (7 days): an expired one is not listed and cannot be verified, adding
//! the domain again gives a new token, and the sweeper deletes it. A token found in DNS years later proves nothing
//! about who controls the domain now.
//!
//! # What counts as verified
//! Only rows of `domains` with `verified = 1` ([`crate::model::verified_domains`], read by discovery and by the
//! login's JIT policy). A pending challenge lives in another table and never counts, whatever its state.
//!
//! A subdomain is its own domain: verifying `acme.com` does not verify `eu.acme.com`, and discovery matches the
//! address's domain exactly.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use sqlx::Row as _;

use crate::AppState;
use crate::error::{Error, Result};
use crate::model::Workspace;

/// The label prepended to the domain: the TXT record lives at `_gatehouse-challenge.<domain>`.
pub const CHALLENGE_LABEL: &str = "_gatehouse-challenge";

/// The prefix of the record's value: `gatehouse-domain-verification=<token>`.
pub const VALUE_PREFIX: &str = "gatehouse-domain-verification=";

/// Pending challenges one workspace may hold at a time.
pub const MAX_PENDING: i64 = 20;

/// How long a challenge can be verified, in seconds (7 days).
pub const CHALLENGE_TTL_SECS: i64 = 7 * 86_400;

/// The oldest `created_at` of a challenge still usable at `now`.
fn oldest_usable(state: &AppState) -> i64 {
    state.now().timestamp().saturating_sub(CHALLENGE_TTL_SECS)
}

/// Deletes every challenge created before `now - CHALLENGE_TTL_SECS` (the sweeper's part); returns how many.
pub async fn sweep_expired(pool: &sqlx::AnyPool, now: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM domain_challenges WHERE created_at <= $1")
            .bind(now.saturating_sub(CHALLENGE_TTL_SECS))
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// The name of the TXT record that proves `domain` (normalised, lower case).
#[must_use]
pub fn record_name(domain: &str) -> String {
    format!("{CHALLENGE_LABEL}.{domain}")
}

/// The value of the TXT record for a challenge token.
#[must_use]
pub fn record_value(token: &str) -> String {
    format!("{VALUE_PREFIX}{token}")
}

/// Whether a published TXT record (its character-strings joined) is the expected value. DNS control panels differ
/// in whether the quotes of zone-file syntax must be typed, so surrounding quotes and white space are ignored; the
/// rest must match exactly (the token is case-sensitive).
#[must_use]
pub fn record_matches(published: &str, want: &str) -> bool {
    published.trim().trim_matches('"').trim() == want
}

/// The future a [`DnsResolver`] returns.
pub type TxtFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<String>>> + Send + 'a>>;

/// Looks up TXT records. Implementations return one string per record (its character-strings concatenated, as
/// RFC 7208 §3.3 does for SPF), an empty list when the name has no TXT record or does not exist, and an error only
/// when the lookup itself failed (timeout, SERVFAIL, no resolver configured).
pub trait DnsResolver: Send + Sync {
    /// The TXT records at `name` (a fully qualified name, without the trailing dot).
    fn txt<'a>(&'a self, name: &'a str) -> TxtFuture<'a>;
}

/// The system's resolver: the name servers of `/etc/resolv.conf` (or those given to
/// [`SystemResolver::with_name_servers`]), over UDP with TCP fallback, without a cache (so *Verify* after publishing
/// a record asks again; the recursive resolver may still cache a negative answer for the zone's SOA minimum TTL).
/// Built on the first lookup, so a host without DNS configuration still starts.
#[derive(Default)]
pub struct SystemResolver {
    servers: Option<Vec<std::net::SocketAddr>>,
    inner: Mutex<Option<hickory_resolver::TokioResolver>>,
}

impl std::fmt::Debug for SystemResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemResolver")
            .field("servers", &self.servers)
            .finish_non_exhaustive()
    }
}

impl SystemResolver {
    /// Asks these recursive name servers instead of the system's (a public resolver when the host's own one
    /// answers a split-horizon view of the zone).
    #[must_use]
    pub fn with_name_servers(servers: &[std::net::SocketAddr]) -> Self {
        Self {
            servers: Some(servers.to_vec()),
            inner: Mutex::default(),
        }
    }

    fn resolver(&self) -> Result<hickory_resolver::TokioResolver> {
        use hickory_resolver::config::{
            ConnectionConfig, NameServerConfig, ProtocolConfig, ResolverConfig,
        };
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| Error::Internal("DNS resolver lock poisoned".into()))?;
        if let Some(r) = guard.as_ref() {
            return Ok(r.clone());
        }
        let provider = hickory_resolver::net::runtime::TokioRuntimeProvider::default();
        let mut builder = match &self.servers {
            None => hickory_resolver::TokioResolver::builder(provider).map_err(|e| {
                Error::Config(format!(
                    "reading the system DNS configuration (/etc/resolv.conf): {e}"
                ))
            })?,
            Some(servers) => {
                let connection = |protocol, port| {
                    let mut c = ConnectionConfig::new(protocol);
                    c.port = port;
                    c
                };
                let config = ResolverConfig::from_name_servers(
                    servers
                        .iter()
                        .map(|a| {
                            NameServerConfig::new(
                                a.ip(),
                                true,
                                vec![
                                    connection(ProtocolConfig::Udp, a.port()),
                                    connection(ProtocolConfig::Tcp, a.port()),
                                ],
                            )
                        })
                        .collect(),
                );
                hickory_resolver::TokioResolver::builder_with_config(config, provider)
            }
        };
        let options = builder.options_mut();
        options.cache_size = 0;
        options.timeout = std::time::Duration::from_secs(5);
        options.attempts = 2;
        let resolver = builder
            .build()
            .map_err(|e| Error::Config(format!("starting the DNS resolver: {e}")))?;
        *guard = Some(resolver.clone());
        Ok(resolver)
    }
}

impl DnsResolver for SystemResolver {
    fn txt<'a>(&'a self, name: &'a str) -> TxtFuture<'a> {
        Box::pin(async move {
            let resolver = self.resolver()?;
            // A trailing dot: a fully qualified name, never extended with the host's search domains.
            let fqdn = format!("{}.", name.trim_end_matches('.'));
            match resolver.txt_lookup(fqdn.as_str()).await {
                Ok(lookup) => Ok(lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        hickory_resolver::proto::rr::RData::TXT(txt) => Some(
                            txt.txt_data
                                .iter()
                                .map(|s| String::from_utf8_lossy(s))
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect()),
                Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
                Err(e) => Err(Error::Invalid(format!(
                    "the DNS lookup of the TXT record at {name} failed ({e}); try again in a few minutes"
                ))),
            }
        })
    }
}

/// An in-memory resolver for tests and offline demos: names map to records, or to a lookup failure.
#[derive(Debug, Default)]
pub struct MemoryResolver {
    records: Mutex<HashMap<String, std::result::Result<Vec<String>, String>>>,
}

impl MemoryResolver {
    /// An empty resolver: every name has no TXT record.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn key(name: &str) -> String {
        name.trim_end_matches('.').to_ascii_lowercase()
    }

    /// Publishes `records` at `name` (replacing what was there; an empty list removes them).
    pub fn set(&self, name: &str, records: &[&str]) {
        if let Ok(mut m) = self.records.lock() {
            m.insert(
                Self::key(name),
                Ok(records.iter().map(|r| (*r).to_owned()).collect()),
            );
        }
    }

    /// Makes lookups of `name` fail with `message` (a timeout, SERVFAIL).
    pub fn fail(&self, name: &str, message: &str) {
        if let Ok(mut m) = self.records.lock() {
            m.insert(Self::key(name), Err(message.to_owned()));
        }
    }
}

impl DnsResolver for MemoryResolver {
    fn txt<'a>(&'a self, name: &'a str) -> TxtFuture<'a> {
        let found = self
            .records
            .lock()
            .map_err(|_| Error::Internal("resolver lock poisoned".into()))
            .map(|m| m.get(&Self::key(name)).cloned());
        Box::pin(async move {
            match found? {
                None => Ok(Vec::new()),
                Some(Ok(records)) => Ok(records),
                Some(Err(message)) => Err(Error::Invalid(format!(
                    "the DNS lookup of the TXT record at {name} failed ({message}); try again in a few minutes"
                ))),
            }
        })
    }
}

/// A pending domain claim of a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The domain (normalised).
    pub domain: String,
    /// The random token the record must carry.
    pub token: String,
    /// When the claim was made (Unix seconds).
    pub created_at: i64,
    /// When *Verify* last ran, if ever.
    pub last_checked_at: Option<i64>,
    /// What the last check found (the error shown then).
    pub last_result: Option<String>,
}

impl Challenge {
    /// Where the TXT record goes.
    #[must_use]
    pub fn record_name(&self) -> String {
        record_name(&self.domain)
    }

    /// What the TXT record says.
    #[must_use]
    pub fn record_value(&self) -> String {
        record_value(&self.token)
    }

    fn from_row(r: &sqlx::any::AnyRow) -> Result<Self> {
        Ok(Self {
            domain: r.try_get("domain")?,
            token: r.try_get("token")?,
            created_at: r.try_get("created_at")?,
            last_checked_at: r.try_get("last_checked_at")?,
            last_result: r.try_get("last_result")?,
        })
    }
}

/// Parses and normalises a domain an admin typed (lower case; a pasted `user@` part, `https://` or trailing dot is
/// refused with what to type instead).
pub fn normalise(input: &str) -> Result<String> {
    let input = input.trim();
    let domain = gatehouse_jit::Domain::parse(input).map_err(|e| {
        Error::Invalid(format!(
            "{input:?} is not a domain name ({e}): enter the part after the @ of your users' email addresses, \
             such as acme.com"
        ))
    })?;
    Ok(domain.as_str().to_owned())
}

/// The workspace that has `domain` (normalised) in its domains, if any.
pub async fn domain_owner(state: &AppState, domain: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query("SELECT workspace_id FROM domains WHERE domain = $1")
            .bind(domain)
            .fetch_optional(&state.pool)
            .await?
            .map(|r| r.try_get::<String, _>("workspace_id"))
            .transpose()?,
    )
}

fn claimed_elsewhere(domain: &str) -> Error {
    Error::Invalid(format!(
        "{domain} is already verified by another workspace, and a domain routes sign-ins to one workspace only. \
         If your organisation owns {domain}, contact support (the operator of this service): they can check \
         ownership and move the domain with the admin CLI"
    ))
}

/// The workspace's pending challenges, by domain.
pub async fn challenges(state: &AppState, workspace_id: &str) -> Result<Vec<Challenge>> {
    sqlx::query(
        "SELECT * FROM domain_challenges WHERE workspace_id = $1 AND created_at > $2 ORDER BY domain",
    )
    .bind(workspace_id)
    .bind(oldest_usable(state))
    .fetch_all(&state.pool)
        .await?
        .iter()
        .map(Challenge::from_row)
        .collect()
}

/// The workspace's pending challenge for `domain` (normalised).
pub async fn challenge(
    state: &AppState,
    workspace_id: &str,
    domain: &str,
) -> Result<Option<Challenge>> {
    sqlx::query(
        "SELECT * FROM domain_challenges WHERE workspace_id = $1 AND domain = $2 AND created_at > $3",
    )
    .bind(workspace_id)
    .bind(domain)
    .bind(oldest_usable(state))
    .fetch_optional(&state.pool)
        .await?
        .as_ref()
        .map(Challenge::from_row)
        .transpose()
}

/// Starts (or, when one is pending, returns) the workspace's claim of `domain`: the record to publish is in the
/// returned challenge. Refuses consumer mail domains, domains this or another workspace already verified, and more
/// than [`MAX_PENDING`] pending claims.
pub async fn create_challenge(
    state: &AppState,
    workspace: &Workspace,
    domain: &str,
) -> Result<Challenge> {
    let domain = normalise(domain)?;
    crate::consumer_domains::check_claimable(&domain)?;
    match domain_owner(state, &domain).await? {
        Some(owner) if owner == workspace.id => {
            return Err(Error::Invalid(format!(
                "{domain} is already verified for this workspace"
            )));
        }
        Some(_) => return Err(claimed_elsewhere(&domain)),
        None => {}
    }
    if let Some(existing) = challenge(state, &workspace.id, &domain).await? {
        return Ok(existing);
    }
    // Expired claims of this workspace make room (and free the domain's row for a new token).
    sqlx::query("DELETE FROM domain_challenges WHERE workspace_id = $1 AND created_at <= $2")
        .bind(&workspace.id)
        .bind(oldest_usable(state))
        .execute(&state.pool)
        .await?;
    let pending: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM domain_challenges WHERE workspace_id = $1")
            .bind(&workspace.id)
            .fetch_one(&state.pool)
            .await?
            .try_get("n")?;
    if pending >= MAX_PENDING {
        return Err(Error::Invalid(format!(
            "this workspace has {pending} pending domains: verify or remove some before adding another"
        )));
    }
    let c = Challenge {
        domain,
        token: crate::crypto::random_token(24)?,
        created_at: state.now().timestamp(),
        last_checked_at: None,
        last_result: None,
    };
    // Two admins adding the same domain at once: the second insert does nothing and both see the first token.
    sqlx::query(
        "INSERT INTO domain_challenges (workspace_id, domain, token, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, domain) DO NOTHING",
    )
    .bind(&workspace.id)
    .bind(&c.domain)
    .bind(&c.token)
    .bind(c.created_at)
    .execute(&state.pool)
    .await?;
    let stored = challenge(state, &workspace.id, &c.domain)
        .await?
        .ok_or_else(|| Error::Internal("domain challenge vanished".into()))?;
    if stored.token == c.token {
        crate::web::audit(
            state,
            Some(&workspace.id),
            None,
            "domain-claimed",
            &format!("{} (TXT record at {})", c.domain, c.record_name()),
        )
        .await;
    }
    Ok(stored)
}

async fn record_check(
    state: &AppState,
    workspace: &Workspace,
    domain: &str,
    result: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE domain_challenges SET last_checked_at = $1, last_result = $2 WHERE workspace_id = $3 AND domain = $4",
    )
    .bind(state.now().timestamp())
    .bind(result.chars().take(1000).collect::<String>())
    .bind(&workspace.id)
    .bind(domain)
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// What the published records say about a challenge: `None` when one matches, or the error to show, which names
/// the record to publish.
#[must_use]
pub fn check_records(challenge: &Challenge, records: &[String]) -> Option<String> {
    let (name, want) = (challenge.record_name(), challenge.record_value());
    if records.iter().any(|r| record_matches(r, &want)) {
        return None;
    }
    if records.is_empty() {
        return Some(format!(
            "no TXT record found at {name}; publish a TXT record named {name} with the value {want} at your DNS \
             provider, wait for DNS to propagate (minutes, sometimes hours), then verify again"
        ));
    }
    let shown: Vec<String> = records
        .iter()
        .take(10)
        .map(|r| format!("{:?}", r.chars().take(120).collect::<String>()))
        .collect();
    Some(format!(
        "found TXT records [{}] at {name} but none matches {want}; set the record's value to exactly that (a \
         token of an earlier, removed claim no longer counts) and wait for DNS to propagate",
        shown.join(", ")
    ))
}

/// Checks the DNS record of the workspace's pending claim of `domain`; on a match the domain becomes verified, the
/// challenge goes and an audit row is written. On failure the challenge stays (with the result recorded) and the
/// error says what to publish.
pub async fn verify(state: &AppState, workspace: &Workspace, domain: &str) -> Result<()> {
    let domain = normalise(domain)?;
    let c = challenge(state, &workspace.id, &domain)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "pending domain {domain} (add it on /settings/domains first)"
            ))
        })?;
    // Checked again here: an operator may have moved or verified it meanwhile, and consumer domains never pass.
    crate::consumer_domains::check_claimable(&domain)?;
    match domain_owner(state, &domain).await? {
        Some(owner) if owner == workspace.id => {
            remove_challenge(state, workspace, &domain).await?;
            return Ok(());
        }
        Some(_) => {
            let e = claimed_elsewhere(&domain);
            record_check(state, workspace, &domain, &e.to_string()).await?;
            return Err(e);
        }
        None => {}
    }
    let records = match state.dns.txt(&c.record_name()).await {
        Ok(records) => records,
        Err(e) => {
            record_check(state, workspace, &domain, &e.to_string()).await?;
            return Err(e);
        }
    };
    if let Some(problem) = check_records(&c, &records) {
        record_check(state, workspace, &domain, &problem).await?;
        return Err(Error::Invalid(problem));
    }
    let mut tx = state.pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO domains (domain, workspace_id, verified) VALUES ($1, $2, 1) ON CONFLICT (domain) DO NOTHING",
    )
    .bind(&domain)
    .bind(&workspace.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        drop(tx);
        return Err(claimed_elsewhere(&domain));
    }
    sqlx::query("DELETE FROM domain_challenges WHERE workspace_id = $1 AND domain = $2")
        .bind(&workspace.id)
        .bind(&domain)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    crate::model::invalidate(state);
    crate::web::audit(
        state,
        Some(&workspace.id),
        None,
        "domain-verified",
        &format!("{domain} by DNS TXT record at {}", c.record_name()),
    )
    .await;
    Ok(())
}

/// Withdraws the workspace's pending claim of `domain`; `false` if there was none.
pub async fn remove_challenge(
    state: &AppState,
    workspace: &Workspace,
    domain: &str,
) -> Result<bool> {
    let domain = normalise(domain)?;
    let n = sqlx::query("DELETE FROM domain_challenges WHERE workspace_id = $1 AND domain = $2")
        .bind(&workspace.id)
        .bind(&domain)
        .execute(&state.pool)
        .await?
        .rows_affected();
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(token: &str) -> Challenge {
        Challenge {
            domain: "acme.example".into(),
            token: token.into(),
            created_at: 0,
            last_checked_at: None,
            last_result: None,
        }
    }

    #[test]
    fn the_record_is_named_and_valued_as_documented() {
        let c = challenge("tok_EN-123");
        assert_eq!(c.record_name(), "_gatehouse-challenge.acme.example");
        assert_eq!(c.record_value(), "gatehouse-domain-verification=tok_EN-123");
    }

    #[test]
    fn records_match_exactly_up_to_quotes_and_blanks() {
        let want = "gatehouse-domain-verification=AbC";
        for (published, ok) in [
            ("gatehouse-domain-verification=AbC", true),
            ("\"gatehouse-domain-verification=AbC\"", true),
            ("  gatehouse-domain-verification=AbC\n", true),
            ("gatehouse-domain-verification=abc", false),
            ("gatehouse-domain-verification=AbCd", false),
            ("gatehouse-domain-verification=", false),
            ("AbC", false),
            ("v=spf1 -all", false),
            ("", false),
        ] {
            assert_eq!(record_matches(published, want), ok, "{published:?}");
        }
    }

    #[test]
    fn the_check_says_what_to_publish() {
        let c = challenge("T0K");
        assert_eq!(
            check_records(
                &c,
                &["x".into(), "gatehouse-domain-verification=T0K".into()]
            ),
            None
        );
        let none = check_records(&c, &[]).unwrap_or_default();
        assert!(
            none.starts_with("no TXT record found at _gatehouse-challenge.acme.example;"),
            "{none}"
        );
        assert!(none.contains("gatehouse-domain-verification=T0K"), "{none}");
        let wrong =
            check_records(&c, &["gatehouse-domain-verification=OLD".into()]).unwrap_or_default();
        assert!(
            wrong.starts_with(
                "found TXT records [\"gatehouse-domain-verification=OLD\"] at _gatehouse-challenge.acme.example but none matches gatehouse-domain-verification=T0K"
            ),
            "{wrong}"
        );
    }

    #[test]
    fn typed_domains_are_normalised_or_refused_with_what_to_type() {
        assert_eq!(
            normalise(" Acme.Example ").ok().as_deref(),
            Some("acme.example")
        );
        for bad in [
            "",
            "ada@acme.example",
            "https://acme.example",
            "acme",
            "acme..example",
        ] {
            let e = normalise(bad).map_or_else(|e| e.to_string(), |d| format!("accepted {d}"));
            assert!(e.contains("acme.com"), "{bad:?}: {e}");
        }
    }
}
