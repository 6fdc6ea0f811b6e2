//! Per-connection provisioning policy.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::claims::ConnectionId;
use crate::email::{Domain, Email};
use crate::identity::Identity;
use crate::user::Role;

/// Which emails a connection may sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllowedDomains {
    /// Any domain.
    Any,
    /// Only these domains, compared exactly (no subdomains). A login without an email is then refused.
    Only(BTreeSet<Domain>),
}

/// What the IdP's `email_verified` is worth.
///
/// Note that Okta's guide sets `email_verified` to the constant `true`: it says what the Okta admin decided,
/// not that anyone checked the mailbox. Linking by email therefore additionally requires the domain to be one the
/// workspace has verified, whatever this setting says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailVerification {
    /// The IdP must assert `email_verified = true`; logins without it are refused.
    Require,
    /// An email is treated as verified when its domain is one of the workspace's verified domains (for IdPs
    /// such as Entra ID that send no `email_verified`); the claim itself is ignored. Other emails are accepted
    /// but never trusted for linking.
    TrustVerifiedDomains,
    /// The claim is ignored and emails are never trusted: linking by email never happens.
    Ignore,
}

/// Whether a first login may attach itself to an existing account that has the same email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailLinking {
    /// Never: accounts are found only by (connection, subject); a same-email account blocks the login.
    Never,
    /// Only to accounts without any SSO link (invited or password accounts), and only for trusted emails in a
    /// verified domain of the workspace.
    ToAccountsWithoutSso,
    /// Also to accounts linked through other connections of the workspace (migration from one IdP to another),
    /// again only for trusted emails in a verified domain.
    ToAnyAccount,
}

/// A key for finding a SCIM-provisioned user on first login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ScimKey {
    /// [`Identity::external_id`] = SCIM `externalId`.
    ExternalId,
    /// [`Identity::user_name`] = SCIM `userName` (ASCII case-insensitive).
    UserName,
    /// Email, only when the email is trusted for linking (same rule as [`EmailLinking`]).
    Email,
}

/// A profile field a login may keep current.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProfileField {
    /// The email. Never cleared when a login carries none.
    Email,
    /// Display name.
    DisplayName,
    /// Given name.
    GivenName,
    /// Family name.
    FamilyName,
    /// Picture.
    Picture,
    /// An extra attribute, by its key.
    Extra(String),
}

/// One group → role rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRule {
    /// The group name or ID, compared exactly.
    pub group: String,
    /// The role members get.
    pub role: Role,
}

/// Group → role mapping, applied on every login: the IdP is the source of truth for roles, and a role changed in
/// the app is reset at the next login. With no rules, every user gets `default` (the default role, enforced).
/// Leave [`Policy::roles`] at `None` to let the app manage roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    /// Rules in priority order: the first whose group the user is in wins (put the most privileged first).
    pub rules: Vec<RoleRule>,
    /// The role of users in none of the groups.
    pub default: Role,
}

impl RoleMapping {
    /// The role for a set of groups.
    pub fn role_for(&self, groups: &BTreeSet<String>) -> &Role {
        self.rules
            .iter()
            .find(|r| groups.contains(&r.group))
            .map_or(&self.default, |r| &r.role)
    }
}

/// How logins through one connection provision users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The connection this policy governs; identities from other connections are refused.
    pub connection: ConnectionId,
    /// Create an account on a first login that matches nothing.
    pub create_on_first_login: bool,
    /// Fields each login overwrites with the IdP's values.
    pub update_fields: BTreeSet<ProfileField>,
    /// Also update profile fields of SCIM-managed users (off: SCIM owns their profile and the two would fight).
    pub update_scim_managed: bool,
    /// Which email domains may sign in.
    pub allowed_domains: AllowedDomains,
    /// The domains this workspace has proved it owns (DNS TXT or similar), exact.
    pub verified_domains: BTreeSet<Domain>,
    /// What `email_verified` is worth.
    pub email_verification: EmailVerification,
    /// Linking by email.
    pub email_linking: EmailLinking,
    /// SCIM matching keys, tried in order. Set only on the connection whose IdP also pushes SCIM to this
    /// workspace: another connection's claims say nothing about that IdP's SCIM identifiers.
    pub scim_match: Vec<ScimKey>,
    /// Role mapping; `None` leaves roles to the app (new users get no role).
    pub roles: Option<RoleMapping>,
}

impl Policy {
    /// The strict default: create on first login, keep names, picture and email current, any domain, require
    /// `email_verified`, never link by email, no SCIM matching, no role management.
    pub fn new(connection: ConnectionId) -> Self {
        Self {
            connection,
            create_on_first_login: true,
            update_fields: [
                ProfileField::Email,
                ProfileField::DisplayName,
                ProfileField::GivenName,
                ProfileField::FamilyName,
                ProfileField::Picture,
            ]
            .into_iter()
            .collect(),
            update_scim_managed: false,
            allowed_domains: AllowedDomains::Any,
            verified_domains: BTreeSet::new(),
            email_verification: EmailVerification::Require,
            email_linking: EmailLinking::Never,
            scim_match: Vec::new(),
            roles: None,
        }
    }

    /// Whether the email's domain may sign in through this connection.
    pub fn allows_domain(&self, email: &Email) -> bool {
        match &self.allowed_domains {
            AllowedDomains::Any => true,
            AllowedDomains::Only(domains) => domains.iter().any(|d| email.is_in(d)),
        }
    }

    /// Whether the identity's email may be used to find an existing account: it is in a verified domain of the
    /// workspace and the verification setting vouches for it. An unverified email never qualifies.
    pub fn trusts_email_for_linking(&self, identity: &Identity) -> bool {
        let Some(email) = &identity.email else {
            return false;
        };
        if !self.verified_domains.iter().any(|d| email.is_in(d)) {
            return false;
        }
        match self.email_verification {
            EmailVerification::Require => identity.email_verified,
            EmailVerification::TrustVerifiedDomains => true,
            EmailVerification::Ignore => false,
        }
    }
}
