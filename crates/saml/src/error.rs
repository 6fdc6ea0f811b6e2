//! The crate's one error type, with what was expected, what arrived, and what an admin should change.

use chrono::{DateTime, Utc};
use thiserror::Error;

/// Why a SAML message was refused or could not be produced.
///
/// Every variant says what was expected and what arrived; [`Error::admin_hint`] says which setting to
/// change, in the IdP admin's words (Okta's labels first), and [`Error::fix_side`] whether the fix belongs
/// to the IdP or the SP. Display output never contains a whole assertion, key material or a secret.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The `SAMLResponse` form value is not base64, or too large.
    #[error("SAMLResponse is not valid base64 ({reason})")]
    Encoding {
        /// What is wrong.
        reason: &'static str,
    },
    /// The XML layer refused the message (parse, signature shape, signature value, decryption).
    #[error("{0}")]
    Xml(#[from] gatehouse_xml::Error),
    /// The document element is not what was expected.
    #[error("expected a {expected}, found <{found}>")]
    UnexpectedMessage {
        /// What was expected.
        expected: &'static str,
        /// The element that arrived.
        found: String,
    },
    /// A required element or attribute is missing.
    #[error("{what} is missing")]
    Missing {
        /// What is missing, e.g. "Response ID", "Assertion Issuer".
        what: &'static str,
    },
    /// An element occurs more often than SAML allows here.
    #[error("{what}: expected {expected}, found {found}")]
    Count {
        /// What was counted.
        what: &'static str,
        /// The allowed count.
        expected: &'static str,
        /// The count found.
        found: usize,
    },
    /// `Version` is not 2.0.
    #[error("SAML version {found} (expected 2.0)")]
    Version {
        /// The version found.
        found: String,
    },
    /// A timestamp is not a valid `xs:dateTime`.
    #[error("{field} is not a valid timestamp: {value:?}")]
    Timestamp {
        /// Which attribute.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// The IdP reported failure.
    #[error("the IdP returned status {code}{}{}", sub_code.as_ref().map(|s| format!(" / {s}")).unwrap_or_default(), message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// Top-level status code URI.
        code: String,
        /// Second-level status code URI, if any.
        sub_code: Option<String>,
        /// `StatusMessage`, if any.
        message: Option<String>,
    },
    /// `Destination` differs from this connection's ACS URL.
    #[error("Response Destination is {found:?}, expected {expected:?}")]
    Destination {
        /// The configured ACS URL.
        expected: String,
        /// The Destination received (`None` when absent).
        found: Option<String>,
    },
    /// The bearer `SubjectConfirmationData` `Recipient` differs from the ACS URL.
    #[error("SubjectConfirmationData Recipient is {found:?}, expected {expected:?}")]
    Recipient {
        /// The configured ACS URL.
        expected: String,
        /// The Recipient received.
        found: Option<String>,
    },
    /// `Issuer` differs from the IdP's entity ID.
    #[error("{element} Issuer is {found:?}, expected {expected:?}")]
    Issuer {
        /// "Response" or "Assertion".
        element: &'static str,
        /// The configured IdP entity ID.
        expected: String,
        /// The Issuer received.
        found: String,
    },
    /// Neither the Response nor the Assertion carries a signature.
    #[error("neither the Response nor the Assertion is signed")]
    NotSigned,
    /// The connection requires the Assertion itself to be signed, and it is not.
    #[error("the Assertion is not signed itself (the connection requires a signed assertion)")]
    AssertionNotSigned,
    /// A `Signature` element sits where no signature belongs.
    #[error("a Signature element sits inside <{parent}>, where none is expected")]
    UnexpectedSignature {
        /// The element holding it.
        parent: String,
    },
    /// An encrypted element arrived but the connection has no SP decryption key.
    #[error("the IdP encrypted the {what} but this connection has no decryption key")]
    NoDecryptionKey {
        /// "Assertion" or "NameID".
        what: &'static str,
    },
    /// No bearer `SubjectConfirmation` was usable.
    #[error("no usable bearer SubjectConfirmation ({reason})")]
    SubjectConfirmation {
        /// Why the last candidate failed.
        reason: String,
    },
    /// The assertion (or its confirmation) is not valid yet.
    #[error("{what} not valid before {not_before} (now {now}, skew {skew_seconds} s)")]
    NotYetValid {
        /// "Conditions" or "SubjectConfirmationData".
        what: &'static str,
        /// The `NotBefore` value.
        not_before: DateTime<Utc>,
        /// The clock used.
        now: DateTime<Utc>,
        /// The tolerance applied.
        skew_seconds: i64,
    },
    /// The assertion (or its confirmation) has expired.
    #[error("{what} expired at {not_on_or_after} (now {now}, skew {skew_seconds} s)")]
    Expired {
        /// "Conditions", "SubjectConfirmationData" or "SessionNotOnOrAfter".
        what: &'static str,
        /// The deadline.
        not_on_or_after: DateTime<Utc>,
        /// The clock used.
        now: DateTime<Utc>,
        /// The tolerance applied.
        skew_seconds: i64,
    },
    /// The assertion was issued (or the user authenticated) longer ago than the SP accepts.
    #[error("{what} {instant} is older than the maximum age of {max_age_seconds} s (now {now})")]
    TooOld {
        /// "IssueInstant" or "AuthnInstant".
        what: &'static str,
        /// The instant.
        instant: DateTime<Utc>,
        /// The clock used.
        now: DateTime<Utc>,
        /// The configured maximum.
        max_age_seconds: i64,
    },
    /// No `AudienceRestriction` names this SP.
    #[error("audience {found:?} does not include this SP's entity ID {expected:?}")]
    Audience {
        /// This SP's entity ID.
        expected: String,
        /// The audiences of the restriction that failed (empty when there is no AudienceRestriction).
        found: Vec<String>,
    },
    /// The `NameID` is qualified for another SP (`SPNameQualifier`): it is that SP's identifier of the user.
    #[error("NameID SPNameQualifier is {found:?}, expected this SP's entity ID {expected:?}")]
    NameIdQualifier {
        /// This SP's entity ID.
        expected: String,
        /// The `SPNameQualifier` received.
        found: String,
    },
    /// `InResponseTo` names no request this SP has outstanding for this connection.
    #[error("InResponseTo {id:?} matches no outstanding request of this connection")]
    UnknownRequest {
        /// The value received.
        id: String,
    },
    /// An unsolicited (IdP-initiated) response, where the connection does not allow them.
    #[error(
        "unsolicited response (no InResponseTo), and this connection does not allow IdP-initiated sign-in"
    )]
    Unsolicited,
    /// `InResponseTo` values disagree between the Response and its SubjectConfirmationData.
    #[error(
        "InResponseTo of the Response ({response:?}) and of the SubjectConfirmationData ({confirmation:?}) differ"
    )]
    InResponseToMismatch {
        /// The Response's value.
        response: Option<String>,
        /// The SubjectConfirmationData's value.
        confirmation: String,
    },
    /// This assertion was already used.
    #[error("assertion {assertion_id} was already used (replay)")]
    Replay {
        /// The assertion ID.
        assertion_id: String,
    },
    /// The assertion has no `NameID`.
    #[error("the assertion's Subject has no NameID")]
    NoNameId,
    /// Something SAML allows but Gatehouse does not implement.
    #[error("not supported: {what}")]
    Unsupported {
        /// What.
        what: &'static str,
    },
    /// Invalid metadata.
    #[error("metadata: {reason}")]
    Metadata {
        /// Why.
        reason: String,
    },
    /// Invalid SP or IdP configuration (caught before any message is processed).
    #[error("configuration: {reason}")]
    Config {
        /// Why.
        reason: String,
    },
    /// A request could not be encoded (DEFLATE or signing failed).
    #[error("could not build the request: {reason}")]
    Request {
        /// Why.
        reason: String,
    },
}

/// Where the fix for an error belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixSide {
    /// A setting in the IdP (Okta, Entra, …).
    IdentityProvider,
    /// The SP's connection configuration.
    ServiceProvider,
    /// Clocks on either side.
    Clock,
    /// Either side, depending on which is out of date: the IdP signs with a certificate the connection does not pin
    /// (it rotated and the connection needs the new one, or the IdP uses the wrong one).
    Either,
    /// Nothing to configure: the message is malformed, replayed or hostile.
    None,
}

impl Error {
    /// Which side should change something.
    #[must_use]
    pub fn fix_side(&self) -> FixSide {
        match self {
            Self::Destination { .. }
            | Self::Recipient { .. }
            | Self::Audience { .. }
            | Self::NameIdQualifier { .. }
            | Self::NotSigned
            | Self::AssertionNotSigned
            | Self::Status { .. }
            | Self::NoNameId => FixSide::IdentityProvider,
            Self::Issuer { .. }
            | Self::NoDecryptionKey { .. }
            | Self::Config { .. }
            | Self::Metadata { .. } => FixSide::ServiceProvider,
            Self::Unsolicited => FixSide::ServiceProvider,
            Self::NotYetValid { .. } | Self::Expired { .. } | Self::TooOld { .. } => FixSide::Clock,
            Self::Xml(e) => match e {
                gatehouse_xml::Error::UntrustedCertificate { .. }
                | gatehouse_xml::Error::BadSignature { .. }
                | gatehouse_xml::Error::NoSuitableKey { .. } => FixSide::Either,
                _ if e.admin_hint().is_some() => FixSide::IdentityProvider,
                _ => FixSide::None,
            },
            _ => FixSide::None,
        }
    }

    /// What to change, in the IdP admin's words; `None` where nothing configurable is wrong.
    #[must_use]
    pub fn admin_hint(&self) -> Option<&'static str> {
        Some(match self {
            Self::Destination { .. } | Self::Recipient { .. } => {
                "The IdP sends responses to a different address. In Okta, set the application's \"Single sign-on \
                 URL\" to this connection's ACS URL exactly (including ?connection=…) and keep \"Use this for \
                 Recipient URL and Destination URL\" checked; in Entra, set the \"Reply URL (Assertion Consumer \
                 Service URL)\"."
            }
            Self::Audience { .. } | Self::NameIdQualifier { .. } => {
                "The assertion is meant for another SP. In Okta, set \"Audience URI (SP Entity ID)\" to this \
                 connection's SP entity ID exactly; in Entra, set \"Identifier (Entity ID)\"."
            }
            Self::Issuer { .. } => {
                "The response comes from a different IdP entity ID than this connection expects. Re-import the \
                 IdP metadata (Okta: the application's Sign On tab, \"Identity Provider metadata\"), or correct \
                 the connection's IdP entity ID (Okta's \"Identity Provider Issuer\")."
            }
            Self::NotSigned => {
                "Turn on signing in the IdP: in Okta, \"Assertion Signature\" Signed (default); in Entra, \
                 \"Signing Option\" Sign SAML assertion."
            }
            Self::AssertionNotSigned => {
                "This connection requires the assertion itself to be signed. In Okta set \"Assertion Signature\" \
                 to Signed; in Entra set \"Signing Option\" to \"Sign SAML response and assertion\" — or relax the \
                 connection's \"require signed assertion\" policy."
            }
            Self::NoDecryptionKey { .. } => {
                "The IdP encrypts assertions. Give this connection an SP encryption key and upload its \
                 certificate to the IdP (Okta: \"Assertion Encryption\", Encryption Certificate), or turn \
                 assertion encryption off in the IdP."
            }
            Self::Unsolicited => {
                "The user started sign-in from the IdP (IdP-initiated SSO). Allow IdP-initiated sign-in on this \
                 connection, or in Okta use \"Login initiated by: App Only\" so that sign-in starts at the app."
            }
            Self::NotYetValid { .. } | Self::Expired { .. } | Self::TooOld { .. } => {
                "The clocks of the IdP and this service disagree, or the response was delayed. Check that this \
                 server's clock is synchronized (NTP); the allowed skew is part of the connection settings."
            }
            Self::Status { .. } => {
                "The IdP refused the sign-in. In Okta, check that the user is assigned to the application \
                 (Assignments tab) and read the IdP's System Log for this request."
            }
            Self::NoNameId => {
                "The IdP sent no NameID. In Okta, set \"Name ID format\" and \"Application username\" in the SAML \
                 settings."
            }
            Self::Xml(e) => return e.admin_hint(),
            _ => return None,
        })
    }

    /// A stable snake_case code (for logs, metrics, the CLI's JSON and test manifests).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Encoding { .. } => "encoding",
            Self::Xml(e) => e.code(),
            Self::UnexpectedMessage { .. } => "unexpected_message",
            Self::Missing { .. } => "missing",
            Self::Count { .. } => "count",
            Self::Version { .. } => "version",
            Self::Timestamp { .. } => "timestamp",
            Self::Status { .. } => "status",
            Self::Destination { .. } => "destination",
            Self::Recipient { .. } => "recipient",
            Self::Issuer { .. } => "issuer",
            Self::NotSigned => "not_signed",
            Self::AssertionNotSigned => "assertion_not_signed",
            Self::UnexpectedSignature { .. } => "unexpected_signature",
            Self::NoDecryptionKey { .. } => "no_decryption_key",
            Self::SubjectConfirmation { .. } => "subject_confirmation",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Expired { .. } => "expired",
            Self::TooOld { .. } => "too_old",
            Self::Audience { .. } => "audience",
            Self::NameIdQualifier { .. } => "name_id_qualifier",
            Self::UnknownRequest { .. } => "unknown_request",
            Self::Unsolicited => "unsolicited",
            Self::InResponseToMismatch { .. } => "in_response_to_mismatch",
            Self::Replay { .. } => "replay",
            Self::NoNameId => "no_name_id",
            Self::Unsupported { .. } => "unsupported",
            Self::Metadata { .. } => "metadata",
            Self::Config { .. } => "config",
            Self::Request { .. } => "request",
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
