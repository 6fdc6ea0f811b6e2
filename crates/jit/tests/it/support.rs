//! Builders shared by the test modules.

use gatehouse_jit::{
    ConnectionId, Domain, Email, Identity, Policy, Profile, Role, ScimRecord, SsoLink, Subject,
    User,
};

/// The connection every policy in the tests governs (an Okta SAML connection).
pub(crate) const OKTA: &str = "acme-okta";
/// A second connection of the same workspace (Entra ID).
pub(crate) const ENTRA: &str = "acme-entra";

pub(crate) fn conn(id: &str) -> ConnectionId {
    ConnectionId::new(id)
}

pub(crate) fn email(text: &str) -> Email {
    Email::parse(text).expect("test email parses")
}

pub(crate) fn domain(text: &str) -> Domain {
    Domain::parse(text).expect("test domain parses")
}

/// A login through `OKTA` with a verified email and a display name.
pub(crate) fn login(subject: &str, address: &str) -> Identity {
    let mut identity = Identity::new(conn(OKTA), Subject::new(subject));
    identity.email = Some(email(address));
    identity.email_verified = true;
    identity.user_name = Some(subject.to_owned());
    identity.profile = Profile {
        display_name: Some("Jane Doe".to_owned()),
        ..Profile::default()
    };
    identity
}

pub(crate) fn unverified(mut identity: Identity) -> Identity {
    identity.email_verified = false;
    identity
}

pub(crate) fn with_groups(mut identity: Identity, groups: &[&str]) -> Identity {
    identity.groups = groups.iter().map(|g| (*g).to_owned()).collect();
    identity
}

/// An account with an email, no SSO link (an invited or password account).
pub(crate) fn account(id: &str, address: &str) -> User {
    let mut user = User::new(id);
    user.email = Some(email(address));
    user.profile.display_name = Some("Jane Doe".to_owned());
    user
}

pub(crate) fn admin_account() -> User {
    let mut user = account("admin", "admin@acme.example");
    user.profile.display_name = Some("Admin".to_owned());
    user.role = Some(Role::new("admin"));
    user
}

/// An account linked to (connection, subject).
pub(crate) fn linked(id: &str, connection: &str, subject: &str, address: &str) -> User {
    let mut user = account(id, address);
    user.links.insert(SsoLink {
        connection: conn(connection),
        subject: Subject::new(subject),
    });
    user
}

/// A SCIM-provisioned user (Okta pushes userName = the Okta username, externalId = Okta's user id).
pub(crate) fn scim_user(id: &str, user_name: &str, external_id: &str, address: &str) -> User {
    let mut user = account(id, address);
    user.user_name = Some(user_name.to_owned());
    user.scim = Some(ScimRecord {
        external_id: Some(external_id.to_owned()),
    });
    user.profile.display_name = Some("Jane (from SCIM)".to_owned());
    user
}

pub(crate) fn deactivated(mut user: User) -> User {
    user.active = false;
    user
}

pub(crate) fn policy() -> Policy {
    Policy::new(conn(OKTA))
}

/// The workspace has verified `acme.example`.
pub(crate) fn verified_domains(mut policy: Policy) -> Policy {
    policy.verified_domains = [domain("acme.example")].into_iter().collect();
    policy
}
