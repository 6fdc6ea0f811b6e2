//! List queries: paging (RFC 7644 §3.4.2.4), sorting (§3.4.2.3), projection (§3.4.2.5), `.search` (§3.4.3),
//! ETags (§3.14).

use gatehouse_scim::Compatibility::{Strict, Tolerant};
use gatehouse_scim::filter::AttrPath;
use gatehouse_scim::list::{ListQuery, SortOrder, check_if_match, if_none_match, project};
use gatehouse_scim::resource::Resource;
use gatehouse_scim::schema::ResourceSchema;
use serde_json::json;

use crate::support::fixture;

fn users() -> Vec<Resource> {
    let names = ["carol", "Alice", "bob", "dave", "Eve"];
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut v = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": format!("{i}"),
                "userName": n, "meta": {"resourceType": "User", "created": format!("2020-01-0{}T00:00:00Z", 5 - i),
                "lastModified": "2020-02-01T00:00:00+01:00"}});
            if i != 3 {
                v["title"] = json!(format!("t{}", 4 - i));
            }
            Resource::from_value(v).unwrap()
        })
        .collect()
}

fn names(page: &serde_json::Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn paging_is_one_based_and_clamped() {
    let data = users();
    let s = ResourceSchema::user();
    // (startIndex, count, expected names, itemsPerPage)
    let cases: &[(&str, &str, &[&str])] = &[
        ("1", "2", &["carol", "Alice"]),
        ("2", "2", &["Alice", "bob"]),
        ("0", "2", &["carol", "Alice"]),
        ("-5", "1", &["carol"]),
        ("5", "10", &["Eve"]),
        ("6", "10", &[]),
        ("1", "0", &[]),
        ("1", "-3", &[]),
        ("1", "1000", &["carol", "Alice", "bob"]),
    ];
    for (start, count, want) in cases {
        let q = ListQuery::from_query([("startIndex", *start), ("count", *count)], 3, Tolerant)
            .unwrap();
        let page = q.run(&data, s).unwrap().to_json();
        assert_eq!(names(&page), *want, "startIndex={start} count={count}");
        assert_eq!(page["totalResults"], 5);
        assert_eq!(page["itemsPerPage"], want.len());
        assert!(page["startIndex"].as_u64().unwrap() >= 1);
    }
    // A filter that does not fit the schema fails when run, pointing at the expression.
    let q = ListQuery::from_query(
        [("filter", r#"userName pr and active lt true"#)],
        3,
        Tolerant,
    )
    .unwrap();
    match q.run(&data, s) {
        Err(gatehouse_scim::Error::InvalidFilter { position, .. }) => assert_eq!(position, 16),
        other => panic!("{other:?}"),
    }
    let e = ListQuery::from_query([("count", "ten")], 3, Tolerant).unwrap_err();
    assert_eq!(e.scim_type(), Some("invalidValue"));
}

#[test]
fn sorting() {
    let data = users();
    let s = ResourceSchema::user();
    let run = |by: &str, order: &str| {
        let q =
            ListQuery::from_query([("sortBy", by), ("sortOrder", order)], 100, Tolerant).unwrap();
        names(&q.run(&data, s).unwrap().to_json())
    };
    // userName is caseExact=false: "Alice" < "bob" < "carol" < "dave" < "Eve".
    assert_eq!(
        run("userName", "ascending"),
        ["Alice", "bob", "carol", "dave", "Eve"]
    );
    assert_eq!(
        run("USERNAME", "Descending"),
        ["Eve", "dave", "carol", "bob", "Alice"]
    );
    // dateTime sorts as instants; a missing title sorts last ascending, first descending.
    assert_eq!(
        run("meta.created", "ascending"),
        ["Eve", "dave", "bob", "Alice", "carol"]
    );
    assert_eq!(
        run("title", "ascending"),
        ["Eve", "bob", "Alice", "carol", "dave"]
    );
    assert_eq!(
        run("title", "descending"),
        ["dave", "carol", "Alice", "bob", "Eve"]
    );
    assert!(ListQuery::from_query([("sortOrder", "sideways")], 10, Tolerant).is_err());
}

#[test]
fn projection_follows_returned() {
    let user = Resource::from_value(fixture("rfc7643_enterprise_user.json")).unwrap();
    let s = ResourceSchema::user();
    let paths = |list: &[&str]| {
        list.iter()
            .map(|p| AttrPath::parse(p).unwrap())
            .collect::<Vec<_>>()
    };
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    // attributes: only those, plus id, schemas and meta.resourceType.
    let v = project(
        &user,
        s,
        &paths(&["userName", "name.givenName", &format!("{ent}:department")]),
        &[],
    );
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "meta", "name", "schemas", ent, "userName"]);
    assert_eq!(v["name"], json!({"givenName": "Barbara"}));
    assert_eq!(v["meta"], json!({"resourceType": "User"}));
    assert_eq!(v[ent], json!({"department": "Tour Operations"}));

    // A sub-attribute of meta: meta.resourceType comes along.
    let v = project(&user, s, &paths(&["meta.lastModified"]), &[]);
    assert_eq!(
        v["meta"],
        json!({"resourceType": "User", "lastModified": "2011-05-13T04:42:34Z"})
    );
    let v = project(&user, s, &[], &paths(&["meta"]));
    assert_eq!(v["meta"], json!({"resourceType": "User"}));

    // A whole extension by its URN.
    let v = project(&user, s, &paths(&[ent]), &[]);
    assert_eq!(v[ent]["employeeNumber"], "701984");
    assert!(v.get("userName").is_none());

    // excludedAttributes: everything else; id cannot be excluded.
    let v = project(
        &user,
        s,
        &[],
        &paths(&["emails", "id", "name.formatted", &format!("{ent}:manager")]),
    );
    assert!(v.get("emails").is_none());
    assert_eq!(v["id"], "2819c223-7f76-453a-919d-413861904646");
    assert!(v["name"].get("formatted").is_none());
    assert_eq!(v["name"]["givenName"], "Barbara");
    assert!(v[ent].get("manager").is_none());
    assert_eq!(v[ent]["costCenter"], "4130");

    // The password is never returned, even when asked for.
    let mut with_pw = user.clone();
    with_pw
        .as_object_mut()
        .insert("password".into(), json!("t1meMa$heen"));
    assert!(
        project(&with_pw, s, &paths(&["password"]), &[])
            .get("password")
            .is_none()
    );
    assert!(project(&with_pw, s, &[], &[]).get("password").is_none());
}

#[test]
fn search_request_bodies() {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "attributes": ["displayName", "userName"],
        "excludedAttributes": [],
        "filter": "displayName sw \"smith\"",
        "startIndex": 1,
        "count": 10,
        "sortBy": "userName",
        "sortOrder": "descending"
    });
    let q = ListQuery::from_search_request(&body, 100, Strict).unwrap();
    assert_eq!(q.count, 10);
    assert_eq!(q.sort_order, SortOrder::Descending);
    assert_eq!(q.attributes.len(), 2);
    assert_eq!(q.filter.unwrap().to_string(), r#"displayName sw "smith""#);
    // Without the schema: tolerated, or refused when strict.
    let bare = json!({"filter": "userName pr"});
    assert!(ListQuery::from_search_request(&bare, 100, Tolerant).is_ok());
    assert_eq!(
        ListQuery::from_search_request(&bare, 100, Strict)
            .unwrap_err()
            .scim_type(),
        Some("invalidSyntax")
    );
    // A query written as a SearchRequest reads back the same.
    let q = ListQuery::from_query(
        [
            (
                "filter",
                r#"emails[type eq "work"].value co "@x" and not (title pr)"#,
            ),
            ("startIndex", "3"),
            ("count", "7"),
            ("sortBy", "name.familyName"),
            ("sortOrder", "descending"),
            (
                "attributes",
                "userName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            ),
            ("excludedAttributes", "emails"),
        ],
        100,
        Strict,
    )
    .unwrap();
    let body = q.to_search_request();
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:SearchRequest"])
    );
    assert_eq!(
        ListQuery::from_search_request(&body, 100, Strict).unwrap(),
        q
    );
    let bad = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq"});
    assert_eq!(
        ListQuery::from_search_request(&bad, 100, Strict)
            .unwrap_err()
            .scim_type(),
        Some("invalidFilter")
    );
}

#[test]
fn etags() {
    let a = Resource::from_value(fixture("rfc7643_full_user.json")).unwrap();
    let mut b = a.clone();
    let tag = a.etag();
    assert!(tag.starts_with("W/\"") && tag.ends_with('"'));
    // meta does not change the version; content does.
    b.as_object_mut()
        .insert("meta".into(), json!({"resourceType": "User"}));
    assert_eq!(b.etag(), tag);
    b.as_object_mut().insert("title".into(), json!("Boss"));
    assert_ne!(b.etag(), tag);

    let other = "W/\"0000000000000000\"";
    let opaque = tag.trim_start_matches("W/");
    for (header, ok) in [
        (None, true),
        (Some("*"), true),
        (Some(tag.as_str()), true),
        (Some(opaque), true),
        (Some(&*format!("{other}, {tag}")), true),
        (Some(other), false),
    ] {
        assert_eq!(check_if_match(header, &tag).is_ok(), ok, "{header:?}");
        if !ok {
            let e = check_if_match(header, &tag).unwrap_err();
            assert_eq!(e.status(), 412);
        }
    }
    assert!(if_none_match(Some(&tag), &tag));
    assert!(!if_none_match(None, &tag));
    assert!(!if_none_match(Some(other), &tag));
}
