//! `/settings/audit`: this workspace's sign-ins, refusals and SCIM changes only, filtered by connection, outcome
//! and time, 50 per page, newest first, no secrets.

use gatehouse_service::model;

use crate::harness::{Browser, saml_login, start};

/// 2020-01-01T00:00:00Z.
const BASE_AT: i64 = 1_577_836_800;

async fn insert(
    state: &gatehouse_service::AppState,
    ws: &str,
    at: i64,
    conn: &str,
    outcome: &str,
    reason: &str,
) {
    sqlx::query("INSERT INTO audit_log (id, at, workspace_id, connection, outcome, reason) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(format!("test-{ws}-{at}-{reason}"))
        .bind(at)
        .bind(ws)
        .bind(conn)
        .bind(outcome)
        .bind(reason)
        .execute(&state.pool)
        .await
        .unwrap();
}

/// The `row NNN` markers on a page, in page order.
fn markers(body: &str) -> Vec<u32> {
    body.match_indices("row ")
        .filter_map(|(i, _)| body.get(i + 4..i + 7)?.parse().ok())
        .collect()
}

#[tokio::test]
async fn the_audit_log_shows_this_workspace_filtered_paged_newest_first() {
    let s = start().await;
    let demo = model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    let starter = model::workspace_by_name(&s.state, "starter")
        .await
        .unwrap()
        .unwrap();
    // 120 rows an hour apart from 2020-01-01: even rows conn-a, odd conn-b; every third refused.
    for i in 0..120u32 {
        let conn = if i % 2 == 0 { "conn-a" } else { "conn-b" };
        let outcome = if i % 3 == 0 { "refused" } else { "signed-in" };
        insert(
            &s.state,
            &demo.id,
            BASE_AT + i64::from(i) * 3600,
            conn,
            outcome,
            &format!("row {i:03}"),
        )
        .await;
    }
    // Another workspace's rows, on a connection of the same name and at the same times.
    for i in 0..5 {
        insert(
            &s.state,
            &starter.id,
            BASE_AT + i * 3600,
            "conn-a",
            "signed-in",
            &format!("other-workspace {i}"),
        )
        .await;
    }
    // A reason that (wrongly) carries a token.
    insert(
        &s.state,
        &demo.id,
        BASE_AT - 1,
        "conn-c",
        "token-created",
        "leaked gh_pat_abc123_SECRETSECRET",
    )
    .await;

    let mut ada = Browser::new(&s.base);
    saml_login(&mut ada, "ada@demo.example", "0").await;
    // A SCIM change through the API shows up too.
    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(format!("{}/backend/scim/v2/Users", s.base))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "audit@demo.example", "active": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let patched = client
        .patch(format!("{}/backend/scim/v2/Users/{id}", s.base))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let del = client
        .delete(format!("{}/backend/scim/v2/Users/{id}", s.base))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);

    let all = ada.get("/settings/audit").await;
    assert_eq!(all.status, 200, "{}", all.body);
    // The SCIM calls (within one second, so their order is not checked here; order is checked below with
    // rows an hour apart): each names the user.
    let scim = ada.get("/settings/audit?outcome=scim-created").await;
    assert!(scim.body.contains(&format!("User {id}")), "{}", scim.body);
    for o in ["scim-created", "scim-patched", "scim-deleted"] {
        assert!(
            all.body
                .contains(&format!("<td>{o}</td><td>User {id}</td>")),
            "{o}: {}",
            all.body
        );
    }
    assert!(
        all.body.contains("demo-saml"),
        "Ada's own sign-in is listed: {}",
        all.body
    );
    assert!(
        !all.body.contains("other-workspace"),
        "tenant isolation: {}",
        all.body
    );
    assert!(
        !all.body.contains("SECRETSECRET"),
        "no secrets: {}",
        all.body
    );

    // Only the 2020 rows (the seeded, SCIM and login rows are from now): newest first, 50 per page.
    let q = "from=2020-01-01&to=2020-01-31";
    let cases: &[(&str, Vec<u32>, bool)] = &[
        ("&page=0", (70..120).rev().collect(), true),
        ("&page=1", (20..70).rev().collect(), true),
        ("&page=2", (0..20).rev().collect(), false),
        (
            "&connection=conn-b",
            (0..120).rev().filter(|i| i % 2 == 1).take(50).collect(),
            true,
        ),
        (
            "&outcome=refused",
            (0..120).rev().filter(|i| i % 3 == 0).collect(),
            false,
        ),
        (
            "&connection=conn-a&outcome=refused",
            (0..120).rev().filter(|i| i % 6 == 0).collect(),
            false,
        ),
        // 2020-01-02 is hours 24..=47; `to` is inclusive of the whole day.
        (
            "&from=2020-01-02&to=2020-01-02",
            (24..48).rev().collect(),
            false,
        ),
        ("&connection=nope", vec![], false),
    ];
    for (extra, want, older) in cases {
        // A later `from`/`to` in `extra` overrides the default range (the last value of a key wins).
        let url = if extra.contains("from=") {
            format!("/settings/audit?{}", &extra[1..])
        } else {
            format!("/settings/audit?{q}{extra}")
        };
        let page = ada.get(&url).await;
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        assert_eq!(&markers(&page.body), want, "{url}");
        assert_eq!(page.body.contains("Older →"), *older, "{url}");
        assert!(!page.body.contains("other-workspace"), "{url}");
    }
    // The Older link keeps the filters.
    let first = ada
        .get(&format!("/settings/audit?{q}&connection=conn-b"))
        .await;
    let older = first
        .body
        .split("href=\"")
        .filter_map(|h| h.split('"').next())
        .find(|h| h.contains("page=1"))
        .unwrap()
        .replace("&amp;", "&");
    let second = ada.get(&older).await;
    assert_eq!(
        markers(&second.body),
        (0..120)
            .rev()
            .filter(|i| i % 2 == 1)
            .skip(50)
            .collect::<Vec<_>>()
    );
    // A malformed date is explained, not a 500.
    let bad = ada.get("/settings/audit?from=yesterday").await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("must be a date like"), "{}", bad.body);
}

#[tokio::test]
async fn the_audit_log_is_for_admins_of_enterprise_workspaces() {
    let s = start().await;
    let anon = Browser::new(&s.base).get("/settings/audit").await;
    assert_eq!(
        anon.location().as_deref(),
        Some("/login"),
        "signed out goes to sign-in"
    );
    let mut grace = Browser::new(&s.base);
    saml_login(&mut grace, "grace@demo.example", "1").await;
    assert_eq!(grace.get("/settings/audit").await.status, 403);
}
