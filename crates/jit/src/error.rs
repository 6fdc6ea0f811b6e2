//! The crate's one error type.
//!
//! Errors carry claim names and (shortened) received values so an admin can see what the IdP sent. Claim values
//! are identity data (emails, names), never secrets; they are cut to [`SHOWN_VALUE_CHARS`] characters so a hostile
//! assertion cannot flood a log line.

use crate::claims::IdpKind;

/// How many characters of a received value an error shows.
pub const SHOWN_VALUE_CHARS: usize = 80;

/// Everything that can go wrong while mapping claims or applying a decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JitError {
    /// A claim the connection's mapping requires was not in the assertion or ID token.
    #[error("required claim `{claim}` is missing from the {idp} response")]
    MissingClaim {
        /// The claim (SAML attribute name or OIDC claim name) that was expected.
        claim: String,
        /// Which IdP the mapping was written for, to name the setting to change.
        idp: IdpKind,
    },
    /// A single-valued claim carried several different values, so there is no safe choice between them.
    #[error("claim `{claim}` must have one value, got {count} different values")]
    AmbiguousClaim {
        /// The claim name.
        claim: String,
        /// How many distinct non-empty values arrived.
        count: usize,
        /// Which IdP the mapping was written for.
        idp: IdpKind,
    },
    /// A boolean claim (such as `email_verified`) held something other than `true`/`false`/`1`/`0`.
    #[error("claim `{claim}` must be `true` or `false`, got `{got}`")]
    InvalidBoolean {
        /// The claim name.
        claim: String,
        /// The received value (shortened).
        got: String,
        /// Which IdP the mapping was written for.
        idp: IdpKind,
    },
    /// A claim value broke a syntax or size rule (bad email address, control characters, too long).
    #[error("claim `{claim}` is invalid ({problem}): got `{got}`")]
    InvalidClaim {
        /// The claim name.
        claim: String,
        /// What was wrong, in words.
        problem: &'static str,
        /// The received value (shortened).
        got: String,
        /// Which IdP the mapping was written for.
        idp: IdpKind,
    },
    /// The claims came from a protocol the mapping was not written for (an OIDC mapping fed SAML attributes).
    #[error("mapping expects claims from {expected}, got claims from {got}")]
    WrongProtocol {
        /// The protocol the mapping reads.
        expected: crate::claims::Protocol,
        /// The protocol the claims came from.
        got: crate::claims::Protocol,
    },
    /// OIDC claims were not a JSON object.
    #[error("OIDC claims must be a JSON object: {problem}")]
    InvalidClaimsJson {
        /// What the JSON parser or shape check reported.
        problem: String,
    },
    /// An email address or domain in configuration (policy) did not parse.
    #[error("invalid email or domain `{got}`: {problem}")]
    InvalidEmail {
        /// What was wrong.
        problem: &'static str,
        /// The received value (shortened).
        got: String,
    },
    /// Applying a decision found the directory changed since the decision was made (a concurrent login, a SCIM
    /// push). The host should look the user up again and decide again.
    #[error("directory changed since the decision was made: {what}")]
    Conflict {
        /// Which precondition no longer held.
        what: String,
    },
}

impl JitError {
    /// What an admin should change, in the words of the IdP's admin console, when an admin can fix it.
    pub fn admin_hint(&self) -> Option<String> {
        match self {
            Self::MissingClaim { claim, idp } => Some(idp.add_claim_hint(claim)),
            Self::AmbiguousClaim { claim, idp, .. } => Some(format!(
                "{}: `{claim}` must map to a single-valued profile field",
                idp.claims_setting()
            )),
            Self::InvalidBoolean { claim, idp, .. } => Some(format!(
                "{}: set the value of `{claim}` to an expression that yields true or false",
                idp.claims_setting()
            )),
            Self::InvalidClaim { claim, idp, .. } => Some(format!(
                "{}: check the source field of `{claim}` for this user",
                idp.claims_setting()
            )),
            Self::WrongProtocol { .. } => Some(
                "the connection's mapping profile does not match its protocol: pick the SAML or OIDC profile"
                    .to_owned(),
            ),
            Self::InvalidClaimsJson { .. } | Self::InvalidEmail { .. } | Self::Conflict { .. } => None,
        }
    }
}

/// Shortens a received value for an error message, on a character boundary.
pub(crate) fn shown(value: &str) -> String {
    let mut out: String = value.chars().take(SHOWN_VALUE_CHARS).collect();
    if out.len() < value.len() {
        out.push('…');
    }
    out
}
