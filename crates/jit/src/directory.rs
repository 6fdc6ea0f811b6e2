//! Storage behind a small trait: look users up, apply a decision atomically. Plus an in-memory implementation.

use std::collections::BTreeMap;

use crate::claims::ConnectionId;
use crate::decision::{Change, Decision, Existing, Field, decide};
use crate::email::Email;
use crate::error::JitError;
use crate::identity::{Identity, Subject};
use crate::policy::{Policy, ProfileField, ScimKey};
use crate::user::{Role, User, UserId, same_user_name};

/// One workspace's users, as provisioning needs them. Hosts implement it on their database.
///
/// Every lookup must also return **deactivated** users: a lookup that hides them turns a SCIM-deactivated user's
/// next login into a fresh account, the bug this crate exists to prevent.
///
/// `apply` must be atomic and must re-check, inside its transaction, what the decision relied on: for
/// `Create` that no user has the link or the email; for `Link` that no user has the link yet and the user has
/// no other subject on that connection; for `SignIn` and `Update` that the user still has the `via` link; for
/// every [`Change`] that the field still holds `old` (and a new email is still unique); for every decision that
/// the user is still active. If not, it fails and the host looks up and decides again — two
/// concurrent first logins then yield one account, and a SCIM deactivation between decide and apply wins.
pub trait UserDirectory {
    /// The storage error.
    type Error;
    /// The user linked to (connection, subject).
    fn find_by_subject(
        &self,
        connection: &ConnectionId,
        subject: &Subject,
    ) -> Result<Option<User>, Self::Error>;
    /// The user with this normalised email.
    fn find_by_email(&self, email: &Email) -> Result<Option<User>, Self::Error>;
    /// The SCIM-managed user with this SCIM `externalId` (exact).
    fn find_by_external_id(&self, external_id: &str) -> Result<Option<User>, Self::Error>;
    /// The SCIM-managed user with this SCIM `userName` (ASCII case-insensitive).
    fn find_by_user_name(&self, user_name: &str) -> Result<Option<User>, Self::Error>;
    /// Applies a decision atomically; returns the signed-in user (`None` for `Deny`).
    fn apply(&mut self, decision: &Decision) -> Result<Option<UserId>, Self::Error>;
}

impl Existing {
    /// Looks up everything [`decide`] needs: by subject, by email, and by the policy's SCIM keys in order.
    pub fn lookup<D: UserDirectory + ?Sized>(
        directory: &D,
        identity: &Identity,
        policy: &Policy,
    ) -> Result<Self, D::Error> {
        let by_subject = directory.find_by_subject(&identity.connection, &identity.subject)?;
        let by_email = match &identity.email {
            Some(email) => directory.find_by_email(email)?,
            None => None,
        };
        let mut by_scim = None;
        for key in &policy.scim_match {
            let found = match key {
                ScimKey::ExternalId => match &identity.external_id {
                    Some(id) => directory.find_by_external_id(id)?,
                    None => None,
                },
                ScimKey::UserName => match &identity.user_name {
                    Some(name) => directory.find_by_user_name(name)?,
                    None => None,
                },
                ScimKey::Email if policy.trusts_email_for_linking(identity) => {
                    by_email.clone().filter(User::is_scim_managed)
                }
                ScimKey::Email => None,
            };
            if found.is_some() {
                by_scim = found;
                break;
            }
        }
        Ok(Self {
            by_subject,
            by_email,
            by_scim,
        })
    }
}

/// The result of [`provision`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    /// The decision, for the audit log.
    pub decision: Decision,
    /// The user to sign in; `None` when the login is denied.
    pub user: Option<UserId>,
}

/// Looks up, decides and applies in one call: what a login handler runs after verifying the SAML assertion or ID
/// token and mapping its claims.
pub fn provision<D: UserDirectory + ?Sized>(
    directory: &mut D,
    identity: &Identity,
    policy: &Policy,
) -> Result<Provisioned, D::Error> {
    let existing = Existing::lookup(directory, identity, policy)?;
    let decision = decide(identity, &existing, policy);
    let user = directory.apply(&decision)?;
    Ok(Provisioned { decision, user })
}

/// An in-memory [`UserDirectory`] for tests, demos and the reference service's demo mode.
#[derive(Debug, Clone, Default)]
pub struct MemoryDirectory {
    users: BTreeMap<UserId, User>,
    next_id: u64,
}

impl MemoryDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a user as is (to seed invited, password or SCIM-created accounts). Refuses a duplicate ID, link
    /// or email.
    pub fn insert(&mut self, user: User) -> Result<(), JitError> {
        if self.users.contains_key(&user.id) {
            return Err(conflict("a user with this ID exists"));
        }
        for link in &user.links {
            if self
                .owner_of_link(&link.connection, &link.subject)
                .is_some()
            {
                return Err(conflict("another user has this link"));
            }
        }
        if let Some(email) = &user.email
            && self.users.values().any(|u| u.email.as_ref() == Some(email))
        {
            return Err(conflict("another user has this email"));
        }
        self.users.insert(user.id.clone(), user);
        Ok(())
    }

    /// A user by ID.
    pub fn get(&self, id: &UserId) -> Option<&User> {
        self.users.get(id)
    }

    /// A user by ID, mutably (to simulate SCIM pushes and admin actions in tests).
    pub fn get_mut(&mut self, id: &UserId) -> Option<&mut User> {
        self.users.get_mut(id)
    }

    /// All users, by ID.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    fn owner_of_link(&self, connection: &ConnectionId, subject: &Subject) -> Option<&UserId> {
        self.users
            .values()
            .find(|u| u.has_link(connection, subject))
            .map(|u| &u.id)
    }

    fn active_user(&self, id: &UserId) -> Result<&User, JitError> {
        match self.users.get(id) {
            Some(user) if user.active => Ok(user),
            Some(_) => Err(conflict("the user was deactivated")),
            None => Err(conflict("the user no longer exists")),
        }
    }

    /// Checks that every change still applies and returns the user with them applied.
    fn changed(&self, id: &UserId, changes: &[Change]) -> Result<User, JitError> {
        let mut user = self.active_user(id)?.clone();
        for change in changes {
            if field(&user, &change.field) != change.old {
                return Err(conflict("a field changed since the decision"));
            }
            set_field(&mut user, &change.field, change.new.clone())?;
        }
        if let Some(email) = &user.email
            && self
                .users
                .values()
                .any(|u| u.id != user.id && u.email.as_ref() == Some(email))
        {
            return Err(conflict("another user has this email"));
        }
        Ok(user)
    }
}

fn conflict(what: &str) -> JitError {
    JitError::Conflict {
        what: what.to_owned(),
    }
}

fn field(user: &User, field: &Field) -> Option<String> {
    match field {
        Field::Role => user.role.as_ref().map(|r| r.0.clone()),
        Field::Profile(ProfileField::Email) => user.email.as_ref().map(|e| e.as_str().to_owned()),
        Field::Profile(ProfileField::DisplayName) => user.profile.display_name.clone(),
        Field::Profile(ProfileField::GivenName) => user.profile.given_name.clone(),
        Field::Profile(ProfileField::FamilyName) => user.profile.family_name.clone(),
        Field::Profile(ProfileField::Picture) => user.profile.picture.clone(),
        Field::Profile(ProfileField::Extra(key)) => user.profile.extra.get(key).cloned(),
    }
}

fn set_field(user: &mut User, field: &Field, value: Option<String>) -> Result<(), JitError> {
    match field {
        Field::Role => user.role = value.map(Role),
        Field::Profile(ProfileField::Email) => {
            user.email = value.as_deref().map(Email::parse).transpose()?;
        }
        Field::Profile(ProfileField::DisplayName) => user.profile.display_name = value,
        Field::Profile(ProfileField::GivenName) => user.profile.given_name = value,
        Field::Profile(ProfileField::FamilyName) => user.profile.family_name = value,
        Field::Profile(ProfileField::Picture) => user.profile.picture = value,
        Field::Profile(ProfileField::Extra(key)) => match value {
            Some(value) => {
                user.profile.extra.insert(key.clone(), value);
            }
            None => {
                user.profile.extra.remove(key);
            }
        },
    }
    Ok(())
}

impl UserDirectory for MemoryDirectory {
    type Error = JitError;

    fn find_by_subject(
        &self,
        connection: &ConnectionId,
        subject: &Subject,
    ) -> Result<Option<User>, JitError> {
        Ok(self
            .users
            .values()
            .find(|u| u.has_link(connection, subject))
            .cloned())
    }

    fn find_by_email(&self, email: &Email) -> Result<Option<User>, JitError> {
        Ok(self
            .users
            .values()
            .find(|u| u.email.as_ref() == Some(email))
            .cloned())
    }

    fn find_by_external_id(&self, external_id: &str) -> Result<Option<User>, JitError> {
        Ok(self
            .users
            .values()
            .find(|u| {
                u.scim
                    .as_ref()
                    .is_some_and(|s| s.external_id.as_deref() == Some(external_id))
            })
            .cloned())
    }

    fn find_by_user_name(&self, user_name: &str) -> Result<Option<User>, JitError> {
        Ok(self
            .users
            .values()
            .find(|u| {
                u.is_scim_managed()
                    && u.user_name
                        .as_deref()
                        .is_some_and(|n| same_user_name(n, user_name))
            })
            .cloned())
    }

    fn apply(&mut self, decision: &Decision) -> Result<Option<UserId>, JitError> {
        match decision {
            Decision::Deny { .. } => Ok(None),
            Decision::SignIn { user, via, .. } => {
                let found = self.active_user(user)?;
                if !found.has_link(&via.connection, &via.subject) {
                    return Err(conflict("the user was unlinked"));
                }
                Ok(Some(found.id.clone()))
            }
            Decision::Update {
                user, via, changes, ..
            } => {
                let updated = self.changed(user, changes)?;
                if !updated.has_link(&via.connection, &via.subject) {
                    return Err(conflict("the user was unlinked"));
                }
                self.users.insert(user.clone(), updated);
                Ok(Some(user.clone()))
            }
            Decision::Link {
                user,
                link,
                changes,
                ..
            } => {
                if self
                    .owner_of_link(&link.connection, &link.subject)
                    .is_some()
                {
                    return Err(conflict("another user has this link"));
                }
                let mut updated = self.changed(user, changes)?;
                if updated.subject_on(&link.connection).is_some() {
                    return Err(conflict("the user has another subject on this connection"));
                }
                updated.links.insert(link.clone());
                self.users.insert(user.clone(), updated);
                Ok(Some(user.clone()))
            }
            Decision::Create { user, .. } => {
                let mut id = UserId(String::new());
                while id.0.is_empty() || self.users.contains_key(&id) {
                    self.next_id += 1;
                    id = UserId(format!("user-{}", self.next_id));
                }
                let mut created = User::new(id.0);
                created.email = user.email.clone();
                created.user_name = user.user_name.clone();
                created.profile = user.profile.clone();
                created.role = user.role.clone();
                created.links.insert(user.link.clone());
                let id = created.id.clone();
                self.insert(created)?;
                Ok(Some(id))
            }
        }
    }
}
