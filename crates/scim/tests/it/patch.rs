//! PATCH semantics of RFC 7644 §3.5.2, with its examples, and the tolerant forms of Okta and Entra.

use gatehouse_scim::Compatibility::{self, Strict, Tolerant};
use gatehouse_scim::patch::PatchRequest;
use gatehouse_scim::path::PatchPath;
use gatehouse_scim::schema::ResourceSchema;
use serde_json::{Value, json};

use crate::support::fixture;

fn apply(
    resource: &Value,
    ops: Value,
    schema: &ResourceSchema,
    compat: Compatibility,
) -> Result<Value, gatehouse_scim::Error> {
    let body =
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let req = PatchRequest::from_json(&body, compat)?;
    let mut r = resource.clone();
    let out = req.apply(&mut r, schema, compat);
    if out.is_err() {
        assert_eq!(
            &r, resource,
            "a failed PATCH must leave the resource unchanged"
        );
    }
    out.map(|_| r)
}

fn user_ops(resource: &Value, ops: Value) -> Result<Value, gatehouse_scim::Error> {
    apply(resource, ops, ResourceSchema::user(), Tolerant)
}

#[test]
fn rfc7644_group_member_examples() {
    let group = fixture("rfc7643_group.json");
    let groups = ResourceSchema::group();
    let babs = "2819c223-7f76-453a-919d-413861904646";
    let mandy = "902c246b-6245-4190-8e05-00816be7344a";
    let ids = |g: &Value| -> Vec<String> {
        g["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| m["value"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    // §3.5.2.1: add a member.
    let r = apply(&group, json!([{"op": "add", "path": "members", "value": [
        {"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d", "value": "08e1d05d"}]}]), groups, Strict).unwrap();
    assert_eq!(ids(&r), [babs, mandy, "08e1d05d"]);
    // Adding an existing member changes nothing.
    let again = apply(
        &r,
        json!([{"op": "add", "path": "members", "value": [{"value": "08e1d05d"}]}]),
        groups,
        Strict,
    )
    .unwrap();
    assert_eq!(again["members"], r["members"]);
    // §3.5.2.2: remove one member by filter, then all members.
    let r = apply(
        &group,
        json!([{"op": "remove", "path": format!("members[value eq \"{babs}\"]")}]),
        groups,
        Strict,
    )
    .unwrap();
    assert_eq!(ids(&r), [mandy]);
    let r = apply(
        &group,
        json!([{"op": "remove", "path": "members"}]),
        groups,
        Strict,
    )
    .unwrap();
    assert!(r.get("members").is_none());
    // §3.5.2.2: remove all, then add one: a replacement of the member list.
    let r = apply(&group, json!([{"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [{"value": "08e1d05d", "display": "James Smith"}]}]), groups, Strict).unwrap();
    assert_eq!(ids(&r), ["08e1d05d"]);
    // §3.5.2.3: replace all members.
    let r = apply(&group, json!([{"op": "replace", "path": "members", "value": [
        {"display": "Babs Jensen", "value": babs}, {"display": "James Smith", "value": "08e1d05d"}]}]), groups, Strict).unwrap();
    assert_eq!(ids(&r), [babs, "08e1d05d"]);
    // Removing the last member by filter leaves the attribute unassigned.
    let r = apply(
        &group,
        json!([{"op": "remove", "path": format!("members[value eq \"{babs}\"]")},
        {"op": "remove", "path": format!("members[value eq \"{mandy}\"]")}]),
        groups,
        Strict,
    )
    .unwrap();
    assert!(r.get("members").is_none());
}

#[test]
fn rfc7644_user_examples() {
    let user = fixture("rfc7643_full_user.json");
    // §3.5.2.1: pathless add of an email and a nickname (the RFC's "nickname" spelling is case-insensitive).
    let r = user_ops(&user, json!([{"op": "add", "value": {
        "emails": [{"value": "babs@jensen.org", "type": "home"}, {"value": "b@new.example", "type": "other"}],
        "nickname": "Barbie"}}])).unwrap();
    assert_eq!(
        r["emails"].as_array().unwrap().len(),
        3,
        "the existing home email is not added twice"
    );
    assert_eq!(r["nickName"], "Barbie");
    assert!(
        r.get("nickname").is_none(),
        "stored under the canonical name"
    );
    // §3.5.2.3: replace the work address as a whole, then only its street.
    let work = json!({"type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
        "region": "CA", "postalCode": "91608", "country": "US", "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": true});
    let r = user_ops(
        &user,
        json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": work}]),
    )
    .unwrap();
    assert_eq!(r["addresses"][0], work);
    assert_eq!(r["addresses"][1], user["addresses"][1]);
    let r = user_ops(&user, json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}])).unwrap();
    assert_eq!(r["addresses"][0]["streetAddress"], "1010 Broadway Ave");
    assert_eq!(r["addresses"][0]["locality"], "Hollywood");
    // §3.5.2.3: replace of a complex attribute merges; of a simple one sets.
    let r = user_ops(
        &user,
        json!([{"op": "replace", "path": "name", "value": {"givenName": "Barb"}}]),
    )
    .unwrap();
    assert_eq!(r["name"]["givenName"], "Barb");
    assert_eq!(r["name"]["familyName"], "Jensen");
    let r = user_ops(
        &user,
        json!([{"op": "replace", "path": "name.familyName", "value": "Jensen-Smith"}]),
    )
    .unwrap();
    assert_eq!(r["name"]["familyName"], "Jensen-Smith");
    // remove of a sub-attribute and of a value's sub-attribute.
    let r = user_ops(
        &user,
        json!([{"op": "remove", "path": "name.middleName"},
        {"op": "remove", "path": "emails[type eq \"home\"].type"}]),
    )
    .unwrap();
    assert!(r["name"].get("middleName").is_none());
    assert!(r["emails"][1].get("type").is_none());
    assert_eq!(r["emails"][1]["value"], "babs@jensen.org");
}

#[test]
fn only_one_primary() {
    let user = fixture("rfc7643_full_user.json");
    // Adding a primary email clears the old primary.
    let r = user_ops(&user, json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "work", "primary": true}]}])).unwrap();
    let primaries: Vec<&str> = r["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(primaries, ["new@example.com"]);
    // Making the home email primary through a filter path does the same.
    let r = user_ops(
        &user,
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    )
    .unwrap();
    assert_eq!(r["emails"][0]["primary"], false);
    assert_eq!(r["emails"][1]["primary"], true);
    // A replacement list with two primaries is refused.
    let e = user_ops(
        &user,
        json!([{"op": "replace", "path": "emails", "value": [
        {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}]}]),
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some("invalidValue"));
}

#[test]
fn errors_per_rfc() {
    let user = fixture("rfc7643_full_user.json");
    let group = fixture("rfc7643_group.json");
    // (resource, schema, ops, scimType)
    let cases: Vec<(&Value, &ResourceSchema, Value, &str)> = vec![
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "remove"}]),
            "noTarget",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "path": "emails[type co \"fax\"].value", "value": "x"}]),
            "noTarget",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "path": "id", "value": "other"}]),
            "mutability",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
            "mutability",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "add", "path": "groups", "value": [{"value": "x"}]}]),
            "mutability",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "remove", "path": "userName"}]),
            "invalidValue",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            "invalidValue",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "path": "active", "value": 1}]),
            "invalidValue",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "path": "name", "value": 3}]),
            "invalidValue",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "path": "userName"}]),
            "invalidSyntax",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "copy", "path": "userName", "value": "x"}]),
            "invalidSyntax",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
            "invalidPath",
        ),
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "value": "not an object"}]),
            "invalidSyntax",
        ),
        // Immutable member values cannot be changed in place.
        (
            &group,
            ResourceSchema::group(),
            json!([{"op": "replace", "path": "members[display eq \"Babs Jensen\"].value", "value": "other"}]),
            "mutability",
        ),
        // A valid op after a failing one: nothing is applied (checked by `apply`).
        (
            &user,
            ResourceSchema::user(),
            json!([{"op": "replace", "path": "title", "value": "Boss"}, {"op": "replace", "path": "id", "value": "x"}]),
            "mutability",
        ),
    ];
    for (resource, schema, ops, want) in cases {
        let e = apply(resource, ops.clone(), schema, Tolerant).expect_err(&ops.to_string());
        assert_eq!(e.scim_type(), Some(want), "{ops}: {e}");
        assert_eq!(e.status(), 400);
    }
}

#[test]
fn tolerant_forms_and_their_strict_refusals() {
    let user = fixture("rfc7643_enterprise_user.json");
    let users = ResourceSchema::user();
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    // (ops, check of the tolerant result, scimType in strict mode)
    type Check = fn(&Value) -> bool;
    let cases: Vec<(Value, Check, &str)> = vec![
        (
            json!([{"op": "Replace", "path": "title", "value": "Boss"}]),
            |r| r["title"] == "Boss",
            "invalidSyntax",
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "False"}]),
            |r| r["active"] == false,
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "value": {"name.givenName": "Barb",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42"}}]),
            |r| {
                r["name"]["givenName"] == "Barb"
                    && r["name"]["familyName"] == "Jensen"
                    && r["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"]
                        == "42"
            },
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "boss-id"}]),
            |r| {
                r["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"]
                    == "boss-id"
            },
            "invalidValue",
        ),
        (
            json!([{"op": "remove", "path": "emails", "value": [{"value": "bjensen@example.com"}]}]),
            |r| r.get("emails").is_none(),
            "invalidSyntax",
        ),
        (
            json!([{"op": "replace", "value": {"id": "2819c223-7f76-453a-919d-413861904646", "displayName": "Babs J"}}]),
            |r| r["displayName"] == "Babs J",
            "mutability",
        ),
    ];
    for (ops, check, strict_type) in cases {
        let r = apply(&user, ops.clone(), users, Tolerant).unwrap_or_else(|e| panic!("{ops}: {e}"));
        assert!(check(&r), "{ops}: {r}");
        let e = apply(&user, ops.clone(), users, Strict).expect_err(&ops.to_string());
        assert_eq!(e.scim_type(), Some(strict_type), "{ops}: {e}");
    }
    // Extension attributes by URN path work in both modes; adding to an absent extension creates it.
    let plain = fixture("rfc7643_full_user.json");
    for compat in [Strict, Tolerant] {
        let r = apply(
            &plain,
            json!([{"op": "add", "path": format!("{ent}:department"), "value": "Rides"}]),
            users,
            compat,
        )
        .unwrap();
        assert_eq!(r[ent]["department"], "Rides");
        assert!(r["schemas"].as_array().unwrap().contains(&json!(ent)));
        let r = apply(
            &plain,
            json!([{"op": "add", "value": {ent: {"costCenter": "9"}}}]),
            users,
            compat,
        )
        .unwrap();
        assert_eq!(r[ent]["costCenter"], "9");
    }
}

#[test]
fn unknown_attributes_are_kept() {
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:custom:1.0"],
        "userName": "x", "urn:example:custom:1.0": {"badge": "7"}, "favouriteColour": "green"});
    let r = user_ops(
        &user,
        json!([{"op": "replace", "path": "title", "value": "T"},
        {"op": "add", "path": "urn:example:custom:1.0:floor", "value": 3}]),
    )
    .unwrap();
    assert_eq!(r["favouriteColour"], "green");
    assert_eq!(
        r["urn:example:custom:1.0"],
        json!({"badge": "7", "floor": 3})
    );
}

#[test]
fn patch_paths_parse_and_print() {
    let cases = [
        ("members", "members", None, None),
        ("name.familyName", "name", Some("familyName"), None),
        (r#"members[value eq "2819c223"]"#, "members", None, None),
        (
            r#"emails[type eq "work" and value ew "example.com"].display"#,
            "emails",
            None,
            Some("display"),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "manager",
            Some("value"),
            None,
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "employeeNumber",
            None,
            None,
        ),
    ];
    for (text, name, attr_sub, sub) in cases {
        let p = PatchPath::parse_with(text, Strict).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(p.attr.name, name);
        assert_eq!(p.attr.sub.as_deref(), attr_sub);
        assert_eq!(p.sub.as_deref(), sub);
        assert_eq!(p.to_string(), text);
    }
    for bad in [
        "",
        "members[",
        "members]",
        "name.given.name",
        "members[value eq \"x\"].",
        "members[value eq \"x\"]x",
        "name.familyName[value eq \"x\"]",
        "members[value eq 123abc]",
    ] {
        let e = PatchPath::parse_with(bad, Tolerant).expect_err(bad);
        assert_eq!(e.scim_type(), Some("invalidPath"), "{bad}");
    }
}

/// Entra replaces `emails[type eq "work"].value` also for users that have no work email: tolerant mode adds
/// the value the filter describes; strict mode answers noTarget as RFC 7644 §3.5.2.3 says.
#[test]
fn filter_miss_adds_when_tolerant() {
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "userName": "u",
        "emails": [{"value": "home@example.org", "type": "home", "primary": true}]});
    let ops = json!([{"op": "Replace", "path": "emails[type eq \"work\" and primary eq true].value", "value": "w@example.com"}]);
    let r = apply(&user, ops.clone(), ResourceSchema::user(), Tolerant).unwrap();
    assert_eq!(
        r["emails"],
        json!([
            {"value": "home@example.org", "type": "home", "primary": false},
            {"value": "w@example.com", "type": "work", "primary": true}
        ])
    );
    let strict_ops = json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "w@example.com"}]);
    let e = apply(&user, strict_ops, ResourceSchema::user(), Strict).unwrap_err();
    assert_eq!(e.scim_type(), Some("noTarget"));
    // Without any emails at all.
    let bare = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "userName": "u"});
    let r = apply(&bare, ops, ResourceSchema::user(), Tolerant).unwrap();
    assert_eq!(
        r["emails"],
        json!([{"value": "w@example.com", "type": "work", "primary": true}])
    );
}

#[test]
fn entra_removes_manager_with_a_value() {
    let user = fixture("rfc7643_enterprise_user.json");
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let path = format!("{ent}:manager");
    let other = apply(
        &user,
        json!([{"op": "Remove", "path": path, "value": [{"value": "someone-else"}]}]),
        ResourceSchema::user(),
        Tolerant,
    )
    .unwrap();
    assert_eq!(
        other[ent]["manager"], user[ent]["manager"],
        "a different manager stays"
    );
    let r = apply(&user, json!([{"op": "Remove", "path": path, "value": [{"value": "26118915-6090-4610-87e4-49d8ca9f808d"}]}]), ResourceSchema::user(), Tolerant).unwrap();
    assert!(r[ent].get("manager").is_none());
    assert_eq!(r[ent]["employeeNumber"], "701984");
}

#[test]
fn passwords_stay_out_of_debug_and_errors() {
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "replace", "path": "password", "value": "hunter2-secret"},
        {"op": "add", "value": {"password": "hunter3-secret"}}]});
    let req = PatchRequest::from_json(&body, Tolerant).unwrap();
    let debug = format!("{req:?}");
    assert!(!debug.contains("secret"), "{debug}");
    let bad = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "copy", "value": {"password": "hunter4-secret"}}]});
    let e = PatchRequest::from_json(&bad, Tolerant).unwrap_err();
    assert!(!e.to_string().contains("secret"), "{e}");
    let r = gatehouse_scim::resource::Resource::from_value(
        json!({"userName": "u", "password": "hunter5-secret"}),
    )
    .unwrap();
    assert!(!format!("{r:?}").contains("secret"));
}

/// Entra's pathless replace may carry a URN-qualified attribute whose value is an object (`manager`).
#[test]
fn pathless_urn_attribute_with_object_value() {
    let user = fixture("rfc7643_enterprise_user.json");
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let ops =
        json!([{"op": "Replace", "value": {format!("{ent}:manager"): {"value": "new-boss"}}}]);
    let r = apply(&user, ops.clone(), ResourceSchema::user(), Tolerant).unwrap();
    assert_eq!(r[ent]["manager"]["value"], "new-boss");
    assert_eq!(
        r[ent]["manager"]["displayName"], "John Smith",
        "complex replace merges"
    );
    assert!(
        r.get(format!("{ent}:manager")).is_none(),
        "not stored as an unknown extension"
    );
    // Strict: keys of a pathless value are attribute names (or an extension URN with an object).
    let ops =
        json!([{"op": "replace", "value": {format!("{ent}:manager"): {"value": "new-boss"}}}]);
    let e = apply(&user, ops, ResourceSchema::user(), Strict).unwrap_err();
    assert_eq!(e.scim_type(), Some("invalidPath"), "{e}");
}

/// RFC 7644 §3.5.2.1: adding a value that is already there changes nothing (and must not touch meta).
#[test]
fn apply_reports_whether_anything_changed() {
    let group = fixture("rfc7643_group.json");
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": "2819c223-7f76-453a-919d-413861904646"}]},
        {"op": "replace", "path": "displayName", "value": "Tour Guides"}]});
    let req = PatchRequest::from_json(&body, Strict).unwrap();
    let mut r = group.clone();
    assert!(!req.apply(&mut r, ResourceSchema::group(), Strict).unwrap());
    assert_eq!(r, group);
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "replace", "path": "displayName", "value": "Guides"}]});
    let req = PatchRequest::from_json(&body, Strict).unwrap();
    assert!(req.apply(&mut r, ResourceSchema::group(), Strict).unwrap());
}

/// A null is an unassigned value (RFC 7643 §2.5): it clears a sub-attribute and is not stored.
#[test]
fn nulls_unassign() {
    let user = fixture("rfc7643_full_user.json");
    let r = apply(
        &user,
        json!([{"op": "replace", "path": "name", "value": {"middleName": null, "givenName": "B"}}]),
        ResourceSchema::user(),
        Strict,
    )
    .unwrap();
    assert!(r["name"].get("middleName").is_none());
    assert_eq!(r["name"]["givenName"], "B");
    let group = fixture("rfc7643_group.json");
    let r = apply(
        &group,
        json!([{"op": "add", "path": "members", "value": [{"value": "n1", "$ref": null}]}]),
        ResourceSchema::group(),
        Strict,
    )
    .unwrap();
    assert_eq!(r["members"][2], json!({"value": "n1"}));
    let r = apply(
        &user,
        json!([{"op": "replace", "path": "nickName", "value": null}]),
        ResourceSchema::user(),
        Strict,
    )
    .unwrap();
    assert!(r.get("nickName").is_none());
}
