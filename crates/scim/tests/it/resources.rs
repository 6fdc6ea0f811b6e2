//! Resources and messages: RFC 7643 §8 examples validate, POST/PUT rules, errors, discovery endpoints.

use chrono::{TimeZone, Utc};
use gatehouse_scim::Compatibility::{Strict, Tolerant};
use gatehouse_scim::Error;
use gatehouse_scim::resource::{self, Group, Resource, ServiceProviderConfig, User};
use gatehouse_scim::schema::{ResourceSchema, Schema};
use serde_json::{Value, json};

use crate::support::fixture;

#[test]
fn rfc7643_examples_validate() {
    for (file, schema) in [
        ("rfc7643_full_user.json", ResourceSchema::user()),
        ("rfc7643_enterprise_user.json", ResourceSchema::user()),
        ("rfc7643_group.json", ResourceSchema::group()),
    ] {
        let body = fixture(file);
        let r = resource::validate(schema, body.clone(), Strict)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        // readOnly attributes are ignored on input; everything else is kept as it was.
        for (k, v) in body.as_object().unwrap() {
            if ["id", "meta", "groups"].contains(&k.as_str()) {
                assert!(r.get(k).is_none(), "{file}: {k} is readOnly");
            } else {
                assert_eq!(r.get(k), Some(v), "{file}: {k}");
            }
        }
    }
    let u = User(Resource::from_value(fixture("rfc7643_enterprise_user.json")).unwrap());
    assert_eq!(u.user_name(), Some("bjensen@example.com"));
    assert_eq!(u.primary_email().as_deref(), Some("bjensen@example.com"));
    assert_eq!(u.name().unwrap().given_name.as_deref(), Some("Barbara"));
    assert_eq!(u.enterprise("EMPLOYEENUMBER"), Some("701984"));
    assert_eq!(u.manager_id(), Some("26118915-6090-4610-87e4-49d8ca9f808d"));
    assert!(u.active());
    let g = Group(Resource::from_value(fixture("rfc7643_group.json")).unwrap());
    assert_eq!(g.display_name(), Some("Tour Guides"));
    assert_eq!(g.member_ids().len(), 2);
}

#[test]
fn create_and_replace() {
    let now = Utc.with_ymd_and_hms(2026, 2, 3, 4, 5, 6).unwrap();
    let later = Utc.with_ymd_and_hms(2026, 2, 4, 0, 0, 0).unwrap();
    let users = ResourceSchema::user();
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "client-chosen",
        "USERNAME": "a@b.c", "Active": "true", "password": "pw", "urn:example:ext:1.0": {"k": "v"},
        "meta": {"resourceType": "Nonsense"}});
    let r = resource::create(
        users,
        body,
        Tolerant,
        "srv-1",
        Some("https://app.example/scim/v2/"),
        now,
    )
    .unwrap();
    assert_eq!(r.id(), Some("srv-1"));
    assert_eq!(
        r.get("userName"),
        Some(&json!("a@b.c")),
        "canonical spelling"
    );
    assert_eq!(r.as_object().get("active"), Some(&json!(true)));
    assert_eq!(
        r.get("urn:example:ext:1.0"),
        Some(&json!({"k": "v"})),
        "unknown extension kept"
    );
    let meta = r.meta().unwrap();
    assert_eq!(meta.resource_type, "User");
    assert_eq!(meta.created, now);
    assert_eq!(
        meta.location.as_deref(),
        Some("https://app.example/scim/v2/Users/srv-1")
    );
    assert_eq!(meta.version.as_deref(), Some(r.etag().as_str()));

    // PUT: Okta sends id and meta back; a different id in the body is ignored, the password kept.
    let put = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "other", "userName": "a@b.c",
        "displayName": "A", "meta": {"resourceType": "User"}});
    let r2 = resource::replace(users, &r, put, Tolerant, later).unwrap();
    assert_eq!(r2.id(), Some("srv-1"));
    assert_eq!(r2.get("password"), Some(&json!("pw")));
    assert!(r2.get("active").is_none(), "not sent: unassigned");
    assert!(r2.get("urn:example:ext:1.0").is_none());
    let m2 = r2.meta().unwrap();
    assert_eq!((m2.created, m2.last_modified), (now, later));
    assert_ne!(m2.version, meta.version);

    // A PUT that adds the enterprise extension names it in `schemas`.
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let put = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@b.c",
        ent: {"department": "R&D"}});
    let r3 = resource::replace(users, &r2, put, Strict, later).unwrap();
    assert_eq!(
        r3.get("schemas"),
        Some(&json!(["urn:ietf:params:scim:schemas:core:2.0:User", ent]))
    );
    assert_eq!(r3.get(ent), Some(&json!({"department": "R&D"})));

    // An immutable attribute (here of a custom schema) cannot change through PUT.
    let mut custom = users.clone();
    custom.core.attributes.push(
        gatehouse_scim::schema::AttributeDef::from_json(
            &json!({"name": "badge", "type": "string", "mutability": "immutable"}),
        )
        .unwrap(),
    );
    let a = resource::create(&custom, json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x", "badge": "1"}), Strict, "i", None, now).unwrap();
    let e = resource::replace(&custom, &a, json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x", "badge": "2"}), Strict, later).unwrap_err();
    assert_eq!(e.scim_type(), Some("mutability"));
    let kept = resource::replace(
        &custom,
        &a,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "y"}),
        Strict,
        later,
    )
    .unwrap();
    assert_eq!(
        kept.get("badge"),
        Some(&json!("1")),
        "an immutable value is not cleared by omission"
    );
}

#[test]
fn invalid_bodies() {
    let users = ResourceSchema::user();
    let cases: Vec<(Value, gatehouse_scim::Compatibility, &str)> = vec![
        (json!({"userName": "x"}), Strict, "invalidSyntax"),
        (
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}),
            Tolerant,
            "invalidValue",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": 7}),
            Tolerant,
            "invalidValue",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x", "active": "yes"}),
            Tolerant,
            "invalidValue",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x", "active": "true"}),
            Strict,
            "invalidValue",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x", "emails": "a@b"}),
            Strict,
            "invalidValue",
        ),
        (
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"}),
            Tolerant,
            "invalidValue",
        ),
        (json!(["not", "an", "object"]), Tolerant, "invalidSyntax"),
    ];
    for (body, compat, want) in cases {
        let e = resource::validate(users, body.clone(), compat).expect_err(&body.to_string());
        assert_eq!(e.scim_type(), Some(want), "{body}: {e}");
    }
    // Tolerant fills in a missing core schema; the password never appears in an error.
    assert!(resource::validate(users, json!({"userName": "x"}), Tolerant).is_ok());
    let e = resource::validate(users, json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x", "password": 12345}), Tolerant).unwrap_err();
    assert!(!e.to_string().contains("12345"), "{e}");
    assert!(resource::parse_body(b"{").is_err());
    assert!(resource::parse_body(&vec![b' '; 2 * 1024 * 1024]).is_err());
}

#[test]
fn error_bodies() {
    let cases: Vec<(Error, u16, Option<&str>)> = vec![
        (
            Error::Uniqueness {
                attribute: "userName".into(),
                value: "a".into(),
            },
            409,
            Some("uniqueness"),
        ),
        (
            Error::NotFound {
                resource_type: "User".into(),
                id: "x".into(),
            },
            404,
            None,
        ),
        (
            Error::PreconditionFailed {
                expected: "W/\"1\"".into(),
                current: "W/\"2\"".into(),
            },
            412,
            None,
        ),
        (
            Error::NoTarget { reason: "x".into() },
            400,
            Some("noTarget"),
        ),
        (Error::TooMany { limit: 1, count: 2 }, 400, Some("tooMany")),
        (
            Error::Mutability {
                attribute: "id".into(),
                mutability: "readOnly",
            },
            400,
            Some("mutability"),
        ),
    ];
    for (e, status, scim_type) in cases {
        let body = e.to_scim_json();
        assert_eq!(e.status(), status);
        assert_eq!(
            body["status"],
            json!(status.to_string()),
            "status is a string"
        );
        assert_eq!(
            body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
        );
        assert_eq!(body.get("scimType").and_then(Value::as_str), scim_type);
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let e = Error::Uniqueness {
        attribute: "userName".into(),
        value: "a".into(),
    };
    assert!(e.admin_hint().unwrap().contains("Okta"));
}

#[test]
fn discovery_endpoints() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let spc = ServiceProviderConfig::default().to_json(now);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(spc["filter"]["maxResults"], 200);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let types = [ResourceSchema::user(), ResourceSchema::group()];
    let rt = resource::resource_types_response(&types);
    assert_eq!(rt["totalResults"], 2);
    assert_eq!(rt["Resources"][0]["endpoint"], "/Users");
    assert_eq!(
        rt["Resources"][0]["schemaExtensions"][0]["schema"],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );
    let schemas = resource::schemas_response(&types);
    assert_eq!(schemas["totalResults"], 3);
    // The served definitions read back into the same schemas.
    for (served, original) in schemas["Resources"].as_array().unwrap().iter().zip([
        &types[0].core,
        &types[0].extensions[0].schema,
        &types[1].core,
    ]) {
        assert_eq!(&Schema::from_json(served).unwrap(), original);
    }
    let user_name = &schemas["Resources"][0]["attributes"][0];
    assert_eq!(user_name["name"], "userName");
    assert_eq!(user_name["caseExact"], false);
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["required"], true);
}

/// Attribute characteristics of RFC 7643 §4 and §8.7.1, which drive filtering, PATCH and projection.
#[test]
fn schema_characteristics_follow_rfc7643() {
    use gatehouse_scim::schema::{
        AttributeType as T, Mutability as M, Returned as R, Uniqueness as U,
    };
    let users = ResourceSchema::user();
    let groups = ResourceSchema::group();
    let ent = &users.extensions[0].schema;
    let find = |s: &'static ResourceSchema, path: &str| {
        let mut parts = path.split('.');
        let top = parts.next().unwrap();
        let def = s
            .common
            .iter()
            .chain(&s.core.attributes)
            .find(|d| d.name == top)
            .unwrap_or_else(|| panic!("{path}"));
        match parts.next() {
            Some(sub) => def.sub(sub).unwrap_or_else(|| panic!("{path}")).clone(),
            None => def.clone(),
        }
    };
    // (schema, path, type, multi, caseExact, mutability, returned, uniqueness, required)
    type Case = (
        &'static ResourceSchema,
        &'static str,
        T,
        bool,
        bool,
        M,
        R,
        U,
        bool,
    );
    let cases: &[Case] = &[
        (
            users,
            "id",
            T::String,
            false,
            true,
            M::ReadOnly,
            R::Always,
            U::Server,
            false,
        ),
        (
            users,
            "externalId",
            T::String,
            false,
            true,
            M::ReadWrite,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "userName",
            T::String,
            false,
            false,
            M::ReadWrite,
            R::Default,
            U::Server,
            true,
        ),
        (
            users,
            "name",
            T::Complex,
            false,
            false,
            M::ReadWrite,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "profileUrl",
            T::Reference,
            false,
            false,
            M::ReadWrite,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "active",
            T::Boolean,
            false,
            false,
            M::ReadWrite,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "password",
            T::String,
            false,
            false,
            M::WriteOnly,
            R::Never,
            U::None,
            false,
        ),
        (
            users,
            "emails",
            T::Complex,
            true,
            false,
            M::ReadWrite,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "emails.primary",
            T::Boolean,
            false,
            false,
            M::ReadWrite,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "groups",
            T::Complex,
            true,
            false,
            M::ReadOnly,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "groups.value",
            T::String,
            false,
            false,
            M::ReadOnly,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "x509Certificates.value",
            T::Binary,
            false,
            false,
            M::ReadWrite,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "meta.created",
            T::DateTime,
            false,
            false,
            M::ReadOnly,
            R::Default,
            U::None,
            false,
        ),
        (
            users,
            "meta.lastModified",
            T::DateTime,
            false,
            false,
            M::ReadOnly,
            R::Default,
            U::None,
            false,
        ),
        (
            groups,
            "displayName",
            T::String,
            false,
            false,
            M::ReadWrite,
            R::Default,
            U::None,
            false,
        ),
        (
            groups,
            "members",
            T::Complex,
            true,
            false,
            M::ReadWrite,
            R::Default,
            U::None,
            false,
        ),
        (
            groups,
            "members.value",
            T::String,
            false,
            false,
            M::Immutable,
            R::Default,
            U::None,
            false,
        ),
        (
            groups,
            "members.$ref",
            T::Reference,
            false,
            false,
            M::Immutable,
            R::Default,
            U::None,
            false,
        ),
        (
            groups,
            "members.type",
            T::String,
            false,
            false,
            M::Immutable,
            R::Default,
            U::None,
            false,
        ),
    ];
    for &(schema, path, kind, multi, exact, mutability, returned, uniqueness, required) in cases {
        let d = find(schema, path);
        assert_eq!(
            (
                d.kind,
                d.multi_valued,
                d.case_exact,
                d.mutability,
                d.returned,
                d.uniqueness,
                d.required
            ),
            (
                kind, multi, exact, mutability, returned, uniqueness, required
            ),
            "{path}"
        );
    }
    let canonical = |s: &'static ResourceSchema, path: &str| find(s, path).canonical_values;
    assert_eq!(canonical(users, "emails.type"), ["work", "home", "other"]);
    assert_eq!(
        canonical(users, "phoneNumbers.type"),
        ["work", "home", "mobile", "fax", "pager", "other"]
    );
    assert_eq!(
        canonical(users, "ims.type"),
        ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]
    );
    assert_eq!(canonical(users, "photos.type"), ["photo", "thumbnail"]);
    assert_eq!(canonical(users, "groups.type"), ["direct", "indirect"]);
    assert_eq!(canonical(groups, "members.type"), ["User", "Group"]);
    assert_eq!(
        find(users, "groups.$ref").reference_types,
        ["User", "Group"]
    );
    assert_eq!(find(users, "photos.value").reference_types, ["external"]);
    // Enterprise User (§4.3).
    let names: Vec<&str> = ent.attributes.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "employeeNumber",
            "costCenter",
            "organization",
            "division",
            "department",
            "manager"
        ]
    );
    let manager = ent.attribute("manager").unwrap();
    assert_eq!(manager.kind, T::Complex);
    assert_eq!(manager.sub("displayName").unwrap().mutability, M::ReadOnly);
    assert_eq!(manager.sub("$ref").unwrap().reference_types, ["User"]);
}
