//! Property tests over random directories, identities and policies: idempotence and the safety invariants.

use std::collections::BTreeSet;

use gatehouse_jit::{
    AllowedDomains, ConnectionId, Decision, EmailLinking, EmailVerification, Existing, Identity,
    MemoryDirectory, Policy, Profile, ProfileField, Role, RoleMapping, RoleRule, Rule, ScimKey,
    ScimRecord, SsoLink, Subject, User, UserDirectory, decide, provision,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use crate::support::{ENTRA, OKTA, conn, domain, email};

const SUBJECTS: &[&str] = &["s1", "s2", "S1"];
const EMAILS: &[&str] = &[
    "a@acme.example",
    "A@Acme.Example",
    "b@acme.example",
    "c@other.example",
];
const NAMES: &[&str] = &["s1", "S2", "u"];
const GROUPS: &[&str] = &["admins", "billing", "x"];

fn opt<T: Clone + std::fmt::Debug + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop_oneof![Just(None), s.prop_map(Some)].boxed()
}

fn text(values: &'static [&'static str]) -> BoxedStrategy<String> {
    select(values).prop_map(str::to_owned).boxed()
}

fn connection() -> BoxedStrategy<ConnectionId> {
    prop_oneof![4 => Just(conn(OKTA)), 1 => Just(conn(ENTRA))].boxed()
}

fn user(index: usize) -> impl Strategy<Value = User> {
    (
        opt(text(EMAILS)),
        proptest::collection::vec((connection(), text(SUBJECTS)), 0..3),
        any::<bool>(),
        opt(opt(text(&["e1", "e2"]))),
        opt(text(NAMES)),
        opt(text(&["admin", "member"])),
        opt(text(&["Jane", "Bob"])),
    )
        .prop_map(
            move |(address, links, active, scim, user_name, role, name)| {
                let mut user = User::new(format!("seed-{index}"));
                user.email = address.map(|a| email(&a));
                user.links = links
                    .into_iter()
                    .map(|(connection, subject)| SsoLink {
                        connection,
                        subject: Subject(subject),
                    })
                    .collect();
                user.active = active || index.is_multiple_of(2);
                user.scim = scim.map(|external_id| ScimRecord { external_id });
                user.user_name = user_name;
                user.role = role.map(Role);
                user.profile.display_name = name;
                user
            },
        )
}

fn directory() -> impl Strategy<Value = MemoryDirectory> {
    (user(0), user(1), user(2), user(3)).prop_map(|(a, b, c, d)| {
        let mut directory = MemoryDirectory::new();
        for user in [a, b, c, d] {
            // Users that would break uniqueness (link, email) are simply not seeded.
            let _ = directory.insert(user);
        }
        directory
    })
}

fn identity() -> impl Strategy<Value = Identity> {
    (
        connection(),
        text(SUBJECTS),
        opt(text(EMAILS)),
        any::<bool>(),
        opt(text(NAMES)),
        opt(text(&["e1", "e2"])),
        opt(text(&["Jane", "Bob"])),
        subsequence(GROUPS.to_vec(), 0..=GROUPS.len()),
        prop_oneof![5 => Just(true), 1 => Just(false)],
    )
        .prop_map(
            |(
                connection,
                subject,
                address,
                verified,
                user_name,
                external_id,
                name,
                groups,
                complete,
            )| {
                Identity {
                    connection,
                    subject: Subject(subject),
                    external_id,
                    user_name,
                    email: address.map(|a| email(&a)),
                    email_verified: verified,
                    profile: Profile {
                        display_name: name,
                        ..Profile::default()
                    },
                    groups: groups.into_iter().map(str::to_owned).collect(),
                    groups_complete: complete,
                }
            },
        )
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        any::<bool>(),
        subsequence(
            vec![
                ProfileField::Email,
                ProfileField::DisplayName,
                ProfileField::Picture,
            ],
            0..=3,
        ),
        any::<bool>(),
        any::<bool>(),
        subsequence(vec!["acme.example", "other.example"], 0..=2),
        select(vec![
            EmailVerification::Require,
            EmailVerification::TrustVerifiedDomains,
            EmailVerification::Ignore,
        ]),
        select(vec![
            EmailLinking::Never,
            EmailLinking::ToAccountsWithoutSso,
            EmailLinking::ToAnyAccount,
        ]),
        subsequence(
            vec![ScimKey::ExternalId, ScimKey::UserName, ScimKey::Email],
            0..=3,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(
                create,
                fields,
                scim_managed,
                only_acme,
                verified,
                verification,
                linking,
                keys,
                roles,
            )| {
                let mut policy = Policy::new(conn(OKTA));
                policy.create_on_first_login = create;
                policy.update_fields = fields.into_iter().collect();
                policy.update_scim_managed = scim_managed;
                if only_acme {
                    policy.allowed_domains = AllowedDomains::Only([domain("acme.example")].into());
                }
                policy.verified_domains = verified.into_iter().map(domain).collect();
                policy.email_verification = verification;
                policy.email_linking = linking;
                policy.scim_match = keys;
                if roles {
                    policy.roles = Some(RoleMapping {
                        rules: vec![RoleRule {
                            group: "admins".to_owned(),
                            role: Role::new("admin"),
                        }],
                        default: Role::new("member"),
                    });
                }
                policy
            },
        )
}

fn snapshot(directory: &MemoryDirectory) -> Vec<User> {
    directory.users().cloned().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Applying a decision and deciding again yields `SignIn` for the same user (or the same refusal, with
    /// nothing changed).
    #[test]
    fn deciding_again_after_applying_is_a_sign_in(
        mut directory in directory(),
        identity in identity(),
        policy in policy(),
    ) {
        let before = snapshot(&directory);
        let first = provision(&mut directory, &identity, &policy);
        prop_assert!(first.is_ok(), "apply refused a fresh decision: {:?}", first);
        let first = first.unwrap();
        let second = provision(&mut directory, &identity, &policy).unwrap();
        match &first.decision {
            Decision::Deny { reason } => {
                prop_assert_eq!(&second.decision, &Decision::Deny { reason: *reason });
                prop_assert_eq!(snapshot(&directory), before);
            }
            _ => {
                let signed_in =
                    matches!(second.decision, Decision::SignIn { rule: Rule::SignInBySubject, .. });
                prop_assert!(signed_in, "first {:?}, then {:?}", first.decision, second.decision);
                prop_assert_eq!(&second.user, &first.user);
                let third = provision(&mut directory, &identity, &policy).unwrap();
                prop_assert_eq!(third.decision, second.decision);
            }
        }
    }

    /// The invariants a security reviewer cares about, on every decision.
    #[test]
    fn safety_invariants(
        directory in directory(),
        identity in identity(),
        policy in policy(),
    ) {
        let existing = Existing::lookup(&directory, &identity, &policy).unwrap();
        let decision = decide(&identity, &existing, &policy);
        // Pure: the same inputs give the same decision.
        prop_assert_eq!(&decide(&identity, &existing, &policy), &decision);
        if decision.rule().is_denial() {
            let is_deny = matches!(decision, Decision::Deny { .. });
            prop_assert!(is_deny, "denial rule outside Deny");
            return Ok(());
        }
        prop_assert_eq!(&identity.connection, &policy.connection);
        // Never a deactivated user.
        if let Some(id) = decision.user() {
            prop_assert!(directory.get(id).unwrap().active);
        }
        // Every allowed email is in an allowed domain; Require means verified.
        if let Some(address) = &identity.email {
            prop_assert!(policy.allows_domain(address));
            if policy.email_verification == EmailVerification::Require {
                prop_assert!(identity.email_verified);
            }
        }
        match &decision {
            Decision::Create { user, .. } => {
                // Nothing had this subject or this email.
                prop_assert!(existing.by_subject.is_none() && existing.by_email.is_none());
                prop_assert!(policy.create_on_first_login);
                prop_assert_eq!(&user.email, &identity.email);
            }
            Decision::Link { user, link, rule, .. } => {
                let target = directory.get(user).unwrap();
                prop_assert!(existing.by_subject.is_none());
                prop_assert!(target.subject_on(&link.connection).is_none());
                match rule {
                    Rule::LinkByVerifiedEmail => {
                        prop_assert!(policy.email_linking != EmailLinking::Never);
                        prop_assert!(policy.trusts_email_for_linking(&identity));
                        prop_assert_eq!(&target.email, &identity.email);
                        let address = identity.email.as_ref().unwrap();
                        prop_assert!(policy.verified_domains.iter().any(|d| address.is_in(d)));
                    }
                    Rule::LinkScimUser(key) => {
                        prop_assert!(target.is_scim_managed());
                        prop_assert!(policy.scim_match.contains(key));
                        if *key == ScimKey::Email {
                            prop_assert!(policy.trusts_email_for_linking(&identity));
                        }
                    }
                    other => prop_assert!(false, "link with rule {}", other),
                }
            }
            Decision::Update { user, .. } | Decision::SignIn { user, .. } => {
                let target = directory.get(user).unwrap();
                prop_assert!(target.has_link(&identity.connection, &identity.subject));
            }
            Decision::Deny { .. } => {}
        }
        // The role is the mapping's answer for a complete group list.
        if let Some(mapping) = &policy.roles {
            prop_assert!(identity.groups_complete);
            let want = mapping.role_for(&identity.groups);
            let got = match &decision {
                Decision::Create { user, .. } => user.role.clone(),
                _ => {
                    let current = decision.user().and_then(|id| directory.get(id)).and_then(|u| u.role.clone());
                    decision
                        .changes()
                        .iter()
                        .find(|c| c.field == gatehouse_jit::Field::Role)
                        .map_or(current, |c| c.new.clone().map(Role))
                }
            };
            prop_assert_eq!(got.as_ref(), Some(want));
        }
    }

    /// After any sequence of logins, no two users share a link or an email.
    #[test]
    fn logins_never_duplicate_links_or_emails(
        mut directory in directory(),
        logins in proptest::collection::vec((identity(), policy()), 1..6),
    ) {
        for (identity, policy) in &logins {
            provision(&mut directory, identity, policy).unwrap();
        }
        let users = snapshot(&directory);
        let mut links = BTreeSet::new();
        let mut emails = BTreeSet::new();
        for user in &users {
            for link in &user.links {
                prop_assert!(links.insert(link.clone()), "link {:?} twice", link);
            }
            if let Some(address) = &user.email {
                prop_assert!(emails.insert(address.clone()), "email {} twice", address);
            }
        }
        let _ = directory.find_by_user_name("s1").unwrap();
    }
}

/// The generators reach every allowing rule and the main refusals, so the properties above are not vacuous.
#[test]
fn generators_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = (directory(), identity(), policy());
    let mut seen = BTreeSet::new();
    for _ in 0..4000 {
        let (directory, identity, policy) = strategy.new_tree(&mut runner).unwrap().current();
        let existing = Existing::lookup(&directory, &identity, &policy).unwrap();
        seen.insert(decide(&identity, &existing, &policy).rule().code());
    }
    for rule in [
        Rule::SignInBySubject,
        Rule::ProfileSync,
        Rule::LinkScimUser(ScimKey::ExternalId),
        Rule::LinkScimUser(ScimKey::UserName),
        Rule::LinkScimUser(ScimKey::Email),
        Rule::LinkByVerifiedEmail,
        Rule::CreateOnFirstLogin,
        Rule::ScimDeactivated,
        Rule::AccountDeactivated,
        Rule::UntrustedEmailMatchesAccount,
        Rule::EmailMatchHasSso,
        Rule::AccountLinkedToOtherSubject,
        Rule::EmailTakenByOtherAccount,
        Rule::GroupsIncomplete,
    ] {
        assert!(
            seen.contains(rule.code()),
            "never reached {rule}; saw {seen:?}"
        );
    }
}
