//! Several instances sharing one database (what a load balancer in front of N instances sees): two services on
//! different ports, one public URL, one database — a shared SQLite file always, PostgreSQL under
//! `GATEHOUSE_INTEROP=1`. Logins, sessions and SCIM writes made through one are seen by the other; one-time
//! state (outstanding SAML requests, replay keys, OIDC `state`) is consumed exactly once across them.

use std::collections::HashMap;

use gatehouse_scim::filter::parse_filter;
use gatehouse_scim::schema::ResourceSchema;
use gatehouse_service::{AppState, Config, cli, db};
use serde_json::{Value, json};
use sqlx::Row as _;

use crate::harness::{Browser, Page, TempFiles, forms, saml_login, start_login, temp_prefix};
use crate::pg::{TestDb, postgres, sqlite};

pub(crate) struct Instance {
    pub(crate) addr: String,
    pub(crate) state: AppState,
}

pub(crate) struct Pair {
    pub(crate) a: Instance,
    pub(crate) b: Instance,
    /// The public URL both serve (instance A's address, standing in for the load balancer's).
    pub(crate) public: String,
    pub(crate) token: String,
    _key: TempFiles,
    _db: TestDb,
}

async fn instance(
    listener: tokio::net::TcpListener,
    public: &str,
    url: &str,
    key: &str,
) -> (Instance, String) {
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let mut state = AppState::open(Config::new(public), url, key, true)
        .await
        .unwrap();
    let (idp, banner) = cli::seed_demo(&state).await.unwrap();
    state.demo = Some(idp);
    let token = banner
        .split_whitespace()
        .find(|w| w.starts_with("gh_pat_"))
        .unwrap()
        .to_owned();
    let app = gatehouse_service::router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (Instance { addr, state }, token)
}

/// Two instances on one database, both seeded (the second finds the first's demo workspace and IdP keys).
pub(crate) async fn pair(database: TestDb) -> Pair {
    let la = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let lb = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = format!("http://{}", la.local_addr().unwrap());
    let prefix = temp_prefix();
    let key = format!("{}.key", prefix.display());
    let (a, token) = instance(la, &public, &database.url, &key).await;
    let (b, _) = instance(lb, &public, &database.url, &key).await;
    assert_eq!(a.state.dialect, db::Dialect::of_url(&database.url));
    Pair {
        a,
        b,
        public,
        token,
        _key: TempFiles(prefix),
        _db: database,
    }
}

/// `url` (on the public URL) sent to instance `to` instead.
fn on(p: &Pair, to: &Instance, url: &str) -> String {
    url.replacen(&p.public, &to.addr, 1)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts one form to every URL at once; (status, Location, whether a session cookie was set) per post.
async fn race_post(
    urls: &[String],
    fields: &[(String, String)],
) -> Vec<(u16, Option<String>, bool)> {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(urls.len()));
    let tasks: Vec<_> = urls
        .iter()
        .map(|url| {
            let (url, body, barrier) = (url.clone(), body.clone(), barrier.clone());
            tokio::spawn(async move {
                let c = client();
                barrier.wait().await;
                let r = c
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                outcome(&r)
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn outcome(r: &reqwest::Response) -> (u16, Option<String>, bool) {
    (
        r.status().as_u16(),
        r.headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned()),
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("gh_session=")),
    )
}

fn successes(results: &[(u16, Option<String>, bool)]) -> usize {
    results
        .iter()
        .filter(|(status, _, session)| *status == 303 && *session)
        .count()
}

async fn count(state: &AppState, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&state.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// The auto-posting SAML form the demo IdP returns: (ACS URL, fields).
fn saml_form(page: &Page) -> (String, Vec<(String, String)>) {
    let (action, fields) = forms(&page.body).into_iter().next().unwrap();
    assert!(
        fields.iter().any(|(k, _)| k == "SAMLResponse"),
        "{}",
        page.body
    );
    (action, fields)
}

/// One SAML response, posted 4 times to each instance at the same moment.
async fn saml_response_races(p: &Pair, sp_initiated: bool) {
    let mut b = Browser::new(&p.public);
    let form = if sp_initiated {
        let to_idp = start_login(&mut b, "grace@demo.example", "demo-saml").await;
        let picker = b.get(&to_idp.location().unwrap()).await;
        b.submit(&picker, Some(("user", "1")), &[]).await
    } else {
        let picker = b.get("/_demo-idp/saml/launch?app=demo-saml").await;
        b.submit(&picker, Some(("user", "1")), &[]).await
    };
    let (acs, fields) = saml_form(&form);
    let urls: Vec<String> = (0..8)
        .map(|i| on(p, if i % 2 == 0 { &p.a } else { &p.b }, &acs))
        .collect();
    let results = race_post(&urls, &fields).await;
    let reasons: Vec<String> =
        sqlx::query("SELECT reason FROM audit_log WHERE outcome = 'refused'")
            .fetch_all(&p.a.state.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("reason").unwrap())
            .collect();
    assert_eq!(successes(&results), 1, "{results:?} {reasons:?}");
    for (status, _, session) in &results {
        assert!(
            *status == 403 || (*status == 303 && *session),
            "{results:?}"
        );
    }
    assert_eq!(
        count(&p.b.state, "SELECT COUNT(*) AS n FROM sessions").await,
        1
    );
    assert_eq!(
        count(
            &p.a.state,
            "SELECT COUNT(*) AS n FROM audit_log WHERE outcome = 'refused' AND reason LIKE 'saml:%'"
        )
        .await,
        7
    );
}

async fn oidc_state_races(p: &Pair) {
    let mut b = Browser::new(&p.public);
    let to_idp = start_login(&mut b, "grace@demo.example", "demo-oidc").await;
    assert_eq!(to_idp.status, 303, "{}", to_idp.body);
    let picker = b.get(&to_idp.location().unwrap()).await;
    let back = b.submit(&picker, Some(("user", "1")), &[]).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let callback = back.location().unwrap();
    assert!(callback.contains("state="), "{callback}");
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let tasks: Vec<_> = [&p.a, &p.b]
        .iter()
        .map(|inst| {
            let (url, cookie, barrier) = (on(p, inst, &callback), cookie.clone(), barrier.clone());
            tokio::spawn(async move {
                let c = client();
                barrier.wait().await;
                let r = c.get(url).header("cookie", cookie).send().await.unwrap();
                let o = outcome(&r);
                (o, r.text().await.unwrap())
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let outcomes: Vec<_> = results.iter().map(|(o, _)| o.clone()).collect();
    assert_eq!(successes(&outcomes), 1, "{results:?}");
    let (_, loser) = results
        .iter()
        .find(|((status, _, _), _)| *status != 303)
        .unwrap();
    assert!(loser.contains("oidc:"), "{loser}");
    assert_eq!(
        count(&p.a.state, "SELECT COUNT(*) AS n FROM oidc_pending").await,
        0
    );
    assert_eq!(
        count(&p.a.state, "SELECT COUNT(*) AS n FROM sessions").await,
        1
    );
}

async fn shared_sessions_and_scim(p: &Pair) {
    // Sign in on A; the session cookie works on B; signing out on B ends it on A.
    let mut on_a = Browser::new(&p.a.addr);
    let done = saml_login(&mut on_a, "ada@demo.example", "0").await;
    assert_eq!(done.status, 303, "{}", done.body);
    let mut on_b = Browser::new(&p.b.addr);
    on_b.cookies = on_a.cookies.clone();
    let home = on_b.get("/").await;
    assert!(home.body.contains("Ada Lovelace"), "{}", home.body);
    let tokens = on_b.get("/settings/tokens").await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let out = on_b.get("/logout").await;
    assert_eq!(out.status, 303);
    let home = on_a.get("/").await;
    assert!(home.body.contains("not signed in"), "{}", home.body);

    // SCIM: created on A, found and changed on B, seen changed on A; a group made on B lists on A.
    let c = client();
    let auth = format!("Bearer {}", p.token);
    let scim = |inst: &Instance, path: &str| format!("{}/backend/scim/v2{path}", inst.addr);
    let created: Value = c
        .post(scim(&p.a, "/Users"))
        .header("authorization", &auth)
        .header("content-type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Shared@demo.example",
                "name": {"givenName": "Sha", "familyName": "Red"}, "emails": [{"value": "shared@demo.example", "primary": true}],
                "active": true})
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let found: Value = c
        .get(scim(
            &p.b,
            "/Users?filter=userName%20eq%20%22shared@demo.example%22",
        ))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let patched = c
        .patch(scim(&p.b, &format!("/Users/{id}")))
        .header("authorization", &auth)
        .header("content-type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": false}}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let seen: Value = c
        .get(scim(&p.a, &format!("/Users/{id}")))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["active"], false, "{seen}");
    let group = c
        .post(scim(&p.b, "/Groups"))
        .header("authorization", &auth)
        .header("content-type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Shared Team",
                "members": [{"value": id}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(group.status(), 201);
    let groups: Value = c
        .get(scim(
            &p.a,
            "/Groups?filter=displayName%20eq%20%22shared%20team%22",
        ))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups["totalResults"], 1, "{groups}");
    assert_eq!(groups["Resources"][0]["members"][0]["value"], id.as_str());
}

/// Users for the pushdown check: varied names, emails, titles, activity.
fn pushdown_users() -> Vec<Value> {
    let people = [
        ("ada", "Ada", "Lovelace", "Engineer", true, "work"),
        ("grace", "Grace", "Hopper", "Admiral", true, "work"),
        ("linus", "Linus", "Torvalds", "Engineer", false, "home"),
        ("barbara", "Barbara", "Liskov", "Professor", true, "work"),
        ("edsger", "Edsger", "Dijkstra", "", true, "home"),
        ("o-malley", "Zed", "O'Malley", "Tour Guide", false, "work"),
    ];
    people
        .iter()
        .map(|(user, given, family, title, active, kind)| {
            let mut u = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("{user}@push.example"), "externalId": format!("ext-{user}"),
                "name": {"givenName": given, "familyName": family}, "displayName": format!("{given} {family}"),
                "emails": [{"value": format!("{user}@push.example"), "type": kind, "primary": true}],
                "active": active});
            if !title.is_empty() {
                u["title"] = json!(title);
            }
            u
        })
        .collect()
}

const PUSHDOWN_FILTERS: &[&str] = &[
    r#"userName eq "ADA@push.example""#,
    r#"displayName eq "grace hopper""#,
    r#"name.familyName co "o'm""#,
    r#"name.familyName sw "L""#,
    r#"userName ew "push.example""#,
    "title pr",
    "not (title pr)",
    "active eq false",
    "active eq true and title pr",
    r#"emails[type eq "work" and value co "a"]"#,
    r#"emails.type eq "home" or title eq "admiral""#,
    r#"externalId eq "ext-linus""#,
    r#"meta.lastModified gt "2000-01-01T00:00:00Z""#,
    r#"meta.created lt "2000-01-01T00:00:00Z""#,
    r#"title ne "Engineer""#,
];

/// Every filter, pushed down to the database, selects what in-memory evaluation of the stored users selects.
async fn scim_pushdown_agrees_with_memory(p: &Pair) {
    let c = client();
    let auth = format!("Bearer {}", p.token);
    let base = format!("{}/backend/scim/v2/Users", p.a.addr);
    for u in pushdown_users() {
        let r = c
            .post(&base)
            .header("authorization", &auth)
            .header("content-type", "application/scim+json")
            .body(u.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let all: Value = c
        .get(format!("{base}?count=200"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = all["Resources"].as_array().unwrap().clone();
    assert_eq!(stored.len(), 6);
    let names = |rs: &[Value]| {
        let mut v: Vec<String> = rs
            .iter()
            .map(|r| r["userName"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let mut nonempty = 0;
    for text in PUSHDOWN_FILTERS {
        let f = parse_filter(text).unwrap();
        let want: Vec<Value> = stored
            .iter()
            .filter(|u| f.matches(u, ResourceSchema::user()))
            .cloned()
            .collect();
        let got: Value = c
            .get(format!(
                "{base}?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("filter", text)
                    .finish()
            ))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let got = got["Resources"].as_array().cloned().unwrap_or_default();
        assert_eq!(names(&got), names(&want), "{text}");
        nonempty += usize::from(!want.is_empty() && want.len() < stored.len());
    }
    assert!(nonempty >= 10, "the filters discriminate: {nonempty}");
}

/// A NUL character in a SCIM value: SQLite stores it, PostgreSQL cannot (`text`/`jsonb`) and answers 400
/// invalidValue — never an internal error.
async fn nul_characters_are_refused_or_stored(p: &Pair) {
    let c = client();
    let r = c
        .post(format!("{}/backend/scim/v2/Users", p.b.addr))
        .header("authorization", format!("Bearer {}", p.token))
        .header("content-type", "application/scim+json")
        .body(r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "nul@demo.example", "displayName": "A\u0000B"}"#)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    match p.b.state.dialect {
        db::Dialect::Postgres => {
            assert_eq!(status, 400, "{body}");
            assert_eq!(body["scimType"], "invalidValue", "{body}");
        }
        _ => assert_eq!(status, 201, "{body}"),
    }
}

/// Expired rows go in batches; live rows stay.
async fn sweep_in_batches(p: &Pair) {
    let pool = &p.a.state.pool;
    let now = 1_900_000_000_i64;
    let mut tx = pool.begin().await.unwrap();
    for i in 0..1234 {
        sqlx::query("INSERT INTO replay_cache (key, expires_at) VALUES ($1, $2)")
            .bind(format!("old-{i}"))
            .bind(now - 1 - i)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    for i in 0..10 {
        sqlx::query("INSERT INTO replay_cache (key, expires_at) VALUES ($1, $2)")
            .bind(format!("live-{i}"))
            .bind(now + 60)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    for i in 0..250 {
        sqlx::query("INSERT INTO saml_requests (id, connection, issued_at, expires_at) VALUES ($1, 'demo-saml', $2, $2)")
            .bind(format!("req-{i}"))
            .bind(now - 300)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let removed = db::sweep_batched(pool, now, 100).await.unwrap();
    assert_eq!(removed, 1234 + 250);
    assert_eq!(
        count(&p.b.state, "SELECT COUNT(*) AS n FROM replay_cache").await,
        10
    );
    assert_eq!(
        count(&p.b.state, "SELECT COUNT(*) AS n FROM saml_requests").await,
        0
    );
    assert_eq!(db::sweep(pool, now).await.unwrap(), 0);
}

macro_rules! on_both {
    ($scenario:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $sqlite() {
            $scenario(&pair(sqlite()).await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $postgres() {
            let Some(database) = postgres().await else {
                return;
            };
            $scenario(&pair(database).await).await;
        }
    };
}

async fn sp_initiated(p: &Pair) {
    saml_response_races(p, true).await;
}

async fn idp_initiated(p: &Pair) {
    saml_response_races(p, false).await;
}

on_both!(
    sp_initiated,
    one_sp_initiated_saml_response_posted_to_two_instances_signs_in_once_on_sqlite,
    one_sp_initiated_saml_response_posted_to_two_instances_signs_in_once_on_postgres
);
on_both!(
    idp_initiated,
    one_idp_initiated_saml_response_posted_to_two_instances_signs_in_once_on_sqlite,
    one_idp_initiated_saml_response_posted_to_two_instances_signs_in_once_on_postgres
);
on_both!(
    oidc_state_races,
    one_oidc_state_consumed_on_two_instances_at_once_signs_in_once_on_sqlite,
    one_oidc_state_consumed_on_two_instances_at_once_signs_in_once_on_postgres
);
on_both!(
    shared_sessions_and_scim,
    sessions_and_scim_writes_are_shared_between_instances_on_sqlite,
    sessions_and_scim_writes_are_shared_between_instances_on_postgres
);
on_both!(
    scim_pushdown_agrees_with_memory,
    scim_filters_pushed_down_select_what_memory_selects_on_sqlite,
    scim_filters_pushed_down_select_what_memory_selects_on_postgres
);
on_both!(
    nul_characters_are_refused_or_stored,
    nul_characters_in_scim_values_never_cause_internal_errors_on_sqlite,
    nul_characters_in_scim_values_never_cause_internal_errors_on_postgres
);
on_both!(
    sweep_in_batches,
    expired_rows_are_swept_in_batches_on_sqlite,
    expired_rows_are_swept_in_batches_on_postgres
);

/// Instances starting together on a fresh PostgreSQL database migrate it once (the advisory lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_migrate_postgres_once() {
    let Some(database) = postgres().await else {
        return;
    };
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = database.url.clone();
            tokio::spawn(async move { db::open(&url).await.unwrap() })
        })
        .collect();
    let mut pools = Vec::new();
    for o in opens {
        pools.push(o.await.unwrap());
    }
    let versions: Vec<i64> = sqlx::query("SELECT version FROM schema_version ORDER BY version")
        .fetch_all(&pools[0])
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("version").unwrap())
        .collect();
    let want: Vec<i64> = (1..=versions.len() as i64).collect();
    assert_eq!(versions, want);
    assert!(versions.len() >= 3);
    // The SCIM column is jsonb there (what gatehouse-scim's PostgreSQL dialect expects).
    let types: HashMap<String, String> = sqlx::query(
        "SELECT CAST(table_name AS TEXT) AS t, CAST(data_type AS TEXT) AS d FROM information_schema.columns WHERE column_name = 'data'",
    )
    .fetch_all(&pools[0])
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get("t").unwrap(), r.try_get("d").unwrap()))
    .collect();
    assert_eq!(types.get("users").map(String::as_str), Some("jsonb"));
    assert_eq!(types.get("scim_groups").map(String::as_str), Some("jsonb"));
}
