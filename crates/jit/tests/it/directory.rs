//! `UserDirectory::apply` re-checks what a decision relied on: races between logins, SCIM pushes and admins.

use gatehouse_jit::{
    Decision, Existing, JitError, MemoryDirectory, Policy, Rule, UserDirectory, decide, provision,
};

use crate::support::*;

fn decide_now(
    directory: &MemoryDirectory,
    identity: &gatehouse_jit::Identity,
    policy: &Policy,
) -> Decision {
    let existing = Existing::lookup(directory, identity, policy).unwrap();
    decide(identity, &existing, policy)
}

fn is_conflict(result: Result<Option<gatehouse_jit::UserId>, JitError>) -> bool {
    matches!(result, Err(JitError::Conflict { .. }))
}

#[test]
fn two_concurrent_first_logins_make_one_account() {
    let mut directory = MemoryDirectory::new();
    let jane = login("jane@acme.example", "jane@acme.example");
    let policy = policy();
    let a = decide_now(&directory, &jane, &policy);
    let b = decide_now(&directory, &jane, &policy);
    assert!(matches!(a, Decision::Create { .. }) && a == b);
    let id = directory.apply(&a).unwrap().unwrap();
    assert!(is_conflict(directory.apply(&b)));
    let again = decide_now(&directory, &jane, &policy);
    assert_eq!(again.rule(), Rule::SignInBySubject);
    assert_eq!(again.user(), Some(&id));
    assert_eq!(directory.users().count(), 1);
}

#[test]
fn two_subjects_racing_for_one_email_make_one_account() {
    let mut directory = MemoryDirectory::new();
    let policy = policy();
    let first = login("sub-1", "jane@acme.example");
    let second = login("sub-2", "jane@acme.example");
    let a = decide_now(&directory, &first, &policy);
    let b = decide_now(&directory, &second, &policy);
    directory.apply(&a).unwrap();
    assert!(is_conflict(directory.apply(&b)));
    assert_eq!(
        decide_now(&directory, &second, &policy).rule(),
        Rule::EmailLinkingDisabled
    );
}

#[test]
fn scim_deactivation_between_decide_and_apply_wins() {
    let mut directory = MemoryDirectory::new();
    let mut user = scim_user("s1", "jane@acme.example", "00u1", "jane@acme.example");
    user.links = linked("x", OKTA, "jane@acme.example", "x@acme.example").links;
    directory.insert(user.clone()).unwrap();
    let jane = login("jane@acme.example", "jane@acme.example");
    let policy = policy();
    let decision = decide_now(&directory, &jane, &policy);
    assert_eq!(decision.rule(), Rule::SignInBySubject);
    directory.get_mut(&user.id).unwrap().active = false; // SCIM PATCH active=false lands here
    assert!(is_conflict(directory.apply(&decision)));
    assert_eq!(
        decide_now(&directory, &jane, &policy).rule(),
        Rule::ScimDeactivated
    );
}

#[test]
fn a_field_changed_since_the_decision_is_a_conflict() {
    let mut directory = MemoryDirectory::new();
    directory
        .insert(linked(
            "jane",
            OKTA,
            "jane@acme.example",
            "jane@acme.example",
        ))
        .unwrap();
    let mut renamed = login("jane@acme.example", "jane@acme.example");
    renamed.profile.display_name = Some("Jane Smith".to_owned());
    let policy = policy();
    let decision = decide_now(&directory, &renamed, &policy);
    assert_eq!(decision.rule(), Rule::ProfileSync);
    let jane = gatehouse_jit::UserId("jane".to_owned());
    directory.get_mut(&jane).unwrap().profile.display_name = Some("J. (admin edit)".to_owned());
    assert!(is_conflict(directory.apply(&decision)));
    // Deciding again sees the admin's value as the old one and applies cleanly.
    let decision = decide_now(&directory, &renamed, &policy);
    assert_eq!(
        decision.changes()[0].old.as_deref(),
        Some("J. (admin edit)")
    );
    directory.apply(&decision).unwrap();
    assert_eq!(
        directory
            .get(&jane)
            .unwrap()
            .profile
            .display_name
            .as_deref(),
        Some("Jane Smith")
    );
}

#[test]
fn an_unlink_between_decide_and_apply_is_a_conflict() {
    let mut directory = MemoryDirectory::new();
    directory
        .insert(linked(
            "jane",
            OKTA,
            "jane@acme.example",
            "jane@acme.example",
        ))
        .unwrap();
    let jane = login("jane@acme.example", "jane@acme.example");
    let policy = policy();
    let decision = decide_now(&directory, &jane, &policy);
    assert_eq!(decision.rule(), Rule::SignInBySubject);
    let id = gatehouse_jit::UserId("jane".to_owned());
    directory.get_mut(&id).unwrap().links.clear(); // an admin removes the SSO link
    assert!(is_conflict(directory.apply(&decision)));
}

#[test]
fn a_link_taken_meanwhile_is_a_conflict() {
    let mut directory = MemoryDirectory::new();
    directory.insert(admin_account()).unwrap();
    let identity = login("admin-okta", "admin@acme.example");
    let mut policy = verified_domains(policy());
    policy.email_linking = gatehouse_jit::EmailLinking::ToAccountsWithoutSso;
    let decision = decide_now(&directory, &identity, &policy);
    assert_eq!(decision.rule(), Rule::LinkByVerifiedEmail);
    directory
        .insert(linked(
            "squatter",
            OKTA,
            "admin-okta",
            "squatter@acme.example",
        ))
        .unwrap();
    assert!(is_conflict(directory.apply(&decision)));
}

#[test]
fn insert_refuses_duplicates_and_deny_changes_nothing() {
    let mut directory = MemoryDirectory::new();
    directory.insert(admin_account()).unwrap();
    assert!(directory.insert(admin_account()).is_err());
    assert!(
        directory
            .insert(account("other", "ADMIN@acme.example"))
            .is_err()
    );
    directory
        .insert(linked("a", OKTA, "s", "a@acme.example"))
        .unwrap();
    assert!(
        directory
            .insert(linked("b", OKTA, "s", "b@acme.example"))
            .is_err()
    );
    let deny = Decision::Deny {
        reason: Rule::EmailLinkingDisabled,
    };
    let before: Vec<_> = directory.users().cloned().collect();
    assert_eq!(directory.apply(&deny).unwrap(), None);
    assert_eq!(directory.users().cloned().collect::<Vec<_>>(), before);
}

/// Decisions and policies serialise for the audit log and the admin configuration store.
#[test]
fn decisions_and_policies_round_trip_through_json() {
    let mut directory = MemoryDirectory::new();
    let jane = login("jane@acme.example", "Jane@Acme.example");
    let policy = policy();
    let outcome = provision(&mut directory, &jane, &policy).unwrap();
    let json = serde_json::to_value(&outcome.decision).unwrap();
    assert_eq!(json["Create"]["rule"], "CreateOnFirstLogin");
    assert_eq!(json["Create"]["user"]["email"], "jane@acme.example");
    let back: Decision = serde_json::from_value(json).unwrap();
    assert_eq!(back, outcome.decision);
    let policy_json = serde_json::to_string(&policy).unwrap();
    let back: Policy = serde_json::from_str(&policy_json).unwrap();
    assert_eq!(back, policy);
}
