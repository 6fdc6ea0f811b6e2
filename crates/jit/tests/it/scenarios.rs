//! The table of login scenarios: identity, existing users, policy → expected decision and rule.
//!
//! Expectations are written by hand from the security rules in the crate documentation (and issue 7), not
//! derived from the code. Each row is also applied and decided again, which must then be a plain `SignIn` (or
//! the same denial).

use gatehouse_jit::{
    AllowedDomains, Decision, EmailLinking, EmailVerification, Existing, Field, Identity,
    MemoryDirectory, Policy, ProfileField, Role, RoleMapping, RoleRule, Rule, ScimKey, User,
    UserDirectory, decide,
};

use crate::support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Update,
    Link,
    SignIn,
    Deny,
}

struct Case {
    name: &'static str,
    identity: Identity,
    users: Vec<User>,
    policy: Policy,
    kind: Kind,
    rule: Rule,
    /// The existing user signed in (Update, Link, SignIn).
    user: Option<&'static str>,
    /// The fields the decision changes (Update, Link), in order.
    fields: Vec<Field>,
    /// The role a created user gets, or the new role in a change.
    role: Option<&'static str>,
}

fn case(name: &'static str, identity: Identity, users: Vec<User>, policy: Policy) -> Case {
    Case {
        name,
        identity,
        users,
        policy,
        kind: Kind::Deny,
        rule: Rule::CreateDisabled,
        user: None,
        fields: Vec::new(),
        role: None,
    }
}

impl Case {
    fn creates(mut self, role: Option<&'static str>) -> Self {
        self.kind = Kind::Create;
        self.rule = Rule::CreateOnFirstLogin;
        self.role = role;
        self
    }
    fn signs_in(mut self, user: &'static str) -> Self {
        self.kind = Kind::SignIn;
        self.rule = Rule::SignInBySubject;
        self.user = Some(user);
        self
    }
    fn updates(mut self, user: &'static str, fields: Vec<Field>) -> Self {
        self.kind = Kind::Update;
        self.rule = Rule::ProfileSync;
        self.user = Some(user);
        self.fields = fields;
        self
    }
    fn links(mut self, user: &'static str, rule: Rule, fields: Vec<Field>) -> Self {
        self.kind = Kind::Link;
        self.rule = rule;
        self.user = Some(user);
        self.fields = fields;
        self
    }
    fn denies(mut self, rule: Rule) -> Self {
        self.kind = Kind::Deny;
        self.rule = rule;
        self
    }
    fn role(mut self, role: &'static str) -> Self {
        self.role = Some(role);
        self
    }
}

fn name() -> Field {
    Field::Profile(ProfileField::DisplayName)
}
fn email_field() -> Field {
    Field::Profile(ProfileField::Email)
}

fn linking(mut policy: Policy, mode: EmailLinking, verification: EmailVerification) -> Policy {
    policy.email_linking = mode;
    policy.email_verification = verification;
    policy
}

fn only(mut policy: Policy, domains: &[&str]) -> Policy {
    policy.allowed_domains = AllowedDomains::Only(domains.iter().map(|d| domain(d)).collect());
    policy
}

fn roles(mut policy: Policy) -> Policy {
    policy.roles = Some(RoleMapping {
        rules: vec![
            RoleRule {
                group: "acme-admins".to_owned(),
                role: Role::new("admin"),
            },
            RoleRule {
                group: "acme-billing".to_owned(),
                role: Role::new("billing"),
            },
        ],
        default: Role::new("member"),
    });
    policy
}

fn scim(mut policy: Policy, keys: &[ScimKey]) -> Policy {
    policy.scim_match = keys.to_vec();
    policy
}

fn with_role(mut user: User, role: &str) -> User {
    user.role = Some(Role::new(role));
    user
}

fn renamed(mut identity: Identity, name: &str) -> Identity {
    identity.profile.display_name = Some(name.to_owned());
    identity
}

fn no_email(mut identity: Identity) -> Identity {
    identity.email = None;
    identity
}

fn cases() -> Vec<Case> {
    let jane = || login("jane@acme.example", "jane@acme.example");
    let jane_user = || linked("jane", OKTA, "jane@acme.example", "jane@acme.example");
    let trusting = |mode| {
        linking(
            verified_domains(policy()),
            mode,
            EmailVerification::TrustVerifiedDomains,
        )
    };
    let requiring = |mode| linking(verified_domains(policy()), mode, EmailVerification::Require);
    vec![
        // --- first login, returning login -------------------------------------------------------------
        case("first login creates", jane(), vec![], policy()).creates(None),
        case("first login, creation off", jane(), vec![], {
            let mut p = policy();
            p.create_on_first_login = false;
            p
        })
        .denies(Rule::CreateDisabled),
        case(
            "returning user, nothing changed",
            jane(),
            vec![jane_user()],
            policy(),
        )
        .signs_in("jane"),
        case(
            "returning user renamed in the IdP",
            renamed(jane(), "Jane Smith"),
            vec![jane_user()],
            policy(),
        )
        .updates("jane", vec![name()]),
        case(
            "renamed, but the policy does not sync names",
            renamed(jane(), "Jane Smith"),
            vec![jane_user()],
            {
                let mut p = policy();
                p.update_fields.remove(&ProfileField::DisplayName);
                p
            },
        )
        .signs_in("jane"),
        case(
            "email differs only in case: same address",
            login("jane@acme.example", "JANE@Acme.EXAMPLE"),
            vec![jane_user()],
            policy(),
        )
        .signs_in("jane"),
        case(
            "email changed in the IdP",
            login("jane@acme.example", "jane.doe@acme.example"),
            vec![jane_user()],
            policy(),
        )
        .updates("jane", vec![email_field()]),
        case(
            "email changed to another account's email",
            login("jane@acme.example", "admin@acme.example"),
            vec![jane_user(), admin_account()],
            policy(),
        )
        .denies(Rule::EmailTakenByOtherAccount),
        case(
            "login without an email keeps the stored one",
            no_email(jane()),
            vec![jane_user()],
            policy(),
        )
        .signs_in("jane"),
        case(
            "deactivated by an admin",
            jane(),
            vec![deactivated(jane_user())],
            policy(),
        )
        .denies(Rule::AccountDeactivated),
        case(
            "identity from another connection than the policy's",
            {
                let mut i = jane();
                i.connection = conn(ENTRA);
                i
            },
            vec![],
            policy(),
        )
        .denies(Rule::ConnectionMismatch),
        case(
            "hand-built identity with an empty subject",
            login(" ", "jane@acme.example"),
            vec![account("jane", "jane@acme.example")],
            policy(),
        )
        .denies(Rule::EmptySubject),
        // --- email verification ------------------------------------------------------------------------
        case(
            "require verified: unverified first login",
            unverified(jane()),
            vec![],
            policy(),
        )
        .denies(Rule::EmailNotVerified),
        case(
            "require verified: unverified returning login",
            unverified(jane()),
            vec![jane_user()],
            policy(),
        )
        .denies(Rule::EmailNotVerified),
        case(
            "trust verified domains: unverified claim, creation still fine",
            unverified(jane()),
            vec![],
            trusting(EmailLinking::Never),
        )
        .creates(None),
        case(
            "ignore verification: unverified claim, creation fine",
            unverified(jane()),
            vec![],
            linking(policy(), EmailLinking::Never, EmailVerification::Ignore),
        )
        .creates(None),
        // --- takeover attempts: email matching an existing account ------------------------------------
        case(
            "unverified email matching the admin, linking off",
            unverified(login("attacker", "admin@acme.example")),
            vec![admin_account()],
            linking(policy(), EmailLinking::Never, EmailVerification::Ignore),
        )
        .denies(Rule::EmailLinkingDisabled),
        case(
            "unverified email matching the admin, linking on, verification ignored",
            unverified(login("attacker", "admin@acme.example")),
            vec![admin_account()],
            linking(
                verified_domains(policy()),
                EmailLinking::ToAnyAccount,
                EmailVerification::Ignore,
            ),
        )
        .denies(Rule::UntrustedEmailMatchesAccount),
        case(
            "unverified email matching the admin, require verification",
            unverified(login("attacker", "admin@acme.example")),
            vec![admin_account()],
            requiring(EmailLinking::ToAnyAccount),
        )
        .denies(Rule::EmailNotVerified),
        case(
            "'verified' email matching the admin, but the domain is not the workspace's",
            login("attacker", "admin@acme.example"),
            vec![admin_account()],
            linking(
                policy(),
                EmailLinking::ToAnyAccount,
                EmailVerification::Require,
            ),
        )
        .denies(Rule::UntrustedEmailMatchesAccount),
        case(
            "trust verified domains: admin in an unverified domain",
            unverified(login("attacker", "admin@partner.example")),
            vec![account("admin", "admin@partner.example")],
            trusting(EmailLinking::ToAnyAccount),
        )
        .denies(Rule::UntrustedEmailMatchesAccount),
        case(
            "verified email, verified domain, default policy: still no linking",
            login("jane-okta", "admin@acme.example"),
            vec![admin_account()],
            verified_domains(policy()),
        )
        .denies(Rule::EmailLinkingDisabled),
        case(
            "verified email in a verified domain links to a password account",
            login("admin-okta", "admin@acme.example"),
            vec![admin_account()],
            requiring(EmailLinking::ToAccountsWithoutSso),
        )
        .links("admin", Rule::LinkByVerifiedEmail, vec![name()]),
        case(
            "trusted domain links to an invited account",
            unverified(login("jane@acme.example", "jane@acme.example")),
            vec![account("jane", "jane@acme.example")],
            trusting(EmailLinking::ToAccountsWithoutSso),
        )
        .links("jane", Rule::LinkByVerifiedEmail, vec![]),
        // --- a second connection asserting the same email ----------------------------------------------
        case(
            "second connection, same email, linking off",
            jane(),
            vec![linked("jane", ENTRA, "entra-oid-1", "jane@acme.example")],
            verified_domains(policy()),
        )
        .denies(Rule::EmailLinkingDisabled),
        case(
            "second connection, same email, only accounts without SSO",
            jane(),
            vec![linked("jane", ENTRA, "entra-oid-1", "jane@acme.example")],
            requiring(EmailLinking::ToAccountsWithoutSso),
        )
        .denies(Rule::EmailMatchHasSso),
        case(
            "second connection, same email, policy allows migration between connections",
            jane(),
            vec![linked("jane", ENTRA, "entra-oid-1", "jane@acme.example")],
            requiring(EmailLinking::ToAnyAccount),
        )
        .links("jane", Rule::LinkByVerifiedEmail, vec![]),
        case(
            "same connection, new subject, same email (recycled address)",
            login("jane2@acme.example", "jane@acme.example"),
            vec![jane_user()],
            requiring(EmailLinking::ToAnyAccount),
        )
        .denies(Rule::AccountLinkedToOtherSubject),
        case(
            "second connection, deactivated account with that email",
            jane(),
            vec![deactivated(linked(
                "jane",
                ENTRA,
                "oid",
                "jane@acme.example",
            ))],
            requiring(EmailLinking::ToAnyAccount),
        )
        .denies(Rule::AccountDeactivated),
        // --- domains ------------------------------------------------------------------------------------
        case(
            "allowed domain",
            jane(),
            vec![],
            only(policy(), &["acme.example"]),
        )
        .creates(None),
        case(
            "allowed domain in another case",
            login("j", "J@ACME.Example"),
            vec![],
            only(policy(), &["acme.example"]),
        )
        .creates(None),
        case(
            "disallowed domain",
            login("eve", "eve@evil.example"),
            vec![],
            only(policy(), &["acme.example"]),
        )
        .denies(Rule::EmailDomainNotAllowed),
        case(
            "suffix trick: evilacme.example",
            login("eve", "eve@evilacme.example"),
            vec![],
            only(policy(), &["acme.example"]),
        )
        .denies(Rule::EmailDomainNotAllowed),
        case(
            "suffix trick: acme.example.evil.io",
            login("eve", "eve@acme.example.evil.io"),
            vec![],
            only(policy(), &["acme.example"]),
        )
        .denies(Rule::EmailDomainNotAllowed),
        case(
            "subdomain is a different domain",
            login("eve", "eve@mail.acme.example"),
            vec![],
            only(policy(), &["acme.example"]),
        )
        .denies(Rule::EmailDomainNotAllowed),
        case(
            "returning user moved to a disallowed domain",
            login("jane@acme.example", "jane@elsewhere.example"),
            vec![jane_user()],
            only(policy(), &["acme.example"]),
        )
        .denies(Rule::EmailDomainNotAllowed),
        case(
            "domain restriction and no email",
            no_email(jane()),
            vec![],
            only(policy(), &["acme.example"]),
        )
        .denies(Rule::EmailMissing),
        case(
            "disallowed domain matching an existing account",
            login("eve", "admin@evil.example"),
            vec![account("admin", "admin@evil.example")],
            only(requiring(EmailLinking::ToAnyAccount), &["acme.example"]),
        )
        .denies(Rule::EmailDomainNotAllowed),
        // --- roles --------------------------------------------------------------------------------------
        case(
            "first login in the admin group",
            with_groups(jane(), &["acme-billing", "acme-admins"]),
            vec![],
            roles(policy()),
        )
        .creates(Some("admin")),
        case(
            "first login in no mapped group gets the default role",
            with_groups(jane(), &["acme-other"]),
            vec![],
            roles(policy()),
        )
        .creates(Some("member")),
        case(
            "promoted in the IdP",
            with_groups(jane(), &["acme-admins"]),
            vec![with_role(jane_user(), "member")],
            roles(policy()),
        )
        .updates("jane", vec![Field::Role])
        .role("admin"),
        case(
            "removed from the admin group: demoted on the next login",
            with_groups(jane(), &[]),
            vec![with_role(jane_user(), "admin")],
            roles(policy()),
        )
        .updates("jane", vec![Field::Role])
        .role("member"),
        case(
            "role unchanged",
            with_groups(jane(), &["acme-billing"]),
            vec![with_role(jane_user(), "billing")],
            roles(policy()),
        )
        .signs_in("jane"),
        case(
            "group list incomplete (Entra overage)",
            {
                let mut i = with_groups(jane(), &["acme-billing"]);
                i.groups_complete = false;
                i
            },
            vec![with_role(jane_user(), "admin")],
            roles(policy()),
        )
        .denies(Rule::GroupsIncomplete),
        case(
            "no role mapping leaves a linked admin's role alone",
            with_groups(login("admin-okta", "admin@acme.example"), &[]),
            vec![admin_account()],
            requiring(EmailLinking::ToAccountsWithoutSso),
        )
        .links("admin", Rule::LinkByVerifiedEmail, vec![name()]),
        case(
            "role mapping applies to a linked account too",
            with_groups(login("admin-okta", "admin@acme.example"), &[]),
            vec![admin_account()],
            roles(requiring(EmailLinking::ToAccountsWithoutSso)),
        )
        .links(
            "admin",
            Rule::LinkByVerifiedEmail,
            vec![name(), Field::Role],
        )
        .role("member"),
        // --- SCIM interplay -----------------------------------------------------------------------------
        case(
            "SCIM-created user matched by userName (Okta NameID), not duplicated",
            jane(),
            vec![scim_user(
                "s1",
                "jane@acme.example",
                "00u1",
                "jane@acme.example",
            )],
            scim(policy(), &[ScimKey::UserName]),
        )
        .links("s1", Rule::LinkScimUser(ScimKey::UserName), vec![]),
        case(
            "SCIM userName matched ASCII case-insensitively",
            login("JANE@acme.example", "jane@acme.example"),
            vec![scim_user(
                "s1",
                "jane@acme.example",
                "00u1",
                "jane@acme.example",
            )],
            scim(policy(), &[ScimKey::UserName]),
        )
        .links("s1", Rule::LinkScimUser(ScimKey::UserName), vec![]),
        case(
            "SCIM-created user matched by externalId",
            {
                let mut i = jane();
                i.external_id = Some("00u1".to_owned());
                i
            },
            vec![scim_user("s1", "someone-else", "00u1", "jane@acme.example")],
            scim(policy(), &[ScimKey::ExternalId, ScimKey::UserName]),
        )
        .links("s1", Rule::LinkScimUser(ScimKey::ExternalId), vec![]),
        case(
            "SCIM-created user matched by trusted email",
            login("jane-sub", "jane@acme.example"),
            vec![scim_user("s1", "j.doe", "00u1", "jane@acme.example")],
            scim(requiring(EmailLinking::Never), &[ScimKey::Email]),
        )
        .links("s1", Rule::LinkScimUser(ScimKey::Email), vec![]),
        case(
            "SCIM email key with an untrusted email does not match",
            unverified(login("jane-sub", "jane@acme.example")),
            vec![scim_user("s1", "j.doe", "00u1", "jane@acme.example")],
            scim(
                linking(
                    verified_domains(policy()),
                    EmailLinking::Never,
                    EmailVerification::Ignore,
                ),
                &[ScimKey::Email],
            ),
        )
        .denies(Rule::EmailLinkingDisabled),
        case(
            "SCIM-managed profile is not overwritten by the login, role still is",
            with_groups(renamed(jane(), "Jane Login"), &["acme-admins"]),
            vec![scim_user(
                "s1",
                "jane@acme.example",
                "00u1",
                "jane@acme.example",
            )],
            roles(scim(policy(), &[ScimKey::UserName])),
        )
        .links(
            "s1",
            Rule::LinkScimUser(ScimKey::UserName),
            vec![Field::Role],
        )
        .role("admin"),
        case(
            "SCIM-managed profile updated when the policy says so",
            renamed(jane(), "Jane Login"),
            vec![scim_user(
                "s1",
                "jane@acme.example",
                "00u1",
                "jane@acme.example",
            )],
            {
                let mut p = scim(policy(), &[ScimKey::UserName]);
                p.update_scim_managed = true;
                p
            },
        )
        .links("s1", Rule::LinkScimUser(ScimKey::UserName), vec![name()]),
        case(
            "SCIM-deactivated user found by userName: denied, not recreated",
            jane(),
            vec![deactivated(scim_user(
                "s1",
                "jane@acme.example",
                "00u1",
                "jane@acme.example",
            ))],
            scim(policy(), &[ScimKey::UserName]),
        )
        .denies(Rule::ScimDeactivated),
        case(
            "SCIM-deactivated user already linked: denied, not reactivated",
            jane(),
            vec![{
                let mut u = deactivated(scim_user(
                    "s1",
                    "jane@acme.example",
                    "00u1",
                    "jane@acme.example",
                ));
                u.links = jane_user().links;
                u
            }],
            scim(policy(), &[ScimKey::UserName]),
        )
        .denies(Rule::ScimDeactivated),
        case(
            "SCIM-deactivated user found only by email: denied, not recreated",
            login("new-subject", "jane@acme.example"),
            vec![deactivated(scim_user(
                "s1",
                "jane",
                "00u1",
                "jane@acme.example",
            ))],
            policy(),
        )
        .denies(Rule::ScimDeactivated),
        case(
            "SCIM user already linked to another subject on this connection",
            login("jane@acme.example", "jane@acme.example"),
            vec![{
                let mut u = scim_user("s1", "jane@acme.example", "00u1", "jane@acme.example");
                u.links = linked("x", OKTA, "old-subject", "x@acme.example").links;
                u
            }],
            scim(policy(), &[ScimKey::UserName]),
        )
        .denies(Rule::AccountLinkedToOtherSubject),
        case(
            "SCIM match and email match are different accounts",
            jane(),
            vec![
                scim_user("s1", "jane@acme.example", "00u1", "j.doe@acme.example"),
                account("other", "jane@acme.example"),
            ],
            scim(requiring(EmailLinking::ToAnyAccount), &[ScimKey::UserName]),
        )
        .denies(Rule::AmbiguousMatch),
        case(
            "SCIM matching off on this connection: a SCIM user with the email blocks creation",
            jane(),
            vec![scim_user(
                "s1",
                "jane@acme.example",
                "00u1",
                "jane@acme.example",
            )],
            policy(),
        )
        .denies(Rule::EmailLinkingDisabled),
        case(
            "SCIM on, nothing provisioned yet: JIT creates and keeps the userName",
            jane(),
            vec![],
            scim(policy(), &[ScimKey::UserName]),
        )
        .creates(None),
    ]
}

fn kind(decision: &Decision) -> Kind {
    match decision {
        Decision::Create { .. } => Kind::Create,
        Decision::Update { .. } => Kind::Update,
        Decision::Link { .. } => Kind::Link,
        Decision::SignIn { .. } => Kind::SignIn,
        Decision::Deny { .. } => Kind::Deny,
    }
}

#[test]
fn scenario_table() {
    let mut failures = Vec::new();
    for case in cases() {
        let mut directory = MemoryDirectory::new();
        for user in &case.users {
            directory
                .insert(user.clone())
                .expect("seed users are consistent");
        }
        let existing = Existing::lookup(&directory, &case.identity, &case.policy).expect("lookup");
        let decision = decide(&case.identity, &existing, &case.policy);
        let mut problems = Vec::new();
        if kind(&decision) != case.kind || decision.rule() != case.rule {
            problems.push(format!(
                "want {:?}/{}, got {:?}/{}",
                case.kind,
                case.rule,
                kind(&decision),
                decision.rule()
            ));
        }
        if decision.user().map(|u| u.0.as_str()) != case.user {
            problems.push(format!(
                "want user {:?}, got {:?}",
                case.user,
                decision.user()
            ));
        }
        let fields: Vec<Field> = decision.changes().iter().map(|c| c.field.clone()).collect();
        if fields != case.fields {
            problems.push(format!("want changes {:?}, got {:?}", case.fields, fields));
        }
        let role = match &decision {
            Decision::Create { user, .. } => user.role.as_ref().map(|r| r.0.clone()),
            _ => decision
                .changes()
                .iter()
                .find(|c| c.field == Field::Role)
                .and_then(|c| c.new.clone()),
        };
        if role.as_deref() != case.role {
            problems.push(format!("want role {:?}, got {role:?}", case.role));
        }
        // Applying it and deciding again is a plain sign-in (or the same refusal).
        match directory.apply(&decision) {
            Ok(signed_in) => {
                let again = Existing::lookup(&directory, &case.identity, &case.policy)
                    .map(|e| decide(&case.identity, &e, &case.policy))
                    .expect("lookup");
                let stable = match &decision {
                    Decision::Deny { .. } => again == decision && signed_in.is_none(),
                    _ => {
                        matches!(again, Decision::SignIn { .. })
                            && again.user() == signed_in.as_ref()
                    }
                };
                if !stable {
                    problems.push(format!("deciding again gave {again:?}"));
                }
            }
            Err(e) => problems.push(format!("apply failed: {e}")),
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.name, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing rows:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_a_row() {
    let covered: Vec<Rule> = cases().iter().map(|c| c.rule).collect();
    // ExistingDoesNotMatch is a host bug, covered in `decision_guards` below.
    for rule in [
        Rule::SignInBySubject,
        Rule::ProfileSync,
        Rule::LinkScimUser(ScimKey::ExternalId),
        Rule::LinkScimUser(ScimKey::UserName),
        Rule::LinkScimUser(ScimKey::Email),
        Rule::LinkByVerifiedEmail,
        Rule::CreateOnFirstLogin,
        Rule::ConnectionMismatch,
        Rule::EmptySubject,
        Rule::ScimDeactivated,
        Rule::AccountDeactivated,
        Rule::EmailMissing,
        Rule::EmailDomainNotAllowed,
        Rule::EmailNotVerified,
        Rule::GroupsIncomplete,
        Rule::EmailTakenByOtherAccount,
        Rule::EmailLinkingDisabled,
        Rule::UntrustedEmailMatchesAccount,
        Rule::EmailMatchHasSso,
        Rule::AccountLinkedToOtherSubject,
        Rule::AmbiguousMatch,
        Rule::CreateDisabled,
    ] {
        assert!(covered.contains(&rule), "no scenario row for {rule}");
    }
}

/// A host that passes users not matching the identity gets a refusal, not a sign-in as someone else.
#[test]
fn decision_guards_against_wrong_lookups() {
    let jane = login("jane@acme.example", "jane@acme.example");
    let other = linked("bob", OKTA, "bob@acme.example", "bob@acme.example");
    let policy = requiring_any();
    for existing in [
        Existing {
            by_subject: Some(other.clone()),
            ..Existing::default()
        },
        Existing {
            by_email: Some(other.clone()),
            ..Existing::default()
        },
        Existing {
            by_scim: Some(scim_user("s", "bob", "00u2", "bob@acme.example")),
            ..Existing::default()
        },
        Existing {
            // Not SCIM-managed at all.
            by_scim: Some(account("a", "jane@acme.example")),
            ..Existing::default()
        },
    ] {
        let decision = decide(&jane, &existing, &policy);
        assert_eq!(
            decision,
            Decision::Deny {
                reason: Rule::ExistingDoesNotMatch
            },
            "{existing:?}"
        );
    }
}

fn requiring_any() -> Policy {
    let mut p = scim(
        verified_domains(policy()),
        &[ScimKey::UserName, ScimKey::ExternalId],
    );
    p.email_linking = EmailLinking::ToAnyAccount;
    p
}

#[test]
fn rule_codes_are_unique_and_denials_explain_themselves() {
    let rules: Vec<Rule> = cases().iter().map(|c| c.rule).collect();
    let mut codes: Vec<&str> = rules.iter().map(|r| r.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut distinct = rules.clone();
    distinct.sort_by_key(|r| r.code());
    distinct.dedup();
    assert_eq!(codes.len(), distinct.len());
    for rule in rules {
        assert_eq!(rule.is_denial(), rule.code().starts_with("deny."), "{rule}");
        assert!(!rule.description().is_empty());
        if rule.is_denial() && !matches!(rule, Rule::ConnectionMismatch | Rule::EmptySubject) {
            assert!(rule.admin_hint().is_some(), "{rule} has no admin hint");
        }
    }
}
