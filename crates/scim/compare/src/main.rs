//! Parse + evaluate of the bench's 20 filters with this crate and with the `scim-filter` crate, in one run,
//! on a small user and on the RFC 7643 §8.2 user; prints which filters each gets wrong and the time ratio.
//! `bench.js` beside this does the same for the npm package `scim2-parse-filter`
//! (`npm install scim2-parse-filter@0.2.10 && node bench.js` in this folder).
//!
//! Run with: cargo run --release --manifest-path crates/scim/compare/Cargo.toml
use std::hint::black_box;
use std::time::Instant;

use gatehouse_scim::filter::parse_filter;
use gatehouse_scim::schema::ResourceSchema;

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

fn main() {
    let user: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/it/data/rfc7643_full_user.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let schema = ResourceSchema::user();
    let mut theirs_ok = 0;
    let mut ours_ok = 0;
    for (f, want) in FILTERS {
        let t = scim_filter::scim_filter(f, &[user.clone()]).map(|v| !v.is_empty());
        let o = parse_filter(f).unwrap().matches(&user, schema);
        if t.as_ref().ok() == Some(&want) {
            theirs_ok += 1
        } else {
            println!("scim-filter wrong on {f}: {t:?}")
        }
        if o == want {
            ours_ok += 1
        }
    }
    println!("correct: gatehouse-scim {ours_ok}/20, scim-filter {theirs_ok}/20");
    let small: serde_json::Value = serde_json::json!({"id": "2819c223-7f76-453a-919d-413861904646", "externalId": "701984",
        "userName": "bjensen@example.com", "displayName": "Babs Jensen", "title": "Tour Guide", "userType": "Employee", "active": true,
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "meta": {"lastModified": "2011-05-13T04:42:34Z"}});
    for (label, user) in [("small user", small), ("RFC 7643 full user", user)] {
        let users = vec![user.clone()];
        println!("{label}:");
        for round in 0..3 {
            let n = 5_000u32;
            let t0 = Instant::now();
            for _ in 0..n {
                for (f, _) in FILTERS {
                    let _ = black_box(scim_filter::scim_filter(black_box(f), black_box(&users)));
                }
            }
            let theirs = t0.elapsed() / (n * 20);
            let t0 = Instant::now();
            for _ in 0..n {
                for (f, _) in FILTERS {
                    black_box(
                        parse_filter(black_box(f))
                            .map(|p| p.matches(black_box(&user), schema))
                            .ok(),
                    );
                }
            }
            let ours = t0.elapsed() / (n * 20);
            println!(
                "round {round}: scim-filter {theirs:?}/filter, gatehouse-scim {ours:?}/filter, ratio {:.2}",
                theirs.as_secs_f64() / ours.as_secs_f64()
            );
        }
    }
}
