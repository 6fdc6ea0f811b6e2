//! "Test connection" and "Re-check the last failure": a report of what the libraries checked, for admins.
//!
//! **Test connection.** An admin starts a real login on a connection whose outstanding SAML request or pending
//! OIDC login carries the purpose `test:<connection_tests.id>`. When the IdP answers at the normal ACS or callback,
//! the response is validated exactly as a login would be (the request is consumed, the assertion recorded in the
//! replay cache so it can never be used for a real sign-in), and instead of signing anyone in the service seals a
//! [`Report`] into the `connection_tests` row and sends the browser to `/settings/sso/test/report?id=…`, which only
//! the admin who started the run can read. JIT is previewed ([`preview_jit`]: gatehouse-jit's `decide` on a
//! read-only snapshot), never applied: no user, link or session is written.
//!
//! **Captured failures.** When a real SAML login on a connection is refused after the `SAMLResponse` arrived, the
//! raw form value is sealed with the master key (purpose `captured-failure:<connection>`) into
//! `captured_failures`, one row per connection (the last failure wins), kept 24 hours ([`CAPTURE_TTL_SECS`]).
//! With it the service records what a re-check cannot recompute later: the outstanding request named by the
//! response's `InResponseTo` as it stood at capture, and whether the replay cache already held the assertion.
//! [`recheck`] validates that response again against the connection's *current* configuration, honestly:
//! the clock is the capture time, `InResponseTo` is matched against the request recorded at capture, replay is
//! looked up without recording anything, and nobody is signed in.
//!
//! OIDC: when the refusal came after the token exchange succeeded (a failed ID token check, UserInfo, a JIT
//! refusal), the ID token and the pending login (issuer, nonce — sealed, like `oidc_pending`) are kept, and the
//! re-check verifies the ID token again with the connection's current settings and the IdP's current keys at the
//! capture time. The state, the authorization code and the token exchange were single-use and are shown as "passed
//! at capture, not repeatable"; `at_hash`/`c_hash` and UserInfo need the access token and code, which are not kept
//! (secrets worth nothing to the re-check of a configuration), so they are said not re-checked and the JIT preview
//! uses the ID token's claims only. A refusal before the token exchange keeps only the error: nothing of it can be
//! repeated, and the page points to "Test connection".
//!
//! Anyone can post to an ACS, so the kept response is whatever was refused last on that connection; a re-check
//! never signs anyone in, so a planted response can only mislead the report, which says when it arrived.
//!
//! **Honest check lists.** The SAML library stops at the first failed check and returns one error. The report lists
//! the checks in the order `check_response` and `CheckedResponse::finish` run them ([`SamlStep`]); the failed one
//! is placed by the error ([`saml_step_of`]), the ones before it are marked passed, the ones after it "not
//! reached". Where an error can come from more than one place, it is placed at the earliest and the checks it may
//! have skipped are "not confirmed", never ✓. For OIDC the service runs the steps itself and marks a step passed
//! only after it returned ([`Steps`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use gatehouse_jit::{
    ConnectionId, Decision, Email, Existing, Identity, Policy, Profile, Role, ScimKey, ScimRecord,
    SsoLink, Subject, User,
};
use gatehouse_saml::{IdentityProvider, PendingRequest, ServiceProvider, VerifiedAssertion};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use crate::AppState;
use crate::error::{Error, Result};
use crate::model::{self, Connection, Kind, Workspace};
use crate::web::esc;

/// How long a test run waits for the IdP's answer and how long its report can be read, in seconds.
pub const TEST_TTL_SECS: i64 = 3600;
/// How long a captured failed response is kept, in seconds.
pub const CAPTURE_TTL_SECS: i64 = 24 * 3600;
/// The `purpose` of an outstanding request or pending login of a test run is this prefix and the run's ID.
pub const TEST_PURPOSE_PREFIX: &str = "test:";

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mark {
    /// The library ran the check and it passed.
    Pass,
    /// The check failed (the first failure: the library stopped here).
    Fail,
    /// The library stopped before this check.
    NotReached,
    /// The failure may have come from this check or a later one; not known to have passed.
    NotConfirmed,
    /// The check does not apply to this response or connection.
    NotApplicable,
}

impl Mark {
    fn symbol(self) -> &'static str {
        match self {
            Self::Pass => "✓",
            Self::Fail => "✗",
            Self::NotReached => "– not reached",
            Self::NotConfirmed => "? not confirmed",
            Self::NotApplicable => "n/a",
        }
    }
}

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// The outcome.
    pub mark: Mark,
    /// What the check found, or the error.
    pub detail: String,
    /// The expected value, where the library gives it.
    pub expected: Option<String>,
    /// The received value, where the library gives it.
    pub received: Option<String>,
}

/// The error that stopped the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `saml:<code>`, `oidc:<code>`, `jit:<code>`.
    pub code: String,
    /// The library's message.
    pub message: String,
    /// The library's admin hint.
    pub admin_hint: Option<String>,
    /// Where the fix belongs, when the library says.
    pub fix: Option<String>,
}

/// What JIT would do with this login (not applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JitPreview {
    /// `Create`, `Update`, `Link`, `SignIn`, `Deny` (or `Refused` when the claims do not map).
    pub decision: String,
    /// The rule's code (`create.first_login`, …).
    pub rule: String,
    /// The rule's description.
    pub description: String,
    /// The rule's admin hint.
    pub admin_hint: Option<String>,
    /// What would be written: fields of a new user, changes, the link.
    pub details: Vec<String>,
}

/// A test run or a re-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Run {
    /// A test login started by the admin.
    Test,
    /// A re-check of the failure captured at `captured_at`, originally refused with `captured_code`.
    Recheck {
        /// When the response arrived.
        captured_at: DateTime<Utc>,
        /// The code the real login was refused with.
        captured_code: String,
    },
}

/// A test or re-check report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The connection.
    pub connection: String,
    /// `SAML` or `OIDC`.
    pub kind: String,
    /// Test or re-check.
    pub run: Run,
    /// The clock the time checks used.
    pub checked_at: DateTime<Utc>,
    /// The checks, in the order they run.
    pub checks: Vec<Check>,
    /// The error that stopped the run, if any.
    pub failure: Option<Failure>,
    /// The attributes (SAML) or claims (OIDC) that arrived, when the library released them.
    pub attributes: Vec<(String, Vec<String>)>,
    /// What JIT would do.
    pub jit: Option<JitPreview>,
    /// Remarks (what was not re-checkable, what was not applied).
    pub notes: Vec<String>,
}

impl Report {
    fn new(conn: &Connection, run: Run, checked_at: DateTime<Utc>) -> Self {
        Self {
            connection: conn.name.clone(),
            kind: conn.kind_str().to_uppercase(),
            run,
            checked_at,
            checks: Vec::new(),
            failure: None,
            attributes: Vec::new(),
            jit: None,
            notes: Vec::new(),
        }
    }

    /// Did every check pass and would JIT let the user in?
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failure.is_none()
            && self.checks.iter().all(|c| c.mark != Mark::Fail)
            && self.jit.as_ref().is_some_and(|j| j.decision != "Deny")
    }

    /// The report as an HTML fragment.
    #[must_use]
    pub fn render(&self) -> String {
        let mut h = String::new();
        let verdict = if self.passed() {
            "<p><strong>✓ Passed</strong>: a login through this connection would be accepted.</p>"
        } else {
            "<p><strong>✗ Failed</strong>: a login through this connection would be refused.</p>"
        };
        let _ = write!(
            h,
            "<p>Connection <strong>{}</strong> ({})</p>",
            esc(&self.connection),
            esc(&self.kind)
        );
        match &self.run {
            Run::Test => {
                let _ = write!(
                    h,
                    "<p>Test login checked at {}. Nobody was signed in and no account was created or changed.</p>",
                    esc(&fmt_time(self.checked_at))
                );
            }
            Run::Recheck {
                captured_at,
                captured_code,
            } => {
                let how = if self.kind == "SAML" {
                    "InResponseTo is matched against the request recorded at capture; the replay cache is only read."
                } else {
                    "The ID token is verified again with the IdP's current keys; what was single-use is marked n/a."
                };
                let _ = write!(
                    h,
                    "<p>Re-check of the response captured at {} (refused then with <code>{}</code>) against the \
                     connection's <em>current</em> settings. Time checks use the capture time {}, not now. {} \
                     Nobody was signed in.</p>",
                    esc(&fmt_time(*captured_at)),
                    esc(captured_code),
                    esc(&fmt_time(self.checked_at)),
                    esc(how)
                );
            }
        }
        h.push_str(verdict);
        if let Some(f) = &self.failure {
            let _ = write!(
                h,
                "<div class=\"hint\"><p><strong>{}</strong> <code>{}</code></p>",
                esc(&f.message),
                esc(&f.code)
            );
            if let Some(hint) = &f.admin_hint {
                let _ = write!(h, "<p>What to change: {}</p>", esc(hint));
            }
            if let Some(fix) = &f.fix {
                let _ = write!(h, "<p>{}</p>", esc(fix));
            }
            h.push_str("</div>");
        }
        h.push_str("<h2>Checks</h2><table><tr><th></th><th>Check</th><th>Result</th><th>Expected</th><th>Received</th></tr>");
        for c in &self.checks {
            let _ = write!(
                h,
                "<tr class=\"check-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                match c.mark {
                    Mark::Pass => "pass",
                    Mark::Fail => "fail",
                    Mark::NotReached => "not-reached",
                    Mark::NotConfirmed => "not-confirmed",
                    Mark::NotApplicable => "na",
                },
                esc(c.mark.symbol()),
                esc(&c.name),
                esc(&c.detail),
                c.expected
                    .as_deref()
                    .map_or_else(String::new, |v| format!("<code>{}</code>", esc(v))),
                c.received
                    .as_deref()
                    .map_or_else(String::new, |v| format!("<code>{}</code>", esc(v))),
            );
        }
        h.push_str("</table>");
        h.push_str("<h2>Attributes received</h2>");
        if self.attributes.is_empty() {
            h.push_str("<p>None shown: the library releases attributes only from a response that passed.</p>");
        } else {
            h.push_str("<table><tr><th>Name</th><th>Values</th></tr>");
            for (name, values) in &self.attributes {
                let _ = write!(
                    h,
                    "<tr><td><code>{}</code></td><td>{}</td></tr>",
                    esc(name),
                    values
                        .iter()
                        .map(|v| format!("<code>{}</code>", esc(v)))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            h.push_str("</table>");
        }
        h.push_str("<h2>Just-in-time provisioning (preview, not applied)</h2>");
        match &self.jit {
            Some(j) => {
                let _ = write!(
                    h,
                    "<p>Decision: <strong>{}</strong> — rule <code>{}</code>: {}</p>",
                    esc(&j.decision),
                    esc(&j.rule),
                    esc(&j.description)
                );
                if let Some(hint) = &j.admin_hint {
                    let _ = write!(h, "<p class=\"hint\">What to change: {}</p>", esc(hint));
                }
                if !j.details.is_empty() {
                    h.push_str("<ul>");
                    for d in &j.details {
                        let _ = write!(h, "<li>{}</li>", esc(d));
                    }
                    h.push_str("</ul>");
                }
            }
            None => h.push_str("<p>Not evaluated: the response did not pass validation.</p>"),
        }
        if !self.notes.is_empty() {
            h.push_str("<h2>Notes</h2><ul>");
            for n in &self.notes {
                let _ = write!(h, "<li>{}</li>", esc(n));
            }
            h.push_str("</ul>");
        }
        h
    }
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn check(name: &str, mark: Mark, detail: impl Into<String>) -> Check {
    Check {
        name: name.to_owned(),
        mark,
        detail: detail.into(),
        expected: None,
        received: None,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// SAML: the checks in the library's order.

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

// ---------------------------------------------------------------------------------------------------------------
// OIDC: steps the service runs one by one.

/// The OIDC callback's steps, in order.
pub const OIDC_STEPS: &[&str] = &[
    "State (pending login found)",
    "Browser binding",
    "Issuer of the pending login",
    "Login not expired",
    "Discovery",
    "Authorization response (state, iss, error)",
    "Token exchange",
    "ID token: signature",
    "ID token: claims (iss, aud, exp, iat, nonce, at_hash, c_hash)",
    "UserInfo",
    "Claims for JIT",
];

/// Records which OIDC steps returned; the first one not recorded is the one that failed.
#[derive(Debug, Default)]
pub struct Steps {
    done: Vec<(usize, Mark, String)>,
    /// Expected and received values of the last library error seen.
    values: (Option<String>, Option<String>),
}

impl Steps {
    /// Step `index` of [`OIDC_STEPS`] returned successfully; `detail` says what it found.
    pub fn pass(&mut self, index: usize, detail: impl Into<String>) {
        self.done.push((index, Mark::Pass, detail.into()));
    }

    /// Step `index` does not apply.
    pub fn skip(&mut self, index: usize, detail: impl Into<String>) {
        self.done.push((index, Mark::NotApplicable, detail.into()));
    }

    /// Notes the expected and received values an OIDC error carries (for the failed line) and hands it back.
    pub fn error(&mut self, e: gatehouse_oidc::Error) -> gatehouse_oidc::Error {
        self.values = oidc_expected_received(&e);
        e
    }

    /// The check lines, with `error` at the first step that did not return. `id_token_error_code` is the OIDC
    /// error code when the failure may be the ID token's (its signature is checked before its claims).
    #[must_use]
    pub fn checks(&self, error: Option<&Failure>, id_token_error_code: Option<&str>) -> Vec<Check> {
        let mut out = Vec::new();
        let mut failed = false;
        for (i, name) in OIDC_STEPS.iter().enumerate() {
            if let Some((_, mark, d)) = self.done.iter().find(|(j, _, _)| *j == i) {
                out.push(check(name, *mark, d.clone()));
                continue;
            }
            match error {
                Some(f) if !failed => {
                    // The ID token is checked in one call: signature first, then the claims.
                    if i == 7 && id_token_error_code.is_some_and(|c| !is_signature_code(c)) {
                        out.push(check(
                            name,
                            Mark::Pass,
                            "the signature verifies with the IdP's key",
                        ));
                        continue;
                    }
                    failed = true;
                    let mut c = check(name, Mark::Fail, f.message.clone());
                    c.expected.clone_from(&self.values.0);
                    c.received.clone_from(&self.values.1);
                    out.push(c);
                }
                _ => out.push(check(
                    name,
                    Mark::NotReached,
                    "the flow stops at the first failed step",
                )),
            }
        }
        out
    }
}

fn oidc_expected_received(e: &gatehouse_oidc::Error) -> (Option<String>, Option<String>) {
    use gatehouse_oidc::Error as E;
    let unix = |t: i64| DateTime::from_timestamp(t, 0).map_or_else(|| t.to_string(), fmt_time);
    match e {
        E::IssuerMismatch {
            expected, received, ..
        }
        | E::DiscoveryIssuerMismatch { expected, received }
        | E::AzpMismatch { expected, received } => (Some(expected.clone()), Some(received.clone())),
        E::AudienceMismatch { expected, received } => {
            (Some(expected.clone()), Some(received.join(", ")))
        }
        E::UntrustedAudience { audience } => (None, Some(audience.clone())),
        E::LoginExpired {
            created_at,
            now,
            ttl_secs,
        } => (
            Some(format!("started at most {ttl_secs} s ago")),
            Some(format!(
                "started {}, clock {}",
                fmt_time(*created_at),
                fmt_time(*now)
            )),
        ),
        E::Expired {
            exp,
            now,
            leeway_secs,
        } => (
            Some(format!(
                "before {} (with {leeway_secs} s leeway)",
                unix(*exp)
            )),
            Some(format!("clock {}", unix(*now))),
        ),
        E::NotYetValid { nbf, now } => (
            Some(format!("not before {}", unix(*nbf))),
            Some(format!("clock {}", unix(*now))),
        ),
        E::IssuedInFuture { iat, now } => (
            Some(format!("issued before {}", unix(*now))),
            Some(format!("iat {}", unix(*iat))),
        ),
        E::IssuedTooLongAgo {
            iat,
            now,
            max_age_secs,
        } => (
            Some(format!(
                "issued at most {max_age_secs} s before {}",
                unix(*now)
            )),
            Some(format!("iat {}", unix(*iat))),
        ),
        E::ResponseModeMismatch { expected, received } => {
            (Some(format!("{expected:?}")), Some(format!("{received:?}")))
        }
        E::UnexpectedTokenType { received } => (Some("Bearer".into()), Some(received.clone())),
        E::IdpError {
            error, description, ..
        } => (
            None,
            Some(match description {
                Some(d) => format!("{error}: {d}"),
                None => error.clone(),
            }),
        ),
        E::HttpStatus { status, .. } => (Some("200".into()), Some(status.to_string())),
        _ => (None, None),
    }
}

fn is_signature_code(code: &str) -> bool {
    matches!(
        code,
        "too_large"
            | "malformed"
            | "alg_none"
            | "unsupported_algorithm"
            | "algorithm_mismatch"
            | "symmetric_not_enabled"
            | "weak_symmetric_key"
            | "unknown_key_id"
            | "no_key_for_algorithm"
            | "ambiguous_key"
            | "bad_signature"
            | "no_usable_keys"
    )
}

/// An OIDC report from the recorded steps and the outcome.
#[must_use]
pub fn oidc_report(
    conn: &Connection,
    now: DateTime<Utc>,
    steps: &Steps,
    failure: Option<Failure>,
    claims: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Report {
    let mut report = Report::new(conn, Run::Test, now);
    let code = failure
        .as_ref()
        .and_then(|f| f.code.strip_prefix("oidc:"))
        .map(str::to_owned);
    report.checks = steps.checks(failure.as_ref(), code.as_deref());
    report.failure = failure;
    if let Some(claims) = claims {
        for (k, v) in claims {
            let values = match v {
                serde_json::Value::Array(items) => items.iter().map(json_text).collect(),
                other => vec![json_text(other)],
            };
            report.attributes.push((k.clone(), values));
        }
    }
    report
}

/// The report of a test run whose login could not even start (settings unreadable, OIDC discovery failed).
#[must_use]
pub fn start_failure(conn: &Connection, now: DateTime<Utc>, failure: Failure) -> Report {
    let mut report = Report::new(conn, Run::Test, now);
    let what = match conn.kind {
        Kind::Saml => "Build the AuthnRequest from the connection's settings",
        Kind::Oidc => "Discovery and the authorization request",
    };
    let mut c = check(what, Mark::Fail, failure.message.clone());
    c.received = Some(failure.code.clone());
    report.checks.push(c);
    report.checks.push(check(
        "The identity provider's response",
        Mark::NotReached,
        "the login did not start",
    ));
    report.failure = Some(failure);
    report
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// JIT preview: decide on a read-only snapshot, apply nothing.

/// What JIT would decide for `claims` on `conn`, without writing anything.
pub async fn preview_jit(
    state: &AppState,
    ws: &Workspace,
    policy: &Policy,
    mapping: &gatehouse_jit::Mapping,
    claims: &gatehouse_jit::Claims,
) -> Result<JitPreview> {
    let identity = match mapping.map(claims) {
        Ok(i) => i,
        Err(e) => {
            return Ok(JitPreview {
                decision: "Deny".into(),
                rule: "claims".into(),
                description: e.to_string(),
                admin_hint: e.admin_hint(),
                details: Vec::new(),
            });
        }
    };
    let mut read = state.pool.begin().await?;
    if state.dialect == crate::db::Dialect::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *read)
            .await?;
    }
    let existing = lookup(&mut read, &ws.id, &identity, policy).await?;
    read.rollback().await?;
    let decision = gatehouse_jit::decide(&identity, &existing, policy);
    let rule = decision.rule();
    let (name, details) = match &decision {
        Decision::Create { user, .. } => (
            "Create",
            vec![
                format!(
                    "new user: email {}, name {}, role {}",
                    user.email.as_ref().map_or("(none)", |e| e.as_str()),
                    user.profile.display_name.as_deref().unwrap_or("(none)"),
                    user.role.as_ref().map_or("(none)", |r| r.0.as_str())
                ),
                format!(
                    "linked to connection {} subject {}",
                    user.link.connection.0, user.link.subject.0
                ),
            ],
        ),
        Decision::Update { user, changes, .. } => (
            "Update",
            std::iter::once(format!("user {}", user.0))
                .chain(changes.iter().map(change_text))
                .collect(),
        ),
        Decision::Link {
            user,
            link,
            changes,
            ..
        } => (
            "Link",
            std::iter::once(format!(
                "user {} gets the link connection {} subject {}",
                user.0, link.connection.0, link.subject.0
            ))
            .chain(changes.iter().map(change_text))
            .collect(),
        ),
        Decision::SignIn { user, .. } => ("SignIn", vec![format!("user {}", user.0)]),
        Decision::Deny { .. } => ("Deny", Vec::new()),
    };
    Ok(JitPreview {
        decision: name.into(),
        rule: rule.code().into(),
        description: rule.description().into(),
        admin_hint: rule.admin_hint().map(str::to_owned),
        details,
    })
}

fn change_text(c: &gatehouse_jit::Change) -> String {
    format!(
        "{:?}: {} → {}",
        c.field,
        c.old.as_deref().unwrap_or("(none)"),
        c.new.as_deref().unwrap_or("(none)")
    )
}

const USER_COLUMNS: &str = "u.id, u.email, u.user_name, u.display_name, u.given_name, u.family_name, u.picture, \
                            u.role, u.active, u.scim_managed, u.external_id";

type ReadTx<'t> = sqlx::Transaction<'t, sqlx::Any>;

async fn load_user(tx: &mut ReadTx<'_>, row: Option<sqlx::any::AnyRow>) -> Result<Option<User>> {
    let Some(r) = row else { return Ok(None) };
    let id: String = r.try_get("id")?;
    let mut user = User::new(id.clone());
    user.email = r
        .try_get::<Option<String>, _>("email")?
        .and_then(|e| Email::parse(&e).ok());
    user.user_name = r.try_get("user_name")?;
    user.profile = Profile {
        display_name: r.try_get("display_name")?,
        given_name: r.try_get("given_name")?,
        family_name: r.try_get("family_name")?,
        picture: r.try_get("picture")?,
        ..Profile::default()
    };
    user.role = r.try_get::<Option<String>, _>("role")?.map(Role);
    user.active = r.try_get::<i64, _>("active")? != 0;
    if r.try_get::<i64, _>("scim_managed")? != 0 {
        user.scim = Some(ScimRecord {
            external_id: r.try_get("external_id")?,
        });
    }
    let links = sqlx::query("SELECT connection, subject FROM sso_links WHERE user_id = $1")
        .bind(&id)
        .fetch_all(&mut **tx)
        .await?;
    user.links = links
        .iter()
        .map(|l| {
            Ok(SsoLink {
                connection: ConnectionId(l.try_get("connection")?),
                subject: Subject(l.try_get("subject")?),
            })
        })
        .collect::<Result<BTreeSet<_>>>()?;
    Ok(Some(user))
}

/// The same lookups as the login's JIT step (`jit_store`), read-only.
async fn lookup(
    tx: &mut ReadTx<'_>,
    ws: &str,
    identity: &Identity,
    policy: &Policy,
) -> Result<Existing> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users u JOIN sso_links l ON l.user_id = u.id \
         WHERE l.workspace_id = $1 AND l.connection = $2 AND l.subject = $3"
    )))
    .bind(ws)
    .bind(&identity.connection.0)
    .bind(&identity.subject.0)
    .fetch_optional(&mut **tx)
    .await?;
    let by_subject = load_user(tx, row).await?;
    let by_email = match &identity.email {
        Some(email) => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE workspace_id = $1 AND email = $2"
            )))
            .bind(ws)
            .bind(email.as_str())
            .fetch_optional(&mut **tx)
            .await?;
            load_user(tx, row).await?
        }
        None => None,
    };
    let mut by_scim = None;
    for key in &policy.scim_match {
        let row = match key {
            ScimKey::ExternalId => match &identity.external_id {
                Some(id) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {USER_COLUMNS} FROM users u WHERE workspace_id = $1 AND scim_managed = 1 AND external_id = $2"
                    )))
                    .bind(ws)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
                }
                None => None,
            },
            ScimKey::UserName => match &identity.user_name {
                Some(name) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {USER_COLUMNS} FROM users u WHERE workspace_id = $1 AND scim_managed = 1 AND user_name_lc = $2"
                    )))
                    .bind(ws)
                    .bind(name.to_ascii_lowercase())
                    .fetch_optional(&mut **tx)
                    .await?
                }
                None => None,
            },
            ScimKey::Email => {
                if policy.trusts_email_for_linking(identity)
                    && let Some(u) = by_email.clone().filter(User::is_scim_managed)
                {
                    by_scim = Some(u);
                    break;
                }
                None
            }
        };
        if let Some(found) = load_user(tx, row).await? {
            by_scim = Some(found);
            break;
        }
    }
    Ok(Existing {
        by_subject,
        by_email,
        by_scim,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Storage: test runs and their reports.

fn report_purpose(id: &str) -> String {
    format!("connection-test:{id}")
}

/// Opens a test run of `conn` for the admin `admin_user_id`; returns its ID.
pub async fn open_run(
    state: &AppState,
    ws: &Workspace,
    admin_user_id: &str,
    conn: &Connection,
) -> Result<String> {
    let id = crate::db::new_id()?;
    let now = state.now().timestamp();
    sqlx::query(
        "INSERT INTO connection_tests (id, workspace_id, connection, admin_user_id, sealed_report, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6)",
    )
    .bind(&id)
    .bind(&ws.id)
    .bind(&conn.name)
    .bind(admin_user_id)
    .bind(now)
    .bind(now + TEST_TTL_SECS)
    .execute(&state.pool)
    .await?;
    Ok(id)
}

/// Seals `report` into test run `id` of `conn` (only while the run is open and belongs to the connection's
/// workspace); returns whether it was stored.
pub async fn store_report(
    state: &AppState,
    id: &str,
    conn: &Connection,
    report: &Report,
) -> Result<bool> {
    let json = serde_json::to_vec(report).map_err(|e| Error::Internal(e.to_string()))?;
    let sealed = state.key.seal(&report_purpose(id), &json)?;
    let n = sqlx::query(
        "UPDATE connection_tests SET sealed_report = $1 WHERE id = $2 AND workspace_id = $3 AND connection = $4 \
         AND expires_at > $5 AND sealed_report IS NULL",
    )
    .bind(sealed)
    .bind(id)
    .bind(&conn.workspace_id)
    .bind(&conn.name)
    .bind(state.now().timestamp())
    .execute(&state.pool)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(false);
    }
    let outcome = if report.passed() { "passed" } else { "failed" };
    let reason = match (&report.run, &report.failure) {
        (Run::Test, Some(f)) => format!("test {outcome}: {}", f.code),
        (Run::Test, None) => format!("test {outcome}"),
        (Run::Recheck { .. }, Some(f)) => format!("re-check {outcome}: {}", f.code),
        (Run::Recheck { .. }, None) => format!("re-check {outcome}"),
    };
    crate::web::audit(
        state,
        Some(&conn.workspace_id),
        Some(&conn.name),
        "connection-tested",
        &reason,
    )
    .await;
    Ok(true)
}

/// What a report page shows.
#[derive(Debug)]
pub enum Stored {
    /// No such run for this admin (or expired).
    Missing,
    /// The run is open; the IdP has not answered yet.
    Waiting {
        /// The connection.
        connection: String,
    },
    /// The report.
    Done(Box<Report>),
}

/// The report of run `id`, only for the admin who started it in their workspace.
pub async fn load_report(
    state: &AppState,
    id: &str,
    workspace_id: &str,
    admin_user_id: &str,
) -> Result<Stored> {
    let row = sqlx::query(
        "SELECT connection, sealed_report FROM connection_tests WHERE id = $1 AND workspace_id = $2 \
         AND admin_user_id = $3 AND expires_at > $4",
    )
    .bind(id)
    .bind(workspace_id)
    .bind(admin_user_id)
    .bind(state.now().timestamp())
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else {
        return Ok(Stored::Missing);
    };
    let connection: String = row.try_get("connection")?;
    match row.try_get::<Option<String>, _>("sealed_report")? {
        None => Ok(Stored::Waiting { connection }),
        Some(sealed) => {
            let plain = state.key.open(&report_purpose(id), &sealed)?;
            let report: Report = serde_json::from_slice(&plain)
                .map_err(|e| Error::Internal(format!("stored report: {e}")))?;
            Ok(Stored::Done(Box::new(report)))
        }
    }
}

/// The test run named by a purpose, if it is one.
#[must_use]
pub fn test_id(purpose: &str) -> Option<&str> {
    purpose
        .strip_prefix(TEST_PURPOSE_PREFIX)
        .filter(|id| !id.is_empty())
}

// ---------------------------------------------------------------------------------------------------------------
// Captured failures.

fn capture_purpose(connection: &str) -> String {
    format!("captured-failure:{connection}")
}

/// An outstanding request as recorded at capture.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Request ID.
    pub id: String,
    /// Its connection.
    pub connection: String,
    /// Issued (Unix seconds).
    pub issued_at: i64,
    /// Expires (Unix seconds).
    pub expires_at: i64,
}

impl RecordedRequest {
    /// From the store's view.
    #[must_use]
    pub fn of(p: &PendingRequest) -> Self {
        Self {
            id: p.id.clone(),
            connection: p.connection.clone(),
            issued_at: p.issued_at.timestamp(),
            expires_at: p.expires_at.timestamp(),
        }
    }

    fn pending(&self) -> PendingRequest {
        PendingRequest {
            id: self.id.clone(),
            connection: self.connection.clone(),
            issued_at: DateTime::from_timestamp(self.issued_at, 0).unwrap_or_default(),
            expires_at: DateTime::from_timestamp(self.expires_at, 0).unwrap_or_default(),
        }
    }
}

/// What a captured failure holds (sealed).
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Captured {
    Saml {
        /// The `SAMLResponse` form value as posted.
        saml_response: String,
        /// The clock of the refused login.
        at: DateTime<Utc>,
        /// The request named by the response's InResponseTo, as it stood at capture.
        request: Option<RecordedRequest>,
        /// `Some(true)`: the failure was a replay; `Some(false)`: the assertion was new (the refused login
        /// recorded it itself); `None`: validation stopped before the replay check.
        replayed: Option<bool>,
        /// The refusal's message.
        message: String,
    },
    Oidc {
        /// The clock of the refused login.
        at: DateTime<Utc>,
        /// The refusal's message.
        message: String,
        /// The refusal's admin hint.
        admin_hint: Option<String>,
        /// When the token exchange succeeded: the pending login (issuer, nonce) and the ID token.
        #[serde(default)]
        token: Option<(gatehouse_oidc::PendingLogin, String)>,
    },
}

/// The state of a refused SAML login the capture needs.
#[derive(Debug, Default, Clone)]
pub struct SamlAttempt {
    /// The posted `SAMLResponse` (set once the form carried one).
    pub saml_response: Option<String>,
    /// The request the login consumed, when validation got that far.
    pub consumed: Option<PendingRequest>,
    /// The login passed validation (and recorded the assertion in the replay cache).
    pub accepted: bool,
}

/// The `InResponseTo` a response names (Response, else a SubjectConfirmationData), read without verification:
/// only used to find which outstanding request to record or consume as a test; the library compares the verified
/// value.
#[must_use]
pub fn peek_in_response_to(xml: &[u8]) -> Option<String> {
    let doc = gatehouse_xml::Document::parse(xml).ok()?;
    let root = doc.root();
    let found = root.attr("InResponseTo").map(str::to_owned).or_else(|| {
        root.descendants()
            .filter(|e| e.name() == "SubjectConfirmationData")
            .find_map(|e| e.attr("InResponseTo").map(str::to_owned))
    })?;
    (found.len() <= 256).then_some(found)
}

/// Keeps the refused SAML login's response for a re-check (sealed, 24 h, the last one per connection).
pub async fn capture_saml(
    state: &AppState,
    conn: &Connection,
    attempt: &SamlAttempt,
    code: &str,
    message: &str,
) -> Result<()> {
    let Some(posted) = &attempt.saml_response else {
        return Ok(());
    };
    let request = match &attempt.consumed {
        Some(p) => Some(RecordedRequest::of(p)),
        None => {
            let irt = gatehouse_saml::decode_form_value(posted)
                .ok()
                .and_then(|xml| peek_in_response_to(&xml));
            match irt {
                Some(id) => sqlx::query(
                    "SELECT connection, issued_at, expires_at FROM saml_requests WHERE id = $1",
                )
                .bind(&id)
                .fetch_optional(&state.pool)
                .await?
                .map(|r| {
                    Ok::<_, Error>(RecordedRequest {
                        id: id.clone(),
                        connection: r.try_get("connection")?,
                        issued_at: r.try_get("issued_at")?,
                        expires_at: r.try_get("expires_at")?,
                    })
                })
                .transpose()?,
                None => None,
            }
        }
    };
    let replayed = if code == "saml:replay" {
        Some(true)
    } else if attempt.accepted {
        Some(false)
    } else {
        None
    };
    let captured = Captured::Saml {
        saml_response: posted.clone(),
        at: state.now(),
        request,
        replayed,
        message: message.to_owned(),
    };
    store_capture(state, conn, "saml", code, &captured).await
}

/// Keeps a refused OIDC login for a re-check: the error, and, when the token exchange had succeeded, the pending
/// login and the ID token (see the module docs).
pub async fn capture_oidc(
    state: &AppState,
    conn: &Connection,
    code: &str,
    message: &str,
    admin_hint: Option<&str>,
    token: Option<(gatehouse_oidc::PendingLogin, String)>,
) -> Result<()> {
    let captured = Captured::Oidc {
        at: state.now(),
        message: message.to_owned(),
        admin_hint: admin_hint.map(str::to_owned),
        token,
    };
    store_capture(state, conn, "oidc", code, &captured).await
}

async fn store_capture(
    state: &AppState,
    conn: &Connection,
    kind: &str,
    code: &str,
    captured: &Captured,
) -> Result<()> {
    let json = serde_json::to_vec(captured).map_err(|e| Error::Internal(e.to_string()))?;
    let sealed = state.key.seal(&capture_purpose(&conn.name), &json)?;
    let now = state.now().timestamp();
    sqlx::query(
        "INSERT INTO captured_failures (connection, workspace_id, kind, code, sealed, captured_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (connection) DO UPDATE SET workspace_id = excluded.workspace_id, \
         kind = excluded.kind, code = excluded.code, sealed = excluded.sealed, captured_at = excluded.captured_at, \
         expires_at = excluded.expires_at",
    )
    .bind(&conn.name)
    .bind(&conn.workspace_id)
    .bind(kind)
    .bind(code.chars().take(200).collect::<String>())
    .bind(sealed)
    .bind(now)
    .bind(now + CAPTURE_TTL_SECS)
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// The last failure captured on a connection of `ws`, when one is kept: (kind, code, captured at).
pub async fn last_failure(
    state: &AppState,
    ws: &Workspace,
    connection: &str,
) -> Result<Option<(String, String, i64)>> {
    sqlx::query(
        "SELECT kind, code, captured_at FROM captured_failures WHERE connection = $1 AND workspace_id = $2 AND expires_at > $3",
    )
    .bind(connection)
    .bind(&ws.id)
    .bind(state.now().timestamp())
    .fetch_optional(&state.pool)
    .await?
    .map(|r| Ok((r.try_get("kind")?, r.try_get("code")?, r.try_get("captured_at")?)))
    .transpose()
}

/// The two buttons of a connection's row on `/settings/sso`: "Test connection" always, "Re-check the last
/// failure" when a failure of the last 24 hours is kept (with its code and time). `csrf_input` is
/// [`crate::web::csrf_input`]'s hidden field.
pub async fn row_buttons(
    state: &AppState,
    ws: &Workspace,
    conn: &Connection,
    csrf_input: &str,
) -> Result<String> {
    let name = esc(&conn.name);
    let mut html = format!(
        "<form method=\"post\" action=\"/settings/sso/test\">{csrf_input}<input type=\"hidden\" name=\"name\" \
         value=\"{name}\"><button type=\"submit\">Test connection</button></form>"
    );
    if let Some((_, code, at)) = last_failure(state, ws, &conn.name).await? {
        let when = DateTime::from_timestamp(at, 0).map_or_else(String::new, fmt_time);
        let _ = write!(
            html,
            "<form method=\"post\" action=\"/settings/sso/recheck\">{csrf_input}<input type=\"hidden\" name=\"name\" \
             value=\"{name}\"><button type=\"submit\">Re-check the last failure</button> \
             <small>refused {} with <code>{}</code></small></form>",
            esc(&when),
            esc(&code)
        );
    }
    Ok(html)
}

/// Re-checks the failure captured on `connection` (of `ws`) against the connection's current settings; `None` when
/// nothing is kept. Reads only: no request is consumed, no replay key recorded, no user or session written.
pub async fn recheck(state: &AppState, ws: &Workspace, connection: &str) -> Result<Option<Report>> {
    let conn = model::connection_by_name(state, connection)
        .await?
        .filter(|c| c.workspace_id == ws.id)
        .ok_or_else(|| Error::NotFound(format!("connection {connection:?}")))?;
    let row = sqlx::query(
        "SELECT code, sealed FROM captured_failures WHERE connection = $1 AND workspace_id = $2 AND expires_at > $3",
    )
    .bind(&conn.name)
    .bind(&ws.id)
    .bind(state.now().timestamp())
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let code: String = row.try_get("code")?;
    let sealed: String = row.try_get("sealed")?;
    let captured: Captured =
        serde_json::from_slice(&state.key.open(&capture_purpose(&conn.name), &sealed)?)
            .map_err(|e| Error::Internal(format!("captured failure: {e}")))?;
    match captured {
        Captured::Oidc {
            at,
            message,
            token: Some((pending, id_token)),
            ..
        } => {
            let ctx = model::login_context(state, &conn.name)
                .await?
                .ok_or_else(|| Error::NotFound(format!("connection {:?}", conn.name)))?;
            let run = Run::Recheck {
                captured_at: at,
                captured_code: code,
            };
            let mut report =
                crate::login::recheck_oidc(state, &ctx, run, at, &pending, &id_token).await?;
            report.notes.insert(
                0,
                format!("At capture the sign-in was refused with: {message}"),
            );
            Ok(Some(report))
        }
        Captured::Oidc {
            at,
            message,
            admin_hint,
            token: None,
        } => {
            let mut report = Report::new(
                &conn,
                Run::Recheck {
                    captured_at: at,
                    captured_code: code.clone(),
                },
                at,
            );
            report.failure = Some(Failure {
                code,
                message,
                admin_hint,
                fix: None,
            });
            report.notes.push(
                "This OIDC failure cannot be re-checked: it happened before the token exchange succeeded, and the \
                 state and authorization code are single-use, so only the error is kept. Use \"Test connection\" \
                 to run the whole flow again."
                    .into(),
            );
            Ok(Some(report))
        }
        Captured::Saml {
            saml_response,
            at,
            request,
            replayed,
            message,
        } => {
            if conn.kind != Kind::Saml {
                return Err(Error::Invalid(
                    "the connection is no longer a SAML connection".into(),
                ));
            }
            let run = Run::Recheck {
                captured_at: at,
                captured_code: code,
            };
            let mut report =
                recheck_saml(state, ws, &conn, run, &saml_response, at, request, replayed).await?;
            report.notes.insert(
                0,
                format!("At capture the sign-in was refused with: {message}"),
            );
            Ok(Some(report))
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn recheck_saml(
    state: &AppState,
    ws: &Workspace,
    conn: &Connection,
    run: Run,
    posted: &str,
    at: DateTime<Utc>,
    request: Option<RecordedRequest>,
    replayed: Option<bool>,
) -> Result<Report> {
    let settings = conn.saml_settings()?;
    let sp = model::saml_sp_with(state, conn, false)?;
    let mut solicited = None;
    let mut replay_note = "checked read-only: the replay cache does not hold this assertion (a re-check records nothing)";
    let result = match gatehouse_saml::decode_form_value(posted) {
        Err(e) => Err(e),
        Ok(xml) => match gatehouse_saml::check_response(&sp, &settings.idp, &xml, at) {
            Err(e) => Err(e),
            Ok(checked) => {
                solicited = Some(checked.in_response_to().is_some());
                let fresh = match replayed {
                    Some(r) => {
                        replay_note = "the assertion was new when captured (the refused sign-in recorded it itself)";
                        !r
                    }
                    None => {
                        let key = format!("saml\n{}", checked.replay_key());
                        sqlx::query("SELECT 1 AS one FROM replay_cache WHERE key = $1")
                            .bind(key)
                            .fetch_optional(&state.pool)
                            .await?
                            .is_none()
                    }
                };
                let pending = request.as_ref().map(RecordedRequest::pending);
                checked.finish(&conn.name, pending, fresh, at)
            }
        },
    };
    let ctx = SamlContext {
        sp: &sp,
        idp: &settings.idp,
        now: at,
        replay_note,
        solicited,
    };
    let mut report = saml_report(conn, run, result.as_ref(), &ctx);
    report.notes.push(format!(
        "InResponseTo was matched against {}.",
        match &request {
            Some(r) => format!(
                "request {} recorded at capture (connection {}, valid until {})",
                r.id,
                r.connection,
                DateTime::from_timestamp(r.expires_at, 0).map_or_else(String::new, fmt_time)
            ),
            None => "no request: none was outstanding for it at capture".into(),
        }
    ));
    if let Ok(a) = &result {
        let ctx_domains = model::login_context(state, &conn.name)
            .await?
            .map(|c| c.domains)
            .unwrap_or_default();
        let policy = crate::login::policy_for(&ctx_domains, conn);
        let claims = saml_claims(conn, a);
        report.jit =
            Some(preview_jit(state, ws, &policy, &crate::login::saml_mapping(), &claims).await?);
        report.notes.push(
            "The JIT decision is computed against the accounts as they are now, not at capture."
                .into(),
        );
    }
    Ok(report)
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

    #[test]
    fn oidc_steps_mark_only_what_returned() {
        let mut s = Steps::default();
        s.pass(0, "found");
        s.pass(1, "same browser");
        let f = Failure {
            code: "oidc:x".into(),
            message: "boom".into(),
            admin_hint: None,
            fix: None,
        };
        let checks = s.checks(Some(&f), None);
        let marks: Vec<Mark> = checks.iter().map(|c| c.mark).collect();
        assert_eq!(marks[0..3], [Mark::Pass, Mark::Pass, Mark::Fail]);
        assert!(marks[3..].iter().all(|m| *m == Mark::NotReached));
    }
}
