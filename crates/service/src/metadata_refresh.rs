//! Scheduled refetch of IdP metadata: a SAML connection created from a metadata URL keeps that URL (table
//! `metadata_sources`, [`record_source`]); [`refresh_due`] — run every few minutes by
//! [`crate::spawn_metadata_refresh`] — fetches the sources that are due (each once per [`REFRESH_INTERVAL_SECS`],
//! sooner after a failure: [`RETRY_SECS`]), compares the published metadata with the connection's stored settings
//! and applies what is safe to apply.
//!
//! # Policy
//! - **A new signing certificate** in the metadata is **added** to the pinned set. IdPs (Okta, Entra ID) publish the
//!   next certificate ahead of a rotation, so when they switch, responses signed with it are already trusted: a
//!   rotation without downtime and without an admin.
//! - **A pinned certificate no longer in the metadata** is **removed only if at least one other pinned certificate
//!   is still published** (so the remaining set still holds a key the IdP vouches for today).
//! - **Metadata that shares no certificate with the pinned set** (every key replaced at once, or the URL now serves
//!   another IdP's document) is **not applied at all**, only reported: nothing in it is tied to the IdP the
//!   connection trusts, and adding its key first would make the removal of the old ones look safe on the next run.
//!   An admin adds the new certificate on `/settings/sso` after checking its fingerprint in the IdP's console.
//! - **A changed SSO URL** (and its binding) is applied: it says where requests go, not whom to trust.
//! - **A changed entity ID** is **not applied, and nothing else from that document is either**: a new entity ID
//!   usually means another IdP app, so the difference is only reported (`last_change`, audit). If it is intended,
//!   the admin re-creates the connection from the new metadata.
//! - **A failure** (fetch, HTTP status, unparseable or expired metadata) is recorded in `last_error` and the
//!   stored configuration is left exactly as it was; the source is retried after [`RETRY_SECS`].
//!
//! The metadata stays the source of certificates while the source is recorded: a certificate an admin removes by
//! hand while the metadata still publishes it comes back on the next refresh. To pin by hand, stop the refetch
//! ([`forget_source`]).
//!
//! Every applied change and every new report is written to `last_change`/`last_change_at` and audited
//! (`metadata-updated`, `metadata-change-held`; a new failure as `metadata-refresh-failed`). The write of the
//! connection's settings is a compare-and-swap on the settings read, so an admin's edit made during a fetch is
//! never overwritten (the refresh retries on the next run). Several instances sharing the database claim a due
//! source by moving its `next_fetch_at` first, so only one of them fetches it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use gatehouse_saml::IdentityProvider;
use gatehouse_xml::PinnedKeys;
use sqlx::Row as _;

use crate::AppState;
use crate::error::{Error, Result};
use crate::model;

/// How often a metadata URL is fetched: once a day.
pub const REFRESH_INTERVAL_SECS: i64 = 24 * 3600;

/// How soon a failed fetch is retried.
pub const RETRY_SECS: i64 = 3600;

/// Sources refreshed per [`refresh_due`] run (the rest wait for the next run).
pub const BATCH: i64 = 50;

/// What `/settings/sso` shows about a connection's metadata URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataStatus {
    /// The metadata URL.
    pub url: String,
    /// The last successful fetch (Unix seconds).
    pub fetched_at: Option<i64>,
    /// The next scheduled fetch (Unix seconds).
    pub next_fetch_at: i64,
    /// Why the last fetch failed, when it did (cleared by a successful one).
    pub last_error: Option<String>,
    /// The last change applied or held back.
    pub last_change: Option<String>,
    /// When [`Self::last_change`] happened (Unix seconds).
    pub last_change_at: Option<i64>,
}

/// Remembers that connection `connection_id` was created from metadata at `url`, fetched now; the first refetch
/// is due in [`REFRESH_INTERVAL_SECS`]. Replaces an earlier URL of the connection.
pub async fn record_source(state: &AppState, connection_id: &str, url: &str) -> Result<()> {
    let now = state.now().timestamp();
    sqlx::query(
        "INSERT INTO metadata_sources (connection_id, url, fetched_at, next_fetch_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (connection_id) DO UPDATE SET url = excluded.url, fetched_at = excluded.fetched_at, \
         next_fetch_at = excluded.next_fetch_at, last_error = NULL",
    )
    .bind(connection_id)
    .bind(url.trim())
    .bind(now)
    .bind(now + REFRESH_INTERVAL_SECS)
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// Stops refetching a connection's metadata (the connection stays as it is).
pub async fn forget_source(state: &AppState, connection_id: &str) -> Result<bool> {
    Ok(
        sqlx::query("DELETE FROM metadata_sources WHERE connection_id = $1")
            .bind(connection_id)
            .execute(&state.pool)
            .await?
            .rows_affected()
            > 0,
    )
}

fn status_from_row(r: &sqlx::any::AnyRow) -> Result<MetadataStatus> {
    Ok(MetadataStatus {
        url: r.try_get("url")?,
        fetched_at: r.try_get("fetched_at")?,
        next_fetch_at: r.try_get("next_fetch_at")?,
        last_error: r.try_get("last_error")?,
        last_change: r.try_get("last_change")?,
        last_change_at: r.try_get("last_change_at")?,
    })
}

/// The metadata source of a connection, or `None` when it was not created from a URL.
pub async fn metadata_status(
    state: &AppState,
    connection_id: &str,
) -> Result<Option<MetadataStatus>> {
    sqlx::query("SELECT * FROM metadata_sources WHERE connection_id = $1")
        .bind(connection_id)
        .fetch_optional(&state.pool)
        .await?
        .as_ref()
        .map(status_from_row)
        .transpose()
}

/// What comparing the stored IdP settings with freshly published metadata decided ([`reconcile`]).
#[derive(Debug, Clone)]
pub struct Reconciliation {
    /// The IdP settings to store (equal to the stored ones when nothing is applied).
    pub idp: IdentityProvider,
    /// What was applied, in words.
    pub applied: Vec<String>,
    /// What differs but was not applied, in words.
    pub held: Vec<String>,
}

impl Reconciliation {
    /// Nothing applied, nothing held: the metadata matches the connection.
    #[must_use]
    pub fn is_unchanged(&self) -> bool {
        self.applied.is_empty() && self.held.is_empty()
    }

    /// One line for `last_change` and the audit log.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut parts = self.applied.clone();
        parts.extend(self.held.iter().map(|h| format!("not applied: {h}")));
        parts.join("; ")
    }
}

fn fingerprints(keys: &PinnedKeys) -> BTreeSet<String> {
    keys.keys().iter().map(|k| k.fingerprint_hex()).collect()
}

/// Applies the [module policy](self) to `stored` given the `published` IdP settings. Pure: no clock, no storage.
#[must_use]
pub fn reconcile(stored: &IdentityProvider, published: &IdentityProvider) -> Reconciliation {
    let mut out = Reconciliation {
        idp: stored.clone(),
        applied: Vec::new(),
        held: Vec::new(),
    };
    if published.entity_id != stored.entity_id {
        out.held.push(format!(
            "the metadata's entity ID is {:?} but the connection expects {:?}; nothing from this metadata was \
             applied — if the IdP app really changed, re-create the connection from its new metadata",
            published.entity_id, stored.entity_id
        ));
        return out;
    }
    let pinned = fingerprints(&stored.certificates);
    let offered = fingerprints(&published.certificates);
    if pinned.intersection(&offered).next().is_none() {
        out.held.push(format!(
            "the metadata publishes certificates [{}] and none of the pinned ones [{}]; nothing from this metadata              was applied — if the IdP replaced all its keys at once, add the new certificate on /settings/sso              after checking its fingerprint in the IdP's admin console",
            offered.iter().cloned().collect::<Vec<_>>().join(", "),
            pinned.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
        return out;
    }
    let mut keys = PinnedKeys::new();
    for k in stored.certificates.keys() {
        let fp = k.fingerprint_hex();
        if offered.contains(&fp) {
            keys.push(k.clone());
        } else {
            out.applied.push(format!(
                "removed certificate {fp} (no longer in the metadata)"
            ));
        }
    }
    for k in published.certificates.keys() {
        let fp = k.fingerprint_hex();
        if !pinned.contains(&fp) {
            keys.push(k.clone());
            out.applied.push(format!(
                "added certificate {fp} ({}, valid until {})",
                k.subject(),
                DateTime::from_timestamp(k.not_after_unix(), 0)
                    .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
            ));
        }
    }
    out.idp.certificates = keys;
    if published.sso_url != stored.sso_url || published.sso_binding != stored.sso_binding {
        out.applied.push(format!(
            "SSO URL changed from {} to {}",
            stored.sso_url, published.sso_url
        ));
        out.idp.sso_url.clone_from(&published.sso_url);
        out.idp.sso_binding = published.sso_binding;
    }
    out
}

/// Refreshes every source due at `now` (at most [`BATCH`]); returns how many were fetched. Errors of one source are
/// recorded on it and do not stop the others.
pub async fn refresh_due(state: &AppState, now: DateTime<Utc>) -> Result<usize> {
    let t = now.timestamp();
    let due = sqlx::query(
        "SELECT connection_id, next_fetch_at FROM metadata_sources WHERE next_fetch_at <= $1 \
         ORDER BY next_fetch_at LIMIT $2",
    )
    .bind(t)
    .bind(BATCH)
    .fetch_all(&state.pool)
    .await?;
    let mut done = 0;
    for row in due {
        let id: String = row.try_get("connection_id")?;
        let next: i64 = row.try_get("next_fetch_at")?;
        // Claim it: another instance that read the same row finds next_fetch_at moved and skips it.
        let claimed = sqlx::query(
            "UPDATE metadata_sources SET next_fetch_at = $1 WHERE connection_id = $2 AND next_fetch_at = $3",
        )
        .bind(t + RETRY_SECS)
        .bind(&id)
        .bind(next)
        .execute(&state.pool)
        .await?
        .rows_affected();
        if claimed == 1 {
            refresh_one(state, &id, now).await?;
            done += 1;
        }
    }
    Ok(done)
}

/// Refetches one connection's metadata now (the settings page's button); `None` if it has no metadata URL.
pub async fn refresh_now(state: &AppState, connection_id: &str) -> Result<Option<MetadataStatus>> {
    if metadata_status(state, connection_id).await?.is_none() {
        return Ok(None);
    }
    refresh_one(state, connection_id, state.now()).await?;
    metadata_status(state, connection_id).await
}

async fn connection_by_id(state: &AppState, id: &str) -> Result<Option<model::Connection>> {
    let name: Option<String> = sqlx::query("SELECT name FROM connections WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.pool)
        .await?
        .map(|r| r.try_get("name"))
        .transpose()?;
    match name {
        Some(name) => model::connection_by_name(state, &name).await,
        None => Ok(None),
    }
}

/// Fetches, compares, applies and records one source. Only storage errors are returned; fetch and parse errors
/// land in `last_error`.
async fn refresh_one(state: &AppState, connection_id: &str, now: DateTime<Utc>) -> Result<()> {
    let Some(status) = metadata_status(state, connection_id).await? else {
        return Ok(());
    };
    let Some(conn) = connection_by_id(state, connection_id).await? else {
        return Ok(());
    };
    let t = now.timestamp();
    let outcome = async {
        if conn.kind != model::Kind::Saml {
            return Err(Error::Invalid(
                "only SAML connections have IdP metadata".into(),
            ));
        }
        let mut stored = conn.saml_settings()?;
        let xml = crate::settings::fetch_metadata(state, &status.url).await?;
        let published = crate::settings::saml_settings_from_metadata(
            &xml,
            now,
            stored.idp.policy.allow_unsolicited,
        )?;
        let plan = reconcile(&stored.idp, &published.idp);
        if !plan.applied.is_empty() {
            stored.idp = plan.idp.clone();
            let json =
                serde_json::to_string(&stored).map_err(|e| Error::Internal(e.to_string()))?;
            let swapped = sqlx::query(
                "UPDATE connections SET config = $1 WHERE id = $2 AND config = $3",
            )
            .bind(&json)
            .bind(&conn.id)
            .bind(&conn.config)
            .execute(&state.pool)
            .await?
            .rows_affected();
            model::invalidate(state);
            if swapped == 0 {
                return Err(Error::Invalid(
                    "the connection was edited while its metadata was being fetched; refreshing again later"
                        .into(),
                ));
            }
        }
        Ok(plan)
    }
    .await;
    match outcome {
        Ok(plan) => {
            let summary = plan.summary();
            let report = !plan.is_unchanged()
                && (!plan.applied.is_empty() || status.last_change.as_deref() != Some(&summary));
            sqlx::query(
                "UPDATE metadata_sources SET fetched_at = $1, next_fetch_at = $2, last_error = NULL WHERE connection_id = $3",
            )
            .bind(t)
            .bind(t + REFRESH_INTERVAL_SECS)
            .bind(connection_id)
            .execute(&state.pool)
            .await?;
            if report {
                sqlx::query(
                    "UPDATE metadata_sources SET last_change = $1, last_change_at = $2 WHERE connection_id = $3",
                )
                .bind(summary.chars().take(2000).collect::<String>())
                .bind(t)
                .bind(connection_id)
                .execute(&state.pool)
                .await?;
                let outcome = if plan.applied.is_empty() {
                    "metadata-change-held"
                } else {
                    "metadata-updated"
                };
                crate::web::audit(
                    state,
                    Some(&conn.workspace_id),
                    Some(&conn.name),
                    outcome,
                    &summary,
                )
                .await;
            }
        }
        Err(Error::Database(e)) => return Err(Error::Database(e)),
        Err(e) => {
            let message = e.to_string();
            sqlx::query(
                "UPDATE metadata_sources SET next_fetch_at = $1, last_error = $2 WHERE connection_id = $3",
            )
            .bind(t + RETRY_SECS)
            .bind(message.chars().take(1000).collect::<String>())
            .bind(connection_id)
            .execute(&state.pool)
            .await?;
            if status.last_error.as_deref() != Some(message.as_str()) {
                crate::web::audit(
                    state,
                    Some(&conn.workspace_id),
                    Some(&conn.name),
                    "metadata-refresh-failed",
                    &format!("{}: {message}", status.url),
                )
                .await;
            }
            tracing::warn!(connection = %conn.name, url = %status.url, error = %message, "IdP metadata refresh failed");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::collections::BTreeSet;

    use super::reconcile;

    fn idp(entity: &str, sso: &str, certs: &[&str]) -> gatehouse_saml::IdentityProvider {
        let keys: String = certs
            .iter()
            .map(|pem| {
                let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
                format!(
                    "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}\
                     </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
                )
            })
            .collect();
        let xml = format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
             xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{entity}\"><md:IDPSSODescriptor \
             protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">{keys}<md:SingleSignOnService \
             Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{sso}\"/>\
             </md:IDPSSODescriptor></md:EntityDescriptor>"
        );
        crate::settings::saml_settings_from_metadata(xml.as_bytes(), chrono::Utc::now(), false)
            .unwrap()
            .idp
    }

    fn fps(idp: &gatehouse_saml::IdentityProvider) -> BTreeSet<String> {
        idp.certificates
            .keys()
            .iter()
            .map(|k| k.fingerprint_hex())
            .collect()
    }

    /// Every combination of pinned and published subsets of four certificates, with and without a new entity ID
    /// and SSO URL, against the policy written as set algebra: with the same entity ID and at least one pinned
    /// certificate still published, the pinned set becomes exactly the published one; otherwise nothing changes.
    #[test]
    fn reconcile_follows_the_policy_for_every_combination() {
        let pems: Vec<String> = (0..4)
            .map(|i| {
                crate::crypto::generate_rsa_cert(&format!("k{i}"))
                    .unwrap()
                    .cert_pem
            })
            .collect();
        let subset = |mask: usize| -> Vec<&str> {
            (0..4)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| pems[i].as_str())
                .collect()
        };
        let (e1, e2) = ("https://idp.example/e1", "https://idp.example/e2");
        let (s1, s2) = ("https://idp.example/sso", "https://idp.example/sso2");
        for stored_mask in 1..16 {
            let stored = idp(e1, s1, &subset(stored_mask));
            for published_mask in 1..16 {
                for (entity, sso) in [(e1, s1), (e1, s2), (e2, s1), (e2, s2)] {
                    let published = idp(entity, sso, &subset(published_mask));
                    let r = reconcile(&stored, &published);
                    let (p, o) = (fps(&stored), fps(&published));
                    let case = format!("{stored_mask:04b} {published_mask:04b} {entity} {sso}");
                    let safe = entity == e1 && p.intersection(&o).next().is_some();
                    assert_eq!(r.idp.entity_id, e1, "{case}");
                    if safe {
                        assert_eq!(fps(&r.idp), o, "{case}");
                        assert_eq!(r.idp.sso_url, sso, "{case}");
                        assert!(r.held.is_empty(), "{case}");
                        assert_eq!(r.applied.is_empty(), p == o && sso == s1, "{case}");
                        let added = o.difference(&p).count();
                        let removed = p.difference(&o).count();
                        assert_eq!(
                            r.applied.len(),
                            added + removed + usize::from(sso != s1),
                            "{case}"
                        );
                    } else {
                        assert_eq!(fps(&r.idp), p, "{case}");
                        assert_eq!(r.idp.sso_url, s1, "{case}");
                        assert!(r.applied.is_empty(), "{case}");
                        assert_eq!(r.held.len(), 1, "{case}");
                        assert!(r.summary().starts_with("not applied: "), "{case}");
                    }
                    assert!(
                        !r.idp.certificates.is_empty(),
                        "{case}: never left without a key"
                    );
                }
            }
        }
    }
}
