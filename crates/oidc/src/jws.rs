//! Compact JWS: strict splitting and decoding, and signature verification with a key that fixes the algorithm.
//!
//! jsonwebtoken's crypto provider does the signature math; the choice of key and algorithm is made here, from
//! the key, never from the header alone. `none` is refused before any key is looked at.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::Error;

/// Largest compact JWS accepted (ID tokens and signed userinfo).
pub(crate) const MAX_TOKEN_BYTES: usize = 64 * 1024;

#[cfg(not(any(feature = "aws-lc", feature = "rust-crypto")))]
compile_error!("gatehouse-oidc needs a crypto backend: enable feature `aws-lc` or `rust-crypto`");

/// The crypto backend chosen by this crate's features (aws-lc wins when both are enabled), used directly
/// rather than through jsonwebtoken's process-wide default.
pub(crate) fn provider() -> &'static CryptoProvider {
    #[cfg(feature = "aws-lc")]
    {
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
    {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }
}

/// The protected header fields this crate reads.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

/// A split and decoded compact JWS, not yet verified.
pub(crate) struct CompactJws<'a> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    signing_input: &'a [u8],
    signature: Vec<u8>,
    pub(crate) payload: Vec<u8>,
}

/// Maps a header `alg` to an algorithm this crate verifies; `none` and unknown names are errors.
pub(crate) fn algorithm(name: &str) -> Result<Algorithm, Error> {
    Ok(match name {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        _ if name.eq_ignore_ascii_case("none") => return Err(Error::AlgNone),
        other => {
            return Err(Error::UnsupportedAlgorithm {
                alg: other.chars().take(32).collect(),
            });
        }
    })
}

/// True for the HMAC algorithms, keyed by the client secret.
pub(crate) fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

fn malformed(what: &'static str, detail: &str) -> Error {
    Error::Malformed {
        what,
        detail: detail.to_owned(),
    }
}

impl<'a> CompactJws<'a> {
    /// Splits `header.payload.signature`, decodes each part (base64url without padding) and reads the header.
    pub(crate) fn parse(what: &'static str, token: &'a str) -> Result<Self, Error> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Error::TooLarge {
                what,
                limit: MAX_TOKEN_BYTES,
                got: token.len(),
            });
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                what,
                "not a compact JWS (three dot-separated parts)",
            ));
        };
        let signing_input = token
            .get(..header.len() + 1 + payload.len())
            .unwrap_or_default()
            .as_bytes();
        let header = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| malformed(what, "header is not base64url"))?;
        let raw: RawHeader = serde_json::from_slice(&header).map_err(|e| Error::Malformed {
            what,
            detail: format!("header: {e}"),
        })?;
        if raw.crit.is_some() {
            return Err(malformed(
                what,
                "header has `crit` extensions, none are understood",
            ));
        }
        let alg = algorithm(&raw.alg)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| malformed(what, "payload is not base64url"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| malformed(what, "signature is not base64url"))?;
        if signature.is_empty() {
            return Err(malformed(what, "empty signature"));
        }
        Ok(Self {
            alg,
            kid: raw.kid,
            signing_input,
            signature,
            payload,
        })
    }

    /// Verifies the signature with `key` under `alg`, the algorithm the key fixes (already checked equal to the
    /// header's by the caller).
    pub(crate) fn verify(
        &self,
        what: &'static str,
        alg: Algorithm,
        key: &DecodingKey,
    ) -> Result<(), Error> {
        let bad = || Error::BadSignature {
            what,
            alg: format!("{alg:?}"),
            kid: self.kid.clone().unwrap_or_default(),
        };
        if alg != self.alg {
            return Err(bad());
        }
        let verifier = (provider().verifier_factory)(&alg, key).map_err(|_| bad())?;
        verifier
            .verify(self.signing_input, &self.signature)
            .map_err(|_| bad())
    }
}
