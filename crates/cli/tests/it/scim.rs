//! `scim filter | patch | sql`: syntax trees and results checked by hand against RFC 7644 §3.4.2.2 and §3.5.2.

use serde_json::{Value, json};

use crate::support::{run, scratch};

fn user() -> Value {
    // RFC 7643 §8.2-style user.
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                   {"value": "babs@jensen.org", "type": "home"}],
        "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"}
    })
}

#[test]
fn filter_ast_and_matching() {
    let dir = scratch("scim-filter");
    let file = dir.join("user.json");
    std::fs::write(&file, user().to_string()).unwrap();
    let file = file.display().to_string();
    let r = run(
        &[
            "scim",
            "filter",
            "--json",
            r#"userName Eq "BJENSEN@example.com" and not (active eq false)"#,
        ],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.json()["ast"],
        json!({"op": "and",
               "left": {"op": "eq", "attr": "userName", "value": "BJENSEN@example.com"},
               "right": {"op": "not", "filter": {"op": "eq", "attr": "active", "value": false}}})
    );
    // (filter, matches the user?) — userName is caseExact=false (RFC 7643 §4.1.1), so case is ignored.
    let cases = [
        (r#"userName eq "BJENSEN@example.com""#, true),
        (
            r#"emails[type eq "work" and value co "@example.com"]"#,
            true,
        ),
        (r#"emails[type eq "home"].value ew ".com""#, false),
        ("name.familyName sw \"Jen\" and active eq true", true),
        ("meta.lastModified gt \"2011-05-13T04:42:34Z\"", false),
        ("meta.lastModified ge \"2011-05-13T04:42:34Z\"", true),
        ("title pr", false),
        ("not (title pr)", true),
    ];
    for (filter, want) in cases {
        let r = run(
            &["scim", "filter", "--json", filter, "--resource", &file],
            None,
        );
        assert_eq!(r.code, 0, "{filter}: {r:?}");
        assert_eq!(r.json()["matches"], want, "{filter}");
    }
    // Text mode ends with the verdict.
    let r = run(&["scim", "filter", "title pr", "--resource", &file], None);
    assert!(r.stdout.ends_with("matches: false\n"), "{}", r.stdout);
    // Not a filter: exit 2 with the RFC's scimType.
    for bad in [
        "userName eq",
        "userName eq bjensen",
        "active gt true",
        "(userName pr",
    ] {
        let r = run(&["scim", "filter", "--json", bad], None);
        assert_eq!(r.code, 2, "{bad}: {r:?}");
        let out = r.json();
        assert_eq!(out["error"], "invalid_filter", "{bad}");
        assert!(
            out["admin_hint"].as_str().unwrap().contains("userName"),
            "{out}"
        );
    }
}

#[test]
fn patch_applies_all_or_nothing() {
    let dir = scratch("scim-patch");
    let res = dir.join("user.json");
    std::fs::write(&res, user().to_string()).unwrap();
    let patch = |name: &str, body: Value| {
        let p = dir.join(name);
        std::fs::write(&p, body.to_string()).unwrap();
        p.display().to_string()
    };
    let res = res.display().to_string();
    // Entra: capitalised op and a boolean as a string (tolerant by default).
    let entra = patch(
        "entra.json",
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"},
                           {"op": "add", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com"}]
        }),
    );
    let r = run(
        &[
            "scim",
            "patch",
            "--json",
            "--resource",
            &res,
            "--patch",
            &entra,
        ],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    let out = r.json();
    assert_eq!(out["active"], false);
    assert_eq!(out["emails"][0]["value"], "barbara@example.com");
    assert_eq!(out["emails"][1], user()["emails"][1]);
    assert_eq!(out["userName"], "bjensen@example.com");
    // The same body read strictly: "Replace" is not an op.
    let r = run(
        &[
            "scim",
            "patch",
            "--json",
            "--strict",
            "--resource",
            &res,
            "--patch",
            &entra,
        ],
        None,
    );
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (2, Some("invalid_syntax"))
    );
    // Changing the id is refused (understood, then rejected).
    let id = patch(
        "id.json",
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "id", "value": "other"}]
        }),
    );
    let r = run(
        &[
            "scim",
            "patch",
            "--json",
            "--resource",
            &res,
            "--patch",
            &id,
        ],
        None,
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"], "mutability");
    // A remove without a path has no target.
    let none = patch(
        "none.json",
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove"}]
        }),
    );
    let r = run(
        &[
            "scim",
            "patch",
            "--json",
            "--resource",
            &res,
            "--patch",
            &none,
        ],
        None,
    );
    assert_eq!((r.code, r.json()["error"].as_str()), (1, Some("no_target")));
    let r = run(
        &[
            "scim",
            "patch",
            "--json",
            "--resource",
            &res,
            "--patch",
            "-",
        ],
        Some(b"{not json"),
    );
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn sql_is_parameterised() {
    let hostile = r#"userName eq "x' OR 1=1 --" or active eq true"#;
    for (dialect, first, second) in [("sqlite", "?1", "?4"), ("postgres", "$1", "$4")] {
        let r = run(
            &["scim", "sql", "--json", hostile, "--dialect", dialect],
            None,
        );
        assert_eq!(r.code, 0, "{r:?}");
        let out = r.json();
        let clause = out["where"].as_str().unwrap();
        assert!(
            !clause.contains("OR 1=1"),
            "the value must be a parameter: {clause}"
        );
        assert!(
            clause.contains(first) && clause.contains(second),
            "{clause}"
        );
        let params = out["params"].as_array().unwrap();
        // userName is caseExact=false: compared lower-cased.
        assert!(params.contains(&json!("x' or 1=1 --")), "{params:?}");
    }
    let r = run(
        &[
            "scim",
            "sql",
            "--json",
            "userName pr",
            "--dialect",
            "sqlite",
            "--first-param",
            "2",
        ],
        None,
    );
    let clause = r.json()["where"].as_str().unwrap().to_owned();
    assert!(clause.contains("?2") && !clause.contains("?1"), "{clause}");
    let r = run(
        &[
            "scim",
            "sql",
            "--json",
            "userName eq",
            "--dialect",
            "sqlite",
        ],
        None,
    );
    assert_eq!(r.code, 2);
    let r = run(&["scim", "sql", "userName pr", "--dialect", "oracle"], None);
    assert_eq!(r.code, 2);
}
