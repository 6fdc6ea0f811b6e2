//! The provider's signing keys (JWKS) as a cache value the caller owns.
//!
//! Each key fixes its own algorithm from `kty`/`crv`/`alg` at parse time; a token's header `alg` must then
//! equal it. Symmetric (`oct`) keys in a JWKS are never trusted, keys for encryption are skipped, RSA keys
//! below 2048 bits are refused. An unknown `kid` yields a refetch decision, at most once per cooldown.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::Error;

/// Largest JWKS document accepted.
pub(crate) const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Lifetime of a JWKS when the response has no `Cache-Control: max-age` (one hour).
pub(crate) const DEFAULT_MAX_AGE_SECS: i64 = 3600;
/// Upper bound on a `max-age` honoured (one day), so a rotated-out key cannot stay trusted for longer.
pub(crate) const MAX_MAX_AGE_SECS: i64 = 86_400;
/// Default minimum interval between refetches triggered by unknown key ids.
pub(crate) const DEFAULT_REFETCH_COOLDOWN_SECS: i64 = 60;

/// Whether the caller should fetch the JWKS again now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefetchDecision {
    /// Fetch `jwks_uri` now and [`JwksCache::update`] the cache, then verify again once.
    Refetch,
    /// A fetch happened less than the cooldown ago: do not refetch (no refetch storms); the token fails.
    CoolingDown {
        /// Seconds until a refetch is allowed.
        retry_after_secs: i64,
    },
}

/// One verification key with the algorithm it is fixed to.
#[derive(Clone)]
pub(crate) struct VerifyKey {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Algorithm,
    pub(crate) key: DecodingKey,
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// The provider's verification keys plus when they were fetched and until when they are fresh.
///
/// Store it next to the connection (it is `Clone + Send + Sync`) and pass it to ID token validation. The
/// cache never fetches by itself: [`JwksCache::needs_refresh`] and the [`RefetchDecision`] in
/// [`Error::UnknownKeyId`] tell the caller when to fetch; [`JwksCache::update`] records every fetch, failed
/// or not, so the cooldown also limits retries against a failing endpoint.
#[derive(Debug, Clone)]
pub struct JwksCache {
    keys: Vec<VerifyKey>,
    last_fetch: Option<DateTime<Utc>>,
    fresh_until: Option<DateTime<Utc>>,
    cooldown: TimeDelta,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawKey {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

impl JwksCache {
    /// An empty cache for `conn` (its [`crate::OidcConnection::jwks_refetch_cooldown_secs`]).
    #[must_use]
    pub fn for_connection(conn: &crate::OidcConnection) -> Self {
        Self::new(conn.jwks_refetch_cooldown_secs)
    }

    /// An empty cache: the first decision is to fetch. The cooldown is clamped to 0..=86 400 seconds.
    #[must_use]
    pub fn new(refetch_cooldown_secs: i64) -> Self {
        Self {
            keys: Vec::new(),
            last_fetch: None,
            fresh_until: None,
            cooldown: TimeDelta::try_seconds(refetch_cooldown_secs.clamp(0, MAX_MAX_AGE_SECS))
                .unwrap_or_default(),
        }
    }

    /// Number of usable keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no usable key is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key ids held (keys without `kid` are listed as `None`).
    pub fn key_ids(&self) -> impl Iterator<Item = Option<&str>> {
        self.keys.iter().map(|k| k.kid.as_deref())
    }

    /// Records a fetch of `jwks_uri` at `now`: `body` is the response body and `cache_control` its
    /// `Cache-Control` header. On success the keys are replaced; on error the old keys stay, and the attempt
    /// still counts for the cooldown.
    pub fn update(
        &mut self,
        body: &[u8],
        cache_control: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.last_fetch = Some(now);
        let keys = parse_jwks(body)?;
        let max_age = cache_control.map_or(DEFAULT_MAX_AGE_SECS, max_age_secs);
        let lifetime = TimeDelta::try_seconds(max_age).unwrap_or_default();
        self.fresh_until = Some(now.checked_add_signed(lifetime).unwrap_or(now));
        tracing::debug!(keys = keys.len(), max_age, "JWKS updated");
        self.keys = keys;
        Ok(())
    }

    /// Records a failed fetch (transport error, bad status) so the cooldown applies to retries.
    pub fn record_failed_fetch(&mut self, now: DateTime<Utc>) {
        self.last_fetch = Some(now);
    }

    /// Whether a fetch is allowed now by the cooldown.
    #[must_use]
    pub fn refetch_decision(&self, now: DateTime<Utc>) -> RefetchDecision {
        match self.last_fetch {
            Some(last)
                if last
                    .checked_add_signed(self.cooldown)
                    .is_none_or(|end| now < end) =>
            {
                RefetchDecision::CoolingDown {
                    retry_after_secs: last
                        .checked_add_signed(self.cooldown)
                        .map_or(i64::MAX, |end| (end - now).num_seconds())
                        .max(1),
                }
            }
            _ => RefetchDecision::Refetch,
        }
    }

    /// True when the keys' `max-age` has passed (or they were never fetched) and the cooldown allows a
    /// fetch: the caller should refresh before verifying. Stale keys still verify meanwhile.
    #[must_use]
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        let stale = self.fresh_until.is_none_or(|until| now >= until);
        stale && self.refetch_decision(now) == RefetchDecision::Refetch
    }

    /// Picks the one key that may verify a token with header `alg` and `kid`.
    ///
    /// With a `kid`: the keys with that `kid`; none → unknown kid (refetch decision); one whose algorithm is not
    /// `alg` → mismatch; several fitting → ambiguous. Without a `kid`: exactly one key whose algorithm is
    /// `alg`, else no key (refetch decision) or ambiguous.
    pub(crate) fn select(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        now: DateTime<Utc>,
    ) -> Result<&VerifyKey, Error> {
        let alg_name = || format!("{alg:?}");
        match kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid))
                    .peekable();
                let Some(first) = named.peek().copied() else {
                    return Err(Error::UnknownKeyId {
                        kid: kid.to_owned(),
                        refetch: self.refetch_decision(now),
                    });
                };
                let fitting: Vec<&VerifyKey> = named.filter(|k| k.alg == alg).collect();
                match fitting.as_slice() {
                    [one] => Ok(one),
                    [] => Err(Error::AlgorithmMismatch {
                        kid: kid.to_owned(),
                        key_alg: format!("{:?}", first.alg),
                        header_alg: alg_name(),
                    }),
                    many => Err(Error::AmbiguousKey {
                        alg: alg_name(),
                        candidates: many.len(),
                    }),
                }
            }
            None => {
                let fitting: Vec<&VerifyKey> = self.keys.iter().filter(|k| k.alg == alg).collect();
                match fitting.as_slice() {
                    [one] => Ok(one),
                    [] => Err(Error::NoKeyForAlgorithm {
                        alg: alg_name(),
                        refetch: self.refetch_decision(now),
                    }),
                    many => Err(Error::AmbiguousKey {
                        alg: alg_name(),
                        candidates: many.len(),
                    }),
                }
            }
        }
    }
}

/// `max-age` from a `Cache-Control` value: `no-cache`/`no-store` → 0, absent → the default, clamped to a day.
#[must_use]
pub fn max_age_secs(cache_control: &str) -> i64 {
    let mut max_age = None;
    for directive in cache_control.split(',') {
        let directive = directive.trim().to_ascii_lowercase();
        if directive == "no-cache" || directive == "no-store" {
            return 0;
        }
        if let Some(value) = directive.strip_prefix("max-age=") {
            max_age = value.trim_matches('"').parse::<i64>().ok();
        }
    }
    max_age
        .unwrap_or(DEFAULT_MAX_AGE_SECS)
        .clamp(0, MAX_MAX_AGE_SECS)
}

/// Parses a JWKS into usable verification keys; unusable keys are skipped (and logged), none usable is an error.
pub(crate) fn parse_jwks(body: &[u8]) -> Result<Vec<VerifyKey>, Error> {
    if body.len() > MAX_JWKS_BYTES {
        return Err(Error::TooLarge {
            what: "JWKS",
            limit: MAX_JWKS_BYTES,
            got: body.len(),
        });
    }
    let set: RawSet = serde_json::from_slice(body).map_err(|e| Error::Malformed {
        what: "JWKS",
        detail: e.to_string(),
    })?;
    let mut keys = Vec::with_capacity(set.keys.len());
    for value in set.keys {
        let parsed = serde_json::from_value::<RawKey>(value)
            .map_err(|e| e.to_string())
            .and_then(|raw| parse_key(&raw).map_err(str::to_owned));
        match parsed {
            Ok(key) => keys.push(key),
            Err(reason) => tracing::warn!(%reason, "JWKS key skipped"),
        }
    }
    if keys.is_empty() {
        return Err(Error::NoUsableKeys);
    }
    Ok(keys)
}

fn b64(field: &Option<String>) -> Result<Vec<u8>, &'static str> {
    let text = field.as_deref().ok_or("missing key component")?;
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| "key component is not base64url")
}

fn parse_key(raw: &RawKey) -> Result<VerifyKey, &'static str> {
    if raw.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err("key is not for signatures (use)");
    }
    if let Some(ops) = &raw.key_ops
        && !ops.iter().any(|op| op == "verify")
    {
        return Err("key_ops does not allow verify");
    }
    let alg = raw.alg.as_deref();
    let (alg, key) = match raw.kty.as_str() {
        "RSA" => {
            let alg = match alg {
                None | Some("RS256") => Algorithm::RS256,
                Some("RS384") => Algorithm::RS384,
                Some("RS512") => Algorithm::RS512,
                Some("PS256") => Algorithm::PS256,
                Some("PS384") => Algorithm::PS384,
                Some("PS512") => Algorithm::PS512,
                Some(_) => return Err("RSA key with a non-RSA alg"),
            };
            let n = b64(&raw.n)?;
            let e = b64(&raw.e)?;
            let n = strip_leading_zeros(&n);
            let e = strip_leading_zeros(&e);
            let bits =
                (n.len() * 8).saturating_sub(n.first().map_or(8, |b| b.leading_zeros() as usize));
            if !(2048..=8192).contains(&bits) {
                return Err("RSA modulus outside 2048..=8192 bits");
            }
            if e.len() > 4 || e.last().is_none_or(|b| b & 1 == 0) || e == [1] {
                return Err("RSA public exponent unusable");
            }
            (alg, DecodingKey::from_rsa_raw_components(n, e))
        }
        "EC" => {
            let (alg, size) = match (raw.crv.as_deref(), alg) {
                (Some("P-256"), None | Some("ES256")) => (Algorithm::ES256, 32),
                (Some("P-384"), None | Some("ES384")) => (Algorithm::ES384, 48),
                _ => return Err("EC key with unsupported crv or mismatched alg"),
            };
            let x = b64(&raw.x)?;
            let y = b64(&raw.y)?;
            if x.len() != size || y.len() != size {
                return Err("EC coordinate of the wrong length");
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (alg, DecodingKey::from_ec_der(&point))
        }
        "OKP" => {
            match (raw.crv.as_deref(), alg) {
                (Some("Ed25519"), None | Some("EdDSA") | Some("Ed25519")) => {}
                _ => return Err("OKP key with unsupported crv or mismatched alg"),
            }
            let x = b64(&raw.x)?;
            if x.len() != 32 {
                return Err("Ed25519 key of the wrong length");
            }
            (Algorithm::EdDSA, DecodingKey::from_ed_der(&x))
        }
        "oct" => return Err("symmetric keys in a JWKS are never trusted"),
        _ => return Err("unsupported kty"),
    };
    Ok(VerifyKey {
        kid: raw.kid.clone(),
        alg,
        key,
    })
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}
