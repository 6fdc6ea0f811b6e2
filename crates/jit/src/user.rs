//! What the host already has: stored users, their SSO links, roles, SCIM state.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::claims::ConnectionId;
use crate::email::Email;
use crate::identity::{Profile, Subject};

/// The host's identifier of a user account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserId(pub String);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An application role (the app defines the names).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Role(pub String);

impl Role {
    /// Wraps a role name.
    pub fn new(role: impl Into<String>) -> Self {
        Self(role.into())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An SSO link: this (connection, subject) signs in as the user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SsoLink {
    /// The connection.
    pub connection: ConnectionId,
    /// The subject within it.
    pub subject: Subject,
}

/// SCIM state of a user the IdP provisioned (or adopted) through SCIM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimRecord {
    /// The SCIM `externalId` the IdP set (Okta: its user ID).
    pub external_id: Option<String>,
}

/// A stored user, as far as provisioning is concerned. The directory is one workspace's: hosts scope it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The host's ID.
    pub id: UserId,
    /// The email, normalised.
    pub email: Option<Email>,
    /// The username (SCIM `userName`, compared ASCII case-insensitively).
    pub user_name: Option<String>,
    /// Names and picture.
    pub profile: Profile,
    /// The app role.
    pub role: Option<Role>,
    /// False once deactivated (by SCIM `active=false` or by an admin); logins never reactivate.
    pub active: bool,
    /// The SSO links.
    pub links: BTreeSet<SsoLink>,
    /// Present when SCIM manages the user.
    pub scim: Option<ScimRecord>,
}

impl User {
    /// An active user with no SSO link, no role and no SCIM state (an invited or password account).
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: UserId(id.into()),
            email: None,
            user_name: None,
            profile: Profile::default(),
            role: None,
            active: true,
            links: BTreeSet::new(),
            scim: None,
        }
    }

    /// Whether SCIM manages this user.
    pub fn is_scim_managed(&self) -> bool {
        self.scim.is_some()
    }

    /// Whether (connection, subject) is one of the user's links.
    pub fn has_link(&self, connection: &ConnectionId, subject: &Subject) -> bool {
        self.links
            .iter()
            .any(|l| &l.connection == connection && &l.subject == subject)
    }

    /// The subject the user is linked to on `connection`, if any.
    pub fn subject_on(&self, connection: &ConnectionId) -> Option<&Subject> {
        self.links
            .iter()
            .find(|l| &l.connection == connection)
            .map(|l| &l.subject)
    }
}

/// A user to create on first login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// The link the new user signs in with.
    pub link: SsoLink,
    /// The email.
    pub email: Option<Email>,
    /// The username, kept so a later SCIM push of the same user can adopt this account instead of failing
    /// with 409.
    pub user_name: Option<String>,
    /// Names and picture.
    pub profile: Profile,
    /// The role from the group mapping or the default role.
    pub role: Option<Role>,
}

/// ASCII case-insensitive comparison of usernames (SCIM `userName` is `caseExact: false`).
pub(crate) fn same_user_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}
