//! The pure-Rust backend (`rust-crypto` feature): RustCrypto's `rsa`, `p256`, `p384`, `sha1`, `sha2`, `aes`,
//! `cbc` and `aes-gcm`. It needs no C compiler and accepts exactly what the aws-lc backend accepts.
//!
//! # Timing side channel in RSA private-key operations
//!
//! The `rsa` crate's private-key operations are **not constant-time** (RUSTSEC-2023-0071, the "Marvin"
//! attack): the time they take depends on secret values, even with the blinding it applies. Under this
//! backend, *signing* (AuthnRequests, the demo IdP) and *RSA-OAEP decryption* of `EncryptedAssertion`
//! keys leak timing that an attacker who can submit many ciphertexts and measure response times may use
//! to recover the key or decrypt a captured ciphertext. Prefer the default `aws-lc` backend wherever this
//! service signs or decrypts. *Verification* uses only public keys and is unaffected.
//!
//! Key-size rules are aws-lc's: verification takes RSA moduli of 2048 to 8192 bits, or from 1024 bits for
//! `rsa-sha1`, `rsa-sha256` and `rsa-sha512` when the caller passes `legacy`; private keys must be 2048
//! to 8192 bits.

use std::sync::Arc;

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::{AeadCore, AeadInOut, KeyInit};
use aes_gcm::aes::cipher::consts::{U12, U16};
use aes_gcm::{AesGcm, Nonce, Tag};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, KeyIvInit};
use p256::ecdsa::signature::Verifier as _;
use p256::pkcs8::DecodePublicKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use sha1::Sha1;
use sha2::Digest as _;
use sha2::{Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use super::{
    AesMode, Digest, DigestAlgorithm, KeyType, Oaep, Provider, SignatureAlgorithm, invalid_key,
};
use crate::error::{Error, Result};

pub(crate) struct RustCrypto;

/// A pinned public key, parsed once.
#[derive(Clone)]
pub(crate) enum PublicKey {
    /// An RSA key of 1024 to 8192 bits, with its modulus size in bits.
    Rsa { key: Arc<rsa::PublicKey>, bits: u32 },
    /// A P-256 point.
    P256(p256::ecdsa::VerifyingKey),
    /// A P-384 point.
    P384(p384::ecdsa::VerifyingKey),
}

/// An RSA private key of 2048 to 8192 bits (used for both signing and decryption).
pub(crate) struct PrivateKey(rsa::PrivateKey);

/// The smallest RSA modulus accepted for `alg`, as aws-lc's algorithm tables put it; `None` if refused.
fn min_rsa_bits(alg: SignatureAlgorithm, legacy: bool) -> Option<u32> {
    match (alg, legacy) {
        (SignatureAlgorithm::RsaSha1, false) => None,
        (
            SignatureAlgorithm::RsaSha1
            | SignatureAlgorithm::RsaSha256
            | SignatureAlgorithm::RsaSha512,
            true,
        ) => Some(1024),
        _ => Some(2048),
    }
}

fn rsa_verify(
    key: &rsa::PublicKey,
    alg: SignatureAlgorithm,
    message: &[u8],
    sig: &[u8],
) -> rsa::Result<()> {
    match alg {
        SignatureAlgorithm::RsaSha1 => key.pkcs1v15_verify::<Sha1>(message, sig),
        SignatureAlgorithm::RsaSha256 => key.pkcs1v15_verify::<Sha256>(message, sig),
        SignatureAlgorithm::RsaSha384 => key.pkcs1v15_verify::<Sha384>(message, sig),
        SignatureAlgorithm::RsaSha512 => key.pkcs1v15_verify::<Sha512>(message, sig),
        SignatureAlgorithm::RsaPssSha256 => key.pss_verify::<Sha256>(message, sig),
        SignatureAlgorithm::RsaPssSha384 => key.pss_verify::<Sha384>(message, sig),
        SignatureAlgorithm::RsaPssSha512 => key.pss_verify::<Sha512>(message, sig),
        SignatureAlgorithm::EcdsaSha256 | SignatureAlgorithm::EcdsaSha384 => {
            Err(rsa::Error::Verification)
        }
    }
}

fn modulus_bits(key: &impl rsa::traits::PublicKeyParts) -> u32 {
    key.n().bit_width()
}

fn private_key(pkcs8_der: &[u8]) -> Result<PrivateKey> {
    // The parse error says nothing useful (for an EC key it names a public-key OID), so it is not passed on.
    let key = rsa::PrivateKey::from_pkcs8_der(pkcs8_der).map_err(|_| {
        invalid_key(
            "private key",
            "not a readable two-prime RSA key in PKCS#8 DER",
        )
    })?;
    let bits = modulus_bits(&key);
    if !(2048..=8192).contains(&bits) {
        return Err(invalid_key(
            "private key",
            format!("RSA key of {bits} bits; 2048 to 8192 are supported"),
        ));
    }
    Ok(PrivateKey(key))
}

/// AES-CBC over whole blocks, padding left in place.
fn cbc_decrypt<C>(key: &[u8], iv: &[u8], body: &[u8]) -> std::result::Result<Zeroizing<Vec<u8>>, ()>
where
    C: BlockCipherDecrypt,
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| ())?;
    let mut buf = Zeroizing::new(body.to_vec());
    let len = decryptor
        .decrypt_padded::<NoPadding>(&mut buf)
        .map_err(|_| ())?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// AES-GCM with a 96-bit nonce, a 128-bit tag and no associated data.
fn gcm_decrypt<A>(key: &[u8], iv: &[u8], body: &[u8]) -> std::result::Result<Zeroizing<Vec<u8>>, ()>
where
    A: KeyInit + AeadInOut + AeadCore<NonceSize = U12, TagSize = U16>,
{
    let split = body.len().checked_sub(16).ok_or(())?;
    let (ciphertext, tag) = body.split_at_checked(split).ok_or(())?;
    let nonce = Nonce::<U12>::try_from(iv).map_err(|_| ())?;
    let tag = Tag::<U16>::try_from(tag).map_err(|_| ())?;
    let cipher = A::new_from_slice(key).map_err(|_| ())?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_inout_detached(&nonce, &[], buf.as_mut_slice().into(), &tag)
        .map_err(|_| ())?;
    Ok(buf)
}

impl Provider for RustCrypto {
    const NAME: &'static str = "rust-crypto";
    type PublicKey = PublicKey;
    type SigningKey = PrivateKey;
    type DecryptingKey = PrivateKey;

    fn digest(alg: DigestAlgorithm, data: &[u8]) -> Digest {
        match alg {
            DigestAlgorithm::Sha1 => Digest::new(&Sha1::digest(data)),
            DigestAlgorithm::Sha256 => Digest::new(&Sha256::digest(data)),
            DigestAlgorithm::Sha384 => Digest::new(&Sha384::digest(data)),
            DigestAlgorithm::Sha512 => Digest::new(&Sha512::digest(data)),
        }
    }

    fn parse_public_key(key_type: KeyType, spki_der: &[u8]) -> Result<PublicKey> {
        match key_type {
            KeyType::Rsa => {
                // `rsa::PublicKey::new` enforces 1024 to 8192 bits and a sane public exponent.
                let key = rsa::PublicKey::from_public_key_der(spki_der).map_err(|_| {
                    invalid_key(
                        "public key",
                        "not a valid RSA public key of 1024 to 8192 bits",
                    )
                })?;
                let bits = modulus_bits(&key);
                Ok(PublicKey::Rsa {
                    key: Arc::new(key),
                    bits,
                })
            }
            KeyType::EcP256 => p256::ecdsa::VerifyingKey::from_public_key_der(spki_der)
                .map(PublicKey::P256)
                .map_err(|_| invalid_key("public key", "not a valid EC public key for its curve")),
            KeyType::EcP384 => p384::ecdsa::VerifyingKey::from_public_key_der(spki_der)
                .map(PublicKey::P384)
                .map_err(|_| invalid_key("public key", "not a valid EC public key for its curve")),
        }
    }

    fn verify(
        key: &PublicKey,
        alg: SignatureAlgorithm,
        legacy: bool,
        message: &[u8],
        sig: &[u8],
    ) -> std::result::Result<(), ()> {
        match (key, alg) {
            (PublicKey::P256(vk), SignatureAlgorithm::EcdsaSha256) => {
                let sig = p256::ecdsa::Signature::from_slice(sig).map_err(|_| ())?;
                vk.verify(message, &sig).map_err(|_| ())
            }
            (PublicKey::P384(vk), SignatureAlgorithm::EcdsaSha384) => {
                let sig = p384::ecdsa::Signature::from_slice(sig).map_err(|_| ())?;
                vk.verify(message, &sig).map_err(|_| ())
            }
            (PublicKey::Rsa { key, bits }, _) if alg.key_type() == KeyType::Rsa => {
                let min = min_rsa_bits(alg, legacy).ok_or(())?;
                // The signature is exactly as long as the modulus, leading zeros included (RFC 8017 8.2.2).
                if *bits < min || sig.len() != key.size() {
                    return Err(());
                }
                rsa_verify(key, alg, message, sig).map_err(|_| ())
            }
            _ => Err(()),
        }
    }

    fn signing_key(pkcs8_der: &[u8]) -> Result<PrivateKey> {
        private_key(pkcs8_der)
    }

    fn sign(key: &PrivateKey, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>> {
        // Both use the operating system RNG (blinding; the PSS salt). PKCS#1 v1.5 output is deterministic.
        let signed = match alg {
            SignatureAlgorithm::RsaSha256 => key.0.pkcs1v15_sign::<Sha256>(message),
            SignatureAlgorithm::RsaSha384 => key.0.pkcs1v15_sign::<Sha384>(message),
            SignatureAlgorithm::RsaSha512 => key.0.pkcs1v15_sign::<Sha512>(message),
            SignatureAlgorithm::RsaPssSha256 => key.0.pss_sign::<Sha256>(message),
            SignatureAlgorithm::RsaPssSha384 => key.0.pss_sign::<Sha384>(message),
            SignatureAlgorithm::RsaPssSha512 => key.0.pss_sign::<Sha512>(message),
            _ => {
                return Err(Error::Signing {
                    reason: "only RSA signing algorithms of SHA-256 or stronger",
                });
            }
        };
        signed.map_err(|_| Error::Signing {
            reason: "the rsa crate refused to sign",
        })
    }

    fn decrypting_key(pkcs8_der: &[u8]) -> Result<PrivateKey> {
        private_key(pkcs8_der)
    }

    fn rsa_oaep_decrypt(
        key: &PrivateKey,
        params: Oaep,
        ciphertext: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, ()> {
        if ciphertext.len() != key.0.size() {
            return Err(());
        }
        let plaintext = match params {
            Oaep::Sha1 => key.0.oaep_decrypt::<Sha1>(ciphertext),
            Oaep::Sha256 => key.0.oaep_decrypt::<Sha256>(ciphertext),
        };
        plaintext.map(Zeroizing::new).map_err(|_| ())
    }

    fn aes_decrypt(
        mode: AesMode,
        key: &[u8],
        data: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, ()> {
        match mode {
            AesMode::Cbc => {
                let (iv, body) = data.split_at_checked(16).ok_or(())?;
                if body.is_empty() || body.len() % 16 != 0 {
                    return Err(());
                }
                match key.len() {
                    16 => cbc_decrypt::<Aes128>(key, iv, body),
                    24 => cbc_decrypt::<Aes192>(key, iv, body),
                    32 => cbc_decrypt::<Aes256>(key, iv, body),
                    _ => Err(()),
                }
            }
            AesMode::Gcm => {
                let (iv, body) = data.split_at_checked(12).ok_or(())?;
                match key.len() {
                    16 => gcm_decrypt::<AesGcm<Aes128, U12>>(key, iv, body),
                    24 => gcm_decrypt::<AesGcm<Aes192, U12>>(key, iv, body),
                    32 => gcm_decrypt::<AesGcm<Aes256, U12>>(key, iv, body),
                    _ => Err(()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Known-answer tests of the primitives that the XML fixtures do not reach on their own.

    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    /// The message every openssl vector below signs (`printf 'gatehouse rust-crypto vector'`).
    const MESSAGE: &[u8] = b"gatehouse rust-crypto vector";

    // `openssl dgst -<hash> -sign testdata/keys/idp.key` (2048 bits).
    const IDP_PKCS1_SHA256: &str = "qU4UPdwoX2u9fF2AtrxUxzwHW4ACQSW9mfkCGSrNCoOthSXj6xMZ0t/SBGhXCUEnwREEhUnGhaH3DoXAodkLb7HYYUn3R0oXjqLBR1K4cVnGDCwuWmbxsvfAlG+t3wY82NObu2asIXXdHLFmVBz+6gM+EpzCHFC3CSeCwOIIkXz5gigeSOvY+duzn+W6LKH+lDWSdsIsP5e9HleyszlfW8coubSQROldwPGPssRgVVQeGA/5n+Y7WwyVNKwv/lBcdMdVVMMRsaQv6nMhwQ4T8L+hA2o9qcrcJZIjsA3fEtV+GF/a9/7SEnWLOVHaRoo6EXAXk8LnOzd+TwAAjPTypg==";
    const IDP_PKCS1_SHA384: &str = "uiNdPLj3ddY3TYngtEPvZ2PaxTpKETFv+twHlsEmPbsv0NXsmVLhEaHKfvT1dSceZn9Ku0t4wih4DSnlAqvqtlhLMuPbwYaj7w3eMv3HFm7vlu7F0GzdjH2vA2fCgjdUG9CbgTLIFa28Q1RL3X9Z33WygnbRKFWNThXlro4SY9KpO3vF+kRdR/A/tF+WG5yKQU0PhIpg7f7bBBjC4Lj/YFZs23iT6io77tUboZ1bleJGgI4AoJWolxIAe9d66AJ1V3sSFuFYXOjFpot6UhHJy1589lgSDidB/oIGvnOxmh/Llp2CHA5Eu1xbs+bBraziHXxS4qrfKEykyDWg+i6FBw==";
    const IDP_PKCS1_SHA512: &str = "rdxhnN4CCAAyNLQRUzZZgXqndSoPNTOq3TZGBv+lpWCV9SMJjs2LBkFxJrHOqM+JQ5W4PFWYw2nf/xFdRnTBIcaOWnWJ1ZOlbxRUmFy71ItVOnVWV2mDC5v9OslTB281TkpNsaufRnGtEguVEnoGxMTOmS002peihq02UjfzyD9cv25OuUhudRK43gY7n+JlRg2/+GqDnFsPn4jDXnjIFMRKGR7NZNC1jykrRpb/23Afha8knVCpRkoL73N6S7MrhNpjX5Fzb388jgGsWTx3E3/hEVpSGH/1+qIdomWOIzU80BNHyv84u4X9hayXrjoF/hzkD0lEygYMjCw5rHL/qA==";
    // `openssl dgst -<hash> -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:<hash>`.
    const IDP_PSS_SHA256: &str = "LP/DlK41pdI2pxIl2WHSSOkLqN371GL29NAhLMP2E0zjByc6QPU80HWTSzpp7xuzVsXP3bUW3c5LbMT0P9mAzBXxWkkxpy8q3u2/OECL4f0NQEog/EZxkJC0smS+YXhvePAb9QiNx4rGclfT1Ve8MnSFjX28nYKRb3Hw97R0F7L6nnO6WTq84IEwl+0dvh9x+zutAMXyJjr4QJN+e8DgA2Ok6/JI4vQ2iMTFKt+YV/ElrY6MeRO6seWv2W4EYkjezF7F4ZXK3wGq7TIxcpknAi2e2HOhQG638taUlmNkl/LTzvJVXCqOiS5k5GFP1Rd4wOnjrFO6MqZZCRujW/kniw==";
    const IDP_PSS_SHA512: &str = "NbKHPuclVcp5KvlKNVegd+iMnxnaBqb8UgIvCGXMZIrI6bdUDbeARJs2zlzBVnT+G/iPw8Gy2/JkpBnZ0xv3Sp5pXvH8/uhdKnTcqGXdHAMgtXjrZkHArz9IaoY8fmiJuUCvR+x5CBCD15yfPs1+zJqA5DrxJlpHOLtxsGsDtGdTzL19QPV1sV9hhkp2oMZ/xKlKfvpSqZnKpgJekoXLP9lprkgFV/0qf70ns5R6y83ZfLlfGwvbeOWJIf53rd9DGeM2nkpA6usXBbdRnkkeDKJs1uSZblPiUoUaK0J5LPY+alJNr0KNopeYOKfktjgleVvhdg/LJNyml7OwJnmX1w==";
    // The same with `rsa_pss_saltlen:20`: valid PSS, but not the salt length RFC 6931 (and aws-lc) expect.
    const IDP_PSS_SHA256_SALT20: &str = "KED15LbUbh9WSPzAvZw/q5YYYqWAz4r/vpbG/9SOrmi66UMHgU2gL6k9nOjljSACE/j74NT6EKenwc07SE8s0l82VOh3q/IRKvyGi9bImzO1jtEZXTrGkIXoiraH0+T5IlN893l7tkdlJ3T5yk4r5bdZUwSwXgBZgvVDuUHCJ1lIo6y9eyVgHYdt3G+62f5CtaAu0UPT2wHtP2O3qxU38vt7s7Tqr6Yd0vAcntML/wnaO2BGvzXjmEtQUcjY51EDDbgXka3uEcL1ySDLWt/YNpkcj2uI2EphZ8M+X7C85Sji0vh5aKIh1rZcMsJv0r5YSVRV9njAn7JblkK3b5avVg==";
    // `openssl dgst -<hash> -sign testdata/keys/weak.key` (1024 bits).
    const WEAK_PKCS1_SHA1: &str = "Rr0sNjS1wbdE5JfAqrEU07dJHWZxb+bMsrfQMjHQ+Uj2lHVVZ1ulX4llqbRVoy606e5t0YgqbRVeRpXexmiiK3ls+806U8mQtMekN1Yyd8+7MXTm5Doz0levQ8f5mzkWJP/WCdToIGrs/K/sodmcNMKj/jILjlFMag32PUAg4KE=";
    const WEAK_PKCS1_SHA256: &str = "utbwbRb4hc18+H+wND6ih/jUvPgNSY21u08GHuUdNZiwEBjutuMWZMXhbZI2EgohS6nUspYp+XwEdBPVISNhxiErJni7/k7U04t7VDhUHEvSh9e0uiKHwzHJx43bZItZruJeQ3MiOig9Fd52Y7Si0KbJzR9imOfLYxLrUC2G7qM=";
    const WEAK_PKCS1_SHA384: &str = "pJxD0b0ezdCviY8g7n4R0mkVEDRyu04WIWlPgxqRCh1pEhZHeG+aj/JNyWULPLa3ocmyHomehvpeROplbGi3oORJg4jSE9CZi8Bl4dHuCqnLv5eH2PdrGub1nIdC4NXUr86ADqo4yPTkZrUX19AeOROJh8TKsNWzwyIVPF26ma0=";
    // `openssl dgst -sha256 -sign idp-p256.key` and `-sha384 -sign idp-p384.key`, DER unwrapped to r || s.
    const P256_RS: &str = "f5e3fbb1ea888e9da0fd23bdda31c833759cbadbbde8db39fdfad298b39f93ba\
                           dc58011ac5fca0e42d0c42960cc72d814aeee4d2ce10504f004de855b047d271";
    const P384_RS: &str = "dc56b746804ed16b1620568cf8c2e3023cfa04e59ccaf9a8c893f4ba514108bd0222069c2c78447136c4c2e4353918f4\
                           d109b98aefd39d6a0e51fece3b24286480fca7846e89cd79dfca1d316eecb1201b39982fbeaad4806dd09aa42dd26908";
    // `openssl pkeyutl -encrypt -pubin -inkey <sp.crt's key> -pkeyopt rsa_padding_mode:oaep
    //  -pkeyopt rsa_oaep_md:<hash> -pkeyopt rsa_mgf1_md:<hash>` of the 16 bytes `0123456789abcdef`.
    const SP_OAEP_SHA1: &str = "DOL0uuYd01Bn2A4DputCCk6bXSw9M/T3cfhPDd92s4B9sk00aqnc3bBXtuFsO1Gh68CIXM0C6Ie6xXv0g1QL5vVASZ8W+H5Jrx59C9IunRx5DqA4MU1O5xQS0T/StadMQdLK/Mjl1GCfR0jVjL2C6GWoNcHKn2EleK9EsKfIeO0dC4G7vIIzLKwLXa4dsKvWJU8Fz63hVi4leBg4ipb+0Xu4EtaVsiEI7b7ojtNRBdVm1VJOjb0HunfGAgBTf+9XYmapuQpu5RKl7YGT981Nutx4+6ummxSKHgHe7zuMj8TB/GLRetoDcbZVvav5+XR29J74Pfc0on2YXeQsUFEiUQ==";
    const SP_OAEP_SHA256: &str = "ZPL+Lj+/O6cwY4Rqu8+UnVpi/Gwhi4Ba/zlAnvTLPxc1qFS1dzfjwh9hl636pKlhGnYA72jCKBmlRZ9fktwsPYKSCa4XZjC/FN8fj0Auhn2cBcD6PNOfaMInoST983nXWWn3JMmqiTMswxb1jGKlDnRpZkCtzpn4n0vdsgJCSsAmxmpAkDPH+Qz9hsLhvC3U3NHjH2HRxpveQk9xJhl28RrzbAPNthRO6bZUhe36BeYK2haEtfaEDnhrU9rYgHf/hJYN4+cFeohkmEAK3CPNccIazSWAPHrlsO+kB+UbrE2q57LKXneuevrGa5Nq5o76YaJHkMBrevI5pKoh6i7h1g==";

    fn b64(s: &str) -> Vec<u8> {
        STANDARD.decode(s).unwrap()
    }

    fn key_file(name: &str) -> String {
        let path = format!("{}/../../testdata/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn public(cert: &str) -> PublicKey {
        crate::PinnedKey::from_pem_or_base64(&key_file(cert))
            .unwrap()
            .public
    }

    #[test]
    fn verification_follows_aws_lc_algorithm_and_key_size_rules() {
        use SignatureAlgorithm::*;
        let rs256 = hex(P256_RS);
        let rs384 = hex(P384_RS);
        let mut rs256_flipped = rs256.clone();
        *rs256_flipped.last_mut().unwrap() ^= 1;
        let der_length = [rs256.as_slice(), &[0]].concat();
        // (certificate, algorithm, legacy, signature, verifies)
        let cases: &[(&str, SignatureAlgorithm, bool, Vec<u8>, bool)] = &[
            ("idp.crt", RsaSha256, false, b64(IDP_PKCS1_SHA256), true),
            ("idp.crt", RsaSha384, false, b64(IDP_PKCS1_SHA384), true),
            ("idp.crt", RsaSha512, false, b64(IDP_PKCS1_SHA512), true),
            ("idp.crt", RsaSha256, true, b64(IDP_PKCS1_SHA256), true),
            ("idp.crt", RsaSha256, false, b64(IDP_PKCS1_SHA384), false),
            (
                "idp.crt",
                RsaSha256,
                false,
                b64(IDP_PKCS1_SHA256).get(1..).unwrap().to_vec(),
                false,
            ),
            (
                "idp.crt",
                RsaSha256,
                false,
                [&[0][..], &b64(IDP_PKCS1_SHA256)].concat(),
                false,
            ),
            ("idp.crt", RsaPssSha256, false, b64(IDP_PSS_SHA256), true),
            ("idp.crt", RsaPssSha512, false, b64(IDP_PSS_SHA512), true),
            ("idp.crt", RsaPssSha384, false, b64(IDP_PSS_SHA512), false),
            (
                "idp.crt",
                RsaPssSha256,
                true,
                b64(IDP_PSS_SHA256_SALT20),
                false,
            ),
            ("idp.crt", RsaPssSha256, false, b64(IDP_PKCS1_SHA256), false),
            ("idp.crt", RsaSha256, false, b64(IDP_PSS_SHA256), false),
            ("idp.crt", EcdsaSha256, true, rs256.clone(), false),
            // 1024-bit key: SHA-1, SHA-256 and SHA-512 only with `legacy`; never SHA-384 or PSS (aws-lc's tables).
            ("weak.crt", RsaSha1, true, b64(WEAK_PKCS1_SHA1), true),
            ("weak.crt", RsaSha1, false, b64(WEAK_PKCS1_SHA1), false),
            ("weak.crt", RsaSha256, true, b64(WEAK_PKCS1_SHA256), true),
            ("weak.crt", RsaSha256, false, b64(WEAK_PKCS1_SHA256), false),
            ("weak.crt", RsaSha384, true, b64(WEAK_PKCS1_SHA384), false),
            ("weak.crt", RsaSha1, true, b64(WEAK_PKCS1_SHA256), false),
            ("idp-p256.crt", EcdsaSha256, false, rs256.clone(), true),
            ("idp-p256.crt", EcdsaSha256, false, rs256_flipped, false),
            ("idp-p256.crt", EcdsaSha256, false, der_length, false),
            ("idp-p256.crt", EcdsaSha256, false, vec![0; 64], false),
            ("idp-p256.crt", EcdsaSha384, false, rs256.clone(), false),
            (
                "idp-p256.crt",
                RsaSha256,
                true,
                b64(IDP_PKCS1_SHA256),
                false,
            ),
            ("idp-p384.crt", EcdsaSha384, false, rs384.clone(), true),
            (
                "idp-p384.crt",
                EcdsaSha384,
                false,
                rs384.get(..95).unwrap().to_vec(),
                false,
            ),
            ("idp-p384.crt", EcdsaSha256, false, rs256, false),
        ];
        for (cert, alg, legacy, sig, verifies) in cases {
            let got = RustCrypto::verify(&public(cert), *alg, *legacy, MESSAGE, sig).is_ok();
            assert_eq!(
                got,
                *verifies,
                "{cert} {} legacy={legacy} ({} byte signature)",
                alg.name(),
                sig.len()
            );
            if *verifies {
                assert!(
                    RustCrypto::verify(&public(cert), *alg, *legacy, b"another message", sig)
                        .is_err()
                );
            }
        }
    }

    #[test]
    fn public_keys_of_the_wrong_type_do_not_parse() {
        let rsa = crate::PinnedKey::from_pem_or_base64(&key_file("idp.crt")).unwrap();
        let p256 = crate::PinnedKey::from_pem_or_base64(&key_file("idp-p256.crt")).unwrap();
        let spki = |der: &[u8]| {
            let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
            cert.public_key().raw.to_vec()
        };
        let (rsa_spki, p256_spki) = (spki(rsa.der()), spki(p256.der()));
        assert!(RustCrypto::parse_public_key(KeyType::Rsa, &rsa_spki).is_ok());
        assert!(RustCrypto::parse_public_key(KeyType::EcP256, &p256_spki).is_ok());
        assert!(RustCrypto::parse_public_key(KeyType::EcP384, &p256_spki).is_err());
        assert!(RustCrypto::parse_public_key(KeyType::EcP256, &rsa_spki).is_err());
        assert!(RustCrypto::parse_public_key(KeyType::Rsa, &p256_spki).is_err());
        assert!(
            RustCrypto::parse_public_key(KeyType::Rsa, rsa_spki.get(..rsa_spki.len() - 1).unwrap())
                .is_err()
        );
        assert!(
            RustCrypto::parse_public_key(KeyType::Rsa, &[rsa_spki.as_slice(), &[0]].concat())
                .is_err()
        );
    }

    #[test]
    fn pkcs1_signatures_equal_openssl_byte_for_byte_and_pss_round_trips() {
        let key = crate::SigningKey::from_pem(&key_file("idp.key"), None)
            .unwrap()
            .key;
        let cases = [
            (SignatureAlgorithm::RsaSha256, IDP_PKCS1_SHA256),
            (SignatureAlgorithm::RsaSha384, IDP_PKCS1_SHA384),
            (SignatureAlgorithm::RsaSha512, IDP_PKCS1_SHA512),
        ];
        for (alg, openssl) in cases {
            assert_eq!(
                RustCrypto::sign(&key, alg, MESSAGE).unwrap(),
                b64(openssl),
                "{}",
                alg.name()
            );
        }
        let idp = public("idp.crt");
        for alg in [
            SignatureAlgorithm::RsaPssSha256,
            SignatureAlgorithm::RsaPssSha384,
            SignatureAlgorithm::RsaPssSha512,
        ] {
            let first = RustCrypto::sign(&key, alg, MESSAGE).unwrap();
            let second = RustCrypto::sign(&key, alg, MESSAGE).unwrap();
            assert_eq!(first.len(), 256);
            assert_ne!(first, second, "{}: PSS salts are random", alg.name());
            RustCrypto::verify(&idp, alg, false, MESSAGE, &first).unwrap();
            RustCrypto::verify(&idp, alg, false, MESSAGE, &second).unwrap();
        }
        for alg in [
            SignatureAlgorithm::RsaSha1,
            SignatureAlgorithm::EcdsaSha256,
            SignatureAlgorithm::EcdsaSha384,
        ] {
            assert!(
                matches!(
                    RustCrypto::sign(&key, alg, MESSAGE),
                    Err(Error::Signing { .. })
                ),
                "{}",
                alg.name()
            );
        }
    }

    #[test]
    fn private_keys_must_be_rsa_of_2048_bits_or_more() {
        for name in ["weak.key", "idp-p256.key", "idp-p384.key", "idp.crt"] {
            let pem = key_file(name);
            assert!(crate::SigningKey::from_pem(&pem, None).is_err(), "{name}");
            assert!(crate::DecryptionKey::from_pem(&pem).is_err(), "{name}");
        }
        assert!(RustCrypto::signing_key(b"\x30\x00").is_err());
        assert!(RustCrypto::decrypting_key(&[]).is_err());
    }

    #[test]
    fn rsa_oaep_decrypts_openssl_ciphertexts_with_matching_parameters_only() {
        let sp = crate::DecryptionKey::from_pem(&key_file("sp.key"))
            .unwrap()
            .key;
        let idp = crate::DecryptionKey::from_pem(&key_file("idp.key"))
            .unwrap()
            .key;
        for (params, ciphertext) in [(Oaep::Sha1, SP_OAEP_SHA1), (Oaep::Sha256, SP_OAEP_SHA256)] {
            let ct = b64(ciphertext);
            assert_eq!(
                RustCrypto::rsa_oaep_decrypt(&sp, params, &ct)
                    .unwrap()
                    .as_slice(),
                b"0123456789abcdef"
            );
            let other = if params == Oaep::Sha1 {
                Oaep::Sha256
            } else {
                Oaep::Sha1
            };
            assert!(
                RustCrypto::rsa_oaep_decrypt(&sp, other, &ct).is_err(),
                "{params:?} read as {other:?}"
            );
            assert!(
                RustCrypto::rsa_oaep_decrypt(&idp, params, &ct).is_err(),
                "{params:?} under the wrong key"
            );
            assert!(RustCrypto::rsa_oaep_decrypt(&sp, params, ct.get(1..).unwrap()).is_err());
            assert!(RustCrypto::rsa_oaep_decrypt(&sp, params, &[&[0][..], &ct].concat()).is_err());
            let mut flipped = ct.clone();
            *flipped.last_mut().unwrap() ^= 1;
            assert!(RustCrypto::rsa_oaep_decrypt(&sp, params, &flipped).is_err());
        }
    }

    #[test]
    fn digests_match_fips_180_examples() {
        // FIPS 180-2 appendix examples for the message "abc".
        let cases = [
            (
                DigestAlgorithm::Sha1,
                "a9993e364706816aba3e25717850c26c9cd0d89d",
            ),
            (
                DigestAlgorithm::Sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                DigestAlgorithm::Sha384,
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            ),
            (
                DigestAlgorithm::Sha512,
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
        ];
        for (alg, expected) in cases {
            assert_eq!(
                RustCrypto::digest(alg, b"abc").as_bytes(),
                hex(expected),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn aes_gcm_matches_the_gcm_spec_test_case_3() {
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 3 (AES-128, no AAD).
        let key = hex("feffe9928665731c6d6a8f9467308308");
        let iv = hex("cafebabefacedbaddecaf888");
        let ct = hex(
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
             21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
        );
        let tag = hex("4d5c2af327cd64a62cf35abd2ba6fab4");
        let pt = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
        );
        let data = [iv.as_slice(), &ct, &tag].concat();
        assert_eq!(
            *RustCrypto::aes_decrypt(AesMode::Gcm, &key, &data).unwrap(),
            pt
        );
        let mut tampered = data.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(RustCrypto::aes_decrypt(AesMode::Gcm, &key, &tampered).is_err());
        assert!(RustCrypto::aes_decrypt(AesMode::Gcm, &key, data.get(..12 + 15).unwrap()).is_err());
        assert!(RustCrypto::aes_decrypt(AesMode::Gcm, &key[..15], &data).is_err());
    }

    #[test]
    fn aes_cbc_matches_sp800_38a_and_keeps_padding() {
        // NIST SP 800-38A F.2.2 (CBC-AES128.Decrypt), first two blocks; F.2.4 (AES-192) first block.
        let iv = hex("000102030405060708090a0b0c0d0e0f");
        let cases = [
            (
                "2b7e151628aed2a6abf7158809cf4f3c",
                "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2",
                "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
            ),
            (
                "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
                "4f021db243bc633d7178183a9fa071e8",
                "6bc1bee22e409f96e93d7e117393172a",
            ),
            (
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                "f58c4c04d6e5f1ba779eabfb5f7bfbd6",
                "6bc1bee22e409f96e93d7e117393172a",
            ),
        ];
        for (key, ct, pt) in cases {
            let data = [iv.clone(), hex(ct)].concat();
            assert_eq!(
                *RustCrypto::aes_decrypt(AesMode::Cbc, &hex(key), &data).unwrap(),
                hex(pt),
                "{key}"
            );
        }
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
        assert!(
            RustCrypto::aes_decrypt(AesMode::Cbc, &key, &iv).is_err(),
            "empty body"
        );
        assert!(
            RustCrypto::aes_decrypt(AesMode::Cbc, &key, &[iv.clone(), vec![0; 17]].concat())
                .is_err()
        );
        assert!(RustCrypto::aes_decrypt(AesMode::Cbc, &key, &iv[..8]).is_err());
    }
}
