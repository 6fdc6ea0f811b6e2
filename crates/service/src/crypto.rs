//! Secrets at rest and tokens: AES-256-GCM under the master key, random tokens, SHA-256 and HMAC, and the
//! key pairs the service generates (SP signing certificates, the demo IdP's keys).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer as _;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::error::{Error, Result};

/// Fills `n` bytes from the OS.
pub fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut buf).map_err(|_| Error::Internal("no randomness".into()))?;
    Ok(buf)
}

/// A random URL-safe token of `n` bytes of entropy.
pub fn random_token(n: usize) -> Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes(n)?))
}

/// SHA-256 in lower-case hex.
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 in base64url (PKCE S256).
#[must_use]
pub fn sha256_b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data))
}

/// Compares without an early exit.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The master key: encrypts client secrets and private keys at rest (AES-256-GCM, random 96-bit nonce,
/// the row's purpose as associated data so a ciphertext cannot be moved to another column).
pub struct MasterKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    /// From 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let key = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| Error::Config("the master key must be 32 bytes".into()))?;
        Ok(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// Reads a key file (base64 of 32 bytes), creating it when `create` and it does not exist.
    pub fn load_or_create(path: &std::path::Path, create: bool) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let raw = STANDARD.decode(text.trim()).map_err(|_| {
                    Error::Config(format!("{}: not base64 of 32 bytes", path.display()))
                })?;
                Self::from_bytes(&raw)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let raw = random_bytes(32)?;
                write_private(path, &STANDARD.encode(&raw))?;
                tracing::info!(path = %path.display(), "created a new master key");
                Self::from_bytes(&raw)
            }
            Err(e) => Err(Error::Config(format!(
                "cannot read the master key file {}: {e} (create one with: head -c 32 /dev/urandom | base64 > {})",
                path.display(),
                path.display()
            ))),
        }
    }

    /// Encrypts `plaintext` for the purpose `aad`; returns base64(nonce || ciphertext || tag).
    pub fn seal(&self, aad: &str, plaintext: &[u8]) -> Result<String> {
        let nonce_bytes = random_bytes(NONCE_LEN)?;
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&nonce_bytes);
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut buf,
            )
            .map_err(|_| Error::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(STANDARD.encode(out))
    }

    /// Decrypts what [`MasterKey::seal`] produced for the same purpose.
    pub fn open(&self, aad: &str, sealed: &str) -> Result<Vec<u8>> {
        let raw = STANDARD
            .decode(sealed)
            .map_err(|_| Error::Internal("sealed value is not base64".into()))?;
        if raw.len() < NONCE_LEN {
            return Err(Error::Internal("sealed value too short".into()));
        }
        let (nonce_bytes, ct) = raw.split_at(NONCE_LEN);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(nonce_bytes);
        let mut buf = ct.to_vec();
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut buf,
            )
            .map_err(|_| {
                Error::Config(
                    "a stored secret does not decrypt: wrong --master-key-file for this database"
                        .into(),
                )
            })?;
        Ok(plain.to_vec())
    }

    /// HMAC-SHA256 of `data` under a key derived from the master key (for CSRF and state binding).
    pub fn mac(&self, data: &[u8]) -> Result<String> {
        // Derive a MAC key by encrypting a fixed label with a fixed nonce: deterministic, never reused for data.
        let mut label = b"gatehouse-service mac key v1....".to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key([0u8; NONCE_LEN]),
                Aad::from(b"mac-derivation".as_slice()),
                &mut label,
            )
            .map_err(|_| Error::Internal("key derivation failed".into()))?;
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &label);
        Ok(URL_SAFE_NO_PAD.encode(aws_lc_rs::hmac::sign(&key, data)))
    }
}

/// Writes a file readable by its owner only (on Unix).
pub fn write_private(path: &std::path::Path, contents: &str) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::Config(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(contents.as_bytes())
        .map_err(|e| Error::Config(format!("cannot write {}: {e}", path.display())))
}

/// A generated key pair with a self-signed certificate, both PEM.
#[derive(Clone)]
pub struct KeyAndCert {
    /// PKCS#8 private key, PEM.
    pub key_pem: String,
    /// X.509 certificate, PEM.
    pub cert_pem: String,
}

impl std::fmt::Debug for KeyAndCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyAndCert")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

/// An RSA-2048 key and a self-signed certificate for `common_name`, valid ten years (SP signing keys and the
/// demo IdP's SAML key).
pub fn generate_rsa_cert(common_name: &str) -> Result<KeyAndCert> {
    let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|_| Error::Internal("RSA key generation failed".into()))?;
    let der = rsa
        .as_der()
        .map_err(|_| Error::Internal("RSA key encoding failed".into()))?;
    let key = rcgen::KeyPair::try_from(der.as_ref())
        .map_err(|e| Error::Internal(format!("key import: {e}")))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| Error::Internal(format!("certificate parameters: {e}")))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    let cert = params
        .self_signed(&key)
        .map_err(|e| Error::Internal(format!("self-signing: {e}")))?;
    Ok(KeyAndCert {
        key_pem: key.serialize_pem(),
        cert_pem: cert.pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_purpose_binding() {
        let key = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let sealed = key.seal("client_secret:acme", b"s3cret").unwrap();
        assert_eq!(key.open("client_secret:acme", &sealed).unwrap(), b"s3cret");
        assert!(key.open("sp_key:acme", &sealed).is_err());
        let other = MasterKey::from_bytes(&[8u8; 32]).unwrap();
        assert!(other.open("client_secret:acme", &sealed).is_err());
        assert!(!sealed.contains("s3cret"));
    }

    #[test]
    fn sha256_matches_fips_180_abc() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            sha256_b64url(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
