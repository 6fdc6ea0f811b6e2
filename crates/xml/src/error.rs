//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in this crate. Every variant is a refusal: nothing is returned alongside it.
///
/// Parse errors carry the byte offset in the input. Signature errors carry what was expected and what
/// arrived; [`Error::admin_hint`] says what an IdP administrator can change when the fix is theirs.
/// No variant ever holds key material, decrypted data or a whole document.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ---- parsing -------------------------------------------------------------------------------
    /// The input is larger than [`Limits::max_bytes`](crate::Limits::max_bytes).
    #[error("document is {actual} bytes, larger than the limit of {limit} bytes")]
    TooLarge {
        /// The configured limit.
        limit: usize,
        /// The input's size.
        actual: usize,
    },
    /// The input is not UTF-8, or declares another encoding.
    #[error("document is not UTF-8 (at byte {offset})")]
    NotUtf8 {
        /// Byte offset of the first offending byte.
        offset: usize,
    },
    /// A character XML 1.0 does not allow (control characters, U+FFFE, U+FFFF).
    #[error("character not allowed in XML at byte {offset}")]
    InvalidChar {
        /// Byte offset of the character.
        offset: usize,
    },
    /// A `<!DOCTYPE …>` declaration. DTDs enable entity expansion and external fetches, so they are refused.
    #[error("DOCTYPE declarations are not accepted (at byte {offset})")]
    Doctype {
        /// Byte offset of the declaration.
        offset: usize,
    },
    /// An entity reference other than the five predefined ones (`&lt;` `&gt;` `&amp;` `&apos;` `&quot;`)
    /// and character references.
    #[error("entity reference `&{name};` is not accepted (at byte {offset})")]
    EntityReference {
        /// The entity's name.
        name: String,
        /// Byte offset of the reference.
        offset: usize,
    },
    /// A namespace prefix used without a declaration in scope.
    #[error("namespace prefix `{prefix}` is not declared (at byte {offset})")]
    UnboundPrefix {
        /// The prefix.
        prefix: String,
        /// Byte offset of the element that uses it.
        offset: usize,
    },
    /// Two attributes with the same name (or the same namespace and local name) on one element.
    #[error("attribute `{name}` appears twice (at byte {offset})")]
    DuplicateAttribute {
        /// The attribute's name.
        name: String,
        /// Byte offset of the element.
        offset: usize,
    },
    /// Two elements carry the same `ID` (or `Id`, `id`, `xml:id`) value: the classic set-up for signature wrapping.
    #[error("ID `{id}` appears on more than one element (second at byte {offset})")]
    DuplicateId {
        /// The repeated value.
        id: String,
        /// Byte offset of the second element.
        offset: usize,
    },
    /// A configured limit was exceeded.
    #[error("{what} exceeds the limit of {limit} (at byte {offset})")]
    LimitExceeded {
        /// Which limit: "depth", "attributes", "nodes", "name length" or "namespace declarations".
        what: &'static str,
        /// The configured limit.
        limit: usize,
        /// Byte offset where it was exceeded.
        offset: usize,
    },
    /// The document is not well-formed XML.
    #[error("malformed XML at byte {offset}: {message}")]
    Malformed {
        /// What is wrong.
        message: String,
        /// Byte offset of the problem.
        offset: usize,
    },

    // ---- canonicalization -----------------------------------------------------------------------
    /// Canonicalization could not be done faithfully (for example C14N 1.1 `xml:base` fix-up).
    #[error("canonicalization refused: {reason}")]
    Canonicalization {
        /// Why.
        reason: &'static str,
    },

    // ---- signatures ---------------------------------------------------------------------------
    /// The element carries no `ds:Signature` child.
    #[error("element <{element}> is not signed")]
    NotSigned {
        /// The element that was expected to be signed.
        element: String,
    },
    /// The `Signature` does not have the one shape this verifier accepts.
    #[error("signature shape refused: expected {expected}, found {found}")]
    SignatureShape {
        /// What the verifier requires.
        expected: &'static str,
        /// What the document has.
        found: String,
    },
    /// An algorithm URI this verifier does not implement or refuses on principle (XPath, XSLT, DSA, HMAC, …).
    #[error("{role} algorithm `{uri}` is not supported")]
    UnsupportedAlgorithm {
        /// "canonicalization", "transform", "signature", "digest", "key transport" or "encryption".
        role: &'static str,
        /// The algorithm URI as it appeared.
        uri: String,
    },
    /// SHA-1 or an RSA key below 2048 bits, refused unless the policy opts in to legacy algorithms.
    #[error(
        "legacy cryptography refused: {what} (enable it only for an IdP that cannot do better)"
    )]
    LegacyCrypto {
        /// What was legacy, e.g. "rsa-sha1 signature" or "RSA-1024 key".
        what: String,
    },
    /// The `Reference` does not point at the element that holds the signature.
    #[error(
        "signature reference `{found}` does not cover the signed element (expected `{expected}`)"
    )]
    ReferenceMismatch {
        /// The URI that would cover the element.
        expected: String,
        /// The URI in the `Reference`.
        found: String,
    },
    /// The element's content does not match the signed digest: it was changed after signing.
    #[error("digest mismatch: the signed element was modified after it was signed")]
    DigestMismatch,
    /// No pinned key verifies the signature value.
    #[error("signature value does not verify with any pinned key ({tried} tried)")]
    BadSignature {
        /// How many pinned keys of the right type were tried.
        tried: usize,
    },
    /// `KeyInfo` carries a certificate that is not among the pinned ones; it can never add trust.
    #[error("signed with a certificate that is not pinned (SHA-256 fingerprint {fingerprint})")]
    UntrustedCertificate {
        /// SHA-256 fingerprint of the certificate in `KeyInfo`, as colon-separated hex.
        fingerprint: String,
    },
    /// No pinned key has the type the signature algorithm needs (e.g. an EC signature, only RSA keys pinned).
    #[error("no pinned key fits signature algorithm {algorithm}")]
    NoSuitableKey {
        /// The signature algorithm.
        algorithm: &'static str,
    },
    /// Base64 content (a digest, signature, certificate or cipher value) is not valid base64.
    #[error("{what} is not valid base64")]
    Base64 {
        /// Which value.
        what: &'static str,
    },

    // ---- keys and certificates ----------------------------------------------------------------
    /// A certificate or key could not be read.
    #[error("invalid {what}: {reason}")]
    InvalidKey {
        /// "certificate", "private key" or "public key".
        what: &'static str,
        /// Why.
        reason: String,
    },

    // ---- encryption ---------------------------------------------------------------------------
    /// Decryption failed. Deliberately one opaque variant for every cause (wrong key, bad padding,
    /// bad tag, corrupt data), so that responses cannot be used as a padding oracle.
    #[error("decryption failed")]
    DecryptionFailed,
    /// The `EncryptedData` does not have a shape this decryptor accepts.
    #[error("encrypted data refused: expected {expected}, found {found}")]
    EncryptionShape {
        /// What is required.
        expected: &'static str,
        /// What arrived.
        found: String,
    },
    /// Signing failed inside the crypto backend.
    #[error("signing failed: {reason}")]
    Signing {
        /// Why.
        reason: &'static str,
    },
}

impl Error {
    /// What an IdP administrator (or the SP's operator) can change to make this go away, when the fix is
    /// theirs; `None` for errors that mean the message itself is broken or hostile.
    #[must_use]
    pub fn admin_hint(&self) -> Option<&'static str> {
        Some(match self {
            Self::UntrustedCertificate { .. } => {
                "The IdP signed with a certificate this connection does not pin. If the IdP rotated its \
                 signing certificate, add the new one to the connection (in Okta: the application's Sign On \
                 tab, SAML Signing Certificates, download the active certificate); keep the old one pinned \
                 until the rotation is complete."
            }
            Self::BadSignature { .. } | Self::NoSuitableKey { .. } => {
                "The signature does not match the pinned certificate. Check that the certificate pinned for \
                 this connection is the IdP's current signing certificate (in Okta: the application's Sign On \
                 tab, SAML Signing Certificates)."
            }
            Self::LegacyCrypto { .. } => {
                "The IdP signs with SHA-1 or a key shorter than 2048 bits. Switch the IdP to SHA-256 (in Okta: \
                 the application's SAML settings, Signature Algorithm RSA-SHA256 and Digest Algorithm SHA256) \
                 and a 2048-bit certificate; enable legacy algorithms on the connection only as a stopgap."
            }
            Self::UnsupportedAlgorithm { .. } => {
                "Configure the IdP to sign with RSA-SHA256 and exclusive canonicalization, and to encrypt \
                 with RSA-OAEP and AES-GCM or AES-CBC."
            }
            Self::NotSigned { .. } => {
                "The IdP did not sign this message. Enable response or assertion signing in the IdP's SAML \
                 settings (Okta signs assertions by default)."
            }
            Self::DecryptionFailed => {
                "The IdP may have encrypted to a different certificate than this connection's SP certificate. \
                 Upload the SP certificate again as the IdP's encryption certificate."
            }
            _ => return None,
        })
    }

    /// A stable snake_case name for the variant, for logs, metrics and JSON output.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::NotUtf8 { .. } => "not_utf8",
            Self::InvalidChar { .. } => "invalid_char",
            Self::Doctype { .. } => "doctype",
            Self::EntityReference { .. } => "entity_reference",
            Self::UnboundPrefix { .. } => "unbound_prefix",
            Self::DuplicateAttribute { .. } => "duplicate_attribute",
            Self::DuplicateId { .. } => "duplicate_id",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::Malformed { .. } => "malformed",
            Self::Canonicalization { .. } => "canonicalization",
            Self::NotSigned { .. } => "not_signed",
            Self::SignatureShape { .. } => "signature_shape",
            Self::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            Self::LegacyCrypto { .. } => "legacy_crypto",
            Self::ReferenceMismatch { .. } => "reference_mismatch",
            Self::DigestMismatch => "digest_mismatch",
            Self::BadSignature { .. } => "bad_signature",
            Self::UntrustedCertificate { .. } => "untrusted_certificate",
            Self::NoSuitableKey { .. } => "no_suitable_key",
            Self::Base64 { .. } => "base64",
            Self::InvalidKey { .. } => "invalid_key",
            Self::DecryptionFailed => "decryption_failed",
            Self::EncryptionShape { .. } => "encryption_shape",
            Self::Signing { .. } => "signing",
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
