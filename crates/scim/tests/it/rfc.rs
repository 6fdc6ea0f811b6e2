//! The filter examples of RFC 7644 §3.4.2.2 evaluated against the User examples of RFC 7643 §8.2/§8.3;
//! expectations worked out by hand from the example data.

use gatehouse_scim::filter::{Filter, parse_filter, parse_filter_with};
use gatehouse_scim::schema::ResourceSchema;
use gatehouse_scim::{Compatibility, Error};

use crate::support::fixture;

/// (filter, matches RFC 7643 §8.2 full user, matches §8.3 enterprise user).
const RFC_FILTERS: &[(&str, bool, bool)] = &[
    // RFC 7644 §3.4.2.2, in order.
    (r#"userName eq "bjensen""#, false, false),
    (r#"name.familyName co "O'Malley""#, false, false),
    (r#"userName sw "J""#, false, false),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        false,
        false,
    ),
    ("title pr", true, true),
    (
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        false,
        false,
    ),
    (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true, true),
    (
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        false,
        false,
    ),
    (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true, true),
    (r#"title pr and userType eq "Employee""#, true, true),
    (r#"title pr or userType eq "Intern""#, true, true),
    (
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        false,
        true,
    ),
    (
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        true,
        true,
    ),
    (
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        false,
        false,
    ),
    (
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        true,
        true,
    ),
    (
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        true,
        true,
    ),
    (
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        true,
        true,
    ),
    // Schema-aware rules on the same data.
    (r#"userName Eq "BJensen@EXAMPLE.com""#, true, true),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B""#,
        true,
        true,
    ),
    (r#"USERNAME ew "@example.COM""#, true, true),
    (
        r#"id eq "2819C223-7F76-453A-919D-413861904646""#,
        false,
        false,
    ),
    (
        r#"id eq "2819c223-7f76-453a-919d-413861904646""#,
        true,
        true,
    ),
    (r#"externalId eq "701984""#, true, true),
    (
        r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#,
        true,
        true,
    ),
    (r#"meta.created lt "2010-01-23T04:56:22.001Z""#, true, true),
    (r#"emails co "jensen.org""#, true, false),
    (
        r#"emails[type eq "home"].value ew "JENSEN.ORG""#,
        true,
        false,
    ),
    (
        r#"emails[type eq "work"].value eq "bjensen@example.com""#,
        true,
        true,
    ),
    (
        r#"emails[type eq "home" and primary eq true]"#,
        false,
        false,
    ),
    (r#"emails.primary eq true"#, true, true),
    (
        r#"addresses[type eq "work"].postalCode sw "916""#,
        true,
        false,
    ),
    ("active eq true", true, true),
    ("not (active eq false)", true, true),
    (r#"active eq "true""#, false, false),
    ("nickName pr", true, false),
    ("nickName eq null", false, true),
    ("nickName ne null", true, false),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
        false,
        true,
    ),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value sw "26118915""#,
        false,
        true,
    ),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName eq "john smith""#,
        false,
        true,
    ),
    (r#"employeeNumber eq "701984""#, false, true),
    (
        r#"title eq "Tour Guide" and not (userName ew "example.org") or displayName eq "nobody""#,
        true,
        true,
    ),
    (r#"userType ne "Intern""#, true, true),
    ("x509Certificates.value pr", true, false),
];

#[test]
fn rfc7644_filters_evaluate_on_rfc7643_users() {
    let full = fixture("rfc7643_full_user.json");
    let ent = fixture("rfc7643_enterprise_user.json");
    let users = ResourceSchema::user();
    let mut failures = Vec::new();
    for (text, want_full, want_ent) in RFC_FILTERS {
        let f = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        f.check(users).unwrap_or_else(|e| panic!("{text}: {e}"));
        let got = (f.matches(&full, users), f.matches(&ent, users));
        if got != (*want_full, *want_ent) {
            failures.push(format!(
                "{text}: got {got:?}, want {:?}",
                (want_full, want_ent)
            ));
        }
        // The printed form parses (strictly) to the same tree.
        let printed = f.to_string();
        assert_eq!(
            parse_filter_with(&printed, Compatibility::Strict).as_ref(),
            Ok(&f),
            "{printed}"
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn printer_is_canonical() {
    let cases = [
        (r#"userName Eq "bjensen""#, r#"userName eq "bjensen""#),
        ("TITLE PR", "TITLE pr"),
        (
            r#"a eq 1 OR b eq 2 AND c eq 3"#,
            "a eq 1 or b eq 2 and c eq 3",
        ),
        (
            r#"(a eq 1 or b eq 2) and c eq 3"#,
            "(a eq 1 or b eq 2) and c eq 3",
        ),
        (
            r#"a eq 1 or (b eq 2 or c eq 3)"#,
            "a eq 1 or (b eq 2 or c eq 3)",
        ),
        (r#"((a eq 1))"#, "a eq 1"),
        (r#"NOT(a pr)"#, "not (a pr)"),
        (r#"a eq "x\"y\\z\u00e9""#, r#"a eq "x\"y\\zé""#),
        (
            r#"a eq TRUE and b eq False and c eq NULL"#,
            "a eq true and b eq false and c eq null",
        ),
        (r#"a gt 1.5e2 and b lt -0.25"#, "a gt 150.0 and b lt -0.25"),
        (
            r#"emails[type eq "work"].value pr"#,
            r#"emails[type eq "work"].value pr"#,
        ),
        (
            r#"emails[ not ( type eq "work" ) ]"#,
            r#"emails[not (type eq "work")]"#,
        ),
    ];
    for (input, want) in cases {
        let f = parse_filter(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(f.to_string(), want, "{input}");
    }
}

#[test]
fn precedence_and_associativity() {
    use Filter::*;
    let f = parse_filter("a pr or b pr and not (c pr) or d pr").unwrap();
    let p = |n: &str| Present(gatehouse_scim::filter::AttrPath::name(n));
    let want = Filter::or(
        Filter::or(p("a"), Filter::and(p("b"), Filter::not(p("c")))),
        p("d"),
    );
    assert_eq!(f, want);
    assert!(
        matches!(parse_filter("a pr and b pr and c pr").unwrap(), And(l, _) if matches!(*l, And(..)))
    );
}

#[test]
fn invalid_filters_report_position_and_scim_type() {
    // (filter, byte position of the error)
    let cases: &[(&str, usize)] = &[
        ("", 0),
        ("userName", 8),
        ("userName eq", 11),
        ("userName eq ", 12),
        ("userName equals \"x\"", 9),
        (r#"userName eq "unterminated"#, 12),
        ("userName eq bjensen", 12),
        ("userName eq 123abc", 12),
        (r#"(userName eq "x""#, 16),
        (r#"userName eq "x")"#, 15),
        (r#"emails[type eq "work""#, 21),
        (r#"userName eq "x" and"#, 16),
        (r#"userName eq "x" xor title pr"#, 16),
        ("1abc pr", 0),
        ("name. pr", 5),
        ("urn: pr", 3),
        (r#"emails[type eq "work"] pr"#, 23),
        (r#"name.givenName[value eq "x"]"#, 14),
        ("a eq 01", 5),
        ("a eq 1.", 5),
        ("a eq --1", 5),
    ];
    for (text, pos) in cases {
        match parse_filter_with(text, Compatibility::Strict) {
            Err(e @ Error::InvalidFilter { position, .. }) => {
                assert_eq!(position, *pos, "{text}: {e}");
                assert_eq!(e.scim_type(), Some("invalidFilter"));
                assert_eq!(e.status(), 400);
            }
            other => panic!("{text}: expected invalidFilter, got {other:?}"),
        }
    }
}

#[test]
fn bare_not_only_when_tolerant() {
    let text = r#"not userName eq "x""#;
    assert!(parse_filter_with(text, Compatibility::Strict).is_err());
    let f = parse_filter_with(text, Compatibility::Tolerant).unwrap();
    assert_eq!(f.to_string(), r#"not (userName eq "x")"#);
    // `not` as an attribute name still works in both modes.
    for c in [Compatibility::Strict, Compatibility::Tolerant] {
        assert_eq!(
            parse_filter_with("not pr", c).unwrap().to_string(),
            "not pr"
        );
    }
}

#[test]
fn nesting_and_length_are_bounded() {
    let deep = format!("{}a pr{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(matches!(
        parse_filter(&deep),
        Err(Error::InvalidFilter { .. })
    ));
    let nots = "not (".repeat(5_000);
    assert!(parse_filter(&nots).is_err());
    let long = format!("a eq \"{}\"", "x".repeat(20_000));
    assert!(parse_filter(&long).is_err());
    let ok = format!("{}a pr{}", "(".repeat(60), ")".repeat(60));
    assert!(parse_filter(&ok).is_ok());
    // Failed attempts at reading a bare `not` do not use up the nesting budget.
    let many = vec!["not pr"; 200].join(" and ");
    assert!(parse_filter_with(&many, Compatibility::Tolerant).is_ok());
    let nested_fail = format!(
        "not {}x pr{} and {}a pr{}",
        "(".repeat(40),
        ")".repeat(40),
        "(".repeat(60),
        ")".repeat(60)
    );
    assert!(parse_filter_with(&nested_fail, Compatibility::Tolerant).is_ok());
}

#[test]
fn type_errors_are_invalid_filter() {
    let users = ResourceSchema::user();
    for text in [
        "active gt true",
        "active lt false",
        r#"x509Certificates.value gt "a""#,
        r#"meta.lastModified gt "yesterday""#,
        "title co 1",
        "title gt null",
        "title lt true",
    ] {
        let f = parse_filter(text).unwrap();
        let e = f.check(users).expect_err(text);
        assert_eq!(e.scim_type(), Some("invalidFilter"), "{text}");
    }
    for text in [
        "active eq true",
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        "title eq null",
    ] {
        parse_filter(text).unwrap().check(users).unwrap();
    }
    // With the text at hand, the error points at the expression.
    for (text, position) in [
        ("active gt true", 0),
        (
            r#"title pr and emails[type eq "work" and primary lt true]"#,
            39,
        ),
        (r#"emails[type eq "work"].primary gt false or x pr"#, 23),
        (
            r#"not userName eq "a" and not (meta.created gt "soon")"#,
            29,
        ),
    ] {
        match gatehouse_scim::filter::parse_filter_for(text, users, Compatibility::Tolerant) {
            Err(Error::InvalidFilter { position: p, .. }) => assert_eq!(p, position, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

/// The 20 typical filters of the issue: two of them are the ones other evaluators get wrong.
#[test]
fn case_insensitive_username_and_multivalued_contains() {
    let users = ResourceSchema::user();
    let u = serde_json::json!({"userName": "bjensen", "emails": [{"value": "b@example.com"}]});
    assert!(
        parse_filter(r#"userName Eq "BJensen""#)
            .unwrap()
            .matches(&u, users)
    );
    assert!(
        parse_filter(r#"emails co "example.com""#)
            .unwrap()
            .matches(&u, users)
    );
    assert!(
        !parse_filter(r#"emails co "example.org""#)
            .unwrap()
            .matches(&u, users)
    );
}
