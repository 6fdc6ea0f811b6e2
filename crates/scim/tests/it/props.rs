//! Property tests: print ∘ parse is the identity on generated filter trees, PATCH `add` then `remove`
//! restores the resource, no input makes the parsers panic, and generated values never reach SQL text.

use gatehouse_scim::Compatibility;
use gatehouse_scim::filter::sql::{Dialect, to_sql};
use gatehouse_scim::filter::{AttrPath, CompValue, CompareOp, Filter, parse_filter_with};
use gatehouse_scim::patch::PatchRequest;
use gatehouse_scim::path::PatchPath;
use gatehouse_scim::schema::ResourceSchema;
use proptest::prelude::*;
use serde_json::{Number, Value, json};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        1 => Just("$ref".to_owned()),
        1 => prop::sample::select(vec!["not", "and", "or", "pr", "eq", "true", "null", "urn", "userName", "emails"])
            .prop_map(str::to_owned),
    ]
}

fn uri() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => Just(None),
        1 => prop::collection::vec("[a-z0-9][a-z0-9.-]{0,6}", 1..4).prop_map(|segs| Some(format!("urn:{}", segs.join(":")))),
        1 => Just(Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".to_owned())),
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    (uri(), name(), prop::option::of(name())).prop_map(|(uri, name, sub)| AttrPath {
        uri,
        name,
        sub,
    })
}

fn value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|i| CompValue::Number(Number::from(i))),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(CompValue::Number)),
        any::<String>().prop_map(CompValue::String),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn attr_exp(path: BoxedStrategy<AttrPath>) -> impl Strategy<Value = Filter> {
    prop_oneof![
        path.clone().prop_map(Filter::Present),
        (path, op(), value()).prop_map(|(p, o, v)| Filter::Compare(p, o, v)),
    ]
}

fn simple_path() -> BoxedStrategy<AttrPath> {
    name()
        .prop_map(|n| AttrPath {
            uri: None,
            name: n,
            sub: None,
        })
        .boxed()
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        4 => attr_exp(attr_path().boxed()),
        1 => (uri(), name(), attr_exp(simple_path()), prop::option::of(attr_exp(simple_path()))).prop_map(
            |(uri, n, inner, then)| Filter::ValuePath {
                attr: AttrPath { uri, name: n, sub: None },
                filter: Box::new(inner),
                then: then.map(Box::new),
            }
        ),
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::and(a, b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::or(a, b)),
            inner.clone().prop_map(Filter::not),
            (
                uri(),
                name(),
                inner,
                prop::option::of(attr_exp(simple_path()))
            )
                .prop_map(|(uri, n, f, then)| {
                    Filter::ValuePath {
                        attr: AttrPath {
                            uri,
                            name: n,
                            sub: None,
                        },
                        filter: Box::new(f),
                        then: then.map(Box::new),
                    }
                }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_is_identity(f in filter()) {
        let text = f.to_string();
        for compat in [Compatibility::Strict, Compatibility::Tolerant] {
            let back = parse_filter_with(&text, compat);
            prop_assert_eq!(back.as_ref(), Ok(&f), "{}", text);
        }
    }

    #[test]
    fn patch_paths_round_trip(attr in attr_path(), f in prop::option::of(attr_exp(simple_path())), sub in prop::option::of(name())) {
        let p = match f {
            Some(f) => PatchPath { attr: AttrPath { sub: None, ..attr }, filter: Some(f), sub },
            None => PatchPath { attr, filter: None, sub: None },
        };
        prop_assert_eq!(PatchPath::parse_with(&p.to_string(), Compatibility::Strict), Ok(p.clone()));
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,64}", bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_filter_with(&s, Compatibility::Tolerant);
        let _ = parse_filter_with(&s, Compatibility::Strict);
        let _ = PatchPath::parse(&s);
        gatehouse_scim::fuzzing::filter(s.as_bytes());
        gatehouse_scim::fuzzing::patch(&bytes);
        gatehouse_scim::fuzzing::patch(s.as_bytes());
    }

    #[test]
    fn values_never_reach_sql(f in filter()) {
        // Give every string literal a marker and check it never appears in the SQL text.
        fn mark(f: &Filter) -> Filter {
            match f {
                Filter::Compare(p, o, CompValue::String(_)) => Filter::Compare(p.clone(), *o, CompValue::String("zq'x\"--".into())),
                Filter::And(a, b) => Filter::and(mark(a), mark(b)),
                Filter::Or(a, b) => Filter::or(mark(a), mark(b)),
                Filter::Not(a) => Filter::not(mark(a)),
                Filter::ValuePath { attr, filter, then } => Filter::ValuePath {
                    attr: attr.clone(), filter: Box::new(mark(filter)), then: then.as_ref().map(|t| Box::new(mark(t))),
                },
                other => other.clone(),
            }
        }
        let f = mark(&f);
        for d in [Dialect::Sqlite, Dialect::Postgres] {
            if let Ok(w) = to_sql(&f, ResourceSchema::user(), d, 1) {
                prop_assert!(!w.clause.contains("zq"), "{}", w.clause);
                prop_assert!(!w.clause.contains("urn:"), "{}", w.clause);
            }
        }
    }

    /// Adding an attribute the user does not have, then removing it, gives back the same user; the same for a
    /// new email value removed through a value filter.
    #[test]
    fn add_then_remove_restores(
        title in prop::option::of("[ -~]{0,12}"),
        nick in prop::option::of("[ -~]{0,12}"),
        emails in prop::collection::vec("[a-z]{1,6}@[a-z]{1,6}\\.org", 0..3),
        attr in prop::sample::select(vec!["title", "nickName", "displayName", "locale", "profileUrl", "x-custom"]),
        new_value in "[ -~]{1,12}",
        new_email in "[a-z]{1,6}@new\\.example",
        compat in prop::sample::select(vec![Compatibility::Strict, Compatibility::Tolerant]),
    ) {
        let mut user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "userName": "u"});
        if let Some(t) = title { user["title"] = json!(t); }
        if let Some(n) = nick { user["nickName"] = json!(n); }
        if !emails.is_empty() {
            user["emails"] = Value::Array(emails.iter().map(|e| json!({"value": e, "type": "work"})).collect());
        }
        let users = ResourceSchema::user();
        let run = |r: &mut Value, ops: Value| {
            let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
            PatchRequest::from_json(&body, compat).and_then(|p| p.apply(r, users, compat)).map(|_| ())
        };
        if user.get(attr).is_none() {
            let mut r = user.clone();
            run(&mut r, json!([{"op": "add", "path": attr, "value": new_value}])).unwrap();
            prop_assert_eq!(&r[attr], &json!(new_value));
            run(&mut r, json!([{"op": "remove", "path": attr}])).unwrap();
            prop_assert_eq!(&r, &user);
        }
        let mut r = user.clone();
        run(&mut r, json!([{"op": "add", "path": "emails", "value": [{"value": new_email, "type": "other"}]}])).unwrap();
        prop_assert_eq!(r["emails"].as_array().map(Vec::len), Some(emails.len() + 1));
        run(&mut r, json!([{"op": "remove", "path": format!("emails[value eq \"{new_email}\"]")}])).unwrap();
        prop_assert_eq!(&r, &user);
    }
}
