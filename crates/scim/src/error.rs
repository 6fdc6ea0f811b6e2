//! The crate's one error type, with the HTTP status and `scimType` a SCIM response needs.

use serde_json::{Value, json};

use crate::resource::ERROR_SCHEMA;

/// Everything that can go wrong while reading a SCIM request or applying it.
///
/// Each variant maps to the status code and `scimType` of RFC 7644 §3.12 through [`Error::status`] and
/// [`Error::scim_type`]; [`Error::to_scim_json`] renders the error body. Values that came from the request are
/// echoed (they are the client's own data), never secrets: a `password` value is never put in an error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The filter text is not in the RFC 7644 §3.4.2.2 grammar (or uses an operator on a type it does not fit).
    #[error("invalid filter at byte {position}: expected {expected}, found {found}")]
    InvalidFilter {
        /// Byte offset in the filter text where the problem was detected.
        position: usize,
        /// What the parser or checker wanted there.
        expected: String,
        /// What it found.
        found: String,
    },
    /// A PATCH `path` (or `sortBy`, `attributes`) is not a valid attribute path.
    #[error("invalid path {path:?} at byte {position}: expected {expected}")]
    InvalidPath {
        /// The path text as received.
        path: String,
        /// Byte offset of the problem.
        position: usize,
        /// What was wanted there.
        expected: String,
    },
    /// A PATCH operation's path selects nothing (or `remove` came without a path).
    #[error("no target: {reason}")]
    NoTarget {
        /// The path, or a description when there is none.
        reason: String,
    },
    /// The request tried to change an attribute its schema does not let a client change.
    #[error("attribute {attribute:?} is {mutability} and cannot be modified")]
    Mutability {
        /// Attribute name as defined by the schema.
        attribute: String,
        /// Its mutability (`readOnly`, `immutable`).
        mutability: &'static str,
    },
    /// A value has the wrong type or shape for its attribute.
    #[error("invalid value for {attribute:?}: expected {expected}, received {received}")]
    InvalidValue {
        /// Attribute the value was for.
        attribute: String,
        /// What the schema wants.
        expected: String,
        /// What was received (a short rendering; never a password).
        received: String,
    },
    /// The request body is not the message it claims to be (bad JSON, missing `schemas`, wrong `op`, ...).
    #[error("invalid request: expected {expected}, received {received}")]
    InvalidSyntax {
        /// What the message should have contained.
        expected: String,
        /// What it contained.
        received: String,
    },
    /// Creating or updating would give two resources the same value of a unique attribute.
    #[error("{attribute} {value:?} is already taken")]
    Uniqueness {
        /// The unique attribute, e.g. `userName`.
        attribute: String,
        /// The value that collided.
        value: String,
    },
    /// No resource with this id.
    #[error("{resource_type} {id:?} not found")]
    NotFound {
        /// `User`, `Group`, ...
        resource_type: String,
        /// The id that was asked for.
        id: String,
    },
    /// `If-Match` named a version the resource no longer has.
    #[error("precondition failed: resource is at version {current}, request expected {expected}")]
    PreconditionFailed {
        /// The ETag(s) the request sent.
        expected: String,
        /// The resource's current ETag.
        current: String,
    },
    /// The filter or request would return more results than the service is willing to handle.
    #[error("too many results: {count} exceeds the limit of {limit}")]
    TooMany {
        /// The limit.
        limit: usize,
        /// What was asked for or found.
        count: usize,
    },
}

impl Error {
    /// The `scimType` keyword of RFC 7644 §3.12, when the error has one.
    #[must_use]
    pub fn scim_type(&self) -> Option<&'static str> {
        match self {
            Self::InvalidFilter { .. } => Some("invalidFilter"),
            Self::InvalidPath { .. } => Some("invalidPath"),
            Self::NoTarget { .. } => Some("noTarget"),
            Self::Mutability { .. } => Some("mutability"),
            Self::InvalidValue { .. } => Some("invalidValue"),
            Self::InvalidSyntax { .. } => Some("invalidSyntax"),
            Self::Uniqueness { .. } => Some("uniqueness"),
            Self::TooMany { .. } => Some("tooMany"),
            Self::NotFound { .. } | Self::PreconditionFailed { .. } => None,
        }
    }

    /// The HTTP status code a server should answer with.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::Uniqueness { .. } => 409,
            Self::NotFound { .. } => 404,
            Self::PreconditionFailed { .. } => 412,
            _ => 400,
        }
    }

    /// The RFC 7644 §3.12 error body: `schemas`, `status` as a string (Okta insists), `scimType`, `detail`.
    #[must_use]
    pub fn to_scim_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status().to_string(),
            "detail": self.to_string(),
        });
        if let (Some(t), Some(obj)) = (self.scim_type(), body.as_object_mut()) {
            obj.insert("scimType".to_owned(), Value::String(t.to_owned()));
        }
        body
    }

    /// What an identity-provider admin can change to make the request succeed, where that is in their hands.
    #[must_use]
    pub fn admin_hint(&self) -> Option<&'static str> {
        match self {
            Self::Uniqueness { .. } => Some(
                "Another user already has this userName (compared case-insensitively). In Okta check the \
                 application's \"Application username format\" on the Sign On tab; in Entra ID check the \
                 attribute mapping for userName under Provisioning > Mappings.",
            ),
            Self::InvalidFilter { .. } => Some(
                "The provisioning connector sent a filter this service cannot read. In Okta keep \
                 \"Unique identifier field for users\" set to userName; in Entra ID check the matching \
                 attribute (\"Match objects using this attribute\") in the attribute mappings.",
            ),
            Self::InvalidValue { .. } => Some(
                "An attribute mapping produces a value of the wrong type. In Okta review the Profile Editor \
                 mapping for the attribute named in the error; in Entra ID review Provisioning > Mappings.",
            ),
            Self::Mutability { .. } => Some(
                "The attribute mapping writes an attribute this service manages itself (such as id or meta). \
                 Remove that attribute from the Okta Profile Editor mapping or the Entra ID attribute mappings.",
            ),
            Self::PreconditionFailed { .. } => Some(
                "The resource changed since the identity provider last read it; the next provisioning cycle \
                 re-reads it and retries. No setting needs changing.",
            ),
            Self::NotFound { .. } => Some(
                "The identity provider refers to a resource this service no longer has. In Okta, re-push the \
                 user or group (Push Groups tab); in Entra ID, restart provisioning to clear its cached ids.",
            ),
            Self::NoTarget { .. }
            | Self::InvalidPath { .. }
            | Self::InvalidSyntax { .. }
            | Self::TooMany { .. } => None,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
