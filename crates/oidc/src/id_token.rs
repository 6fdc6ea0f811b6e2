//! ID token validation (OIDC Core §3.1.3.7) into a [`VerifiedIdToken`], the only place claims can be read.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use sha2::Digest as _;

use crate::jws::{self, CompactJws};
use crate::{AccessToken, AuthorizationCode, Error, IdToken, JwksCache, OidcConnection};

const WHAT: &str = "ID token";

/// Where the claim checks read claims from: the full map (userinfo) or the core claims (ID tokens).
pub(crate) trait ClaimSource {
    /// The claim `name`, if present.
    fn claim(&self, name: &str) -> Option<&Value>;
}

impl ClaimSource for Map<String, Value> {
    fn claim(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// The claims the checks read, deserialized without building the whole claims map (the other members are
/// skipped by the parser but still syntax-checked). A repeated core claim is refused as malformed.
#[derive(serde::Deserialize)]
pub(crate) struct CoreClaims {
    iss: Option<Value>,
    sub: Option<Value>,
    aud: Option<Value>,
    azp: Option<Value>,
    exp: Option<Value>,
    iat: Option<Value>,
    nbf: Option<Value>,
    nonce: Option<Value>,
    at_hash: Option<Value>,
    c_hash: Option<Value>,
    auth_time: Option<Value>,
}

impl CoreClaims {
    pub(crate) fn parse(payload: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(payload).map_err(|e| Error::Malformed {
            what: WHAT,
            detail: format!("claims: {e}"),
        })
    }
}

impl ClaimSource for CoreClaims {
    fn claim(&self, name: &str) -> Option<&Value> {
        match name {
            "iss" => self.iss.as_ref(),
            "sub" => self.sub.as_ref(),
            "aud" => self.aud.as_ref(),
            "azp" => self.azp.as_ref(),
            "exp" => self.exp.as_ref(),
            "iat" => self.iat.as_ref(),
            "nbf" => self.nbf.as_ref(),
            "nonce" => self.nonce.as_ref(),
            "at_hash" => self.at_hash.as_ref(),
            "c_hash" => self.c_hash.as_ref(),
            "auth_time" => self.auth_time.as_ref(),
            _ => None,
        }
    }
}

/// The per-login values an ID token is checked against (taken from the [`crate::PendingLogin`] and the
/// token response).
#[derive(Debug, Clone, Copy)]
pub struct IdTokenChecks<'a> {
    /// The `nonce` sent in the authorization request; the token must carry exactly this value.
    pub nonce: &'a str,
    /// The `max_age` sent, if any: `auth_time` is then required and must be recent enough.
    pub max_age_secs: Option<i64>,
    /// The access token from the same token response: checked against `at_hash` when the token has one.
    pub access_token: Option<&'a AccessToken>,
    /// The authorization code: checked against `c_hash` when the token has one.
    pub code: Option<&'a AuthorizationCode>,
}

/// An ID token that passed every check: signature with the key-fixed algorithm, `iss`, `aud`/`azp`,
/// `exp`/`iat`/`nbf`, `nonce`, `at_hash`/`c_hash`, `auth_time`/`max_age`, and `sub`.
///
/// It can only be built by [`VerifiedIdToken::verify`], so holding one means the claims are trustworthy.
#[derive(Debug, Clone)]
pub struct VerifiedIdToken {
    raw: IdToken,
    alg: Algorithm,
    /// The verified claims JSON; the full map is built on first use (validation needs only the core claims).
    payload: Vec<u8>,
    claims: OnceLock<Map<String, Value>>,
    subject: String,
    issuer: String,
    audiences: Vec<String>,
    expires_at: i64,
    issued_at: i64,
    auth_time: Option<i64>,
}

/// Reads a NumericDate claim (integer or finite number of seconds).
pub(crate) fn numeric(
    claims: &impl ClaimSource,
    what: &'static str,
    name: &'static str,
) -> Result<Option<i64>, Error> {
    let Some(value) = claims.claim(name) else {
        return Ok(None);
    };
    let invalid = || Error::InvalidClaim {
        what,
        claim: name,
        detail: "not a NumericDate".to_owned(),
    };
    let Value::Number(number) = value else {
        return Err(invalid());
    };
    if let Some(i) = number.as_i64() {
        return Ok(Some(i));
    }
    match number.as_f64() {
        // Bounded well inside i64 so the cast is exact in range.
        Some(f) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f.floor() as i64)),
        _ => Err(invalid()),
    }
}

/// Reads a required string claim.
pub(crate) fn string<'c>(
    claims: &'c impl ClaimSource,
    what: &'static str,
    name: &'static str,
) -> Result<&'c str, Error> {
    match claims.claim(name) {
        None | Some(Value::Null) => Err(Error::MissingClaim { what, claim: name }),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Error::InvalidClaim {
            what,
            claim: name,
            detail: "not a string".to_owned(),
        }),
    }
}

/// Checks `sub`: present, a non-empty string of at most 255 ASCII characters (OIDC Core §2).
pub(crate) fn subject(claims: &impl ClaimSource, what: &'static str) -> Result<String, Error> {
    let sub = string(claims, what, "sub")?;
    if sub.is_empty() || sub.len() > 255 {
        return Err(Error::InvalidClaim {
            what,
            claim: "sub",
            detail: "empty or longer than 255".to_owned(),
        });
    }
    Ok(sub.to_owned())
}

/// Reads `aud` (a string or a non-empty array of strings).
pub(crate) fn audiences(
    claims: &impl ClaimSource,
    what: &'static str,
) -> Result<Vec<String>, Error> {
    let invalid = |detail: &str| Error::InvalidClaim {
        what,
        claim: "aud",
        detail: detail.to_owned(),
    };
    match claims.claim("aud") {
        None | Some(Value::Null) => Err(Error::MissingClaim { what, claim: "aud" }),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid("array with a non-string"))
            })
            .collect(),
        Some(_) => Err(invalid("not a string or a non-empty array")),
    }
}

/// The left half of the token algorithm's hash of `value`, base64url (OIDC Core §3.1.3.6 / §3.3.2.11).
/// EdDSA with Ed25519 uses SHA-512.
pub(crate) fn half_hash(alg: Algorithm, value: &[u8]) -> String {
    let digest: Vec<u8> = match alg {
        Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 | Algorithm::HS256 => {
            sha2::Sha256::digest(value).to_vec()
        }
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 | Algorithm::HS384 => {
            sha2::Sha384::digest(value).to_vec()
        }
        _ => sha2::Sha512::digest(value).to_vec(),
    };
    let half = digest.get(..digest.len() / 2).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(half)
}

/// Verifies a compact JWS from the provider: picks the key (HMAC keyed by the client secret only when the
/// connection enables it; otherwise from the JWKS, algorithm fixed by the key) and checks the signature.
pub(crate) fn verify_signature(
    what: &'static str,
    jws: &CompactJws<'_>,
    conn: &OidcConnection,
    jwks: &JwksCache,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if jws::is_hmac(jws.alg) {
        if !conn.symmetric_id_tokens {
            return Err(Error::SymmetricNotEnabled {
                alg: format!("{:?}", jws.alg),
            });
        }
        let secret = conn.client_secret.secret().as_bytes();
        let min_bytes = match jws.alg {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            _ => 64,
        };
        if secret.len() < min_bytes {
            return Err(Error::WeakSymmetricKey {
                alg: format!("{:?}", jws.alg),
                min_bytes,
            });
        }
        let key = DecodingKey::from_secret(secret).map_err(|_| Error::BadSignature {
            what,
            alg: format!("{:?}", jws.alg),
            kid: String::new(),
        })?;
        return jws.verify(what, jws.alg, &key);
    }
    let key = jwks.select(jws.kid.as_deref(), jws.alg, now)?;
    jws.verify(what, key.alg, &key.key)
}

impl VerifiedIdToken {
    /// Validates `token` for `conn` at `now`, in this order: size and form, `alg` (never `none`), key
    /// selection and signature, then every claim check. Any failure is an error; nothing is returned half-checked.
    ///
    /// An [`Error::UnknownKeyId`] or [`Error::NoKeyForAlgorithm`] carries a [`crate::RefetchDecision`]: when it is
    /// `Refetch`, fetch the JWKS, [`JwksCache::update`] and call this once more.
    pub fn verify(
        token: IdToken,
        conn: &OidcConnection,
        jwks: &JwksCache,
        checks: &IdTokenChecks<'_>,
        now: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let jws = CompactJws::parse(WHAT, token.secret())?;
        verify_signature(WHAT, &jws, conn, jwks, now)?;
        let claims = CoreClaims::parse(&jws.payload)?;
        let alg = jws.alg;
        let checked = check_claims(&claims, conn, checks, alg, now)?;
        let payload = jws.payload;
        Ok(Self {
            raw: token,
            alg,
            payload,
            ..checked
        })
    }

    /// The compact token as received (for `id_token_hint` at logout).
    #[must_use]
    pub fn raw(&self) -> &IdToken {
        &self.raw
    }

    /// The signature algorithm that verified it.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// `sub`: the user's identifier at this issuer (pair it with [`Self::issuer`] as the account key).
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// `iss` (equal to the connection's issuer).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `aud` (contains the client ID).
    #[must_use]
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// `exp` as Unix seconds.
    #[must_use]
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// `iat` as Unix seconds.
    #[must_use]
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// `auth_time` as Unix seconds, when present.
    #[must_use]
    pub fn auth_time(&self) -> Option<i64> {
        self.auth_time
    }

    /// All claims of the token.
    #[must_use]
    pub fn claims(&self) -> &Map<String, Value> {
        // The payload already parsed as a JSON object with the core claims, so this cannot fail.
        self.claims
            .get_or_init(|| serde_json::from_slice(&self.payload).unwrap_or_default())
    }

    /// One claim by name.
    #[must_use]
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims().get(name)
    }

    /// A string claim by name (`email`, `name`, `preferred_username`…).
    #[must_use]
    pub fn string_claim(&self, name: &str) -> Option<&str> {
        self.claims().get(name).and_then(Value::as_str)
    }
}

/// Every claim check of OIDC Core §3.1.3.7 (the signature is already verified).
fn check_claims(
    claims: &CoreClaims,
    conn: &OidcConnection,
    checks: &IdTokenChecks<'_>,
    alg: Algorithm,
    now: DateTime<Utc>,
) -> Result<VerifiedIdToken, Error> {
    let now = now.timestamp();
    let leeway = conn.leeway_secs.max(0);

    let issuer = string(claims, WHAT, "iss")?;
    if issuer != conn.issuer.as_str() {
        return Err(Error::IssuerMismatch {
            what: WHAT,
            expected: conn.issuer.as_str().to_owned(),
            received: issuer.to_owned(),
        });
    }

    let audiences = audiences(claims, WHAT)?;
    if !audiences.contains(&conn.client_id) {
        return Err(Error::AudienceMismatch {
            expected: conn.client_id.clone(),
            received: audiences,
        });
    }
    if let Some(untrusted) = audiences
        .iter()
        .find(|a| **a != conn.client_id && !conn.trusted_audiences.contains(a))
    {
        return Err(Error::UntrustedAudience {
            audience: untrusted.clone(),
        });
    }
    match claims.claim("azp") {
        None | Some(Value::Null) if audiences.len() > 1 => {
            return Err(Error::AzpMissing { audiences });
        }
        None | Some(Value::Null) => {}
        Some(Value::String(azp)) if *azp == conn.client_id => {}
        Some(Value::String(azp)) => {
            return Err(Error::AzpMismatch {
                expected: conn.client_id.clone(),
                received: azp.clone(),
            });
        }
        Some(_) => {
            return Err(Error::InvalidClaim {
                what: WHAT,
                claim: "azp",
                detail: "not a string".to_owned(),
            });
        }
    }

    let exp = numeric(claims, WHAT, "exp")?.ok_or(Error::MissingClaim {
        what: WHAT,
        claim: "exp",
    })?;
    if now >= exp.saturating_add(leeway) {
        return Err(Error::Expired {
            exp,
            now,
            leeway_secs: leeway,
        });
    }
    let iat = numeric(claims, WHAT, "iat")?.ok_or(Error::MissingClaim {
        what: WHAT,
        claim: "iat",
    })?;
    if iat > now.saturating_add(leeway) {
        return Err(Error::IssuedInFuture { iat, now });
    }
    let max_age = conn.max_id_token_age_secs.max(0);
    if now.saturating_sub(iat) > max_age.saturating_add(leeway) {
        return Err(Error::IssuedTooLongAgo {
            iat,
            now,
            max_age_secs: max_age,
        });
    }
    if let Some(nbf) = numeric(claims, WHAT, "nbf")?
        && nbf > now.saturating_add(leeway)
    {
        return Err(Error::NotYetValid { nbf, now });
    }

    let nonce = string(claims, WHAT, "nonce")?;
    if checks.nonce.is_empty() || nonce != checks.nonce {
        return Err(Error::NonceMismatch);
    }

    if let Some(at_hash) = claims.claim("at_hash") {
        let at_hash = at_hash.as_str().ok_or(Error::AtHashMismatch)?;
        if let Some(access_token) = checks.access_token
            && half_hash(alg, access_token.secret().as_bytes()) != at_hash
        {
            return Err(Error::AtHashMismatch);
        }
    }
    if let Some(c_hash) = claims.claim("c_hash") {
        let c_hash = c_hash.as_str().ok_or(Error::CHashMismatch)?;
        if let Some(code) = checks.code
            && half_hash(alg, code.secret().as_bytes()) != c_hash
        {
            return Err(Error::CHashMismatch);
        }
    }

    let auth_time = numeric(claims, WHAT, "auth_time")?;
    if let Some(max_age_secs) = checks.max_age_secs {
        let auth_time = auth_time.ok_or(Error::MissingClaim {
            what: WHAT,
            claim: "auth_time",
        })?;
        if now
            > auth_time
                .saturating_add(max_age_secs)
                .saturating_add(leeway)
        {
            return Err(Error::AuthTooOld {
                auth_time,
                max_age_secs,
                now,
            });
        }
    }

    let subject = subject(claims, WHAT)?;
    Ok(VerifiedIdToken {
        raw: IdToken::new(String::new()),
        alg,
        payload: Vec::new(),
        claims: OnceLock::new(),
        subject,
        issuer: issuer.to_owned(),
        audiences,
        expires_at: exp,
        issued_at: iat,
        auth_time,
    })
}

/// Runs the claim checks alone (as if the signature had verified), for the fuzz target.
#[doc(hidden)]
pub(crate) fn fuzz_claims(
    payload: &[u8],
    conn: &OidcConnection,
    checks: &IdTokenChecks<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let claims = CoreClaims::parse(payload)?;
    check_claims(&claims, conn, checks, Algorithm::RS256, now).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_hash_matches_the_oidc_core_examples() {
        // OIDC Core Appendix A.3 (at_hash) and A.4 (c_hash), both RS256.
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                b"jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                b"Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
            ),
            "LDktKdoQak3Pk0cnXxCltA"
        );
        // Lengths: half of SHA-384 (24 bytes → 32 chars) and SHA-512 (32 bytes → 43 chars).
        assert_eq!(half_hash(Algorithm::ES384, b"x").len(), 32);
        assert_eq!(half_hash(Algorithm::EdDSA, b"x").len(), 43);
    }

    #[test]
    fn repeated_core_claims_are_malformed() {
        // Two parsers picking different duplicates is a classic confusion; refuse them outright.
        assert!(CoreClaims::parse(br#"{"sub":"alice","sub":"mallory"}"#).is_err());
        assert!(CoreClaims::parse(br#"{"sub":"alice","custom":1,"custom":2}"#).is_ok());
        assert!(CoreClaims::parse(br#"["not", "an", "object"]"#).is_err());
    }

    #[test]
    fn numeric_dates_accept_integers_and_finite_numbers_only() {
        let claims: Map<String, Value> = serde_json::from_str(
            r#"{"a": 1800000000, "b": 1800000000.9, "c": "1800000000", "d": 1e300, "e": -5}"#,
        )
        .map_err(|e| e.to_string())
        .unwrap_or_default();
        assert_eq!(numeric(&claims, "t", "a"), Ok(Some(1_800_000_000)));
        assert_eq!(numeric(&claims, "t", "b"), Ok(Some(1_800_000_000)));
        assert!(numeric(&claims, "t", "c").is_err());
        assert!(numeric(&claims, "t", "d").is_err());
        assert_eq!(numeric(&claims, "t", "e"), Ok(Some(-5)));
        assert_eq!(numeric(&claims, "t", "z"), Ok(None));
    }
}
