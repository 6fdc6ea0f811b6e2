//! Loopback load generator: SAML ACS logins per second and latency, SCIM `userName eq` lookups with 100 000 users
//! stored, SCIM create throughput. Figures, not assertions.
//!
//! Run with: `cargo bench -p gatehouse-service --bench load` (release build; server and load generator share the
//! machine, so the figures are a lower bound for the server alone). `LOAD_LOGINS`, `LOAD_USERS` and
//! `LOAD_CONCURRENCY` change the sizes. With `LOAD_POSTGRES_URL` (an empty PostgreSQL database, e.g.
//! `postgres://postgres@127.0.0.1:5432/gatehouse_load`) the same run repeats on PostgreSQL after SQLite.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use gatehouse_service::{AppState, Config, cli, demo_idp};
use sqlx::Row as _;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(what: &str, mut lat: Vec<Duration>, wall: Duration) {
    lat.sort();
    println!(
        "{what}: {} requests in {:.2} s = {:.0}/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().unwrap().as_secs_f64() * 1e3,
    );
}

/// Sends `bodies` with `concurrency` workers; returns latencies and wall time.
async fn blast(
    client: &reqwest::Client,
    requests: Vec<reqwest::Request>,
    concurrency: usize,
    ok: fn(u16) -> bool,
) -> (Vec<Duration>, Duration) {
    let queue = Arc::new(std::sync::Mutex::new(requests));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let queue = queue.clone();
        let client = client.clone();
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let Some(req) = queue.lock().unwrap().pop() else {
                    break;
                };
                let t = Instant::now();
                let resp = client.execute(req).await.unwrap();
                let status = resp.status().as_u16();
                let _ = resp.bytes().await.unwrap();
                assert!(ok(status), "status {status}");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    (all, start.elapsed())
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("gatehouse-load-{}", std::process::id()));
    println!("== SQLite ==");
    run(&format!("{}.db", dir.display()), &dir).await;
    if let Ok(url) = std::env::var("LOAD_POSTGRES_URL") {
        println!("== PostgreSQL ==");
        run(&url, &dir).await;
    }
    for suffix in ["db", "db-wal", "db-shm", "key"] {
        let _ = std::fs::remove_file(format!("{}.{suffix}", dir.display()));
    }
}

async fn run(db: &str, dir: &std::path::Path) {
    let logins = env("LOAD_LOGINS", 3000);
    let users = env("LOAD_USERS", 100_000);
    let concurrency = env("LOAD_CONCURRENCY", 32);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let key = format!("{}.key", dir.display());
    let mut state = AppState::open(Config::new(&base), db, &key, true)
        .await
        .unwrap();
    let (idp, banner) = cli::seed_demo(&state).await.unwrap();
    let token = banner
        .split_whitespace()
        .find(|w| w.starts_with("gh_pat_"))
        .unwrap()
        .to_owned();
    state.demo = Some(idp.clone());
    let app = gatehouse_service::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();

    // 1. SAML ACS: IdP-initiated responses signed in advance (unique assertion IDs), three users, so after the
    //    first logins JIT signs existing users in (the common case).
    let saml_app = idp
        .saml_apps
        .lock()
        .unwrap()
        .get(cli::DEMO_SAML)
        .cloned()
        .unwrap();
    let now = state.now();
    let t = Instant::now();
    let mut requests = Vec::new();
    for i in 0..logins {
        let user = &demo_idp::USERS[i % demo_idp::USERS.len()];
        let xml = demo_idp::saml_response(&idp, &saml_app, user, None, now).unwrap();
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair(
                "SAMLResponse",
                &base64::engine::general_purpose::STANDARD.encode(xml),
            )
            .finish();
        requests.push(
            client
                .post(format!(
                    "{base}/login/callback?connection={}",
                    cli::DEMO_SAML
                ))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form)
                .build()
                .unwrap(),
        );
    }
    println!(
        "signed {logins} SAML responses in {:.2} s (load generator side)",
        t.elapsed().as_secs_f64()
    );
    let (lat, wall) = blast(&client, requests, concurrency, |s| s == 303).await;
    report(
        &format!("SAML ACS logins (verify + replay + JIT + session), concurrency {concurrency}"),
        lat,
        wall,
    );

    // 2. SCIM lookups with `users` users stored.
    let ws: String = sqlx::query("SELECT id FROM workspaces WHERE name = 'demo'")
        .fetch_one(&state.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let t = Instant::now();
    let mut tx = state.pool.begin().await.unwrap();
    let insert = format!(
        "INSERT INTO users (id, workspace_id, email, user_name, user_name_lc, display_name, active, scim_managed, provisioned_by, data, created_at, updated_at) VALUES ($1, $2, $3, $3, $3, $4, 1, 1, 'scim', {}, 0, 0)",
        state.dialect.json_param(5)
    );
    for i in 0..users {
        let name = format!("bulk{i}@bulk.example");
        let data = serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": format!("bulk-{i}"),
            "userName": name, "displayName": format!("Bulk User {i}"), "active": true,
            "meta": {"resourceType": "User", "created": "2026-01-01T00:00:00Z", "lastModified": "2026-01-01T00:00:00Z", "version": "W/\"0\""}});
        sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
            .bind(format!("bulk-{i}"))
            .bind(&ws)
            .bind(&name)
            .bind(format!("Bulk User {i}"))
            .bind(data.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE users")
        .execute(&state.pool)
        .await
        .unwrap();
    println!("stored {users} users in {:.1} s", t.elapsed().as_secs_f64());
    let lookup = |filter: String| {
        client
            .get(format!(
                "{base}/backend/scim/v2/Users?filter={}",
                form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
            ))
            .bearer_auth(&token)
            .build()
            .unwrap()
    };
    let n = 2000;
    let reqs: Vec<_> = (0..n)
        .map(|i| {
            lookup(format!(
                "userName eq \"BULK{}@bulk.example\"",
                (i * 7919) % users
            ))
        })
        .collect();
    let (lat, wall) = blast(&client, reqs, 1, |s| s == 200).await;
    report(
        &format!("SCIM userName eq (indexed), {users} users, sequential"),
        lat,
        wall,
    );
    let reqs: Vec<_> = (0..n)
        .map(|i| {
            lookup(format!(
                "userName eq \"bulk{}@bulk.example\"",
                (i * 104_729) % users
            ))
        })
        .collect();
    let (lat, wall) = blast(&client, reqs, 8, |s| s == 200).await;
    report(
        &format!("SCIM userName eq (indexed), {users} users, concurrency 8"),
        lat,
        wall,
    );
    let reqs: Vec<_> = (0..20)
        .map(|i| {
            lookup(format!(
                "displayName eq \"Bulk User {}\"",
                (i * 7919) % users
            ))
        })
        .collect();
    let (lat, wall) = blast(&client, reqs, 1, |s| s == 200).await;
    report(
        &format!("SCIM displayName eq (JSON scan through the SQL translation), {users} users"),
        lat,
        wall,
    );

    // 3. SCIM create throughput.
    let reqs: Vec<_> = (0..2000)
        .map(|i| {
            client
                .post(format!("{base}/backend/scim/v2/Users"))
                .bearer_auth(&token)
                .header("content-type", "application/scim+json")
                .body(serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("new{i}@bulk.example"),
                    "name": {"givenName": "New", "familyName": format!("User{i}")}, "emails": [{"value": format!("new{i}@bulk.example"), "primary": true}], "active": true}).to_string())
                .build()
                .unwrap()
        })
        .collect();
    let (lat, wall) = blast(&client, reqs, 16, |s| s == 201).await;
    report("SCIM POST /Users, concurrency 16", lat, wall);
}
