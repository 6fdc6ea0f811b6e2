//! The normalised identity a mapping produces, and the profile fields it shares with stored users.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::claims::ConnectionId;
use crate::email::Email;

/// The IdP's identifier for the user, unique within one connection. Never compared across connections.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject(pub String);

impl Subject {
    /// Wraps a subject identifier.
    pub fn new(subject: impl Into<String>) -> Self {
        Self(subject.into())
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Profile fields that a login may keep current (see [`crate::ProfileField`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Full name for display.
    pub display_name: Option<String>,
    /// First or given name.
    pub given_name: Option<String>,
    /// Last or family name.
    pub family_name: Option<String>,
    /// Picture URL (only `https://` URLs are kept).
    pub picture: Option<String>,
    /// Extra single-valued attributes the app declared in its mapping, by the app's key.
    pub extra: BTreeMap<String, String>,
}

/// A login's identity after mapping: what the connection's IdP says about the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The connection the login came through.
    pub connection: ConnectionId,
    /// The IdP's identifier for the user within that connection.
    pub subject: Subject,
    /// The SCIM `externalId` the same IdP would push, when the mapping reads one.
    pub external_id: Option<String>,
    /// The username (SCIM `userName`) the same IdP would push: Okta's username, Entra's UPN.
    pub user_name: Option<String>,
    /// The email address, normalised.
    pub email: Option<Email>,
    /// Whether the IdP asserted the email as verified. How much this is worth is the policy's call
    /// ([`crate::EmailVerification`]).
    pub email_verified: bool,
    /// Names, picture and extra attributes.
    pub profile: Profile,
    /// Group names or IDs as the IdP sent them (compared exactly).
    pub groups: BTreeSet<String>,
    /// False when the IdP said the group list is incomplete (Entra's group overage claim); role mapping then
    /// refuses to guess.
    pub groups_complete: bool,
}

impl Identity {
    /// An identity with only a subject, for tests and hand-built logins.
    pub fn new(connection: ConnectionId, subject: Subject) -> Self {
        Self {
            connection,
            subject,
            external_id: None,
            user_name: None,
            email: None,
            email_verified: false,
            profile: Profile::default(),
            groups: BTreeSet::new(),
            groups_complete: true,
        }
    }
}
