//! Entry points for the cargo-fuzz targets in `fuzz/` and the corpus replay test.

use std::collections::BTreeSet;

use crate::{
    AllowedDomains, Claims, ConnectionId, Decision, Domain, Email, EmailLinking, EmailVerification,
    Identity, Mapping, MemoryDirectory, Policy, Role, RoleMapping, RoleRule, ScimKey, ScimRecord,
    SsoLink, Subject, User, UserDirectory, provision,
};

/// Treats `data` as a JSON object of claims (a `name_id` member doubles as the SAML NameID), maps it with every
/// built-in profile, and provisions each identity twice against seeded directories under a strict and a
/// permissive policy. Must never panic; the second provisioning must be a `SignIn` (or the same denial).
pub fn map_and_decide(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Email::parse(text);
        let _ = Domain::parse(text);
    }
    let connection = ConnectionId::new("fuzz");
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let name_id = value
        .get("name_id")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let mut saml = Claims::saml(connection.clone(), name_id);
    if saml.merge_oidc_value(&value).is_err() {
        return;
    }
    let Ok(oidc) = Claims::from_oidc_json(connection.clone(), data) else {
        return;
    };
    let identities = [
        Mapping::okta_saml().map(&saml),
        Mapping::entra_saml().map(&saml),
        Mapping::adfs_saml().map(&saml),
        Mapping::oidc(crate::IdpKind::Generic).map(&oidc),
    ];
    for identity in identities.into_iter().flatten() {
        for policy in policies(&connection) {
            let mut directory = seeded(&connection, &identity);
            let Ok(first) = provision(&mut directory, &identity, &policy) else {
                continue;
            };
            let Ok(second) = provision(&mut directory, &identity, &policy) else {
                continue;
            };
            let stable = match &first.decision {
                Decision::Deny { reason } => second.decision == Decision::Deny { reason: *reason },
                _ => matches!(second.decision, Decision::SignIn { .. }),
            };
            assert!(
                stable,
                "not idempotent: {:?} then {:?}",
                first.decision, second.decision
            );
        }
    }
}

fn policies(connection: &ConnectionId) -> [Policy; 2] {
    let strict = Policy::new(connection.clone());
    let mut open = Policy::new(connection.clone());
    open.email_verification = EmailVerification::TrustVerifiedDomains;
    open.email_linking = EmailLinking::ToAnyAccount;
    open.scim_match = vec![ScimKey::ExternalId, ScimKey::UserName, ScimKey::Email];
    open.verified_domains = ["example.com", "acme.example"]
        .into_iter()
        .filter_map(|d| Domain::parse(d).ok())
        .collect();
    open.allowed_domains = AllowedDomains::Only(open.verified_domains.clone());
    open.roles = Some(RoleMapping {
        rules: vec![RoleRule {
            group: "admins".to_owned(),
            role: Role::new("admin"),
        }],
        default: Role::new("member"),
    });
    [strict, open]
}

/// A directory holding an account with the identity's email and a SCIM user with its username.
fn seeded(connection: &ConnectionId, identity: &Identity) -> MemoryDirectory {
    let mut directory = MemoryDirectory::new();
    let mut by_email = User::new("existing-email");
    by_email.email = identity.email.clone();
    by_email.links = [SsoLink {
        connection: ConnectionId::new("other"),
        subject: Subject::new("x"),
    }]
    .into_iter()
    .collect::<BTreeSet<_>>();
    let _ = directory.insert(by_email);
    let mut scim = User::new("existing-scim");
    scim.user_name = identity.user_name.clone();
    scim.scim = Some(ScimRecord {
        external_id: Some("ext".to_owned()),
    });
    let _ = directory.insert(scim);
    let _ = directory.find_by_subject(connection, &identity.subject);
    directory
}
