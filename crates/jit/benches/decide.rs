//! Map + decide: the per-login hot path (Okta SAML claims → identity → decision against an existing user).
//!
//! Run with `cargo bench -p gatehouse-jit --bench decide`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_jit::{
    Claims, ConnectionId, Existing, Mapping, MemoryDirectory, Policy, Role, RoleMapping, RoleRule,
    UserDirectory, decide, provision, uri,
};

fn claims() -> Claims {
    Claims::saml(ConnectionId::new("acme"), Some("jane@acme.example".into()))
        .with(uri::EMAIL, ["Jane.Doe@Acme.example"])
        .with(uri::NAME, ["Jane Doe"])
        .with(uri::GIVEN_NAME, ["Jane"])
        .with(uri::SURNAME, ["Doe"])
        .with("email_verified", ["true"])
        .with("profile_picture", ["https://cdn.acme.example/jane.png"])
}

fn policy() -> Policy {
    let mut policy = Policy::new(ConnectionId::new("acme"));
    policy.roles = Some(RoleMapping {
        rules: vec![RoleRule {
            group: "admins".into(),
            role: Role::new("admin"),
        }],
        default: Role::new("member"),
    });
    policy
}

fn bench(c: &mut Criterion) {
    let claims = claims();
    let mapping = Mapping::okta_saml();
    let policy = policy();
    let identity = mapping.map(&claims).unwrap();
    let mut directory = MemoryDirectory::new();
    provision(&mut directory, &identity, &policy).unwrap();
    let returning = Existing::lookup(&directory, &identity, &policy).unwrap();
    let first = Existing::default();

    c.bench_function("map okta saml", |b| {
        b.iter(|| mapping.map(black_box(&claims)).unwrap())
    });
    c.bench_function("map+decide first login", |b| {
        b.iter(|| {
            let identity = mapping.map(black_box(&claims)).unwrap();
            decide(&identity, black_box(&first), &policy)
        })
    });
    c.bench_function("map+decide returning user", |b| {
        b.iter(|| {
            let identity = mapping.map(black_box(&claims)).unwrap();
            decide(&identity, black_box(&returning), &policy)
        })
    });
    c.bench_function("map+lookup+decide in memory (1 user)", |b| {
        b.iter(|| {
            let identity = mapping.map(black_box(&claims)).unwrap();
            let existing = Existing::lookup(&directory, &identity, &policy).unwrap();
            decide(&identity, &existing, &policy)
        })
    });
    let _ = directory.find_by_email(identity.email.as_ref().unwrap());
}

criterion_group!(benches, bench);
criterion_main!(benches);
