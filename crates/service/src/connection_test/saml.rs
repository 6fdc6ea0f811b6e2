//! SAML: the checks of `check_response` and `CheckedResponse::finish` in the library's order, and where an error
//! puts the ✗.

use chrono::{DateTime, Utc};

use crate::model::Connection;
use gatehouse_jit::ConnectionId;
use gatehouse_saml::{IdentityProvider, ServiceProvider, VerifiedAssertion};

use super::report::{Check, Failure, Mark, Report, Run, check, fmt_time};

/// The checks of `gatehouse_saml::check_response` and `CheckedResponse::finish`, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SamlStep {
    /// base64, XML parse within limits, `samlp:Response`, Version 2.0, Response ID.
    Message,
    /// Response `Destination` is the ACS URL.
    Destination,
    /// Status is Success.
    Status,
    /// The Response's `Issuer`, when present, is the IdP.
    ResponseIssuer,
    /// One assertion directly in the Response; signatures only where they belong.
    Shape,
    /// Signature reference and digest (and decryption).
    Signature,
    /// The signature value verifies with a pinned certificate.
    Certificate,
    /// The Assertion's Version, ID, IssueInstant and Issuer.
    AssertionIssuer,
    /// IssueInstant not older than the maximum age.
    AssertionAge,
    /// Subject NameID (and its SPNameQualifier).
    NameId,
    /// Bearer SubjectConfirmationData Recipient.
    Recipient,
    /// Bearer SubjectConfirmationData NotOnOrAfter / NotBefore.
    ConfirmationTime,
    /// InResponseTo consistent; IdP-initiated allowed.
    Solicitation,
    /// Conditions NotBefore / NotOnOrAfter.
    ConditionsTime,
    /// AudienceRestriction names this SP.
    Audience,
    /// AuthnStatement present, AuthnInstant age, SessionNotOnOrAfter.
    AuthnStatement,
    /// Attributes readable.
    Attributes,
    /// InResponseTo names an outstanding request of this connection.
    Request,
    /// The assertion was not used before.
    Replay,
}

const SAML_STEPS: [SamlStep; 19] = [
    SamlStep::Message,
    SamlStep::Destination,
    SamlStep::Status,
    SamlStep::ResponseIssuer,
    SamlStep::Shape,
    SamlStep::Signature,
    SamlStep::Certificate,
    SamlStep::AssertionIssuer,
    SamlStep::AssertionAge,
    SamlStep::NameId,
    SamlStep::Recipient,
    SamlStep::ConfirmationTime,
    SamlStep::Solicitation,
    SamlStep::ConditionsTime,
    SamlStep::Audience,
    SamlStep::AuthnStatement,
    SamlStep::Attributes,
    SamlStep::Request,
    SamlStep::Replay,
];

impl SamlStep {
    /// The line's label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Message => "Message (base64, XML, SAML 2.0 Response)",
            Self::Destination => "Destination",
            Self::Status => "Status",
            Self::ResponseIssuer => "Issuer of the Response",
            Self::Shape => "One assertion, signatures in place",
            Self::Signature => "Signature: reference and digest",
            Self::Certificate => "Signature: pinned certificate (SHA-256)",
            Self::AssertionIssuer => "Issuer of the Assertion",
            Self::AssertionAge => "Assertion age (IssueInstant)",
            Self::NameId => "NameID",
            Self::Recipient => "Recipient (bearer confirmation)",
            Self::ConfirmationTime => "Time window: SubjectConfirmationData",
            Self::Solicitation => "SP- or IdP-initiated",
            Self::ConditionsTime => "Time window: Conditions",
            Self::Audience => "Audience",
            Self::AuthnStatement => "Authentication statement (AuthnInstant, SessionNotOnOrAfter)",
            Self::Attributes => "Attributes",
            Self::Request => "InResponseTo (outstanding request)",
            Self::Replay => "Replay",
        }
    }
}

/// Where a SAML error puts the ✗: `(at, since)` — the failure is shown at `at`; checks from `since` up to `at` may
/// or may not have run (the error can come from any of them), so they are "not confirmed". `None` for an error
/// whose place is unknown (then no check is marked passed).
#[must_use]
pub fn saml_step_of(e: &gatehouse_saml::Error) -> Option<(SamlStep, SamlStep)> {
    use SamlStep as S;
    use gatehouse_saml::Error as E;
    let at = match e {
        E::Encoding { .. } | E::Version { .. } => S::Message,
        E::UnexpectedMessage { expected, .. } => match *expected {
            "samlp:Response" => S::Message,
            "saml:Assertion inside EncryptedAssertion" => S::Signature,
            _ => S::AssertionIssuer,
        },
        E::Missing { what } => match *what {
            "Response ID" => S::Message,
            "Status" | "StatusCode" | "StatusCode Value" => S::Status,
            "Assertion in the signed Response"
            | "EncryptedAssertion in the signed Response"
            | "decrypted Assertion" => S::Signature,
            "Assertion ID" | "Assertion IssueInstant" | "Assertion Issuer" => S::AssertionIssuer,
            "Subject" => S::NameId,
            "AuthnStatement" => S::AuthnStatement,
            "Attribute Name" => S::Attributes,
            _ => return None,
        },
        E::Count { what, .. } => match *what {
            "Status" | "StatusCode" => S::Status,
            // A second Issuer: the Response's or the Assertion's.
            "Issuer" => return Some((S::ResponseIssuer, S::ResponseIssuer)),
            "Assertion and EncryptedAssertion elements"
            | "Assertions directly inside the Response" => S::Shape,
            "Assertion elements in the decrypted data" => S::Signature,
            "Subject" | "NameID" | "EncryptedID" => S::NameId,
            "SubjectConfirmationData" => S::Recipient,
            "Conditions" => S::ConditionsTime,
            _ => return None,
        },
        E::Timestamp { field, .. } => match *field {
            "IssueInstant" => S::AssertionIssuer,
            // SubjectConfirmationData's or the Conditions'.
            "NotOnOrAfter" | "NotBefore" => S::ConfirmationTime,
            "AuthnInstant" | "SessionNotOnOrAfter" => S::AuthnStatement,
            _ => return None,
        },
        E::Status { .. } => S::Status,
        E::Destination { .. } => S::Destination,
        E::Issuer { element, .. } => {
            if *element == "Response" {
                S::ResponseIssuer
            } else {
                S::AssertionIssuer
            }
        }
        E::UnexpectedSignature { .. } => S::Shape,
        E::Xml(x) => match x.code() {
            "too_large"
            | "not_utf8"
            | "invalid_char"
            | "doctype"
            | "entity_reference"
            | "unbound_prefix"
            | "duplicate_attribute"
            | "duplicate_id"
            | "limit_exceeded"
            | "malformed" => S::Message,
            "bad_signature" | "untrusted_certificate" | "no_suitable_key" => S::Certificate,
            _ => S::Signature,
        },
        E::NotSigned | E::AssertionNotSigned => S::Signature,
        E::NoDecryptionKey { what } => {
            if *what == "NameID" {
                S::NameId
            } else {
                S::Signature
            }
        }
        E::NoNameId | E::NameIdQualifier { .. } => S::NameId,
        E::Recipient { .. } | E::SubjectConfirmation { .. } => S::Recipient,
        E::NotYetValid { what, .. } | E::Expired { what, .. } => match *what {
            "SubjectConfirmationData" => S::ConfirmationTime,
            "Conditions" => S::ConditionsTime,
            _ => S::AuthnStatement,
        },
        E::TooOld { what, .. } => {
            if *what == "IssueInstant" {
                S::AssertionAge
            } else {
                S::AuthnStatement
            }
        }
        // No Conditions at all is reported as an audience failure before the Conditions' times are read.
        E::Audience { found, .. } if found.is_empty() => {
            return Some((S::Audience, S::ConditionsTime));
        }
        E::Audience { .. } => S::Audience,
        E::InResponseToMismatch { .. } | E::Unsolicited => S::Solicitation,
        E::Unsupported { .. } => S::Attributes,
        E::UnknownRequest { .. } => S::Request,
        E::Replay { .. } => S::Replay,
        _ => return None,
    };
    Some((at, at))
}

fn saml_expected_received(
    e: &gatehouse_saml::Error,
    idp: &IdentityProvider,
) -> (Option<String>, Option<String>) {
    use gatehouse_saml::Error as E;
    match e {
        E::Destination { expected, found } | E::Recipient { expected, found } => (
            Some(expected.clone()),
            Some(found.clone().unwrap_or_else(|| "(absent)".into())),
        ),
        E::Issuer {
            expected, found, ..
        }
        | E::NameIdQualifier { expected, found } => (Some(expected.clone()), Some(found.clone())),
        E::Audience { expected, found } => (
            Some(expected.clone()),
            Some(if found.is_empty() {
                "(no AudienceRestriction)".into()
            } else {
                found.join(", ")
            }),
        ),
        E::Status {
            code,
            sub_code,
            message,
        } => (
            Some("urn:oasis:names:tc:SAML:2.0:status:Success".into()),
            Some(
                [Some(code.clone()), sub_code.clone(), message.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" / "),
            ),
        ),
        E::Version { found } => (Some("2.0".into()), Some(found.clone())),
        E::UnexpectedMessage { expected, found } => {
            (Some((*expected).to_owned()), Some(found.clone()))
        }
        E::Count {
            expected, found, ..
        } => (Some((*expected).to_owned()), Some(found.to_string())),
        E::NotYetValid {
            not_before,
            now,
            skew_seconds,
            ..
        } => (
            Some(format!(
                "not before {} (with {skew_seconds} s skew)",
                fmt_time(*not_before)
            )),
            Some(format!("clock {}", fmt_time(*now))),
        ),
        E::Expired {
            not_on_or_after,
            now,
            skew_seconds,
            ..
        } => (
            Some(format!(
                "before {} (with {skew_seconds} s skew)",
                fmt_time(*not_on_or_after)
            )),
            Some(format!("clock {}", fmt_time(*now))),
        ),
        E::TooOld {
            instant,
            now,
            max_age_seconds,
            ..
        } => (
            Some(format!("at most {max_age_seconds} s old")),
            Some(format!(
                "{} at clock {}",
                fmt_time(*instant),
                fmt_time(*now)
            )),
        ),
        E::InResponseToMismatch {
            response,
            confirmation,
        } => (
            Some(response.clone().unwrap_or_else(|| "(absent)".into())),
            Some(confirmation.clone()),
        ),
        E::UnknownRequest { id } => (
            Some("a request this connection sent and still awaits".into()),
            Some(id.clone()),
        ),
        E::Xml(gatehouse_xml::Error::UntrustedCertificate { fingerprint }) => {
            (Some(pinned(idp)), Some(fingerprint.clone()))
        }
        E::Xml(gatehouse_xml::Error::BadSignature { .. }) => (Some(pinned(idp)), None),
        _ => (None, None),
    }
}

fn pinned(idp: &IdentityProvider) -> String {
    idp.certificates
        .keys()
        .iter()
        .map(|k| k.fingerprint_hex())
        .collect::<Vec<_>>()
        .join(", ")
}

fn fix_side(e: &gatehouse_saml::Error) -> Option<String> {
    use gatehouse_saml::FixSide;
    Some(
        match e.fix_side() {
            FixSide::IdentityProvider => "Fix this in the identity provider's settings.",
            FixSide::ServiceProvider => "Fix this in this connection's settings here.",
            FixSide::Clock => "Check the clocks (NTP) of the identity provider and this server.",
            FixSide::Either => {
                "Fix this here (pin the IdP's current certificate) or in the identity provider (sign with the \
                 pinned one)."
            }
            FixSide::None => return None,
        }
        .to_owned(),
    )
}

/// What the service knows about request correlation and replay for a SAML report.
#[derive(Debug, Clone)]
pub struct SamlContext<'a> {
    /// The SP.
    pub sp: &'a ServiceProvider,
    /// The IdP as configured now.
    pub idp: &'a IdentityProvider,
    /// The clock of the checks.
    pub now: DateTime<Utc>,
    /// How the replay line reads when it passed.
    pub replay_note: &'a str,
    /// Whether the response named a request (known once `check_response` passed).
    pub solicited: Option<bool>,
}

/// The SAML check lines for a run that ended with `result`: the assertion, or the first error.
#[must_use]
pub fn saml_checks(
    result: std::result::Result<&VerifiedAssertion, &gatehouse_saml::Error>,
    ctx: &SamlContext<'_>,
) -> Vec<Check> {
    let place = match result {
        Ok(_) => None,
        Err(e) => Some(saml_step_of(e)),
    };
    let mut out = Vec::new();
    for step in SAML_STEPS {
        let mut c = check(step.label(), Mark::Pass, String::new());
        match (place, result) {
            (None, Ok(a)) => pass_detail(&mut c, step, Some(a), ctx),
            (Some(None), Err(_)) => {
                c.mark = Mark::NotConfirmed;
                c.detail = "the error does not say which check it came from".into();
            }
            (Some(Some((at, since))), Err(e)) => {
                if step == at {
                    c.mark = Mark::Fail;
                    c.detail = e.to_string();
                    let (x, r) = saml_expected_received(e, ctx.idp);
                    c.expected = x;
                    c.received = r;
                } else if step >= since && step < at {
                    c.mark = Mark::NotConfirmed;
                    c.detail = "the failure may have come from this check".into();
                } else if step > at {
                    c.mark = Mark::NotReached;
                    c.detail = "the library stops at the first failed check".into();
                } else {
                    // Before the failure: passed; values are not shown (the library releases them only at the end).
                    pass_detail(&mut c, step, None, ctx);
                }
            }
            _ => {}
        }
        out.push(c);
    }
    if let (Some(None), Err(e)) = (place, result) {
        let mut c = check("Validation", Mark::Fail, e.to_string());
        let (x, r) = saml_expected_received(e, ctx.idp);
        c.expected = x;
        c.received = r;
        out.push(c);
    }
    out
}

fn pass_detail(
    c: &mut Check,
    step: SamlStep,
    a: Option<&VerifiedAssertion>,
    ctx: &SamlContext<'_>,
) {
    use SamlStep as S;
    let skew = ctx.sp.clock_skew_seconds;
    let at = fmt_time(ctx.now);
    c.detail = match step {
        S::Message => "a SAML 2.0 Response, well-formed within the parser's limits".into(),
        S::Destination => {
            c.expected = Some(ctx.sp.acs_url.clone());
            "the Response is addressed to this connection's ACS URL".into()
        }
        S::Status => "Success".into(),
        S::ResponseIssuer => {
            c.expected = Some(ctx.idp.entity_id.clone());
            "matches the IdP entity ID (or absent: it is optional on the Response)".into()
        }
        S::Shape => {
            "exactly one Assertion, directly in the Response; signatures only on the Response or the Assertion"
                .into()
        }
        S::Signature => match a {
            Some(a) => format!(
                "reference and digest match; signed: Response {}, Assertion {}; encrypted {}",
                yes(a.signed_response()),
                yes(a.signed_assertion()),
                yes(a.encrypted())
            ),
            None => "reference and digest match".into(),
        },
        S::Certificate => {
            c.expected = Some(pinned(ctx.idp));
            match a {
                Some(a) => {
                    c.received = Some(a.certificate_sha256().to_owned());
                    format!(
                        "{} signature verifies with the pinned certificate",
                        a.signature_algorithm()
                    )
                }
                None => "the signature verifies with a pinned certificate".into(),
            }
        }
        S::AssertionIssuer => {
            c.expected = Some(ctx.idp.entity_id.clone());
            if let Some(a) = a {
                c.received = Some(a.issuer().to_owned());
            }
            "matches the IdP entity ID".into()
        }
        S::AssertionAge => match ctx.sp.max_assertion_age_seconds {
            Some(max) => format!("IssueInstant at most {max} s old (+{skew} s skew) at {at}"),
            None => {
                c.mark = Mark::NotApplicable;
                "no maximum assertion age is configured".into()
            }
        },
        S::NameId => match a {
            Some(a) => {
                c.received = Some(a.name_id().value.clone());
                format!(
                    "format {}",
                    a.name_id().format.as_deref().unwrap_or("(unspecified)")
                )
            }
            None => "present, not qualified for another SP".into(),
        },
        S::Recipient => {
            c.expected = Some(ctx.sp.acs_url.clone());
            "the bearer confirmation names this connection's ACS URL".into()
        }
        S::ConfirmationTime => match a {
            Some(a) => format!(
                "NotOnOrAfter {} — valid at {at} with {skew} s skew",
                fmt_time(a.not_on_or_after())
            ),
            None => format!("valid at {at} with {skew} s skew"),
        },
        S::Solicitation => match a.map(VerifiedAssertion::in_response_to) {
            Some(Some(id)) => format!("SP-initiated (InResponseTo {id})"),
            Some(None) => "IdP-initiated (unsolicited), which this connection allows".into(),
            None => "InResponseTo consistent; IdP-initiated allowed if unsolicited".into(),
        },
        S::ConditionsTime => format!("NotBefore / NotOnOrAfter valid at {at} with {skew} s skew"),
        S::Audience => {
            c.expected = Some(ctx.sp.entity_id.clone());
            "the AudienceRestriction names this SP".into()
        }
        S::AuthnStatement => match a {
            Some(a) => format!(
                "AuthnInstant {}, SessionNotOnOrAfter {}, context {}",
                a.authn_instant()
                    .map_or_else(|| "(none)".into(), fmt_time),
                a.session_not_on_or_after()
                    .map_or_else(|| "(none)".into(), fmt_time),
                a.authn_context_class().unwrap_or("(none)")
            ),
            None => "present and within its time limits".into(),
        },
        S::Attributes => match a {
            Some(a) => format!("{} attribute(s)", a.attributes().len()),
            None => "readable".into(),
        },
        S::Request => match a.map(|a| a.in_response_to().is_some()).or(ctx.solicited) {
            Some(false) => {
                c.mark = Mark::NotApplicable;
                "unsolicited: no request to match".into()
            }
            _ => "names a request this connection sent, not expired".into(),
        },
        S::Replay => ctx.replay_note.to_owned(),
    };
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// A SAML report from the end of validation: the assertion, or the error.
#[must_use]
pub fn saml_report(
    conn: &Connection,
    run: Run,
    result: std::result::Result<&VerifiedAssertion, &gatehouse_saml::Error>,
    ctx: &SamlContext<'_>,
) -> Report {
    let mut report = Report::new(conn, run, ctx.now);
    report.checks = saml_checks(result, ctx);
    match result {
        Ok(a) => {
            report
                .attributes
                .push(("NameID".into(), vec![a.name_id().value.clone()]));
            report.attributes.extend(
                a.attributes()
                    .iter()
                    .map(|x| (x.name.clone(), x.values.clone())),
            );
        }
        Err(e) => {
            report.failure = Some(Failure {
                code: format!("saml:{}", e.code()),
                message: e.to_string(),
                admin_hint: e.admin_hint().map(str::to_owned),
                fix: fix_side(e),
            });
        }
    }
    report
}

/// The JIT claims of a SAML assertion, as the login maps them.
#[must_use]
pub fn saml_claims(conn: &Connection, a: &VerifiedAssertion) -> gatehouse_jit::Claims {
    let mut claims = gatehouse_jit::Claims::saml(
        ConnectionId::new(&conn.name),
        Some(a.name_id().value.clone()),
    );
    for attribute in a.attributes() {
        claims.add(attribute.name.clone(), attribute.values.iter().cloned());
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_placed_in_the_order_of_the_library() {
        use gatehouse_saml::Error as E;
        let t = DateTime::from_timestamp(0, 0).unwrap();
        let cases: Vec<(E, Option<SamlStep>)> = vec![
            (E::Encoding { reason: "x" }, Some(SamlStep::Message)),
            (
                E::Destination {
                    expected: "a".into(),
                    found: None,
                },
                Some(SamlStep::Destination),
            ),
            (
                E::Xml(gatehouse_xml::Error::UntrustedCertificate {
                    fingerprint: "ab".into(),
                }),
                Some(SamlStep::Certificate),
            ),
            (
                E::Xml(gatehouse_xml::Error::DigestMismatch),
                Some(SamlStep::Signature),
            ),
            (E::NotSigned, Some(SamlStep::Signature)),
            (
                E::Expired {
                    what: "Conditions",
                    not_on_or_after: t,
                    now: t,
                    skew_seconds: 0,
                },
                Some(SamlStep::ConditionsTime),
            ),
            (
                E::Expired {
                    what: "SubjectConfirmationData",
                    not_on_or_after: t,
                    now: t,
                    skew_seconds: 0,
                },
                Some(SamlStep::ConfirmationTime),
            ),
            (E::Unsolicited, Some(SamlStep::Solicitation)),
            (
                E::UnknownRequest { id: "x".into() },
                Some(SamlStep::Request),
            ),
            (
                E::Replay {
                    assertion_id: "x".into(),
                },
                Some(SamlStep::Replay),
            ),
            (
                E::Missing {
                    what: "something new",
                },
                None,
            ),
        ];
        for (e, want) in cases {
            assert_eq!(saml_step_of(&e).map(|(at, _)| at), want, "{e:?}");
        }
    }

    #[test]
    fn the_steps_are_listed_in_order() {
        let mut sorted = SAML_STEPS;
        sorted.sort();
        assert_eq!(sorted, SAML_STEPS);
    }
}
