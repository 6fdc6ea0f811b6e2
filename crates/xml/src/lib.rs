//! Hardened XML for SSO: one parser into one tree, canonicalization, XML-DSig verification and signing,
//! XML-Enc decryption — all in Rust, no libxml2 or xmlsec1.
//!
//! Every SAML signature bypass of the last decade came from the signature checker and the data reader
//! looking at different XML. Here there is one parse and one tree ([`Document`]), and [`verify_enveloped`]
//! returns a [`VerifiedElement`]: a handle to exactly the element its signature's reference covered, that
//! can only be read downward and never shows the signature itself. Code that reads data only through that
//! handle cannot be fooled by signature wrapping, comment splitting or a second copy of the element.
//!
//! ```
//! use gatehouse_xml::{Document, PinnedKeys, VerifyPolicy, verify_enveloped};
//!
//! // An Okta-shaped response whose Assertion was signed by `xmlsec1` (see testdata/README.md).
//! let xml = include_bytes!("../../../testdata/saml/accept-assertion-signed/response.xml");
//! let idp_cert = include_str!("../../../testdata/keys/idp.crt");
//!
//! let keys = PinnedKeys::from_pem(idp_cert)?; // parsed once, reused for every response
//! let doc = Document::parse(xml)?;            // DTDs, unknown entities, duplicate IDs: refused here
//! let assertion = doc
//!     .root()
//!     .child_elements()
//!     .find(|e| e.is("urn:oasis:names:tc:SAML:2.0:assertion", "Assertion"))
//!     .expect("the fixture has one");
//! let verified = verify_enveloped(assertion, &keys, &VerifyPolicy::strict())?;
//!
//! // Read only through the verified handle.
//! let subject = verified.children_named("urn:oasis:names:tc:SAML:2.0:assertion", "Subject").next();
//! assert!(subject.is_some());
//! assert!(verified.child_elements().all(|e| e.name() != "Signature"));
//! # Ok::<(), gatehouse_xml::Error>(())
//! ```
//!
//! What is refused, by construction rather than by patches:
//! - **Parsing**: any DOCTYPE, entities other than the five predefined, non-UTF-8 input, unbound prefixes,
//!   duplicate attributes, duplicate `ID`/`Id`/`id`/`xml:id` values, and inputs beyond [`Limits`].
//! - **Signature shape**: more than one `Signature` on an element, more than one `Reference`, a reference
//!   to anything but the signature's parent, transforms other than enveloped-signature plus one c14n
//!   (no XPath, XSLT, base64, XPointer, `Object`), comments anywhere inside the signature.
//! - **Trust**: keys come only from pinned certificates ([`PinnedKeys`]); a certificate in `KeyInfo` can only
//!   pick among them. SHA-1 and RSA below 2048 bits need [`VerifyPolicy::allow_sha1`]; DSA and HMAC never.
//! - **Decryption** ([`decrypt`]): rsa-1_5 and 3DES are refused; every failure after the algorithms are
//!   read is one opaque [`Error::DecryptionFailed`], so there is no padding or parse oracle.
//!
//! Crypto comes from the `aws-lc` backend (default) or `rust-crypto` (pure Rust; its RSA private-key
//! operations — signing and decryption — are not constant-time, RUSTSEC-2023-0071).

pub mod c14n;
pub mod crypto;
pub mod decrypt;
pub mod dsig;
mod error;
mod keys;
mod limits;
pub mod sign;
mod tree;

pub use crypto::{DigestAlgorithm, KeyType, SignatureAlgorithm};
pub use dsig::{SignatureInfo, VerifiedElement, VerifyPolicy, verify_detached, verify_enveloped};
pub use error::{Error, Result};
pub use keys::{DecryptionKey, PinnedKey, PinnedKeys, SigningKey, decode_base64, fingerprint_hex};
pub use limits::Limits;
pub use tree::{
    Attribute, Children, Descendants, Document, Element, Namespace, Node, NodeId, XML_NS,
};

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the cargo-fuzz targets in `fuzz/` and the corpus replay test. Each must return
    //! normally on every input.

    use std::sync::OnceLock;

    use crate::c14n::{self, Method};
    use crate::{DecryptionKey, Document, PinnedKeys, VerifyPolicy};

    /// Parses `data` and walks the tree.
    pub fn parse(data: &[u8]) {
        if let Ok(doc) = Document::parse(data) {
            for e in doc.root().descendants() {
                let _ = e.text();
                let _ = e.namespaces_in_scope();
            }
        }
    }

    /// Parses `data` and canonicalizes the root and each child element with every method.
    pub fn c14n(data: &[u8]) {
        let Ok(doc) = Document::parse(data) else {
            return;
        };
        let mut out = Vec::new();
        for uri in [
            c14n::EXC,
            c14n::EXC_COMMENTS,
            c14n::C14N10,
            c14n::C14N11_COMMENTS,
        ] {
            let Some(m) = Method::from_uri(uri) else {
                continue;
            };
            let m = m
                .with_prefix_list("#default xs")
                .unwrap_or_else(|_| Method::exclusive());
            for e in std::iter::once(doc.root()).chain(doc.root().child_elements()) {
                out.clear();
                let _ = m.canonicalize(e, None, &mut out);
            }
            out.clear();
            let _ = m.canonicalize_document(&doc, None, &mut out);
        }
    }

    /// The public test certificate `testdata/keys/idp.crt` (protects nothing).
    fn pinned() -> Option<&'static PinnedKeys> {
        static KEYS: OnceLock<Option<PinnedKeys>> = OnceLock::new();
        KEYS.get_or_init(|| {
            PinnedKeys::from_pem(include_str!("../../../testdata/keys/idp.crt")).ok()
        })
        .as_ref()
    }

    /// Verifies every signature in `data` on its parent with a fixed pinned key, under both policies.
    pub fn verify(data: &[u8]) {
        let (Ok(doc), Some(keys)) = (Document::parse(data), pinned()) else {
            return;
        };
        for e in std::iter::once(doc.root()).chain(doc.root().descendants()) {
            if crate::dsig::signature_children(e).next().is_some() {
                let _ = crate::verify_enveloped(e, keys, &VerifyPolicy::strict());
                let _ = crate::verify_enveloped(e, keys, &VerifyPolicy::strict().allow_sha1(true));
            }
        }
    }

    /// The test key `testdata/keys/sp.key` (a fixture; protects nothing).
    fn sp_key() -> Option<&'static DecryptionKey> {
        static KEY: OnceLock<Option<DecryptionKey>> = OnceLock::new();
        KEY.get_or_init(|| {
            DecryptionKey::from_pem(include_str!("../../../testdata/keys/sp.key")).ok()
        })
        .as_ref()
    }

    /// Decrypts every element of `data` that holds an `EncryptedData`, and parses what comes out.
    pub fn decrypt(data: &[u8]) {
        let (Ok(doc), Some(key)) = (Document::parse(data), sp_key()) else {
            return;
        };
        for e in std::iter::once(doc.root()).chain(doc.root().descendants()) {
            if e.child_elements()
                .any(|c| c.is(crate::decrypt::XENC_NS, "EncryptedData"))
                && let Ok(d) = crate::decrypt::decrypt(e, key)
                && let Ok(inner) = d.parse(&crate::Limits::default())
            {
                let _ = crate::decrypt::Decrypted::element(&inner).map(|el| el.text());
            }
        }
    }
}
