//! Keys: pinned IdP certificates (the only source of trust), the SP's signing key, and its decryption key.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::public_key::PublicKey as X509PublicKey;

use crate::crypto::{Active, DigestAlgorithm, KeyType, Provider};
use crate::error::{Error, Result};

/// One pinned certificate: its DER bytes, SHA-256 fingerprint and public key, parsed once.
#[derive(Clone)]
pub struct PinnedKey {
    der: Arc<[u8]>,
    /// The DER in standard base64, as `KeyInfo` carries it: lets a `KeyInfo` certificate be matched
    /// without decoding it.
    b64: Arc<str>,
    fingerprint: [u8; 32],
    key_type: KeyType,
    bits: usize,
    subject: String,
    not_after: i64,
    pub(crate) public: <Active as Provider>::PublicKey,
}

impl PinnedKey {
    /// Reads a DER certificate.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] if it is not an X.509 certificate with an RSA, P-256 or P-384 key.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let (rest, cert) =
            x509_parser::parse_x509_certificate(der).map_err(|e| bad_cert(e.to_string()))?;
        if !rest.is_empty() {
            return Err(bad_cert("trailing bytes after the certificate"));
        }
        let spki = cert.public_key();
        let (key_type, bits) = if spki.algorithm.algorithm == OID_PKCS1_RSAENCRYPTION {
            match spki.parsed() {
                Ok(X509PublicKey::RSA(rsa)) => (KeyType::Rsa, rsa.key_size()),
                _ => return Err(bad_cert("unreadable RSA public key")),
            }
        } else if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            match curve {
                Some(c) if c == OID_EC_P256 => (KeyType::EcP256, 256),
                Some(c) if c == OID_NIST_EC_P384 => (KeyType::EcP384, 384),
                _ => return Err(bad_cert("EC key on a curve other than P-256 or P-384")),
            }
        } else {
            return Err(bad_cert(format!(
                "unsupported key algorithm {}",
                spki.algorithm.algorithm
            )));
        };
        if key_type == KeyType::Rsa && bits < 1024 {
            return Err(bad_cert(format!(
                "RSA key of {bits} bits is too small to trust"
            )));
        }
        let public = Active::parse_public_key(key_type, spki.raw)?;
        let digest = DigestAlgorithm::Sha256.digest(der);
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(digest.as_bytes().get(..32).unwrap_or(&[0; 32]));
        Ok(Self {
            der: der.into(),
            b64: STANDARD.encode(der).into(),
            fingerprint,
            key_type,
            bits,
            subject: cert.subject().to_string(),
            not_after: cert.validity().not_after.timestamp(),
            public,
        })
    }

    /// Reads a certificate given as PEM, or as bare base64 DER (as in metadata's `X509Certificate`).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for anything that is not exactly one readable certificate.
    pub fn from_pem_or_base64(text: &str) -> Result<Self> {
        let blocks = pem_blocks(text)?;
        match blocks.as_slice() {
            [] => Self::from_der(&decode_base64(text, "certificate")?),
            [(label, der)] if label == "CERTIFICATE" => Self::from_der(der),
            [(label, _)] => Err(bad_cert(format!("expected a CERTIFICATE, found a {label}"))),
            _ => Err(bad_cert(
                "more than one PEM block; pin each certificate separately",
            )),
        }
    }

    /// The certificate's DER bytes.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Whether `text` (base64 as XML carries it, whitespace anywhere) encodes exactly this certificate.
    pub(crate) fn is_base64_of(&self, text: &str) -> bool {
        let mut want = self.b64.bytes();
        for b in text
            .bytes()
            .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            if want.next() != Some(b) {
                return false;
            }
        }
        want.next().is_none()
    }

    /// SHA-256 of the DER certificate (what Okta shows as the "SHA-2" fingerprint).
    #[must_use]
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The fingerprint as upper-case hex pairs separated by colons.
    #[must_use]
    pub fn fingerprint_hex(&self) -> String {
        fingerprint_hex(&self.fingerprint)
    }

    /// The key type.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// Key size in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The certificate's subject, as text.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The certificate's `notAfter`, in seconds since the Unix epoch (for rotation warnings; pinned
    /// certificates are trusted by identity, not by validity period, as SAML metadata practice expects).
    #[must_use]
    pub fn not_after_unix(&self) -> i64 {
        self.not_after
    }
}

impl fmt::Debug for PinnedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedKey")
            .field("subject", &self.subject)
            .field("key", &format_args!("{:?}-{}", self.key_type, self.bits))
            .field("sha256", &self.fingerprint_hex())
            .finish()
    }
}

/// The set of certificates a connection trusts: several at once during a rotation.
#[derive(Clone, Debug, Default)]
pub struct PinnedKeys {
    keys: Vec<PinnedKey>,
}

impl PinnedKeys {
    /// An empty set (which verifies nothing).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads every `CERTIFICATE` block of a PEM text (or one bare base64 DER certificate).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] if any block is unreadable or none is present.
    pub fn from_pem(text: &str) -> Result<Self> {
        let blocks = pem_blocks(text)?;
        if blocks.is_empty() {
            return Ok(Self {
                keys: vec![PinnedKey::from_pem_or_base64(text)?],
            });
        }
        let keys = blocks
            .iter()
            .filter(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| PinnedKey::from_der(der))
            .collect::<Result<Vec<_>>>()?;
        if keys.is_empty() {
            return Err(bad_cert("no CERTIFICATE block in the PEM text"));
        }
        Ok(Self { keys })
    }

    /// Adds one certificate.
    pub fn push(&mut self, key: PinnedKey) {
        if !self.keys.iter().any(|k| k.fingerprint == key.fingerprint) {
            self.keys.push(key);
        }
    }

    /// The pinned certificates.
    #[must_use]
    pub fn keys(&self) -> &[PinnedKey] {
        &self.keys
    }

    /// Whether nothing is pinned.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl FromIterator<PinnedKey> for PinnedKeys {
    fn from_iter<I: IntoIterator<Item = PinnedKey>>(iter: I) -> Self {
        let mut keys = Self::new();
        iter.into_iter().for_each(|k| keys.push(k));
        keys
    }
}

/// The SP's RSA signing key (for AuthnRequests and the demo IdP), with its certificate for `KeyInfo`.
pub struct SigningKey {
    pub(crate) key: <Active as Provider>::SigningKey,
    pub(crate) cert_der: Option<Arc<[u8]>>,
}

impl SigningKey {
    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey` writes) and,
    /// optionally, the PEM certificate to put in `KeyInfo`.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for an unreadable key or certificate.
    pub fn from_pem(key_pem: &str, cert_pem: Option<&str>) -> Result<Self> {
        let der = private_key_der(key_pem)?;
        let key = Active::signing_key(&der)?;
        let cert_der = cert_pem
            .map(|c| PinnedKey::from_pem_or_base64(c).map(|k| k.der))
            .transpose()?;
        Ok(Self { key, cert_der })
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

/// The SP's RSA key for decrypting `EncryptedAssertion`s.
pub struct DecryptionKey {
    pub(crate) key: <Active as Provider>::DecryptingKey,
}

impl DecryptionKey {
    /// Reads a PKCS#8 PEM private key.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for an unreadable key.
    pub fn from_pem(key_pem: &str) -> Result<Self> {
        let der = private_key_der(key_pem)?;
        Ok(Self {
            key: Active::decrypting_key(&der)?,
        })
    }
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DecryptionKey([redacted])")
    }
}

fn private_key_der(pem: &str) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let blocks = pem_blocks(pem).map_err(|_| bad_key("not PEM"))?;
    let mut found = None;
    for (label, der) in blocks {
        match label.as_str() {
            "PRIVATE KEY" => found = Some(zeroize::Zeroizing::new(der)),
            "RSA PRIVATE KEY" => {
                return Err(bad_key(
                    "PKCS#1 key: convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.p8.pem`",
                ));
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(bad_key(
                    "encrypted keys are not supported: decrypt it first",
                ));
            }
            _ => {}
        }
    }
    found.ok_or_else(|| bad_key("no PRIVATE KEY block"))
}

fn bad_cert(reason: impl Into<String>) -> Error {
    Error::InvalidKey {
        what: "certificate",
        reason: reason.into(),
    }
}

fn bad_key(reason: &str) -> Error {
    Error::InvalidKey {
        what: "private key",
        reason: reason.to_owned(),
    }
}

/// Upper-case hex pairs separated by colons.
#[must_use]
pub fn fingerprint_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        for nibble in [b >> 4, b & 0x0f] {
            s.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    s
}

/// Decodes base64 as it appears in XML: whitespace anywhere is ignored, padding is required.
///
/// # Errors
/// [`Error::Base64`] naming `what`.
pub fn decode_base64(text: &str, what: &'static str) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let decoded = if bytes.iter().any(is_space) {
        let compact: Vec<u8> = bytes.iter().copied().filter(|b| !is_space(b)).collect();
        base64_simd::STANDARD.decode_to_vec(&compact)
    } else {
        base64_simd::STANDARD.decode_to_vec(bytes)
    };
    decoded.map_err(|_| Error::Base64 { what })
}

/// Splits PEM text into (label, DER) blocks. Text outside blocks is ignored.
fn pem_blocks(text: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = rest.get(start + 11..).unwrap_or("");
        let label_end = after
            .find("-----")
            .ok_or_else(|| bad_cert("unterminated PEM header"))?;
        let label = after.get(..label_end).unwrap_or("").to_owned();
        let body_start = label_end + 5;
        let end_marker = format!("-----END {label}-----");
        let body_len = after
            .get(body_start..)
            .and_then(|b| b.find(&end_marker))
            .ok_or_else(|| bad_cert("missing PEM END line"))?;
        let body = after.get(body_start..body_start + body_len).unwrap_or("");
        out.push((label, decode_base64(body, "PEM body")?));
        rest = after
            .get(body_start + body_len + end_marker.len()..)
            .unwrap_or("");
    }
    Ok(out)
}
