//! A user created by a real recorded Okta SCIM request (elimity-com/scim corpus, `okta/create_user.json`) is
//! matched by the next SAML or OIDC login through the built-in Okta profiles, not duplicated.

use std::path::PathBuf;

use gatehouse_jit::{
    Claims, ConnectionId, Decision, IdpKind, Mapping, MemoryDirectory, Policy, Role, Rule, ScimKey,
    ScimRecord, User, provision, uri,
};

use crate::support::{domain, email};

fn recorded_okta_create() -> Option<serde_json::Value> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/scim/elimity-idp/testdata/okta/create_user.json"
    ));
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).unwrap()),
        Err(e) if std::env::var("GATEHOUSE_INTEROP").is_ok_and(|v| v == "1") => {
            panic!(
                "GATEHOUSE_INTEROP=1 but {} is unreadable: {e}",
                path.display()
            )
        }
        Err(_) => {
            eprintln!(
                "skipping: third-party corpus not found at {}",
                path.display()
            );
            None
        }
    }
}

/// What a SCIM server would store for the recorded POST /Users body.
fn scim_created(request: &serde_json::Value) -> User {
    let mut user = User::new("scim-1");
    user.user_name = request["userName"].as_str().map(str::to_owned);
    user.email = request["emails"][0]["value"].as_str().map(email);
    user.profile.display_name = request["displayName"].as_str().map(str::to_owned);
    user.scim = Some(ScimRecord {
        external_id: request["externalId"].as_str().map(str::to_owned),
    });
    user.role = Some(Role::new("member"));
    user
}

#[test]
fn okta_scim_user_is_matched_by_saml_and_oidc_logins() {
    let Some(recorded) = recorded_okta_create() else {
        return;
    };
    let request = &recorded["request"];
    assert_eq!(request["userName"], "test.user@okta.local");
    assert_eq!(request["externalId"], "00ujl29u0le5T6Aj10h7");

    // SAML: the guide's statements, NameID = the Okta username Okta also pushed as userName.
    let saml = ConnectionId::new("okta-saml");
    let claims = Claims::saml(saml.clone(), Some("test.user@okta.local".into()))
        .with(uri::EMAIL, ["test.user@okta.local"])
        .with(uri::NAME, ["Test User"])
        .with("email_verified", ["true"]);
    let identity = Mapping::okta_saml().map(&claims).unwrap();
    let mut policy = Policy::new(saml);
    policy.scim_match = vec![ScimKey::ExternalId, ScimKey::UserName];
    let mut directory = MemoryDirectory::new();
    directory.insert(scim_created(request)).unwrap();
    let outcome = provision(&mut directory, &identity, &policy).unwrap();
    assert_eq!(
        outcome.decision.rule(),
        Rule::LinkScimUser(ScimKey::UserName)
    );
    assert_eq!(outcome.user.as_ref().map(|u| u.0.as_str()), Some("scim-1"));
    assert_eq!(directory.users().count(), 1, "no JIT duplicate");

    // OIDC through Okta: `sub` is the Okta user ID Okta pushed as externalId.
    let oidc = ConnectionId::new("okta-oidc");
    let claims = Claims::from_oidc_json(
        oidc.clone(),
        br#"{"sub":"00ujl29u0le5T6Aj10h7","email":"test.user@okta.local","email_verified":true,
            "preferred_username":"someone.else@okta.local","name":"Test User"}"#,
    )
    .unwrap();
    let identity = Mapping::oidc(IdpKind::Okta).map(&claims).unwrap();
    let mut policy = Policy::new(oidc);
    policy.scim_match = vec![ScimKey::ExternalId, ScimKey::UserName];
    let mut directory = MemoryDirectory::new();
    directory.insert(scim_created(request)).unwrap();
    let outcome = provision(&mut directory, &identity, &policy).unwrap();
    assert_eq!(
        outcome.decision.rule(),
        Rule::LinkScimUser(ScimKey::ExternalId)
    );
    assert_eq!(directory.users().count(), 1);

    // Once Okta deactivates the user (PATCH active=false), the login is refused and nothing is created.
    directory.get_mut(&outcome.user.unwrap()).unwrap().active = false;
    let outcome = provision(&mut directory, &identity, &policy).unwrap();
    assert_eq!(
        outcome.decision,
        Decision::Deny {
            reason: Rule::ScimDeactivated
        }
    );
    assert_eq!(outcome.user, None);
    assert_eq!(directory.users().count(), 1);

    // A different connection (not the SCIM one) asserting the same email does not take the account over.
    let other = ConnectionId::new("other-idp");
    let claims = Claims::from_oidc_json(
        other.clone(),
        br#"{"sub":"x","email":"Test.User@okta.local","email_verified":true}"#,
    )
    .unwrap();
    let identity = Mapping::oidc(IdpKind::Generic).map(&claims).unwrap();
    let mut policy = Policy::new(other);
    policy.verified_domains = [domain("okta.local")].into();
    let mut directory = MemoryDirectory::new();
    directory.insert(scim_created(request)).unwrap();
    let outcome = provision(&mut directory, &identity, &policy).unwrap();
    assert_eq!(outcome.decision.rule(), Rule::EmailLinkingDisabled);
}
