//! Signing: enveloped exclusive-c14n RSA signatures (signed AuthnRequests, the demo IdP's responses) and
//! detached signatures over raw bytes (the HTTP-Redirect binding's `Signature` query parameter).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::c14n::{self, Method};
use crate::crypto::{Active, DigestAlgorithm, Provider, SignatureAlgorithm};
use crate::dsig::{DSIG_NS, ENVELOPED, signature_children};
use crate::error::{Error, Result};
use crate::keys::SigningKey;
use crate::tree::{Document, Element};

/// Where [`sign_enveloped`] puts the signature inside the signed element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement<'s> {
    /// As the first child.
    First,
    /// Right after the first child element with this namespace and local name (SAML wants the signature
    /// after `Issuer`); as the first child if there is none.
    After(&'s str, &'s str),
}

/// Signs the element with ID `id` (or the document element when `id` is `None`) with an enveloped
/// exclusive-c14n signature, and returns the document with the `ds:Signature` inserted. The rest of the
/// input is kept byte for byte.
///
/// # Errors
/// Parse errors of the input, [`Error::SignatureShape`] if the element is already signed or not found,
/// [`Error::Signing`] if the key cannot sign with `algorithm`.
pub fn sign_enveloped(
    xml: &str,
    id: Option<&str>,
    placement: Placement<'_>,
    key: &SigningKey,
    algorithm: SignatureAlgorithm,
) -> Result<String> {
    let doc = Document::parse(xml.as_bytes())?;
    let target = match id {
        None => doc.root(),
        Some(id) => std::iter::once(doc.root())
            .chain(doc.root().descendants())
            .find(|e| e.id_attr() == Some(id))
            .ok_or_else(|| Error::SignatureShape {
                expected: "an element with that ID",
                found: id.to_owned(),
            })?,
    };
    if signature_children(target).next().is_some() {
        return Err(Error::SignatureShape {
            expected: "an unsigned element",
            found: "one already signed".into(),
        });
    }
    let uri = match id {
        Some(id) => format!("#{id}"),
        None => String::new(),
    };

    let digest_algorithm = match algorithm {
        SignatureAlgorithm::RsaSha384 | SignatureAlgorithm::RsaPssSha384 => DigestAlgorithm::Sha384,
        SignatureAlgorithm::RsaSha512 | SignatureAlgorithm::RsaPssSha512 => DigestAlgorithm::Sha512,
        _ => DigestAlgorithm::Sha256,
    };
    let mut canonical = Vec::with_capacity(xml.len());
    if id.is_some() {
        Method::exclusive().canonicalize(target, None, &mut canonical)?;
    } else {
        Method::exclusive().canonicalize_document(&doc, None, &mut canonical)?;
    }
    let digest = STANDARD.encode(digest_algorithm.digest(&canonical).as_bytes());

    let signed_info = format!(
        "<ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{exc}\"/><ds:SignatureMethod Algorithm=\"{sig}\"/>\
         <ds:Reference URI=\"{uri}\"><ds:Transforms><ds:Transform Algorithm=\"{env}\"/><ds:Transform Algorithm=\"{exc}\"/>\
         </ds:Transforms><ds:DigestMethod Algorithm=\"{dig}\"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>\
         </ds:SignedInfo>",
        exc = c14n::EXC,
        sig = algorithm.uri(),
        env = ENVELOPED,
        dig = digest_algorithm.uri(),
        uri = escape_attr(&uri),
    );
    // Canonicalize SignedInfo exactly as a verifier will see it: inside a Signature that declares `ds`.
    let holder = format!("<ds:Signature xmlns:ds=\"{DSIG_NS}\">{signed_info}</ds:Signature>");
    let holder_doc = Document::parse(holder.as_bytes())?;
    let si = holder_doc
        .root()
        .child_elements()
        .next()
        .ok_or(Error::Signing {
            reason: "SignedInfo vanished while signing",
        })?;
    canonical.clear();
    Method::exclusive().canonicalize(si, None, &mut canonical)?;
    let value = STANDARD.encode(Active::sign(&key.key, algorithm, &canonical)?);

    let key_info = key.cert_der.as_ref().map_or_else(String::new, |der| {
        format!("<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>", STANDARD.encode(der))
    });
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{DSIG_NS}\">{signed_info}<ds:SignatureValue>{value}</ds:SignatureValue>{key_info}</ds:Signature>"
    );

    let (at, self_closing) = insertion_point(xml, target, placement)?;
    let mut out = String::with_capacity(xml.len() + signature.len() + 16);
    if self_closing {
        // `<a .../>` becomes `<a ...>SIG</a>`.
        let head = xml.get(..at).ok_or(Error::Signing {
            reason: "bad insertion point",
        })?;
        out.push_str(head.strip_suffix("/>").unwrap_or(head));
        out.push('>');
        out.push_str(&signature);
        out.push_str("</");
        out.push_str(target.qname());
        out.push('>');
    } else {
        out.push_str(xml.get(..at).ok_or(Error::Signing {
            reason: "bad insertion point",
        })?);
        out.push_str(&signature);
    }
    out.push_str(xml.get(at..).unwrap_or(""));
    Ok(out)
}

/// Signs raw bytes (for the HTTP-Redirect binding: the octets of `SAMLRequest=…&RelayState=…&SigAlg=…`).
///
/// # Errors
/// [`Error::Signing`] if the key cannot sign with `algorithm`.
pub fn sign_detached(
    key: &SigningKey,
    algorithm: SignatureAlgorithm,
    data: &[u8],
) -> Result<Vec<u8>> {
    Active::sign(&key.key, algorithm, data)
}

/// The byte offset where the signature goes, and whether the target is a self-closing tag there.
fn insertion_point(
    xml: &str,
    target: Element<'_, '_>,
    placement: Placement<'_>,
) -> Result<(usize, bool)> {
    if let Placement::After(ns, local) = placement
        && let Some(after) = target.child_elements().find(|c| c.is(ns, local))
    {
        return Ok((after.span().end, false));
    }
    let span = target.span();
    let tag_end = start_tag_end(xml, span.start).ok_or(Error::Signing {
        reason: "unterminated start tag",
    })?;
    let self_closing = xml.get(..tag_end).is_some_and(|h| h.ends_with("/>"));
    Ok((tag_end, self_closing))
}

/// Offset just after the `>` that ends the start tag beginning at `start` (quotes respected).
fn start_tag_end(xml: &str, start: usize) -> Option<usize> {
    let mut quote = None;
    for (i, b) in xml.as_bytes().iter().enumerate().skip(start) {
        match (quote, *b) {
            (None, b'"' | b'\'') => quote = Some(*b),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}
