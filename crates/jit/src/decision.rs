//! The decision engine: identity + what exists + policy → what the host should do, and why.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::identity::Identity;
use crate::policy::{
    AllowedDomains, EmailLinking, EmailVerification, Policy, ProfileField, ScimKey,
};
use crate::user::{NewUser, Role, SsoLink, User, UserId, same_user_name};

/// What the host found before deciding (see [`crate::Existing::lookup`] to fill it from a directory).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Existing {
    /// The user linked to the identity's (connection, subject), if any.
    pub by_subject: Option<User>,
    /// The user with the identity's email, if any.
    pub by_email: Option<User>,
    /// The SCIM-managed user found by the policy's SCIM keys, if any.
    pub by_scim: Option<User>,
}

/// Which rule decided, for the audit log. Each has a stable [`Rule::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Rule {
    /// The (connection, subject) is linked to an active user and nothing changed.
    SignInBySubject,
    /// The (connection, subject) is linked to an active user whose profile or role changed.
    ProfileSync,
    /// A first login matched a user SCIM had provisioned, by this key.
    LinkScimUser(ScimKey),
    /// A first login matched an account by a trusted email in a verified domain, as the policy allows.
    LinkByVerifiedEmail,
    /// A first login matched nothing and the policy creates users.
    CreateOnFirstLogin,
    /// The identity came from another connection than the policy's.
    ConnectionMismatch,
    /// The identity's subject is empty (a hand-built identity; mappings never produce one).
    EmptySubject,
    /// A user the host passed in `Existing` does not match the identity (a host lookup bug).
    ExistingDoesNotMatch,
    /// The user was deactivated by SCIM; a login never reactivates or recreates it.
    ScimDeactivated,
    /// The user was deactivated by an admin; a login never reactivates it.
    AccountDeactivated,
    /// The policy restricts domains but the login carried no email.
    EmailMissing,
    /// The email's domain is not allowed for this connection.
    EmailDomainNotAllowed,
    /// The policy requires `email_verified` and the IdP did not assert it.
    EmailNotVerified,
    /// Role mapping is on but the IdP's group list is incomplete (Entra group overage).
    GroupsIncomplete,
    /// The login would change the user's email to one another account has.
    EmailTakenByOtherAccount,
    /// An account with this email exists and the policy never links by email.
    EmailLinkingDisabled,
    /// An account with this email exists but the email is not trusted (unverified, or not in a verified
    /// domain of the workspace): a takeover attempt or a misconfigured IdP.
    UntrustedEmailMatchesAccount,
    /// An account with this email exists but already signs in through SSO, and the policy links only accounts
    /// without SSO.
    EmailMatchHasSso,
    /// The matched account is already linked to a different subject on this connection.
    AccountLinkedToOtherSubject,
    /// The SCIM match and the email match are different accounts.
    AmbiguousMatch,
    /// A first login matched nothing and the policy does not create users.
    CreateDisabled,
}

impl Rule {
    /// A stable identifier for audit logs and metrics.
    pub fn code(self) -> &'static str {
        match self {
            Self::SignInBySubject => "signin.subject",
            Self::ProfileSync => "update.profile_sync",
            Self::LinkScimUser(ScimKey::ExternalId) => "link.scim.external_id",
            Self::LinkScimUser(ScimKey::UserName) => "link.scim.user_name",
            Self::LinkScimUser(ScimKey::Email) => "link.scim.email",
            Self::LinkByVerifiedEmail => "link.verified_email",
            Self::CreateOnFirstLogin => "create.first_login",
            Self::ConnectionMismatch => "deny.connection_mismatch",
            Self::EmptySubject => "deny.empty_subject",
            Self::ExistingDoesNotMatch => "deny.existing_does_not_match",
            Self::ScimDeactivated => "deny.scim_deactivated",
            Self::AccountDeactivated => "deny.account_deactivated",
            Self::EmailMissing => "deny.email_missing",
            Self::EmailDomainNotAllowed => "deny.email_domain_not_allowed",
            Self::EmailNotVerified => "deny.email_not_verified",
            Self::GroupsIncomplete => "deny.groups_incomplete",
            Self::EmailTakenByOtherAccount => "deny.email_taken",
            Self::EmailLinkingDisabled => "deny.email_linking_disabled",
            Self::UntrustedEmailMatchesAccount => "deny.untrusted_email_matches_account",
            Self::EmailMatchHasSso => "deny.email_match_has_sso",
            Self::AccountLinkedToOtherSubject => "deny.linked_to_other_subject",
            Self::AmbiguousMatch => "deny.ambiguous_match",
            Self::CreateDisabled => "deny.create_disabled",
        }
    }

    /// One sentence for audit logs and admin pages.
    pub fn description(self) -> &'static str {
        match self {
            Self::SignInBySubject => "signed in by (connection, subject); nothing changed",
            Self::ProfileSync => {
                "signed in by (connection, subject); profile or role updated from the IdP"
            }
            Self::LinkScimUser(_) => {
                "first SSO login matched a SCIM-provisioned user, which is now linked"
            }
            Self::LinkByVerifiedEmail => {
                "first SSO login linked to the account with the same trusted email in a verified domain"
            }
            Self::CreateOnFirstLogin => "first SSO login created the account",
            Self::ConnectionMismatch => "the login came from another connection than the policy's",
            Self::EmptySubject => "the login has an empty subject",
            Self::ExistingDoesNotMatch => {
                "the host's lookup returned a user that does not match the login"
            }
            Self::ScimDeactivated => "the user was deactivated through SCIM",
            Self::AccountDeactivated => "the account is deactivated",
            Self::EmailMissing => {
                "the connection restricts email domains but the IdP sent no email"
            }
            Self::EmailDomainNotAllowed => "the email's domain is not allowed for this connection",
            Self::EmailNotVerified => "the IdP did not assert that the email is verified",
            Self::GroupsIncomplete => {
                "the IdP sent an incomplete group list, so the role cannot be computed"
            }
            Self::EmailTakenByOtherAccount => {
                "the IdP changed the user's email to one another account has"
            }
            Self::EmailLinkingDisabled => {
                "an account with this email exists and this connection never links by email"
            }
            Self::UntrustedEmailMatchesAccount => {
                "an account with this email exists but the email is unverified or outside the workspace's verified domains"
            }
            Self::EmailMatchHasSso => {
                "an account with this email exists and already signs in through another connection"
            }
            Self::AccountLinkedToOtherSubject => {
                "the matching account is already linked to a different user of this connection"
            }
            Self::AmbiguousMatch => "the SCIM match and the email match are different accounts",
            Self::CreateDisabled => {
                "no account matches and this connection does not create accounts"
            }
        }
    }

    /// Whether the rule refuses the login.
    pub fn is_denial(self) -> bool {
        !matches!(
            self,
            Self::SignInBySubject
                | Self::ProfileSync
                | Self::LinkScimUser(_)
                | Self::LinkByVerifiedEmail
                | Self::CreateOnFirstLogin
        )
    }

    /// What an admin can change to let a refused login through, where a setting decides it.
    pub fn admin_hint(self) -> Option<&'static str> {
        Some(match self {
            Self::EmailMissing => {
                "send the user's email (Okta: Attribute Statements; Entra ID: Attributes & Claims)"
            }
            Self::EmailDomainNotAllowed => {
                "add the domain to the connection's allowed domains, or fix the user's email in the IdP"
            }
            Self::EmailNotVerified => {
                "send email_verified = true (Okta: Attribute Statements), or set the connection to trust the workspace's verified domains"
            }
            Self::GroupsIncomplete => {
                "Entra ID: Attributes & Claims → Groups claim → emit only groups assigned to the application"
            }
            Self::EmailLinkingDisabled
            | Self::UntrustedEmailMatchesAccount
            | Self::EmailMatchHasSso => {
                "link the existing account to this connection by hand, or verify the email domain and allow linking by email"
            }
            Self::CreateDisabled => {
                "provision the user first (SCIM push or invitation), or turn on create-on-first-login"
            }
            Self::ScimDeactivated => {
                "reactivate the user in the IdP; the SCIM push will reactivate the account"
            }
            Self::AccountDeactivated => "reactivate the account in the workspace's member settings",
            Self::EmailTakenByOtherAccount
            | Self::AccountLinkedToOtherSubject
            | Self::AmbiguousMatch => {
                "two accounts claim this user: merge or remove one in the workspace's member settings"
            }
            Self::SignInBySubject
            | Self::ProfileSync
            | Self::LinkScimUser(_)
            | Self::LinkByVerifiedEmail
            | Self::CreateOnFirstLogin
            | Self::ConnectionMismatch
            | Self::EmptySubject
            | Self::ExistingDoesNotMatch => return None,
        })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A field a decision changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Field {
    /// A profile field.
    Profile(ProfileField),
    /// The role.
    Role,
}

/// One field's change: `old` is what the decision saw, so [`crate::UserDirectory::apply`] can refuse if it
/// changed meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The field.
    pub field: Field,
    /// Its value when the decision was made.
    pub old: Option<String>,
    /// Its new value (`None` clears it).
    pub new: Option<String>,
}

/// What the host should do with a login.
#[must_use = "a decision does nothing until the host applies it"]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// Create the user and sign them in.
    Create {
        /// The user to create.
        user: NewUser,
        /// Why.
        rule: Rule,
    },
    /// Apply the changes and sign the user in (never empty: no change is [`Decision::SignIn`]).
    Update {
        /// The user.
        user: UserId,
        /// The link the user signed in through (the host re-checks it still exists).
        via: SsoLink,
        /// The changes.
        changes: Vec<Change>,
        /// Why.
        rule: Rule,
    },
    /// Add the link (and apply the changes) to an existing user and sign them in.
    Link {
        /// The user.
        user: UserId,
        /// The link to add.
        link: SsoLink,
        /// Profile and role changes.
        changes: Vec<Change>,
        /// Why.
        rule: Rule,
    },
    /// Sign the user in; nothing to change.
    SignIn {
        /// The user.
        user: UserId,
        /// The link the user signed in through (the host re-checks it still exists).
        via: SsoLink,
        /// Why.
        rule: Rule,
    },
    /// Refuse the login.
    Deny {
        /// Why.
        reason: Rule,
    },
}

impl Decision {
    /// The rule that fired.
    pub fn rule(&self) -> Rule {
        match self {
            Self::Create { rule, .. }
            | Self::Update { rule, .. }
            | Self::Link { rule, .. }
            | Self::SignIn { rule, .. } => *rule,
            Self::Deny { reason } => *reason,
        }
    }

    /// The existing user the decision signs in, if any (`None` for `Create` and `Deny`).
    pub fn user(&self) -> Option<&UserId> {
        match self {
            Self::Update { user, .. } | Self::Link { user, .. } | Self::SignIn { user, .. } => {
                Some(user)
            }
            Self::Create { .. } | Self::Deny { .. } => None,
        }
    }

    /// The changes the decision carries (empty for `Create`, `SignIn`, `Deny`).
    pub fn changes(&self) -> &[Change] {
        match self {
            Self::Update { changes, .. } | Self::Link { changes, .. } => changes,
            Self::Create { .. } | Self::SignIn { .. } | Self::Deny { .. } => &[],
        }
    }
}

fn deny(reason: Rule) -> Decision {
    Decision::Deny { reason }
}

/// Decides what a login does. Pure: no I/O, no clock; the host applies the result.
///
/// Order of rules: the connection must match; a user linked by (connection, subject) signs in (denied if
/// deactivated, profile and role kept current); otherwise the login's email must pass the policy's domain and
/// verification checks; then a SCIM-provisioned user is matched by the policy's keys, then an account with the
/// same email is linked only if the email is trusted and the policy allows it (otherwise the login is refused,
/// never duplicated), and only then is a user created.
pub fn decide(identity: &Identity, existing: &Existing, policy: &Policy) -> Decision {
    let decision = decide_inner(identity, existing, policy);
    tracing::debug!(
        connection = %identity.connection,
        rule = decision.rule().code(),
        changes = decision.changes().len(),
        "jit decision"
    );
    decision
}

fn decide_inner(identity: &Identity, existing: &Existing, policy: &Policy) -> Decision {
    if identity.connection != policy.connection {
        return deny(Rule::ConnectionMismatch);
    }
    if identity.subject.0.trim().is_empty() {
        return deny(Rule::EmptySubject);
    }
    let connection = &identity.connection;

    if let Some(user) = &existing.by_subject {
        if !user.has_link(connection, &identity.subject) {
            return deny(Rule::ExistingDoesNotMatch);
        }
        if let Err(rule) = usable(user) {
            return deny(rule);
        }
        if let Err(rule) = gate(identity, policy) {
            return deny(rule);
        }
        let role = match role(identity, policy) {
            Ok(role) => role,
            Err(rule) => return deny(rule),
        };
        let changes = diff(user, identity, policy, role.as_ref());
        let email_changes = changes
            .iter()
            .any(|c| c.field == Field::Profile(ProfileField::Email));
        if email_changes && existing.by_email.as_ref().is_some_and(|o| o.id != user.id) {
            return deny(Rule::EmailTakenByOtherAccount);
        }
        let via = SsoLink {
            connection: connection.clone(),
            subject: identity.subject.clone(),
        };
        return if changes.is_empty() {
            Decision::SignIn {
                user: user.id.clone(),
                via,
                rule: Rule::SignInBySubject,
            }
        } else {
            Decision::Update {
                user: user.id.clone(),
                via,
                changes,
                rule: Rule::ProfileSync,
            }
        };
    }

    if let Err(rule) = gate(identity, policy) {
        return deny(rule);
    }
    let role = match role(identity, policy) {
        Ok(role) => role,
        Err(rule) => return deny(rule),
    };
    let link = SsoLink {
        connection: connection.clone(),
        subject: identity.subject.clone(),
    };

    if let Some(user) = &existing.by_scim {
        let Some(key) = scim_key(user, identity, policy) else {
            return deny(Rule::ExistingDoesNotMatch);
        };
        if let Err(rule) = usable(user) {
            return deny(rule);
        }
        if user.subject_on(connection).is_some() {
            return deny(Rule::AccountLinkedToOtherSubject);
        }
        if existing.by_email.as_ref().is_some_and(|o| o.id != user.id) {
            return deny(Rule::AmbiguousMatch);
        }
        return Decision::Link {
            user: user.id.clone(),
            link,
            changes: diff(user, identity, policy, role.as_ref()),
            rule: Rule::LinkScimUser(key),
        };
    }

    if let Some(user) = &existing.by_email {
        if identity.email.is_none() || user.email != identity.email {
            return deny(Rule::ExistingDoesNotMatch);
        }
        if let Err(rule) = usable(user) {
            return deny(rule);
        }
        if policy.email_linking == EmailLinking::Never {
            return deny(Rule::EmailLinkingDisabled);
        }
        if !policy.trusts_email_for_linking(identity) {
            return deny(Rule::UntrustedEmailMatchesAccount);
        }
        if user.subject_on(connection).is_some() {
            return deny(Rule::AccountLinkedToOtherSubject);
        }
        if policy.email_linking == EmailLinking::ToAccountsWithoutSso && !user.links.is_empty() {
            return deny(Rule::EmailMatchHasSso);
        }
        return Decision::Link {
            user: user.id.clone(),
            link,
            changes: diff(user, identity, policy, role.as_ref()),
            rule: Rule::LinkByVerifiedEmail,
        };
    }

    if !policy.create_on_first_login {
        return deny(Rule::CreateDisabled);
    }
    Decision::Create {
        user: NewUser {
            link,
            email: identity.email.clone(),
            user_name: identity.user_name.clone(),
            profile: identity.profile.clone(),
            role,
        },
        rule: Rule::CreateOnFirstLogin,
    }
}

/// A deactivated user is never signed in, linked, reactivated or recreated.
fn usable(user: &User) -> Result<(), Rule> {
    match (user.active, user.is_scim_managed()) {
        (true, _) => Ok(()),
        (false, true) => Err(Rule::ScimDeactivated),
        (false, false) => Err(Rule::AccountDeactivated),
    }
}

/// Domain and verification checks that apply to every login.
fn gate(identity: &Identity, policy: &Policy) -> Result<(), Rule> {
    match &identity.email {
        None if matches!(policy.allowed_domains, AllowedDomains::Only(_)) => {
            return Err(Rule::EmailMissing);
        }
        None => {}
        Some(email) if !policy.allows_domain(email) => return Err(Rule::EmailDomainNotAllowed),
        Some(_) => {}
    }
    if policy.email_verification == EmailVerification::Require
        && identity.email.is_some()
        && !identity.email_verified
    {
        return Err(Rule::EmailNotVerified);
    }
    Ok(())
}

fn role(identity: &Identity, policy: &Policy) -> Result<Option<Role>, Rule> {
    match &policy.roles {
        None => Ok(None),
        Some(_) if !identity.groups_complete => Err(Rule::GroupsIncomplete),
        Some(mapping) => Ok(Some(mapping.role_for(&identity.groups).clone())),
    }
}

fn scim_key(user: &User, identity: &Identity, policy: &Policy) -> Option<ScimKey> {
    let scim = user.scim.as_ref()?;
    policy.scim_match.iter().copied().find(|key| match key {
        ScimKey::ExternalId => {
            identity.external_id.is_some() && scim.external_id == identity.external_id
        }
        ScimKey::UserName => match (&identity.user_name, &user.user_name) {
            (Some(a), Some(b)) => same_user_name(a, b),
            _ => false,
        },
        ScimKey::Email => {
            identity.email.is_some()
                && user.email == identity.email
                && policy.trusts_email_for_linking(identity)
        }
    })
}

/// The changes a login makes to `user`: the policy's profile fields (unless SCIM owns the profile) and the role.
fn diff(user: &User, identity: &Identity, policy: &Policy, role: Option<&Role>) -> Vec<Change> {
    let mut changes = Vec::new();
    if !user.is_scim_managed() || policy.update_scim_managed {
        for field in &policy.update_fields {
            let (old, new) = match field {
                ProfileField::Email => match &identity.email {
                    Some(new) => (
                        user.email.as_ref().map(|e| e.as_str().to_owned()),
                        Some(new.as_str().to_owned()),
                    ),
                    None => continue,
                },
                ProfileField::DisplayName => (
                    user.profile.display_name.clone(),
                    identity.profile.display_name.clone(),
                ),
                ProfileField::GivenName => (
                    user.profile.given_name.clone(),
                    identity.profile.given_name.clone(),
                ),
                ProfileField::FamilyName => (
                    user.profile.family_name.clone(),
                    identity.profile.family_name.clone(),
                ),
                ProfileField::Picture => (
                    user.profile.picture.clone(),
                    identity.profile.picture.clone(),
                ),
                ProfileField::Extra(key) => (
                    user.profile.extra.get(key).cloned(),
                    identity.profile.extra.get(key).cloned(),
                ),
            };
            if old != new {
                changes.push(Change {
                    field: Field::Profile(field.clone()),
                    old,
                    new,
                });
            }
        }
    }
    if let Some(role) = role
        && user.role.as_ref() != Some(role)
    {
        changes.push(Change {
            field: Field::Role,
            old: user.role.as_ref().map(|r| r.0.clone()),
            new: Some(role.0.clone()),
        });
    }
    changes
}
