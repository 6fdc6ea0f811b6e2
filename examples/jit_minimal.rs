//! Run with `cargo run --example jit_minimal`.
//!
//! Just-in-time provisioning after a SAML login: the claims of a **verified** assertion (the signed Okta-shaped
//! fixture `testdata/saml/accept-unsolicited`, checked at its instant) go through Okta's attribute mapping to an
//! identity; the app looks up what it has, [`decide`] says what to do, and the directory applies it. Three
//! directories show the outcomes: a first login creates the user, an existing account with the same email is
//! not taken over by an unverified link, and a user SCIM deactivated stays out.
#![allow(clippy::expect_used, reason = "an example")]

use chrono::{DateTime, Utc};
use gatehouse::jit::{
    Claims, ConnectionId, Decision, Email, EmailLinking, Existing, JitError, Mapping,
    MemoryDirectory, Policy, ScimRecord, SsoLink, Subject, User, UserDirectory as _, decide,
};
use gatehouse::saml::{
    ConnectionPolicy, InMemoryReplayCache, InMemoryRequestStore, ServiceProvider,
    VerifiedAssertion, parse_idp_metadata, validate_response,
};

/// The connection the logins come through.
pub const CONNECTION: &str = "acme-okta";

/// The claims of a verified assertion: the NameID and every attribute, tagged with the connection.
pub fn claims(assertion: &VerifiedAssertion) -> Claims {
    let name_id = assertion.name_id().value.clone();
    let mut claims = Claims::saml(ConnectionId::new(CONNECTION), Some(name_id));
    for attribute in assertion.attributes() {
        claims.add(attribute.name.clone(), attribute.values.iter().cloned());
    }
    claims
}

/// One login: map the claims (Okta's attribute statements), look up, decide, apply. A host runs exactly this
/// after `validate_response` (or after an OIDC login, with `Claims::from_oidc_json` and `Mapping::oidc`), logs
/// the decision's rule, and starts a session for the returned user unless the decision is `Deny`.
pub fn login(
    directory: &mut MemoryDirectory,
    claims: &Claims,
    policy: &Policy,
) -> Result<Decision, JitError> {
    let identity = Mapping::okta_saml().map(claims)?;
    let existing = Existing::lookup(directory, &identity, policy)?;
    let decision = decide(&identity, &existing, policy);
    directory.apply(&decision)?;
    Ok(decision)
}

/// Verifies the signed fixture as an SP would (pinned certificate, audience, recipient, times, replay).
pub fn verified_fixture() -> VerifiedAssertion {
    let root = env!("CARGO_MANIFEST_DIR");
    let now: DateTime<Utc> = "2026-01-15T10:00:00Z"
        .parse()
        .expect("the fixture's instant");
    let metadata =
        std::fs::read(format!("{root}/testdata/saml/metadata/okta-idp.xml")).expect("metadata");
    let policy = ConnectionPolicy {
        allow_unsolicited: true,
        ..ConnectionPolicy::default()
    };
    let idp = parse_idp_metadata(&metadata, None, now, None)
        .and_then(|m| m.identity_provider(policy))
        .expect("IdP metadata");
    let acs = "https://auth.app.layer.ai/login/callback?connection=acme";
    let sp = ServiceProvider::new("urn:auth0:layer-stack-app:acme", acs);
    let xml = std::fs::read(format!(
        "{root}/testdata/saml/accept-unsolicited/response.xml"
    ))
    .expect("fixture");
    let posted = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, xml);
    let (requests, replay) = (
        InMemoryRequestStore::default(),
        InMemoryReplayCache::default(),
    );
    validate_response(&sp, &idp, "acme", &posted, now, &requests, &replay).expect("a valid fixture")
}

/// An account that exists before any SSO login: invited with this email, or provisioned by SCIM.
pub fn account(id: &str, email: &str) -> User {
    let mut user = User::new(id);
    user.email = Some(Email::parse(email).expect("an email"));
    user
}

fn main() {
    let claims = claims(&verified_fixture());
    let policy = Policy::new(ConnectionId::new(CONNECTION)); // create on first login, never link by email
    let show = |what: &str, decision: &Result<Decision, JitError>| match decision {
        Ok(d) => {
            println!("{what}: {} ({})", d.rule(), d.rule().description());
            if let Some(hint) = d.rule().admin_hint() {
                println!("    admin: {hint}");
            }
        }
        Err(e) => println!("{what}: error {e}"),
    };

    // 1. Nobody yet: the first login creates the account, the second signs in by (connection, subject).
    let mut directory = MemoryDirectory::new();
    show("first login", &login(&mut directory, &claims, &policy));
    show("second login", &login(&mut directory, &claims, &policy));

    // 2. An invited account already has this email. Even with linking by email switched on, the workspace has
    //    not verified the domain, so an IdP asserting the address does not get the account: refused, not linked
    //    and not duplicated.
    let mut directory = MemoryDirectory::new();
    directory
        .insert(account("u-invited", "jane.doe@acme.com"))
        .expect("seed");
    let linking = Policy {
        email_linking: EmailLinking::ToAccountsWithoutSso,
        ..policy.clone()
    };
    show(
        "existing account, unverified domain",
        &login(&mut directory, &claims, &linking),
    );

    // 3. SCIM deactivated the user (Okta: unassigned or deactivated): the login is refused, nothing reactivates.
    let mut directory = MemoryDirectory::new();
    let mut gone = account("u-scim", "jane.doe@acme.com");
    gone.scim = Some(ScimRecord {
        external_id: Some("00u1abcd".into()),
    });
    gone.active = false;
    let subject = Subject::new("jane.doe@acme.com");
    gone.links.insert(SsoLink {
        connection: ConnectionId::new(CONNECTION),
        subject,
    });
    directory.insert(gone).expect("seed");
    show(
        "SCIM-deactivated user",
        &login(&mut directory, &claims, &policy),
    );
}
