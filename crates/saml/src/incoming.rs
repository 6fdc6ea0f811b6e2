//! The IdP's side of an AuthnRequest: decoding (and, where the IdP wants it, verifying) a request that
//! arrived over HTTP-Redirect or HTTP-POST. Gatehouse's demo IdP uses this; so do tests that check what an
//! SP sends.

use std::io::Read as _;

use gatehouse_xml::{
    Document, PinnedKeys, SignatureAlgorithm, VerifyPolicy, verify_detached, verify_enveloped,
};

use crate::error::{Error, Result};
use crate::response::{ASSERTION_NS, PROTOCOL_NS, decode_form_value};

/// Largest inflated AuthnRequest accepted (a DEFLATE bomb stops here).
const MAX_INFLATED: u64 = 256 * 1024;

/// An AuthnRequest as an IdP received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// The request's `ID` (the response's `InResponseTo`).
    pub id: String,
    /// The SP's entity ID (`Issuer`).
    pub issuer: String,
    /// `AssertionConsumerServiceURL`, if the SP named one.
    pub acs_url: Option<String>,
    /// `Destination`, if given.
    pub destination: Option<String>,
    /// `ForceAuthn="true"`.
    pub force_authn: bool,
    /// The RelayState that came with it.
    pub relay_state: Option<String>,
    /// The verified signature algorithm, when a signature was required and checked.
    pub signature: Option<SignatureAlgorithm>,
}

/// Decodes an HTTP-Redirect query (`SAMLRequest=…[&RelayState=…][&SigAlg=…&Signature=…]`, without `?`).
/// With `signer`, the request must be signed and the signature must verify over the exact query octets
/// (SAML bindings §3.4.4.1) with one of those certificates.
///
/// # Errors
/// [`Error::Encoding`] for bad encodings, [`Error::NotSigned`] when a signature is required and absent,
/// [`Error::Xml`] for a refused signature or malformed XML.
pub fn receive_redirect(
    query: &str,
    signer: Option<(&PinnedKeys, &VerifyPolicy)>,
) -> Result<ReceivedRequest> {
    let mut raw = [None::<&str>; 4];
    for part in query.split('&') {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let slot = match k {
            "SAMLRequest" => 0,
            "RelayState" => 1,
            "SigAlg" => 2,
            "Signature" => 3,
            _ => continue,
        };
        if let Some(s) = raw.get_mut(slot) {
            if s.is_some() {
                return Err(Error::Encoding {
                    reason: "a query parameter appears twice",
                });
            }
            *s = Some(v);
        }
    }
    let [Some(request), relay, sig_alg, signature] = raw else {
        return Err(Error::Missing {
            what: "SAMLRequest",
        });
    };
    let verified = match signer {
        None => None,
        Some((keys, policy)) => {
            let (Some(alg_raw), Some(sig_raw)) = (sig_alg, signature) else {
                return Err(Error::NotSigned);
            };
            let mut signed = format!("SAMLRequest={request}");
            if let Some(rs) = relay {
                signed.push_str("&RelayState=");
                signed.push_str(rs);
            }
            signed.push_str("&SigAlg=");
            signed.push_str(alg_raw);
            let alg_uri = url_decode(alg_raw)?;
            let alg = SignatureAlgorithm::from_uri(&alg_uri).ok_or(
                gatehouse_xml::Error::UnsupportedAlgorithm {
                    role: "signature",
                    uri: alg_uri,
                },
            )?;
            let sig = decode_form_value(&url_decode(sig_raw)?)?;
            verify_detached(keys, alg, policy, signed.as_bytes(), &sig)?;
            Some(alg)
        }
    };
    let deflated = decode_form_value(&url_decode(request)?)?;
    let mut xml = Vec::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut xml)
        .map_err(|_| Error::Encoding {
            reason: "SAMLRequest is not raw DEFLATE",
        })?;
    if xml.len() as u64 > MAX_INFLATED {
        return Err(Error::Encoding {
            reason: "SAMLRequest inflates beyond 256 KiB",
        });
    }
    let relay_state = relay.map(url_decode).transpose()?;
    read_request(&xml, relay_state, verified, None)
}

/// Decodes an HTTP-POST `SAMLRequest` form value. With `signer`, the request must carry an enveloped
/// signature that verifies with one of those certificates.
///
/// # Errors
/// As [`receive_redirect`].
pub fn receive_post(
    saml_request: &str,
    relay_state: Option<&str>,
    signer: Option<(&PinnedKeys, &VerifyPolicy)>,
) -> Result<ReceivedRequest> {
    let xml = decode_form_value(saml_request)?;
    read_request(&xml, relay_state.map(str::to_owned), None, signer)
}

fn read_request(
    xml: &[u8],
    relay_state: Option<String>,
    signature: Option<SignatureAlgorithm>,
    enveloped: Option<(&PinnedKeys, &VerifyPolicy)>,
) -> Result<ReceivedRequest> {
    let doc = Document::parse(xml)?;
    let root = doc.root();
    if !root.is(PROTOCOL_NS, "AuthnRequest") {
        return Err(Error::UnexpectedMessage {
            expected: "samlp:AuthnRequest",
            found: root.qname().to_owned(),
        });
    }
    if root.attr("Version") != Some("2.0") {
        return Err(Error::Version {
            found: root.attr("Version").unwrap_or("(none)").to_owned(),
        });
    }
    let signature = match enveloped {
        Some((keys, policy)) => Some(
            verify_enveloped(root, keys, policy)?
                .signature_info()
                .signature_algorithm,
        ),
        None => signature,
    };
    let issuer = root
        .child_elements()
        .find(|e| e.is(ASSERTION_NS, "Issuer"))
        .map(|e| e.text().trim().to_owned())
        .ok_or(Error::Missing {
            what: "AuthnRequest Issuer",
        })?;
    Ok(ReceivedRequest {
        id: root
            .attr("ID")
            .ok_or(Error::Missing {
                what: "AuthnRequest ID",
            })?
            .to_owned(),
        issuer,
        acs_url: root.attr("AssertionConsumerServiceURL").map(str::to_owned),
        destination: root.attr("Destination").map(str::to_owned),
        force_authn: matches!(root.attr("ForceAuthn"), Some("true" | "1")),
        relay_state,
        signature,
    })
}

fn url_decode(s: &str) -> Result<String> {
    let mut pairs = form_urlencoded::parse(s.as_bytes());
    // `parse` splits on & and =, which raw values never contain (they are percent-encoded).
    if s.contains(['&', '=']) {
        return Err(Error::Encoding {
            reason: "unencoded & or = in a query value",
        });
    }
    Ok(pairs
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default())
}
