//! The aws-lc-rs backend (default): constant-time private-key operations, the fastest RSA on this target.

use std::sync::Arc;

use aws_lc_rs::signature::{self, ParsedPublicKey, UnparsedPublicKey, VerificationAlgorithm};
use aws_lc_rs::{aead, cipher, digest, rand, rsa};
use zeroize::Zeroizing;

use super::{
    AesMode, Digest, DigestAlgorithm, KeyType, Oaep, Provider, SignatureAlgorithm, invalid_key,
};
use crate::error::{Error, Result};

pub(crate) struct AwsLc;

/// aws-lc names its refusals tersely ("TooSmall"); say what an operator can do about them.
fn rsa_private_key_error(e: aws_lc_rs::error::KeyRejected) -> Error {
    let reason = match e.description_() {
        "TooSmall" => "RSA key below 2048 bits; 2048 to 8192 are supported".to_owned(),
        "TooLarge" => "RSA key above 8192 bits; 2048 to 8192 are supported".to_owned(),
        other => format!("not a PKCS#8 RSA private key ({other})"),
    };
    invalid_key("private key", reason)
}

/// A pinned public key, pre-parsed for the algorithms IdPs use; others are parsed on use.
#[derive(Clone)]
pub(crate) struct PublicKey {
    spki: Arc<[u8]>,
    /// rsa-sha256, rsa-sha384, rsa-sha512 (keys of 2048 bits and more), or the ECDSA key.
    fast: [Option<ParsedPublicKey>; 3],
}

fn legacy_or_slow(
    alg: SignatureAlgorithm,
    legacy: bool,
) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match (alg, legacy) {
        (SignatureAlgorithm::RsaSha1, true) => {
            &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY
        }
        (SignatureAlgorithm::RsaSha256, true) => {
            &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        }
        (SignatureAlgorithm::RsaSha512, true) => {
            &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
        }
        (SignatureAlgorithm::RsaSha256, false) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (SignatureAlgorithm::RsaSha384, _) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (SignatureAlgorithm::RsaSha512, false) => &signature::RSA_PKCS1_2048_8192_SHA512,
        (SignatureAlgorithm::RsaPssSha256, _) => &signature::RSA_PSS_2048_8192_SHA256,
        (SignatureAlgorithm::RsaPssSha384, _) => &signature::RSA_PSS_2048_8192_SHA384,
        (SignatureAlgorithm::RsaPssSha512, _) => &signature::RSA_PSS_2048_8192_SHA512,
        (SignatureAlgorithm::EcdsaSha256, _) => &signature::ECDSA_P256_SHA256_FIXED,
        (SignatureAlgorithm::EcdsaSha384, _) => &signature::ECDSA_P384_SHA384_FIXED,
        (SignatureAlgorithm::RsaSha1, false) => return None,
    })
}

impl Provider for AwsLc {
    const NAME: &'static str = "aws-lc";
    type PublicKey = PublicKey;
    type SigningKey = signature::RsaKeyPair;
    type DecryptingKey = rsa::OaepPrivateDecryptingKey;

    fn digest(alg: DigestAlgorithm, data: &[u8]) -> Digest {
        let algorithm = match alg {
            DigestAlgorithm::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            DigestAlgorithm::Sha256 => &digest::SHA256,
            DigestAlgorithm::Sha384 => &digest::SHA384,
            DigestAlgorithm::Sha512 => &digest::SHA512,
        };
        Digest::new(digest::digest(algorithm, data).as_ref())
    }

    fn parse_public_key(key_type: KeyType, spki_der: &[u8]) -> Result<PublicKey> {
        let parse =
            |alg: &'static dyn VerificationAlgorithm| ParsedPublicKey::new(alg, spki_der).ok();
        let fast = match key_type {
            KeyType::Rsa => [
                parse(&signature::RSA_PKCS1_2048_8192_SHA256),
                parse(&signature::RSA_PKCS1_2048_8192_SHA384),
                parse(&signature::RSA_PKCS1_2048_8192_SHA512),
            ],
            KeyType::EcP256 => [parse(&signature::ECDSA_P256_SHA256_FIXED), None, None],
            KeyType::EcP384 => [parse(&signature::ECDSA_P384_SHA384_FIXED), None, None],
        };
        // A 1024-bit RSA key does not parse for the 2048-bit algorithms; it stays usable on the legacy path.
        if key_type != KeyType::Rsa && fast[0].is_none() {
            return Err(invalid_key(
                "public key",
                "not a valid EC public key for its curve",
            ));
        }
        Ok(PublicKey {
            spki: spki_der.into(),
            fast,
        })
    }

    fn verify(
        key: &PublicKey,
        alg: SignatureAlgorithm,
        legacy: bool,
        message: &[u8],
        sig: &[u8],
    ) -> std::result::Result<(), ()> {
        let fast = match alg {
            SignatureAlgorithm::RsaSha256
            | SignatureAlgorithm::EcdsaSha256
            | SignatureAlgorithm::EcdsaSha384 => key.fast[0].as_ref(),
            SignatureAlgorithm::RsaSha384 => key.fast[1].as_ref(),
            SignatureAlgorithm::RsaSha512 => key.fast[2].as_ref(),
            _ => None,
        };
        if let Some(parsed) = fast {
            // Keys below 2048 bits parse for these algorithms but never verify: they take the legacy path.
            if parsed.verify_sig(message, sig).is_ok() {
                return Ok(());
            }
            if !legacy {
                return Err(());
            }
        }
        let algorithm = legacy_or_slow(alg, legacy).ok_or(())?;
        UnparsedPublicKey::new(algorithm, &key.spki[..])
            .verify(message, sig)
            .map_err(|_| ())
    }

    fn signing_key(pkcs8_der: &[u8]) -> Result<Self::SigningKey> {
        signature::RsaKeyPair::from_pkcs8(pkcs8_der).map_err(rsa_private_key_error)
    }

    fn sign(key: &Self::SigningKey, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>> {
        let padding: &'static dyn signature::RsaEncoding = match alg {
            SignatureAlgorithm::RsaSha256 => &signature::RSA_PKCS1_SHA256,
            SignatureAlgorithm::RsaSha384 => &signature::RSA_PKCS1_SHA384,
            SignatureAlgorithm::RsaSha512 => &signature::RSA_PKCS1_SHA512,
            SignatureAlgorithm::RsaPssSha256 => &signature::RSA_PSS_SHA256,
            SignatureAlgorithm::RsaPssSha384 => &signature::RSA_PSS_SHA384,
            SignatureAlgorithm::RsaPssSha512 => &signature::RSA_PSS_SHA512,
            _ => {
                return Err(Error::Signing {
                    reason: "only RSA signing algorithms of SHA-256 or stronger",
                });
            }
        };
        let mut out = vec![0u8; key.public_modulus_len()];
        key.sign(padding, &rand::SystemRandom::new(), message, &mut out)
            .map_err(|_| Error::Signing {
                reason: "aws-lc refused to sign",
            })?;
        Ok(out)
    }

    fn decrypting_key(pkcs8_der: &[u8]) -> Result<Self::DecryptingKey> {
        let key = rsa::PrivateDecryptingKey::from_pkcs8(pkcs8_der)
            .map_err(|e| invalid_key("private key", e))?;
        rsa::OaepPrivateDecryptingKey::new(key).map_err(|e| invalid_key("private key", e))
    }

    fn rsa_oaep_decrypt(
        key: &Self::DecryptingKey,
        params: Oaep,
        ciphertext: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, ()> {
        let algorithm = match params {
            Oaep::Sha1 => &rsa::OAEP_SHA1_MGF1SHA1,
            Oaep::Sha256 => &rsa::OAEP_SHA256_MGF1SHA256,
        };
        let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
        let len = key
            .decrypt(algorithm, ciphertext, &mut out, None)
            .map_err(|_| ())?
            .len();
        out.truncate(len);
        Ok(out)
    }

    fn aes_decrypt(
        mode: AesMode,
        key: &[u8],
        data: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, ()> {
        match mode {
            AesMode::Cbc => {
                let algorithm = match key.len() {
                    16 => &cipher::AES_128,
                    24 => &cipher::AES_192,
                    32 => &cipher::AES_256,
                    _ => return Err(()),
                };
                let (iv, body) = data.split_at_checked(16).ok_or(())?;
                if body.is_empty() || body.len() % 16 != 0 {
                    return Err(());
                }
                let iv: [u8; 16] = iv.try_into().map_err(|_| ())?;
                let unbound = cipher::UnboundCipherKey::new(algorithm, key).map_err(|_| ())?;
                let decrypting = cipher::DecryptingKey::cbc(unbound).map_err(|_| ())?;
                let mut buf = Zeroizing::new(body.to_vec());
                let context = cipher::DecryptionContext::Iv128(iv.into());
                let len = decrypting.decrypt(&mut buf, context).map_err(|_| ())?.len();
                buf.truncate(len);
                Ok(buf)
            }
            AesMode::Gcm => {
                let algorithm = match key.len() {
                    16 => &aead::AES_128_GCM,
                    24 => &aead::AES_192_GCM,
                    32 => &aead::AES_256_GCM,
                    _ => return Err(()),
                };
                let (iv, body) = data.split_at_checked(12).ok_or(())?;
                if body.len() < 16 {
                    return Err(());
                }
                let nonce = aead::Nonce::try_assume_unique_for_key(iv).map_err(|_| ())?;
                let k =
                    aead::LessSafeKey::new(aead::UnboundKey::new(algorithm, key).map_err(|_| ())?);
                let mut buf = Zeroizing::new(body.to_vec());
                let len = k
                    .open_in_place(nonce, aead::Aad::empty(), &mut buf)
                    .map_err(|_| ())?
                    .len();
                buf.truncate(len);
                Ok(buf)
            }
        }
    }
}
