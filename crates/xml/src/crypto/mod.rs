//! The crypto primitives the XML security layer needs, behind one small trait with two backends:
//! `aws-lc` (default; aws-lc-rs) and `rust-crypto` (pure Rust). When both features are on, aws-lc wins.
//!
//! Everything above this module is backend-independent, and the whole test suite runs on each backend.

use crate::error::{Error, Result};

#[cfg(feature = "aws-lc")]
mod aws_lc;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
mod rust_crypto;

#[cfg(feature = "aws-lc")]
pub(crate) type Active = aws_lc::AwsLc;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
pub(crate) type Active = rust_crypto::RustCrypto;

#[cfg(not(any(feature = "aws-lc", feature = "rust-crypto")))]
compile_error!(
    "gatehouse-xml needs a crypto backend: enable the `aws-lc` (default) or `rust-crypto` feature"
);

/// The name of the compiled-in backend, for diagnostics and benchmarks.
#[must_use]
pub fn backend_name() -> &'static str {
    Active::NAME
}

/// Message digests used by XML-DSig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-1: legacy, refused unless the policy opts in.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// Looks up a `DigestMethod` algorithm URI.
    #[must_use]
    pub fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => Self::Sha1,
            "http://www.w3.org/2001/04/xmlenc#sha256" => Self::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Self::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => Self::Sha512,
            _ => return None,
        })
    }

    /// The algorithm URI.
    #[must_use]
    pub fn uri(self) -> &'static str {
        match self {
            Self::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            Self::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            Self::Sha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
            Self::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }

    /// Computes the digest of `data`.
    #[must_use]
    pub fn digest(self, data: &[u8]) -> Digest {
        Active::digest(self, data)
    }
}

/// A digest value (up to SHA-512 size) without allocation.
#[derive(Clone, Copy)]
pub struct Digest {
    bytes: [u8; 64],
    len: usize,
}

impl Digest {
    pub(crate) fn new(value: &[u8]) -> Self {
        let mut bytes = [0u8; 64];
        let len = value.len().min(64);
        if let (Some(dst), Some(src)) = (bytes.get_mut(..len), value.get(..len)) {
            dst.copy_from_slice(src);
        }
        Self { bytes, len }
    }

    /// The digest bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Signature algorithms, by XML-DSig URI (the same URIs name `SigAlg` in the SAML HTTP-Redirect binding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// `rsa-sha1`: legacy, refused unless the policy opts in.
    RsaSha1,
    /// `rsa-sha256`.
    RsaSha256,
    /// `rsa-sha384`.
    RsaSha384,
    /// `rsa-sha512`.
    RsaSha512,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256 (RFC 6931).
    RsaPssSha256,
    /// RSASSA-PSS with SHA-384 and MGF1-SHA-384 (RFC 6931).
    RsaPssSha384,
    /// RSASSA-PSS with SHA-512 and MGF1-SHA-512 (RFC 6931).
    RsaPssSha512,
    /// ECDSA over P-256 with SHA-256, signature as `r || s`.
    EcdsaSha256,
    /// ECDSA over P-384 with SHA-384, signature as `r || s`.
    EcdsaSha384,
}

impl SignatureAlgorithm {
    /// Looks up a `SignatureMethod` (or `SigAlg`) URI. DSA, HMAC and unknown URIs give `None`.
    #[must_use]
    pub fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => Self::RsaSha1,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Self::RsaSha256,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Self::RsaSha384,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Self::RsaSha512,
            "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" => Self::RsaPssSha256,
            "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1" => Self::RsaPssSha384,
            "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1" => Self::RsaPssSha512,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => Self::EcdsaSha256,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => Self::EcdsaSha384,
            _ => return None,
        })
    }

    /// The algorithm URI.
    #[must_use]
    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            Self::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            Self::RsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            Self::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            Self::RsaPssSha256 => "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
            Self::RsaPssSha384 => "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1",
            Self::RsaPssSha512 => "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1",
            Self::EcdsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            Self::EcdsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        }
    }

    /// A short name for messages (`rsa-sha256`, `ecdsa-sha384`, …).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaSha1 => "rsa-sha1",
            Self::RsaSha256 => "rsa-sha256",
            Self::RsaSha384 => "rsa-sha384",
            Self::RsaSha512 => "rsa-sha512",
            Self::RsaPssSha256 => "rsa-pss-sha256",
            Self::RsaPssSha384 => "rsa-pss-sha384",
            Self::RsaPssSha512 => "rsa-pss-sha512",
            Self::EcdsaSha256 => "ecdsa-sha256",
            Self::EcdsaSha384 => "ecdsa-sha384",
        }
    }

    /// The key type this algorithm needs.
    #[must_use]
    pub fn key_type(self) -> KeyType {
        match self {
            Self::EcdsaSha256 => KeyType::EcP256,
            Self::EcdsaSha384 => KeyType::EcP384,
            _ => KeyType::Rsa,
        }
    }

    /// Whether this is a SHA-1 algorithm.
    #[must_use]
    pub fn is_sha1(self) -> bool {
        self == Self::RsaSha1
    }
}

/// The kinds of public key that can be pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// RSA (any size; sizes below 2048 bits are legacy and policy-gated).
    Rsa,
    /// ECDSA P-256.
    EcP256,
    /// ECDSA P-384.
    EcP384,
}

/// RSA-OAEP parameters of `EncryptedKey` key transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Oaep {
    /// SHA-1 digest, MGF1 with SHA-1 (`rsa-oaep-mgf1p` as Okta sends it).
    Sha1,
    /// SHA-256 digest, MGF1 with SHA-256 (xmlenc11 `rsa-oaep`).
    Sha256,
}

/// AES key sizes of block encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AesMode {
    Cbc,
    Gcm,
}

/// What a crypto backend provides. Implemented by zero-sized types; `Active` is the compiled-in one.
///
/// Failures of `verify` and every decryption step are deliberately without detail (`Err(())` or
/// [`Error::DecryptionFailed`]), so that nothing about the secret side can leak through error variety.
pub(crate) trait Provider {
    /// The backend's name.
    const NAME: &'static str;
    /// A public key parsed once, ready to verify many times.
    type PublicKey: Send + Sync + Clone;
    /// An RSA private key for signing.
    type SigningKey: Send + Sync;
    /// An RSA private key for RSA-OAEP decryption.
    type DecryptingKey: Send + Sync;

    fn digest(alg: DigestAlgorithm, data: &[u8]) -> Digest;

    /// Parses a DER `SubjectPublicKeyInfo` of the given type.
    fn parse_public_key(key_type: KeyType, spki_der: &[u8]) -> Result<Self::PublicKey>;

    /// Verifies `signature` over `message`. `legacy` allows SHA-1 and RSA keys of 1024 to 2047 bits; the
    /// caller has already checked the policy permits it.
    fn verify(
        key: &Self::PublicKey,
        alg: SignatureAlgorithm,
        legacy: bool,
        message: &[u8],
        signature: &[u8],
    ) -> std::result::Result<(), ()>;

    /// Reads an RSA private key from PKCS#8 DER.
    fn signing_key(pkcs8_der: &[u8]) -> Result<Self::SigningKey>;

    /// Signs `message`; only RSA algorithms are supported.
    fn sign(key: &Self::SigningKey, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>>;

    /// Reads an RSA private key from PKCS#8 DER for decryption.
    fn decrypting_key(pkcs8_der: &[u8]) -> Result<Self::DecryptingKey>;

    /// RSA-OAEP decryption of a content-encryption key.
    fn rsa_oaep_decrypt(
        key: &Self::DecryptingKey,
        params: Oaep,
        ciphertext: &[u8],
    ) -> std::result::Result<zeroize::Zeroizing<Vec<u8>>, ()>;

    /// AES decryption. CBC: `iv || ciphertext`, returned without removing padding (XML-Enc uses ISO 10126
    /// padding, which the caller strips). GCM: `iv(12) || ciphertext || tag(16)`, returned authenticated.
    fn aes_decrypt(
        mode: AesMode,
        key: &[u8],
        data: &[u8],
    ) -> std::result::Result<zeroize::Zeroizing<Vec<u8>>, ()>;
}

/// Error helper for backends.
pub(crate) fn invalid_key(what: &'static str, reason: impl std::fmt::Display) -> Error {
    Error::InvalidKey {
        what,
        reason: reason.to_string(),
    }
}
