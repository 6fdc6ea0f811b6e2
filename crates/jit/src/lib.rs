//! Just-in-time provisioning: maps IdP claims to an identity and decides create, update, link, sign in or deny.
//! A pure function of the identity, what the host already has and the policy; the host applies the decision.
//!
//! The pipeline has three steps, each a value the host can log and test:
//!
//! 1. [`Claims`] (attribute name → values, plus the connection and protocol they came from), filled by the host
//!    from a **verified** SAML assertion or OIDC ID token, go through the connection's [`Mapping`] (built-in:
//!    [`Mapping::okta_saml`] with exactly the attribute statements of Okta's setup guide, [`Mapping::entra_saml`],
//!    [`Mapping::adfs_saml`], [`Mapping::oidc`]) into an [`Identity`].
//! 2. The host looks up what it has ([`Existing`]: by (connection, subject), by email, by SCIM keys).
//! 3. [`decide`] returns a [`Decision`] — `Create`, `Update`, `Link`, `SignIn` or `Deny` — with the [`Rule`]
//!    that fired, for the audit log. [`UserDirectory::apply`] carries it out atomically.
//!
//! [`provision`] runs steps 2 and 3 against any [`UserDirectory`]:
//!
//! ```
//! use gatehouse_jit::{Claims, ConnectionId, Decision, MemoryDirectory, Mapping, Policy, Rule, provision};
//!
//! let acme = ConnectionId::new("acme-okta");
//! // Filled from a verified SAML assertion: the guide's Okta attribute statements.
//! let claims = Claims::saml(acme.clone(), Some("jane@acme.example".into()))
//!     .with("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", ["Jane@Acme.example"])
//!     .with("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", ["Jane Doe"])
//!     .with("email_verified", ["true"]);
//! let identity = Mapping::okta_saml().map(&claims)?;
//! let policy = Policy::new(acme);
//! let mut directory = MemoryDirectory::new();
//!
//! let first = provision(&mut directory, &identity, &policy)?;
//! assert!(matches!(first.decision, Decision::Create { .. }));
//! let again = provision(&mut directory, &identity, &policy)?;
//! assert_eq!(again.decision.rule(), Rule::SignInBySubject);
//! assert_eq!(first.user, again.user);
//! # Ok::<(), gatehouse_jit::JitError>(())
//! ```
//!
//! # Account linking, and the attacks it defends against
//!
//! * **Unverified email → someone else's account.** A login whose (connection, subject) is not linked yet is
//!   attached to an existing account by email only when the policy allows it ([`EmailLinking`]), the email is in
//!   a domain the workspace has verified, and the [`EmailVerification`] setting vouches for it. Otherwise the
//!   login is refused ([`Rule::UntrustedEmailMatchesAccount`], [`Rule::EmailLinkingDisabled`]); it is never
//!   turned into a second account with the same email either.
//! * **A second connection asserting the same email.** Subjects are only compared within their connection; an
//!   account already linked through SSO is not linked again by email unless the policy says
//!   [`EmailLinking::ToAnyAccount`], and an account never gets two subjects on one connection.
//! * **Domain tricks.** Emails and domains are normalised once ([`Email`]) and compared exactly: no suffix,
//!   subdomain or Unicode case-folding matches.
//! * **SCIM.** A deactivated user is refused on every path (by subject, by SCIM match, by email) and is never
//!   recreated; a SCIM-provisioned user is matched by the policy's [`ScimKey`]s instead of duplicated, and its
//!   profile is left to SCIM unless [`Policy::update_scim_managed`] is set.
//! * **Roles.** Group → role mapping runs on every login, so removing a user from an admin group in the IdP
//!   demotes them at the next login; an incomplete group list (Entra overage) refuses rather than guesses.
//! * **Races.** Decisions carry the old value of each field they change; [`UserDirectory::apply`] re-checks them
//!   and the uniqueness of links and emails inside its transaction.

mod claims;
mod decision;
mod directory;
mod email;
mod error;
mod identity;
mod mapping;
mod policy;
mod user;

pub use claims::{ClaimSource, Claims, ConnectionId, IdpKind, Protocol, limits};
pub use decision::{Change, Decision, Existing, Field, Rule, decide};
pub use directory::{MemoryDirectory, Provisioned, UserDirectory, provision};
pub use email::{Domain, Email};
pub use error::{JitError, SHOWN_VALUE_CHARS};
pub use identity::{Identity, Profile, Subject};
pub use mapping::{Attr, ExtraAttr, MAX_VALUE_LEN, Mapping, SubjectRule, ValueSource, uri};
pub use policy::{
    AllowedDomains, EmailLinking, EmailVerification, Policy, ProfileField, RoleMapping, RoleRule,
    ScimKey,
};
pub use user::{NewUser, Role, ScimRecord, SsoLink, User, UserId};

#[doc(hidden)]
pub mod fuzzing;
