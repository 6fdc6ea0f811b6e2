//! XML-Enc decryption of `EncryptedData` with an RSA-OAEP `EncryptedKey` (what SAML IdPs send in
//! `EncryptedAssertion`).
//!
//! Encryption gives no authenticity — anyone can encrypt to the SP's public key — so the decrypted element
//! must still be covered by a verified signature; the SAML layer insists on it. To deny padding and
//! parse oracles (Jager and Somorovsky, "How to break XML encryption", 2011), every failure after the
//! algorithms are read — RSA, padding, tag, and parsing the plaintext — is the same [`Error::DecryptionFailed`].

use zeroize::Zeroizing;

use crate::crypto::{Active, AesMode, DigestAlgorithm, Oaep, Provider};
use crate::dsig::{DSIG_NS, SignatureInfo, VerifiedElement};
use crate::error::{Error, Result};
use crate::keys::{DecryptionKey, decode_base64};
use crate::limits::Limits;
use crate::tree::{Document, Element};

/// The XML-Enc namespace.
pub const XENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
/// The XML-Enc 1.1 namespace.
pub const XENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";
const WRAPPER_NS: &str = "urn:gatehouse:decrypted";

/// Decrypts the one `xenc:EncryptedData` child of `container` (an `EncryptedAssertion`, `EncryptedID`, …).
/// The `EncryptedKey` may sit in the `EncryptedData`'s `KeyInfo` or beside it in the container (Okta's
/// `RetrievalMethod` layout); when several are present, each is tried.
///
/// # Errors
/// [`Error::EncryptionShape`] or [`Error::UnsupportedAlgorithm`] (rsa-1_5 and 3DES are refused) for what
/// can be judged without the key; [`Error::DecryptionFailed`] for everything after.
pub fn decrypt(container: Element<'_, '_>, key: &DecryptionKey) -> Result<Decrypted> {
    let mut data = container
        .child_elements()
        .filter(|e| e.is(XENC_NS, "EncryptedData"));
    let encrypted_data = data
        .next()
        .ok_or_else(|| shape("an EncryptedData element", container.qname()))?;
    if data.next().is_some() {
        return Err(shape("exactly one EncryptedData", "several"));
    }
    if let Some(t) = encrypted_data.attr("Type")
        && t != "http://www.w3.org/2001/04/xmlenc#Element"
    {
        return Err(shape("Type=\"…#Element\"", t));
    }
    let content_method = child(encrypted_data, XENC_NS, "EncryptionMethod")?;
    let (mode, key_len) = content_algorithm(attr(content_method, "Algorithm")?)?;
    let ciphertext = cipher_value(encrypted_data)?;

    let mut encrypted_keys: Vec<Element<'_, '_>> = Vec::new();
    if let Some(ki) = encrypted_data
        .child_elements()
        .find(|e| e.is(DSIG_NS, "KeyInfo"))
    {
        encrypted_keys.extend(
            ki.child_elements()
                .filter(|e| e.is(XENC_NS, "EncryptedKey")),
        );
    }
    encrypted_keys.extend(
        container
            .child_elements()
            .filter(|e| e.is(XENC_NS, "EncryptedKey")),
    );
    if encrypted_keys.is_empty() {
        return Err(shape(
            "an EncryptedKey in KeyInfo or beside EncryptedData",
            "none",
        ));
    }
    let transports = encrypted_keys
        .iter()
        .map(|ek| {
            Ok((
                oaep_params(child(*ek, XENC_NS, "EncryptionMethod")?)?,
                cipher_value(*ek)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;

    // From here on, every failure looks the same.
    let content_key = transports
        .iter()
        .find_map(|(params, wrapped)| {
            Active::rsa_oaep_decrypt(&key.key, *params, wrapped)
                .ok()
                .filter(|k| k.len() == key_len)
        })
        .ok_or(Error::DecryptionFailed)?;
    let mut plaintext = Active::aes_decrypt(mode, &content_key, &ciphertext)
        .map_err(|()| Error::DecryptionFailed)?;
    if mode == AesMode::Cbc {
        strip_iso10126(&mut plaintext)?;
    }
    Decrypted::wrap(container, &plaintext)
}

/// Decrypts the `EncryptedData` of a container that a verified signature covers (an `EncryptedAssertion`
/// inside a signed `Response`). The signature covers the ciphertext and the wrapped key, so the decrypted
/// element is covered too: [`VerifiedDecrypted::element`] hands it out as a [`VerifiedElement`] carrying
/// the outer signature's details.
///
/// # Errors
/// As [`decrypt`].
pub fn decrypt_verified(
    container: VerifiedElement<'_, '_>,
    key: &DecryptionKey,
) -> Result<VerifiedDecrypted> {
    let info = container.signature_info();
    Ok(VerifiedDecrypted {
        inner: decrypt(container.as_unverified(), key)?,
        info,
    })
}

/// The result of [`decrypt_verified`].
#[derive(Debug)]
pub struct VerifiedDecrypted {
    inner: Decrypted,
    info: SignatureInfo,
}

impl VerifiedDecrypted {
    /// Parses the decrypted XML (see [`Decrypted::parse`]).
    ///
    /// # Errors
    /// [`Error::DecryptionFailed`] unless it is exactly one well-formed element.
    pub fn parse(&self, limits: &Limits) -> Result<Document<'_>> {
        self.inner.parse(limits)
    }

    /// The decrypted element of a document returned by [`VerifiedDecrypted::parse`], as covered by the
    /// outer signature.
    #[must_use]
    pub fn element<'d, 'a>(&self, doc: &'d Document<'a>) -> Option<VerifiedElement<'d, 'a>> {
        Decrypted::element(doc).map(|e| VerifiedElement::covered(e, self.info))
    }
}

/// Decrypted XML, ready to be parsed with the same hardened parser as everything else.
pub struct Decrypted {
    /// The plaintext inside a wrapper element that re-declares the namespaces in scope where the
    /// `EncryptedData` was, so the plaintext's prefixes resolve as they did before encryption.
    xml: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Decrypted({} bytes, [redacted])", self.xml.len())
    }
}

impl Decrypted {
    fn wrap(container: Element<'_, '_>, plaintext: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(plaintext).map_err(|_| Error::DecryptionFailed)?;
        let mut xml = String::with_capacity(text.len() + 256);
        xml.push_str("<gatehouse-decrypted xmlns=\"");
        xml.push_str(WRAPPER_NS);
        xml.push('"');
        for ns in container.namespaces_in_scope() {
            if ns.prefix.is_empty() {
                continue; // the plaintext's own default namespace declarations are its business
            }
            xml.push_str(" xmlns:");
            xml.push_str(ns.prefix);
            xml.push_str("=\"");
            xml.push_str(
                &ns.uri
                    .replace('&', "&amp;")
                    .replace('"', "&quot;")
                    .replace('<', "&lt;"),
            );
            xml.push('"');
        }
        xml.push('>');
        // Plaintext beginning with an XML declaration (some IdPs serialize whole documents).
        let body = text.trim_start_matches('\u{FEFF}');
        let body = match body.strip_prefix("<?xml") {
            Some(rest) => rest.split_once("?>").map_or("", |(_, after)| after),
            None => body,
        };
        xml.push_str(body);
        xml.push_str("</gatehouse-decrypted>");
        Ok(Self {
            xml: Zeroizing::new(xml.into_bytes()),
        })
    }

    /// Parses the decrypted XML and returns it with the decrypted element (the wrapper's one child).
    ///
    /// # Errors
    /// [`Error::DecryptionFailed`] if it is not exactly one well-formed element (the same error as a bad key,
    /// so that a tampered ciphertext cannot probe the parser).
    pub fn parse(&self, limits: &Limits) -> Result<Document<'_>> {
        let doc = Document::parse_with(&self.xml, limits).map_err(|_| Error::DecryptionFailed)?;
        let root = doc.root();
        let only_element = root.child_elements().count() == 1;
        let no_text = root.children().all(|n| match n {
            crate::tree::Node::Text(t) => t.trim_ascii().is_empty(),
            crate::tree::Node::Element(_) => true,
            _ => false,
        });
        if !(root.is(WRAPPER_NS, "gatehouse-decrypted") && only_element && no_text) {
            return Err(Error::DecryptionFailed);
        }
        Ok(doc)
    }

    /// The decrypted element of a document returned by [`Decrypted::parse`].
    #[must_use]
    pub fn element<'d, 'a>(doc: &'d Document<'a>) -> Option<Element<'d, 'a>> {
        doc.root().child_elements().next()
    }
}

fn shape(expected: &'static str, found: impl Into<String>) -> Error {
    Error::EncryptionShape {
        expected,
        found: found.into(),
    }
}

fn child<'d, 'a>(e: Element<'d, 'a>, ns: &str, local: &'static str) -> Result<Element<'d, 'a>> {
    let mut it = e.child_elements().filter(|c| c.is(ns, local));
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(c),
        (None, _) => Err(shape(
            "a required XML-Enc element",
            format!("no {local} in <{}>", e.qname()),
        )),
        (Some(_), Some(_)) => Err(shape(
            "one of each XML-Enc element",
            format!("several {local}"),
        )),
    }
}

fn attr<'d>(e: Element<'d, '_>, name: &'static str) -> Result<&'d str> {
    e.attr(name).ok_or_else(|| {
        shape(
            "an Algorithm attribute",
            format!("<{}> without one", e.qname()),
        )
    })
}

fn cipher_value(e: Element<'_, '_>) -> Result<Vec<u8>> {
    let data = child(e, XENC_NS, "CipherData")?;
    if data
        .child_elements()
        .any(|c| c.is(XENC_NS, "CipherReference"))
    {
        return Err(Error::UnsupportedAlgorithm {
            role: "encryption",
            uri: "CipherReference".into(),
        });
    }
    let value = child(data, XENC_NS, "CipherValue")?;
    decode_base64(&value.text(), "CipherValue")
}

fn content_algorithm(uri: &str) -> Result<(AesMode, usize)> {
    Ok(match uri {
        "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => (AesMode::Cbc, 16),
        "http://www.w3.org/2001/04/xmlenc#aes192-cbc" => (AesMode::Cbc, 24),
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => (AesMode::Cbc, 32),
        "http://www.w3.org/2009/xmlenc11#aes128-gcm" => (AesMode::Gcm, 16),
        "http://www.w3.org/2009/xmlenc11#aes192-gcm" => (AesMode::Gcm, 24),
        "http://www.w3.org/2009/xmlenc11#aes256-gcm" => (AesMode::Gcm, 32),
        _ => {
            return Err(Error::UnsupportedAlgorithm {
                role: "encryption",
                uri: uri.to_owned(),
            });
        }
    })
}

/// Key transport: RSA-OAEP with SHA-1/MGF1-SHA-1 (`rsa-oaep-mgf1p`, or xmlenc11 `rsa-oaep` with defaults)
/// or SHA-256/MGF1-SHA-256 (xmlenc11 `rsa-oaep`). rsa-1_5 is refused: it is a padding oracle by design.
fn oaep_params(method: Element<'_, '_>) -> Result<Oaep> {
    let uri = attr(method, "Algorithm")?;
    let digest = match method
        .child_elements()
        .find(|c| c.is(DSIG_NS, "DigestMethod"))
    {
        Some(dm) => {
            let d = attr(dm, "Algorithm")?;
            DigestAlgorithm::from_uri(d).ok_or_else(|| Error::UnsupportedAlgorithm {
                role: "key transport",
                uri: d.to_owned(),
            })?
        }
        None => DigestAlgorithm::Sha1,
    };
    if method.child_elements().any(|c| c.is(XENC_NS, "OAEPparams")) {
        return Err(Error::UnsupportedAlgorithm {
            role: "key transport",
            uri: "OAEPparams".into(),
        });
    }
    let mgf = match method.child_elements().find(|c| c.is(XENC11_NS, "MGF")) {
        Some(m) => match attr(m, "Algorithm")? {
            "http://www.w3.org/2009/xmlenc11#mgf1sha1" => DigestAlgorithm::Sha1,
            "http://www.w3.org/2009/xmlenc11#mgf1sha256" => DigestAlgorithm::Sha256,
            other => {
                return Err(Error::UnsupportedAlgorithm {
                    role: "key transport",
                    uri: other.to_owned(),
                });
            }
        },
        None => DigestAlgorithm::Sha1,
    };
    match (uri, digest, mgf) {
        ("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", DigestAlgorithm::Sha1, _)
        | (
            "http://www.w3.org/2009/xmlenc11#rsa-oaep",
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha1,
        ) => Ok(Oaep::Sha1),
        (
            "http://www.w3.org/2009/xmlenc11#rsa-oaep",
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha256,
        ) => Ok(Oaep::Sha256),
        (
            "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
            | "http://www.w3.org/2009/xmlenc11#rsa-oaep",
            d,
            m,
        ) => Err(Error::UnsupportedAlgorithm {
            role: "key transport",
            uri: format!("{uri} with digest {} and MGF1 {}", d.uri(), m.uri()),
        }),
        _ => Err(Error::UnsupportedAlgorithm {
            role: "key transport",
            uri: uri.to_owned(),
        }),
    }
}

/// XML-Enc block padding (ISO 10126): the last byte is the pad length, 1 to 16; the others are arbitrary.
fn strip_iso10126(plaintext: &mut Zeroizing<Vec<u8>>) -> Result<()> {
    let n = usize::from(*plaintext.last().ok_or(Error::DecryptionFailed)?);
    if n == 0 || n > 16 || n > plaintext.len() {
        return Err(Error::DecryptionFailed);
    }
    let len = plaintext.len() - n;
    plaintext.truncate(len);
    Ok(())
}
