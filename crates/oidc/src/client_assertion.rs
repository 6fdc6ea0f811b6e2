//! `private_key_jwt` client authentication (OIDC Core §9, RFC 7523): a short-lived JWT signed with the client's
//! private key instead of a shared secret.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;

use crate::Error;

/// The client's signing key for `private_key_jwt`; register its public half (JWK) in the IdP app. `Debug` prints
/// `[redacted]`.
#[derive(Clone)]
pub struct ClientAssertionKey {
    alg: Algorithm,
    kid: Option<String>,
    key: EncodingKey,
}

impl std::fmt::Debug for ClientAssertionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAssertionKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl ClientAssertionKey {
    /// A PEM private key (PKCS#8, or PKCS#1 for RSA) for `alg` (RS256/384/512, PS256/384/512, ES256/384, EdDSA),
    /// announced with `kid` when given.
    pub fn from_pem(pem: &[u8], alg: Algorithm, kid: Option<&str>) -> Result<Self, Error> {
        let bad = |reason: &'static str| Error::InvalidClientKey { reason };
        let key = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => EncodingKey::from_rsa_pem(pem),
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem),
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem),
            _ => return Err(bad("private_key_jwt needs an asymmetric algorithm")),
        }
        .map_err(|_| bad("not a PEM private key of that type"))?;
        let this = Self {
            alg,
            kid: kid.map(str::to_owned),
            key,
        };
        // Sign once so a key that does not fit the algorithm fails at configuration time, not at login.
        this.sign(b"probe.probe").map(|_| this)
    }

    /// The algorithm the assertions are signed with.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let bad = || Error::InvalidClientKey {
            reason: "signing with the client key failed",
        };
        let signer =
            (crate::jws::provider().signer_factory)(&self.alg, &self.key).map_err(|_| bad())?;
        signer.try_sign(message).map_err(|_| bad())
    }

    /// The client assertion for `client_id` at `token_endpoint`: `iss` = `sub` = client ID, `aud` = the token
    /// endpoint, a random `jti`, valid for 60 seconds from `now`.
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        token_endpoint: &str,
        now: DateTime<Utc>,
    ) -> Result<String, Error> {
        let header = match &self.kid {
            Some(kid) => json!({"alg": format!("{:?}", self.alg), "typ": "JWT", "kid": kid}),
            None => json!({"alg": format!("{:?}", self.alg), "typ": "JWT"}),
        };
        let iat = now.timestamp();
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": token_endpoint,
            "jti": crate::authorize::random_token()?, "iat": iat, "exp": iat.saturating_add(60),
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.sign(signing_input.as_bytes())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}
