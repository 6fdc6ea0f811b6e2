//! From the posted `SAMLResponse` to a [`VerifiedAssertion`].
//!
//! Two steps, so that hosts with asynchronous storage can do the I/O in between:
//! [`check_response`] does everything that needs no storage (parse, signatures, decryption, issuer,
//! destination, recipient, audience, times) and returns a [`CheckedResponse`] whose data is not readable;
//! [`CheckedResponse::finish`] takes the outcome of the two atomic store operations (consuming the
//! outstanding request, recording the assertion ID) and only then yields the assertion.
//! [`validate_response`] does both with [`RequestStore`] and [`ReplayCache`] implementations.
//!
//! The assertion is read only through the [`VerifiedElement`] that a verified signature returned: its own
//! signature's, or the Response's (then as the Response's child). There is one parse, no lookup by ID,
//! no "first Assertion in the document".

use chrono::{DateTime, Duration, Utc};
use gatehouse_xml::decrypt::{Decrypted, decrypt, decrypt_verified};
use gatehouse_xml::dsig::{DSIG_NS, signature_children};
use gatehouse_xml::{Document, Element, Limits, VerifiedElement, VerifyPolicy, verify_enveloped};

use crate::assertion::{Attribute, NameId, VerifiedAssertion};
use crate::config::{IdentityProvider, ServiceProvider};
use crate::error::{Error, Result};
use crate::store::{PendingRequest, ReplayCache, RequestStore};
use crate::time::parse_instant;

/// The SAML 2.0 protocol namespace.
pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The SAML 2.0 assertion namespace.
pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const ENTITY_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Largest base64 `SAMLResponse` accepted (the XML parser's own limit is 1 MiB of decoded XML).
pub const MAX_FORM_VALUE: usize = 1_400_000;

/// Decodes the `SAMLResponse` form value (already URL-decoded by the web framework): base64, whitespace
/// and line breaks ignored.
///
/// # Errors
/// [`Error::Encoding`] if it is too large or not base64.
pub fn decode_form_value(value: &str) -> Result<Vec<u8>> {
    if value.len() > MAX_FORM_VALUE {
        return Err(Error::Encoding {
            reason: "larger than 1.4 MB",
        });
    }
    let bytes = value.as_bytes();
    // Browsers post it without line breaks: decode optimistically, strip whitespace only if that fails.
    let decoded = base64_simd::STANDARD.decode_to_vec(bytes).or_else(|_| {
        let compact: Vec<u8> = bytes
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        base64_simd::STANDARD.decode_to_vec(&compact)
    });
    decoded.map_err(|_| Error::Encoding {
        reason: "not base64",
    })
}

/// Validates a response end to end with the given stores: the whole Web Browser SSO profile check.
///
/// `connection` names the connection the response arrived on (the `?connection=` of the ACS URL); an
/// `InResponseTo` must name a request sent for that same connection.
///
/// # Errors
/// The first failed check, as an [`Error`] with expected and received values.
pub fn validate_response(
    sp: &ServiceProvider,
    idp: &IdentityProvider,
    connection: &str,
    saml_response: &str,
    now: DateTime<Utc>,
    requests: &dyn RequestStore,
    replay: &dyn ReplayCache,
) -> Result<VerifiedAssertion> {
    let xml = decode_form_value(saml_response)?;
    let checked = check_response(sp, idp, &xml, now)?;
    let pending = checked.in_response_to().and_then(|id| requests.take(id));
    let fresh = replay.insert_if_absent(&checked.replay_key(), checked.replay_expires_at(), now);
    checked.finish(connection, pending, fresh, now)
}

/// A response that passed every check that needs no storage. Its data stays sealed until
/// [`CheckedResponse::finish`].
#[derive(Debug)]
pub struct CheckedResponse {
    assertion: VerifiedAssertion,
    replay_expires_at: DateTime<Utc>,
}

impl CheckedResponse {
    /// The request ID the host must consume (atomically) from its outstanding-request store.
    #[must_use]
    pub fn in_response_to(&self) -> Option<&str> {
        self.assertion.in_response_to.as_deref()
    }

    /// The key the host must record (atomically) in its replay cache.
    #[must_use]
    pub fn replay_key(&self) -> String {
        format!("{}\n{}", self.assertion.issuer, self.assertion.assertion_id)
    }

    /// Until when the replay key must be kept.
    #[must_use]
    pub fn replay_expires_at(&self) -> DateTime<Utc> {
        self.replay_expires_at
    }

    /// Completes validation with what the stores said: `pending` is what taking
    /// [`in_response_to`](Self::in_response_to) from the request store returned, `fresh` whether the replay
    /// key was newly recorded.
    ///
    /// # Errors
    /// [`Error::UnknownRequest`] if the request is unknown, expired or belongs to another connection;
    /// [`Error::Replay`] if the assertion was seen before.
    pub fn finish(
        self,
        connection: &str,
        pending: Option<PendingRequest>,
        fresh: bool,
        now: DateTime<Utc>,
    ) -> Result<VerifiedAssertion> {
        if let Some(id) = &self.assertion.in_response_to {
            let ok = pending
                .is_some_and(|p| &p.id == id && p.connection == connection && p.expires_at > now);
            if !ok {
                return Err(Error::UnknownRequest { id: id.clone() });
            }
        }
        if !fresh {
            return Err(Error::Replay {
                assertion_id: self.assertion.assertion_id,
            });
        }
        tracing::info!(
            issuer = %self.assertion.issuer,
            assertion_id = %self.assertion.assertion_id,
            signed_response = self.assertion.signed_response,
            signed_assertion = self.assertion.signed_assertion,
            "SAML assertion accepted"
        );
        Ok(self.assertion)
    }
}

fn limits() -> Limits {
    Limits::default()
}

/// Checks a decoded response (XML bytes) against the connection: everything except request correlation
/// and replay, which [`CheckedResponse::finish`] completes.
///
/// # Errors
/// The first failed check.
pub fn check_response(
    sp: &ServiceProvider,
    idp: &IdentityProvider,
    xml: &[u8],
    now: DateTime<Utc>,
) -> Result<CheckedResponse> {
    let doc = Document::parse_with(xml, &limits())?;
    let root = doc.root();
    if !root.is(PROTOCOL_NS, "Response") {
        return Err(Error::UnexpectedMessage {
            expected: "samlp:Response",
            found: root.qname().to_owned(),
        });
    }
    version(root)?;
    root.attr("ID").ok_or(Error::Missing {
        what: "Response ID",
    })?;
    match root.attr("Destination") {
        Some(d) if d == sp.acs_url => {}
        found => {
            return Err(Error::Destination {
                expected: sp.acs_url.clone(),
                found: found.map(str::to_owned),
            });
        }
    }
    status(root)?;
    if let Some(issuer) = single_child(root, ASSERTION_NS, "Issuer")? {
        check_issuer(issuer, "Response", idp)?;
    }

    // Shape: exactly one Assertion or EncryptedAssertion in the whole document, directly in the Response;
    // signatures only directly in the Response or that Assertion.
    let everything: Vec<Element<'_, '_>> = root.descendants().collect();
    let assertions: Vec<_> = everything
        .iter()
        .filter(|e| {
            e.namespace() == ASSERTION_NS && matches!(e.name(), "Assertion" | "EncryptedAssertion")
        })
        .collect();
    let [assertion] = assertions.as_slice() else {
        return Err(Error::Count {
            what: "Assertion and EncryptedAssertion elements",
            expected: "exactly one",
            found: assertions.len(),
        });
    };
    let assertion = **assertion;
    if assertion.parent().map(|p| p.id()) != Some(root.id()) {
        return Err(Error::Count {
            what: "Assertions directly inside the Response",
            expected: "exactly one",
            found: 0,
        });
    }
    check_signature_places(&everything, &[root, assertion])?;

    let policy = VerifyPolicy::strict().allow_sha1(idp.policy.allow_sha1);
    let keys = &idp.certificates;
    let response_sig = match signature_children(root).next() {
        Some(_) => Some(verify_enveloped(root, keys, &policy)?),
        None => None,
    };
    let response_in_response_to = root.attr("InResponseTo");
    let ctx = Ctx {
        sp,
        idp,
        now,
        response_in_response_to,
    };

    if assertion.name() == "Assertion" {
        let own = match signature_children(assertion).next() {
            Some(_) => Some(verify_enveloped(assertion, keys, &policy)?),
            None => None,
        };
        let view = match (own, &response_sig) {
            (Some(v), _) => v,
            (None, Some(vr)) => {
                vr.children_named(ASSERTION_NS, "Assertion")
                    .next()
                    .ok_or(Error::Missing {
                        what: "Assertion in the signed Response",
                    })?
            }
            (None, None) => return Err(Error::NotSigned),
        };
        return ctx.extract(view, response_sig.is_some(), own.is_some(), false);
    }

    // EncryptedAssertion.
    let key = &sp
        .decryption_key
        .as_deref()
        .ok_or(Error::NoDecryptionKey { what: "Assertion" })?
        .decryption;
    match &response_sig {
        Some(vr) => {
            let covered = vr
                .children_named(ASSERTION_NS, "EncryptedAssertion")
                .next()
                .ok_or(Error::Missing {
                    what: "EncryptedAssertion in the signed Response",
                })?;
            let decrypted = decrypt_verified(covered, key)?;
            let inner_doc = decrypted.parse(&limits())?;
            let inner = decrypted_assertion(&inner_doc)?;
            let own = match signature_children(inner).next() {
                Some(_) => Some(verify_enveloped(inner, keys, &policy)?),
                None => None,
            };
            let signed_assertion = own.is_some();
            let view = match own {
                Some(v) => v,
                None => decrypted.element(&inner_doc).ok_or(Error::Missing {
                    what: "decrypted Assertion",
                })?,
            };
            ctx.extract(view, true, signed_assertion, true)
        }
        None => {
            let decrypted = decrypt(assertion, key)?;
            let inner_doc = decrypted.parse(&limits())?;
            let inner = decrypted_assertion(&inner_doc)?;
            if signature_children(inner).next().is_none() {
                return Err(Error::NotSigned);
            }
            let view = verify_enveloped(inner, keys, &policy)?;
            ctx.extract(view, false, true, true)
        }
    }
}

/// The decrypted Assertion, with signatures only directly inside it.
fn decrypted_assertion<'d, 'a>(doc: &'d Document<'a>) -> Result<Element<'d, 'a>> {
    let inner = Decrypted::element(doc).ok_or(Error::Missing {
        what: "decrypted Assertion",
    })?;
    if !inner.is(ASSERTION_NS, "Assertion") {
        return Err(Error::UnexpectedMessage {
            expected: "saml:Assertion inside EncryptedAssertion",
            found: inner.qname().to_owned(),
        });
    }
    let all: Vec<Element<'_, '_>> = inner.descendants().collect();
    let nested = all
        .iter()
        .filter(|e| e.is(ASSERTION_NS, "Assertion"))
        .count();
    if nested > 0 {
        return Err(Error::Count {
            what: "Assertion elements in the decrypted data",
            expected: "exactly one",
            found: nested + 1,
        });
    }
    check_signature_places(&all, &[inner])?;
    Ok(inner)
}

/// Every `ds:Signature` must sit directly inside one of `allowed`.
fn check_signature_places(elements: &[Element<'_, '_>], allowed: &[Element<'_, '_>]) -> Result<()> {
    for sig in elements.iter().filter(|e| e.is(DSIG_NS, "Signature")) {
        let parent = sig.parent();
        if !parent.is_some_and(|p| allowed.iter().any(|a| a.id() == p.id())) {
            return Err(Error::UnexpectedSignature {
                parent: parent.map_or_else(String::new, |p| p.qname().to_owned()),
            });
        }
    }
    Ok(())
}

fn version(e: Element<'_, '_>) -> Result<()> {
    match e.attr("Version") {
        Some("2.0") => Ok(()),
        other => Err(Error::Version {
            found: other.unwrap_or("(none)").to_owned(),
        }),
    }
}

fn single_child<'d, 'a>(
    e: Element<'d, 'a>,
    ns: &str,
    local: &'static str,
) -> Result<Option<Element<'d, 'a>>> {
    let mut it = e.child_elements().filter(|c| c.is(ns, local));
    let first = it.next();
    if it.next().is_some() {
        return Err(Error::Count {
            what: local,
            expected: "at most one",
            found: 2,
        });
    }
    Ok(first)
}

fn status(root: Element<'_, '_>) -> Result<()> {
    let status =
        single_child(root, PROTOCOL_NS, "Status")?.ok_or(Error::Missing { what: "Status" })?;
    let code_el = single_child(status, PROTOCOL_NS, "StatusCode")?
        .ok_or(Error::Missing { what: "StatusCode" })?;
    let code = code_el.attr("Value").ok_or(Error::Missing {
        what: "StatusCode Value",
    })?;
    if code == SUCCESS {
        return Ok(());
    }
    let sub_code = code_el
        .child_elements()
        .find(|c| c.is(PROTOCOL_NS, "StatusCode"))
        .and_then(|c| c.attr("Value"))
        .map(str::to_owned);
    let message =
        single_child(status, PROTOCOL_NS, "StatusMessage")?.map(|m| truncate(&m.text(), 300));
    Err(Error::Status {
        code: code.to_owned(),
        sub_code,
        message,
    })
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or(s)),
        None => s.to_owned(),
    }
}

fn check_issuer(
    issuer: Element<'_, '_>,
    element: &'static str,
    idp: &IdentityProvider,
) -> Result<()> {
    let value = issuer.text();
    let format_ok = issuer.attr("Format").is_none_or(|f| f == ENTITY_FORMAT);
    if value.trim() != idp.entity_id || !format_ok {
        return Err(Error::Issuer {
            element,
            expected: idp.entity_id.clone(),
            found: truncate(&value, 200),
        });
    }
    Ok(())
}

struct Ctx<'c> {
    sp: &'c ServiceProvider,
    idp: &'c IdentityProvider,
    now: DateTime<Utc>,
    response_in_response_to: Option<&'c str>,
}

fn instant(e: &VerifiedElement<'_, '_>, attr: &'static str) -> Result<Option<DateTime<Utc>>> {
    e.attr(attr)
        .map(|v| {
            parse_instant(v).ok_or_else(|| Error::Timestamp {
                field: attr,
                value: truncate(v, 64),
            })
        })
        .transpose()
}

fn one<'d, 'a>(
    e: &VerifiedElement<'d, 'a>,
    local: &'static str,
) -> Result<Option<VerifiedElement<'d, 'a>>> {
    let mut it = e.children_named(ASSERTION_NS, local);
    let first = it.next();
    if it.next().is_some() {
        return Err(Error::Count {
            what: local,
            expected: "at most one",
            found: 2,
        });
    }
    Ok(first)
}

impl Ctx<'_> {
    fn skew(&self) -> Duration {
        Duration::seconds(self.sp.clock_skew_seconds)
    }

    fn not_before(&self, what: &'static str, nb: Option<DateTime<Utc>>) -> Result<()> {
        match nb {
            Some(nb) if self.now + self.skew() < nb => Err(Error::NotYetValid {
                what,
                not_before: nb,
                now: self.now,
                skew_seconds: self.sp.clock_skew_seconds,
            }),
            _ => Ok(()),
        }
    }

    fn not_on_or_after(&self, what: &'static str, noa: Option<DateTime<Utc>>) -> Result<()> {
        match noa {
            Some(noa) if self.now - self.skew() >= noa => Err(Error::Expired {
                what,
                not_on_or_after: noa,
                now: self.now,
                skew_seconds: self.sp.clock_skew_seconds,
            }),
            _ => Ok(()),
        }
    }

    fn max_age(&self, what: &'static str, at: Option<DateTime<Utc>>) -> Result<()> {
        if let (Some(max), Some(at)) = (self.sp.max_assertion_age_seconds, at)
            && self.now - at > Duration::seconds(max) + self.skew()
        {
            return Err(Error::TooOld {
                what,
                instant: at,
                now: self.now,
                max_age_seconds: max,
            });
        }
        Ok(())
    }

    /// Reads and checks the assertion through its verified handle.
    fn extract(
        &self,
        a: VerifiedElement<'_, '_>,
        signed_response: bool,
        signed_assertion: bool,
        encrypted: bool,
    ) -> Result<CheckedResponse> {
        let info = a.signature_info();
        if self.idp.policy.require_signed_assertion && !signed_assertion {
            return Err(Error::AssertionNotSigned);
        }
        if !a.is(ASSERTION_NS, "Assertion") {
            return Err(Error::UnexpectedMessage {
                expected: "saml:Assertion",
                found: a.name().to_owned(),
            });
        }
        version(a.as_unverified())?;
        let assertion_id = a
            .attr("ID")
            .ok_or(Error::Missing {
                what: "Assertion ID",
            })?
            .to_owned();
        let issue_instant = instant(&a, "IssueInstant")?.ok_or(Error::Missing {
            what: "Assertion IssueInstant",
        })?;
        let issuer = one(&a, "Issuer")?.ok_or(Error::Missing {
            what: "Assertion Issuer",
        })?;
        check_issuer(issuer.as_unverified(), "Assertion", self.idp)?;
        self.max_age("IssueInstant", Some(issue_instant))?;

        // Subject: NameID (or EncryptedID) and a usable bearer confirmation.
        let subject = one(&a, "Subject")?.ok_or(Error::Missing { what: "Subject" })?;
        let name_id = self.name_id(&subject)?;
        // A NameID qualified for another SP (SAML core 2.2.2 SPNameQualifier) is that SP's identifier of the
        // user, not ours: taking it would let a pairwise ID meant elsewhere land on one of our accounts.
        if let Some(q) = &name_id.sp_name_qualifier
            && q != &self.sp.entity_id
        {
            return Err(Error::NameIdQualifier {
                expected: self.sp.entity_id.clone(),
                found: truncate(q, 200),
            });
        }
        let (not_on_or_after, scd_in_response_to) = self.bearer(&subject)?;
        let in_response_to = match (self.response_in_response_to, scd_in_response_to) {
            (Some(r), Some(c)) if r != c => {
                return Err(Error::InResponseToMismatch {
                    response: Some(r.to_owned()),
                    confirmation: c,
                });
            }
            (Some(r), _) => Some(r.to_owned()),
            (None, c) => c,
        };
        if in_response_to.is_none() && !self.idp.policy.allow_unsolicited {
            return Err(Error::Unsolicited);
        }

        // Conditions: times and audience (required: an assertion for anyone is an assertion for no one).
        let conditions = one(&a, "Conditions")?.ok_or(Error::Audience {
            expected: self.sp.entity_id.clone(),
            found: Vec::new(),
        })?;
        self.not_before("Conditions", instant(&conditions, "NotBefore")?)?;
        let cond_noa = instant(&conditions, "NotOnOrAfter")?;
        self.not_on_or_after("Conditions", cond_noa)?;
        let mut restrictions = 0;
        for r in conditions.children_named(ASSERTION_NS, "AudienceRestriction") {
            restrictions += 1;
            let audiences: Vec<String> = r
                .children_named(ASSERTION_NS, "Audience")
                .map(|x| x.text().trim().to_owned())
                .collect();
            if !audiences.contains(&self.sp.entity_id) {
                return Err(Error::Audience {
                    expected: self.sp.entity_id.clone(),
                    found: audiences,
                });
            }
        }
        if restrictions == 0 {
            return Err(Error::Audience {
                expected: self.sp.entity_id.clone(),
                found: Vec::new(),
            });
        }

        // The first AuthnStatement (the Web Browser SSO profile requires one).
        let authn = a
            .children_named(ASSERTION_NS, "AuthnStatement")
            .next()
            .ok_or(Error::Missing {
                what: "AuthnStatement",
            })?;
        let authn_instant = instant(&authn, "AuthnInstant")?;
        self.max_age("AuthnInstant", authn_instant)?;
        let session_not_on_or_after = instant(&authn, "SessionNotOnOrAfter")?;
        self.not_on_or_after("SessionNotOnOrAfter", session_not_on_or_after)?;
        let authn_context_class = authn
            .children_named(ASSERTION_NS, "AuthnContext")
            .next()
            .and_then(|c| {
                c.children_named(ASSERTION_NS, "AuthnContextClassRef")
                    .next()
            })
            .map(|c| c.text().trim().to_owned());

        let attributes = attributes(&a)?;
        let replay_expires_at =
            cond_noa.map_or(not_on_or_after, |c| c.max(not_on_or_after)) + self.skew();
        Ok(CheckedResponse {
            assertion: VerifiedAssertion {
                issuer: self.idp.entity_id.clone(),
                assertion_id,
                name_id,
                session_index: authn.attr("SessionIndex").map(str::to_owned),
                authn_instant,
                authn_context_class,
                not_on_or_after,
                session_not_on_or_after,
                attributes,
                in_response_to,
                signed_response,
                signed_assertion,
                encrypted,
                signature_algorithm: info.signature_algorithm.name(),
                certificate_sha256: gatehouse_xml::fingerprint_hex(&info.certificate_sha256),
            },
            replay_expires_at,
        })
    }

    fn name_id(&self, subject: &VerifiedElement<'_, '_>) -> Result<NameId> {
        if let Some(n) = one(subject, "NameID")? {
            return name_id_from(&n);
        }
        let Some(enc) = one(subject, "EncryptedID")? else {
            return Err(Error::NoNameId);
        };
        let key = &self
            .sp
            .decryption_key
            .as_deref()
            .ok_or(Error::NoDecryptionKey { what: "NameID" })?
            .decryption;
        let decrypted = decrypt_verified(enc, key)?;
        let doc = decrypted.parse(&limits())?;
        let n = decrypted.element(&doc).ok_or(Error::NoNameId)?;
        if !n.is(ASSERTION_NS, "NameID") {
            return Err(Error::NoNameId);
        }
        name_id_from(&n)
    }

    /// The first bearer confirmation that passes; the reason the last one failed otherwise.
    fn bearer(&self, subject: &VerifiedElement<'_, '_>) -> Result<(DateTime<Utc>, Option<String>)> {
        let mut last = None;
        for sc in subject.children_named(ASSERTION_NS, "SubjectConfirmation") {
            if sc.attr("Method") != Some(BEARER) {
                continue;
            }
            match self.confirmation(&sc) {
                Ok(ok) => return Ok(ok),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(Error::SubjectConfirmation {
            reason: "no SubjectConfirmation with Method bearer".into(),
        }))
    }

    fn confirmation(
        &self,
        sc: &VerifiedElement<'_, '_>,
    ) -> Result<(DateTime<Utc>, Option<String>)> {
        let data = one(sc, "SubjectConfirmationData")?.ok_or(Error::SubjectConfirmation {
            reason: "bearer SubjectConfirmation without SubjectConfirmationData".into(),
        })?;
        match data.attr("Recipient") {
            Some(r) if r == self.sp.acs_url => {}
            found => {
                return Err(Error::Recipient {
                    expected: self.sp.acs_url.clone(),
                    found: found.map(str::to_owned),
                });
            }
        }
        let noa = instant(&data, "NotOnOrAfter")?.ok_or(Error::SubjectConfirmation {
            reason: "bearer SubjectConfirmationData without NotOnOrAfter".into(),
        })?;
        self.not_on_or_after("SubjectConfirmationData", Some(noa))?;
        self.not_before("SubjectConfirmationData", instant(&data, "NotBefore")?)?;
        Ok((noa, data.attr("InResponseTo").map(str::to_owned)))
    }
}

fn name_id_from(n: &VerifiedElement<'_, '_>) -> Result<NameId> {
    let value = n.text().trim().to_owned();
    if value.is_empty() {
        return Err(Error::NoNameId);
    }
    Ok(NameId {
        value,
        format: n.attr("Format").map(str::to_owned),
        name_qualifier: n.attr("NameQualifier").map(str::to_owned),
        sp_name_qualifier: n.attr("SPNameQualifier").map(str::to_owned),
    })
}

fn attributes(a: &VerifiedElement<'_, '_>) -> Result<Vec<Attribute>> {
    let mut out = Vec::new();
    for statement in a.children_named(ASSERTION_NS, "AttributeStatement") {
        for item in statement.child_elements() {
            if item.is(ASSERTION_NS, "EncryptedAttribute") {
                return Err(Error::Unsupported {
                    what: "EncryptedAttribute",
                });
            }
            if !item.is(ASSERTION_NS, "Attribute") {
                continue;
            }
            let name = item
                .attr("Name")
                .ok_or(Error::Missing {
                    what: "Attribute Name",
                })?
                .to_owned();
            let values = item
                .children_named(ASSERTION_NS, "AttributeValue")
                .filter(|v| !matches!(v.attr_ns(XSI_NS, "nil"), Some("true" | "1")))
                .map(|v| v.text().into_owned())
                .collect();
            out.push(Attribute {
                name,
                name_format: item.attr("NameFormat").map(str::to_owned),
                friendly_name: item.attr("FriendlyName").map(str::to_owned),
                values,
            });
        }
    }
    Ok(out)
}
