//! Per-connection rules that turn [`Claims`] into an [`Identity`], and the built-in profiles.
//!
//! | field | Okta SAML (the guide) | Entra ID SAML | AD FS SAML | OIDC |
//! | --- | --- | --- | --- | --- |
//! | subject | `NameID` | `…/identity/claims/objectidentifier` | `NameID` | `sub` |
//! | user name | `NameID` (Okta username) | `…/ws/2005/05/identity/claims/name` (UPN) | `…/claims/upn` | `preferred_username` |
//! | email (required) | `…/claims/emailaddress` | `…/claims/emailaddress` | `…/claims/emailaddress` | `email` |
//! | email verified | `email_verified` | — (never sent) | — | `email_verified` |
//! | display name | `…/claims/name` | `…/identity/claims/displayname` | `…/claims/name` | `name` |
//! | given, family name | `…/claims/givenname`, `…/claims/surname` | same | same | `given_name`, `family_name` |
//! | picture | `profile_picture` | — | — | `picture` |
//! | groups | — | `…/ws/2008/06/identity/claims/groups` (object IDs) | `http://schemas.xmlsoap.org/claims/Group` | `groups` |
//!
//! Note the Entra trap: `http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name` carries the **UPN** in Entra
//! (`user.userprincipalname`), not a display name, while Okta's guide maps `user.name` to it. Entra's display name
//! is `http://schemas.microsoft.com/identity/claims/displayname`, and its immutable user ID is `objectidentifier`;
//! the Entra NameID defaults to the (renameable) UPN, so it is not used as the subject. When a user is in more
//! groups than Entra puts in a SAML token (150), Entra sends `http://schemas.microsoft.com/claims/groups.link`
//! instead of the full list; the mapping records that as an incomplete group list.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::claims::{Claims, IdpKind, Protocol};
use crate::email::Email;
use crate::error::{JitError, shown};
use crate::identity::{Identity, Profile, Subject};

/// Longest accepted claim value, in bytes.
pub const MAX_VALUE_LEN: usize = 2048;

/// The WS-Federation claim namespace Okta's guide and Microsoft IdPs use for email and names.
pub mod uri {
    /// Email address.
    pub const EMAIL: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
    /// Name: Okta's guide puts `user.name` here; Entra puts the UPN here.
    pub const NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
    /// Given name.
    pub const GIVEN_NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
    /// Surname.
    pub const SURNAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";
    /// User principal name (AD FS).
    pub const UPN: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
    /// Entra's immutable user object ID.
    pub const ENTRA_OBJECT_ID: &str =
        "http://schemas.microsoft.com/identity/claims/objectidentifier";
    /// Entra's display name.
    pub const ENTRA_DISPLAY_NAME: &str = "http://schemas.microsoft.com/identity/claims/displayname";
    /// Entra's tenant ID.
    pub const ENTRA_TENANT_ID: &str = "http://schemas.microsoft.com/identity/claims/tenantid";
    /// Entra's groups claim (group object IDs by default).
    pub const ENTRA_GROUPS: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";
    /// Entra's group overage indicator: present instead of a complete group list.
    pub const ENTRA_GROUPS_LINK: &str = "http://schemas.microsoft.com/claims/groups.link";
    /// AD FS group claim.
    pub const ADFS_GROUP: &str = "http://schemas.xmlsoap.org/claims/Group";
}

/// Where the subject comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubjectRule {
    /// The SAML `NameID`.
    NameId,
    /// A claim, required.
    Claim(String),
    /// A claim, or the SAML `NameID` when the claim is absent. Use only when both carry the same identifier
    /// space: a subject that sometimes comes from one and sometimes from the other looks like two users.
    ClaimOrNameId(String),
}

/// One single-valued claim and whether a login without it fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attr {
    /// The SAML attribute `Name` or OIDC claim name.
    pub claim: String,
    /// A missing required claim is [`JitError::MissingClaim`].
    pub required: bool,
}

impl Attr {
    /// A claim that must be present.
    pub fn required(claim: impl Into<String>) -> Self {
        Self {
            claim: claim.into(),
            required: true,
        }
    }

    /// A claim that may be absent.
    pub fn optional(claim: impl Into<String>) -> Self {
        Self {
            claim: claim.into(),
            required: false,
        }
    }
}

/// Where the username (SCIM `userName`) comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValueSource {
    /// The SAML `NameID`.
    NameId,
    /// A claim (optional).
    Claim(String),
}

/// An extra attribute the app declares, stored in [`Profile::extra`] under `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraAttr {
    /// The app's name for it.
    pub key: String,
    /// The claim it comes from.
    pub attr: Attr,
}

/// How one connection's claims become an [`Identity`]. Start from a built-in profile and adjust fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// The protocol whose claims this mapping reads; others are refused.
    pub protocol: Protocol,
    /// The IdP, for the wording of admin hints.
    pub idp: IdpKind,
    /// The subject.
    pub subject: SubjectRule,
    /// The SCIM `externalId` the same IdP pushes, when a claim carries it.
    pub external_id: Option<String>,
    /// The SCIM `userName` the same IdP pushes.
    pub user_name: Option<ValueSource>,
    /// The email address.
    pub email: Option<Attr>,
    /// The claim saying the email is verified (a string or JSON boolean); absent means not verified.
    pub email_verified: Option<String>,
    /// Display name.
    pub display_name: Option<Attr>,
    /// Given name.
    pub given_name: Option<Attr>,
    /// Family name.
    pub family_name: Option<Attr>,
    /// Picture URL; values other than `https://` URLs are dropped.
    pub picture: Option<Attr>,
    /// The multi-valued groups claim.
    pub groups: Option<String>,
    /// A claim whose presence means the groups claim is incomplete.
    pub groups_overage: Option<String>,
    /// Extra attributes the app declares.
    pub extra: Vec<ExtraAttr>,
}

impl Mapping {
    /// Okta SAML, exactly the guide's attribute statements: `…/claims/emailaddress` (required), `…/claims/name`,
    /// `…/claims/givenname`, `…/claims/surname`, `email_verified`, optional `profile_picture`; the subject and
    /// username are the `NameID` (Okta's application username, which Okta also pushes as SCIM `userName`).
    ///
    /// The guide sends no immutable user ID, so the subject is the application username: if an Okta admin changes
    /// the app's username format, users look new, and (unless the policy links by verified email) their logins are
    /// refused rather than attached to the old accounts. To match SCIM users by `externalId` (Okta's user ID), add
    /// an attribute statement for `user.id` and name it in [`Mapping::external_id`].
    pub fn okta_saml() -> Self {
        Self {
            protocol: Protocol::Saml,
            idp: IdpKind::Okta,
            subject: SubjectRule::NameId,
            external_id: None,
            user_name: Some(ValueSource::NameId),
            email: Some(Attr::required(uri::EMAIL)),
            email_verified: Some("email_verified".to_owned()),
            display_name: Some(Attr::optional(uri::NAME)),
            given_name: Some(Attr::optional(uri::GIVEN_NAME)),
            family_name: Some(Attr::optional(uri::SURNAME)),
            picture: Some(Attr::optional("profile_picture")),
            groups: None,
            groups_overage: None,
            extra: Vec::new(),
        }
    }

    /// Entra ID SAML with its default claims: subject `objectidentifier` (required, immutable), username the UPN
    /// in `…/claims/name`, email, display/given/family names, groups and the group-overage link. Entra sends no
    /// `email_verified`; pair this with [`crate::EmailVerification::TrustVerifiedDomains`].
    pub fn entra_saml() -> Self {
        Self {
            protocol: Protocol::Saml,
            idp: IdpKind::Entra,
            subject: SubjectRule::Claim(uri::ENTRA_OBJECT_ID.to_owned()),
            external_id: None,
            user_name: Some(ValueSource::Claim(uri::NAME.to_owned())),
            email: Some(Attr::required(uri::EMAIL)),
            email_verified: None,
            display_name: Some(Attr::optional(uri::ENTRA_DISPLAY_NAME)),
            given_name: Some(Attr::optional(uri::GIVEN_NAME)),
            family_name: Some(Attr::optional(uri::SURNAME)),
            picture: None,
            groups: Some(uri::ENTRA_GROUPS.to_owned()),
            groups_overage: Some(uri::ENTRA_GROUPS_LINK.to_owned()),
            extra: Vec::new(),
        }
    }

    /// AD FS SAML: subject the `NameID` (configure a persistent one), username `…/claims/upn`, email, names,
    /// groups from `http://schemas.xmlsoap.org/claims/Group`.
    pub fn adfs_saml() -> Self {
        Self {
            protocol: Protocol::Saml,
            idp: IdpKind::Adfs,
            subject: SubjectRule::NameId,
            external_id: None,
            user_name: Some(ValueSource::Claim(uri::UPN.to_owned())),
            email: Some(Attr::required(uri::EMAIL)),
            email_verified: None,
            display_name: Some(Attr::optional(uri::NAME)),
            given_name: Some(Attr::optional(uri::GIVEN_NAME)),
            family_name: Some(Attr::optional(uri::SURNAME)),
            picture: None,
            groups: Some(uri::ADFS_GROUP.to_owned()),
            groups_overage: None,
            extra: Vec::new(),
        }
    }

    /// Standard OIDC claims (OpenID Connect Core §5.1): `sub`, `preferred_username`, `email` (required),
    /// `email_verified`, `name`, `given_name`, `family_name`, `picture`, plus the common `groups` claim. For Okta,
    /// `sub` is the Okta user ID, which is also the `externalId` Okta pushes over SCIM, so it doubles as the
    /// external ID.
    pub fn oidc(idp: IdpKind) -> Self {
        Self {
            protocol: Protocol::Oidc,
            idp,
            subject: SubjectRule::Claim("sub".to_owned()),
            external_id: (idp == IdpKind::Okta).then(|| "sub".to_owned()),
            user_name: Some(ValueSource::Claim("preferred_username".to_owned())),
            email: Some(Attr::required("email")),
            email_verified: Some("email_verified".to_owned()),
            display_name: Some(Attr::optional("name")),
            given_name: Some(Attr::optional("given_name")),
            family_name: Some(Attr::optional("family_name")),
            picture: Some(Attr::optional("picture")),
            groups: Some("groups".to_owned()),
            groups_overage: None,
            extra: Vec::new(),
        }
    }

    /// Maps verified claims to an identity. Fails on a missing required claim, a single-valued claim with several
    /// values, a malformed email or boolean, or claims from the wrong protocol.
    pub fn map(&self, claims: &Claims) -> Result<Identity, JitError> {
        if claims.source.protocol != self.protocol {
            return Err(JitError::WrongProtocol {
                expected: self.protocol,
                got: claims.source.protocol,
            });
        }
        let reader = Reader {
            claims,
            idp: self.idp,
        };
        let subject = match &self.subject {
            SubjectRule::NameId => reader.name_id("NameID")?,
            SubjectRule::Claim(claim) => reader.single(&Attr::required(claim.clone()))?,
            SubjectRule::ClaimOrNameId(claim) => {
                match reader.single(&Attr::optional(claim.clone()))? {
                    Some(value) => Some(value),
                    None => reader.name_id(claim)?,
                }
            }
        };
        let Some(subject) = subject else {
            return Err(JitError::MissingClaim {
                claim: "NameID".to_owned(),
                idp: self.idp,
            });
        };
        let user_name = match &self.user_name {
            None => None,
            Some(ValueSource::NameId) => reader.name_id_optional()?,
            Some(ValueSource::Claim(claim)) => reader.single(&Attr::optional(claim.clone()))?,
        };
        let external_id = match &self.external_id {
            Some(claim) => reader.single(&Attr::optional(claim.clone()))?,
            None => None,
        };
        let email = match &self.email {
            Some(attr) => match reader.single(attr)? {
                Some(text) => Some(Email::parse(&text).map_err(|e| JitError::InvalidClaim {
                    claim: attr.claim.clone(),
                    problem: match e {
                        JitError::InvalidEmail { problem, .. } => problem,
                        _ => "not an email address",
                    },
                    got: shown(&text),
                    idp: self.idp,
                })?),
                None => None,
            },
            None => None,
        };
        let email_verified = match &self.email_verified {
            Some(claim) => reader.boolean(claim)?.unwrap_or(false),
            None => false,
        };
        let picture = match &self.picture {
            Some(attr) => reader.single(attr)?.filter(|url| {
                let keep = url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"));
                if !keep {
                    tracing::debug!(claim = %attr.claim, "dropping a picture that is not an https URL");
                }
                keep
            }),
            None => None,
        };
        let mut extra = std::collections::BTreeMap::new();
        for declared in &self.extra {
            if let Some(value) = reader.single(&declared.attr)? {
                extra.insert(declared.key.clone(), value);
            }
        }
        let groups = match &self.groups {
            Some(claim) => reader.multi(claim)?,
            None => BTreeSet::new(),
        };
        let groups_complete = match &self.groups_overage {
            Some(claim) => claims.get(claim).is_empty(),
            None => true,
        };
        Ok(Identity {
            connection: claims.source.connection.clone(),
            subject: Subject(subject),
            external_id,
            user_name,
            email,
            email_verified,
            profile: Profile {
                display_name: self.optional(&reader, &self.display_name)?,
                given_name: self.optional(&reader, &self.given_name)?,
                family_name: self.optional(&reader, &self.family_name)?,
                picture,
                extra,
            },
            groups,
            groups_complete,
        })
    }

    fn optional(
        &self,
        reader: &Reader<'_>,
        attr: &Option<Attr>,
    ) -> Result<Option<String>, JitError> {
        match attr {
            Some(attr) => reader.single(attr),
            None => Ok(None),
        }
    }
}

struct Reader<'a> {
    claims: &'a Claims,
    idp: IdpKind,
}

impl Reader<'_> {
    fn check(&self, claim: &str, value: &str) -> Result<(), JitError> {
        let problem = if value.len() > MAX_VALUE_LEN {
            Some("longer than 2048 bytes")
        } else if value.chars().any(char::is_control) {
            Some("contains control characters")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(JitError::InvalidClaim {
                claim: claim.to_owned(),
                problem,
                got: shown(value),
                idp: self.idp,
            }),
            None => Ok(()),
        }
    }

    /// The one distinct non-empty (trimmed) value of a claim.
    fn single(&self, attr: &Attr) -> Result<Option<String>, JitError> {
        let mut distinct = BTreeSet::new();
        for value in self.claims.get(&attr.claim) {
            let value = value.trim();
            if !value.is_empty() {
                self.check(&attr.claim, value)?;
                distinct.insert(value);
            }
        }
        if distinct.len() > 1 {
            return Err(JitError::AmbiguousClaim {
                claim: attr.claim.clone(),
                count: distinct.len(),
                idp: self.idp,
            });
        }
        match distinct.into_iter().next() {
            Some(value) => Ok(Some(value.to_owned())),
            None if attr.required => Err(JitError::MissingClaim {
                claim: attr.claim.clone(),
                idp: self.idp,
            }),
            None => Ok(None),
        }
    }

    fn name_id_optional(&self) -> Result<Option<String>, JitError> {
        match self.claims.name_id.as_deref().map(str::trim) {
            Some(value) if !value.is_empty() => {
                self.check("NameID", value)?;
                Ok(Some(value.to_owned()))
            }
            _ => Ok(None),
        }
    }

    fn name_id(&self, claim_for_error: &str) -> Result<Option<String>, JitError> {
        match self.name_id_optional()? {
            Some(value) => Ok(Some(value)),
            None => Err(JitError::MissingClaim {
                claim: claim_for_error.to_owned(),
                idp: self.idp,
            }),
        }
    }

    fn multi(&self, claim: &str) -> Result<BTreeSet<String>, JitError> {
        let mut out = BTreeSet::new();
        for value in self.claims.get(claim) {
            let value = value.trim();
            if !value.is_empty() {
                self.check(claim, value)?;
                out.insert(value.to_owned());
            }
        }
        Ok(out)
    }

    /// A string boolean: `true`/`false`/`1`/`0`, any ASCII case, surrounding whitespace ignored.
    fn boolean(&self, claim: &str) -> Result<Option<bool>, JitError> {
        let Some(text) = self.single(&Attr::optional(claim))? else {
            return Ok(None);
        };
        if text.eq_ignore_ascii_case("true") || text == "1" {
            Ok(Some(true))
        } else if text.eq_ignore_ascii_case("false") || text == "0" {
            Ok(Some(false))
        } else {
            Err(JitError::InvalidBoolean {
                claim: claim.to_owned(),
                got: shown(&text),
                idp: self.idp,
            })
        }
    }
}
