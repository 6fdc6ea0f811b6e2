//! The filter hot path: parse + evaluate 20 filters of varied shape against the RFC 7643 §8.2 user, and one
//! filter evaluated over 1 M in-memory users.
//!
//! Run with `cargo bench -p gatehouse-scim --bench filter`.
//!
//! The 1 M-user case cycles through a pool of 4096 distinct users (1 M evaluations, cheap to set up and small
//! enough for a 2-core CI box); a real 1 M-user table would add cache misses that this does not measure.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gatehouse_scim::filter::{Filter, parse_filter};
use gatehouse_scim::schema::ResourceSchema;
use serde_json::{Map, Value, json};

/// Twenty filters an IdP or an admin tool sends, with the expected result on the RFC 7643 §8.2 user.
const FILTERS: [(&str, bool); 20] = [
    (r#"userName eq "bjensen@example.com""#, true),
    (r#"userName Eq "BJensen@Example.com""#, true),
    (r#"emails co "example.com""#, true),
    (
        r#"emails[type eq "work"].value eq "bjensen@example.com""#,
        true,
    ),
    (r#"externalId eq "701984""#, true),
    (r#"id eq "2819c223-7f76-453a-919d-413861904646""#, true),
    (r#"displayName eq "Babs Jensen""#, true),
    (r#"name.familyName co "O'Malley""#, false),
    (r#"userName sw "J""#, false),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "b""#,
        true,
    ),
    ("title pr", true),
    (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
    (r#"meta.lastModified ge "2011-05-13T06:42:34+02:00""#, true),
    (r#"title pr and userType eq "Employee""#, true),
    (r#"title pr or userType eq "Intern""#, true),
    (
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        true,
    ),
    (
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        false,
    ),
    (
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        true,
    ),
    (
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        true,
    ),
    (
        r#"active eq true and not (userName ew "@example.org")"#,
        true,
    ),
];

fn full_user() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/data/rfc7643_full_user.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn pool(n: usize) -> Vec<Map<String, Value>> {
    (0..n)
        .map(|i| {
            let v = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": format!("{i:08x}"),
                "userName": format!("user{i}@{}.example.com", ["acme", "globex", "initech", "umbrella"][i % 4]),
                "active": i % 7 != 0,
                "title": if i % 3 == 0 { Value::Null } else { json!("Engineer") },
                "emails": [{"value": format!("user{i}@mail.example.org"), "type": "work", "primary": true}],
            });
            match v {
                Value::Object(m) => m,
                _ => unreachable!(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let users = ResourceSchema::user();
    let user = full_user();
    // Correctness first: 20 of 20.
    for (text, want) in FILTERS {
        assert_eq!(
            parse_filter(text).unwrap().matches(&user, users),
            want,
            "{text}"
        );
    }
    let parsed: Vec<Filter> = FILTERS
        .iter()
        .map(|(t, _)| parse_filter(t).unwrap())
        .collect();

    let mut g = c.benchmark_group("filters_x20");
    g.throughput(Throughput::Elements(FILTERS.len() as u64));
    g.bench_function("parse_and_evaluate", |b| {
        b.iter(|| {
            let mut hits = 0;
            for (text, _) in FILTERS {
                let f = parse_filter(black_box(text)).unwrap();
                hits += usize::from(f.matches(black_box(&user), users));
            }
            hits
        });
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            FILTERS
                .iter()
                .map(|(t, _)| parse_filter(black_box(t)).unwrap())
                .collect::<Vec<_>>()
        });
    });
    g.bench_function("evaluate", |b| {
        b.iter(|| {
            parsed
                .iter()
                .filter(|f| f.matches(black_box(&user), users))
                .count()
        });
    });
    g.finish();

    let pool = pool(4096);
    let f = parse_filter(
        r#"active eq true and (userName ew "@acme.example.com" or emails co "user7")"#,
    )
    .unwrap();
    let mut g = c.benchmark_group("one_filter_1m_users");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("evaluate", |b| {
        b.iter(|| {
            (0..1_000_000)
                .filter(|i| f.matches_object(&pool[i % pool.len()], users))
                .count()
        });
    });
    g.finish();

    // One interleaved run for the closing note: parse + evaluate per filter.
    let rounds = 20_000u32;
    let start = Instant::now();
    for _ in 0..rounds {
        for (text, _) in FILTERS {
            black_box(parse_filter(black_box(text)).unwrap().matches(&user, users));
        }
    }
    let per_filter = start.elapsed() / (rounds * FILTERS.len() as u32);
    eprintln!("parse + evaluate: {per_filter:?} per filter (mean over 20 filters x {rounds})");
}

criterion_group!(benches, bench);
criterion_main!(benches);
