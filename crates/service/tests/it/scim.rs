//! SCIM over a real socket: Okta's and Entra's recorded request sequences (third-party corpus), paging, ETags,
//! tenant isolation and the plan gate.

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Server, start};

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/scim/elimity-idp/testdata"
    ));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("GATEHOUSE_INTEROP").as_deref() != Ok("1"),
        "third-party corpus missing at {}",
        dir.display()
    );
    eprintln!(
        "skipping: third-party corpus not found at {}",
        dir.display()
    );
    None
}

async fn call(
    s: &Server,
    token: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut rb = reqwest::Client::new()
        .request(method, format!("{}/backend/scim/v2{path}", s.base))
        .bearer_auth(token);
    if let Some(b) = body {
        rb = rb
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

fn fixture(dir: &Path, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

/// The fixture's id in a path like `/Users/<id>`.
fn path_id(path: &str) -> String {
    path.rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// Replays a fixture: substitutes recorded ids with ours, sends it, checks the recorded status class.
async fn replay(s: &Server, dir: &Path, name: &str, ids: &[(String, String)]) -> Value {
    let f = fixture(dir, name);
    let mut path = f["path"].as_str().unwrap().to_owned();
    let mut body = f.get("request").cloned();
    for (theirs, ours) in ids {
        path = path.replace(theirs, ours);
        if let Some(b) = &mut body {
            *b = serde_json::from_str(&b.to_string().replace(theirs, ours)).unwrap();
        }
    }
    let method = Method::from_bytes(f["method"].as_str().unwrap().as_bytes()).unwrap();
    let (status, v, _) = call(s, &s.token, method, &path, body.as_ref()).await;
    let want = f["statusCode"].as_u64().unwrap();
    assert_eq!(u64::from(status) / 100, want / 100, "{name}: {status} {v}");
    v
}

#[tokio::test]
async fn okta_user_sequence_exists_create_get_put_deactivate() {
    let Some(dir) = corpus() else { return };
    let s = start().await;
    let okta = dir.join("okta");
    let v = replay(&s, &okta, "user_exists.json", &[]).await;
    assert_eq!(v["totalResults"], 0);
    let created = replay(&s, &okta, "create_user.json", &[]).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(
        created.get("password").is_none(),
        "the password is never returned"
    );
    let exists = replay(&s, &okta, "user_exists.json", &[]).await;
    assert_eq!(
        exists["totalResults"], 1,
        "the existence check now finds it"
    );
    let theirs = path_id(
        fixture(&okta, "retrieve_user.json")["path"]
            .as_str()
            .unwrap(),
    );
    let got = replay(&s, &okta, "retrieve_user.json", &[(theirs, id.clone())]).await;
    assert_eq!(got["userName"], created["userName"]);
    let theirs = path_id(fixture(&okta, "update_user.json")["path"].as_str().unwrap());
    let put = replay(
        &s,
        &okta,
        "update_user.json",
        &[(theirs.clone(), id.clone())],
    )
    .await;
    assert_eq!(put["id"], id.as_str());
    let theirs = path_id(
        fixture(&okta, "update_user_patch.json")["path"]
            .as_str()
            .unwrap(),
    );
    let patched = replay(&s, &okta, "update_user_patch.json", &[(theirs, id.clone())]).await;
    assert_eq!(patched["active"], false);
    assert_eq!(
        crate::harness::count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE active = 0 AND id = $1",
            &id
        )
        .await,
        1
    );
}

#[tokio::test]
async fn okta_group_push_create_rename_and_membership() {
    let Some(dir) = corpus() else { return };
    let s = start().await;
    let okta = dir.join("okta");
    // Members the fixtures name: create users to stand for them.
    let membership = fixture(&okta, "update_group_membership.json");
    let mut member_ids: Vec<String> = Vec::new();
    for op in membership["request"]["Operations"].as_array().unwrap() {
        if let Some(p) = op["path"].as_str().and_then(|p| p.split('"').nth(1)) {
            member_ids.push(p.to_owned());
        }
        for m in op["value"].as_array().into_iter().flatten() {
            if let Some(v) = m["value"].as_str() {
                member_ids.push(v.to_owned());
            }
        }
    }
    member_ids.sort();
    member_ids.dedup();
    let mut ids = Vec::new();
    for (i, theirs) in member_ids.iter().enumerate() {
        let (status, u, _) = call(&s, &s.token, Method::POST, "/Users", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("member{i}@demo.example")}))).await;
        assert_eq!(status, 201);
        ids.push((theirs.clone(), u["id"].as_str().unwrap().to_owned()));
    }
    let group = replay(&s, &okta, "create_group.json", &ids).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let mut with_group = ids.clone();
    for name in [
        "retrieve_group.json",
        "update_group_name.json",
        "update_group_membership.json",
    ] {
        with_group.push((
            path_id(fixture(&okta, name)["path"].as_str().unwrap()),
            gid.clone(),
        ));
    }
    replay(&s, &okta, "retrieve_group.json", &with_group).await;
    let renamed = replay(&s, &okta, "update_group_name.json", &with_group).await;
    let want = fixture(&okta, "update_group_name.json")["request"]["Operations"][0]["value"]["displayName"].clone();
    assert_eq!(renamed["displayName"], want);
    let after = replay(&s, &okta, "update_group_membership.json", &with_group).await;
    assert!(
        after["members"].as_array().is_none_or(|m| m
            .iter()
            .all(|x| ids.iter().any(|(_, o)| x["value"] == o.as_str()))),
        "{after}"
    );
}

#[tokio::test]
async fn entra_user_and_group_requests_are_accepted() {
    let Some(dir) = corpus() else { return };
    let s = start().await;
    let azure = dir.join("azuread");
    let created = replay(&s, &azure, "create_user.json", &[]).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let q = replay(&s, &azure, "get_user_query_0.json", &[]).await;
    assert_eq!(q["totalResults"], 0);
    let theirs = path_id(
        fixture(&azure, "update_user.json")["path"]
            .as_str()
            .unwrap(),
    );
    let patched = replay(&s, &azure, "update_user.json", &[(theirs, id.clone())]).await;
    assert_eq!(patched["active"], false);
    let group = replay(&s, &azure, "create_group.json", &[]).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let update = fixture(&azure, "update_group.json");
    let mut ids = vec![(path_id(update["path"].as_str().unwrap()), gid)];
    for op in update["request"]["Operations"].as_array().unwrap() {
        for m in op["value"].as_array().into_iter().flatten() {
            if let Some(v) = m["value"].as_str() {
                ids.push((v.to_owned(), id.clone()));
            }
        }
    }
    replay(&s, &azure, "update_group.json", &ids).await;
}

#[tokio::test]
async fn list_paging_filters_and_search() {
    let s = start().await;
    for i in 0..5 {
        let (status, _, _) = call(&s, &s.token, Method::POST, "/Users", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("user{i}@demo.example"), "active": i % 2 == 0}))).await;
        assert_eq!(status, 201);
    }
    // Pages of 2 partition the 5 users in a stable order.
    let mut seen = Vec::new();
    for start in [1, 3, 5] {
        let (_, page, _) = call(
            &s,
            &s.token,
            Method::GET,
            &format!("/Users?startIndex={start}&count=2"),
            None,
        )
        .await;
        assert_eq!(
            (page["totalResults"].as_u64(), page["startIndex"].as_u64()),
            (Some(5), Some(start))
        );
        assert_eq!(
            page["itemsPerPage"].as_u64(),
            Some(if start == 5 { 1 } else { 2 })
        );
        seen.extend(
            page["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["userName"].as_str().unwrap().to_owned()),
        );
    }
    seen.sort();
    assert_eq!(
        seen,
        (0..5)
            .map(|i| format!("user{i}@demo.example"))
            .collect::<Vec<_>>()
    );
    let (_, past, _) = call(
        &s,
        &s.token,
        Method::GET,
        "/Users?startIndex=9&count=0",
        None,
    )
    .await;
    assert_eq!(
        (past["totalResults"].as_u64(), past["itemsPerPage"].as_u64()),
        (Some(5), Some(0))
    );
    let (_, active, _) = call(
        &s,
        &s.token,
        Method::GET,
        "/Users?filter=active+eq+true",
        None,
    )
    .await;
    assert_eq!(active["totalResults"], 3);
    let (_, ci, _) = call(
        &s,
        &s.token,
        Method::GET,
        "/Users?filter=userName+eq+%22USER3%40DEMO.EXAMPLE%22",
        None,
    )
    .await;
    assert_eq!(ci["totalResults"], 1, "userName is case-insensitive");
    let (_, sw, _) = call(
        &s,
        &s.token,
        Method::GET,
        "/Users?filter=userName+sw+%22user%22+and+not+(active+eq+true)&attributes=userName",
        None,
    )
    .await;
    assert_eq!(sw["totalResults"], 2);
    assert!(
        sw["Resources"][0].get("active").is_none(),
        "projection honours attributes"
    );
    let (_, sorted, _) = call(
        &s,
        &s.token,
        Method::GET,
        "/Users?sortBy=userName&sortOrder=descending&count=1",
        None,
    )
    .await;
    assert_eq!(sorted["Resources"][0]["userName"], "user4@demo.example");
    let (status, search, _) = call(&s, &s.token, Method::POST, "/Users/.search", Some(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName ew \"3@demo.example\""}))).await;
    assert_eq!(status, 200, "{search}");
    assert_eq!(search["totalResults"], 1);
    let (status, err, _) = call(&s, &s.token, Method::GET, "/Users?filter=userName+eq", None).await;
    assert_eq!(status, 400);
    assert_eq!(err["scimType"], "invalidFilter");
    let (status, dup, _) = call(&s, &s.token, Method::POST, "/Users", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "User0@demo.example"}))).await;
    assert_eq!(status, 409, "{dup}");
    assert_eq!(dup["scimType"], "uniqueness");
}

#[tokio::test]
async fn etags_guard_updates() {
    let s = start().await;
    let (_, u, headers) = call(&s, &s.token, Method::POST, "/Users", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "etag@demo.example"}))).await;
    let id = u["id"].as_str().unwrap();
    let tag = headers.get("etag").unwrap().to_str().unwrap().to_owned();
    assert_eq!(u["meta"]["version"], tag.as_str());
    let resp = reqwest::Client::new()
        .get(format!("{}/backend/scim/v2/Users/{id}", s.base))
        .bearer_auth(&s.token)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "E. Tag"}]});
    let resp = reqwest::Client::new()
        .patch(format!("{}/backend/scim/v2/Users/{id}", s.base))
        .bearer_auth(&s.token)
        .header("if-match", "W/\"stale\"")
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 412);
    let resp = reqwest::Client::new()
        .patch(format!("{}/backend/scim/v2/Users/{id}", s.base))
        .bearer_auth(&s.token)
        .header("if-match", &tag)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let new_tag = resp
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_tag, tag);
    let (status, _, _) = call(&s, &s.token, Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _, _) = call(&s, &s.token, Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn tenant_isolation_a_token_never_reaches_another_workspace() {
    let s = start().await;
    let other = gatehouse_service::model::create_workspace(&s.state, "other", "enterprise")
        .await
        .unwrap();
    let other_token = gatehouse_service::tokens::create(&s.state, &other, "SCIM")
        .await
        .unwrap();
    let (_, a_user, _) = call(&s, &s.token, Method::POST, "/Users", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "shared@corp.example"}))).await;
    let a_id = a_user["id"].as_str().unwrap().to_owned();
    // The same userName may exist in both workspaces.
    let (status, b_user, _) = call(&s, &other_token, Method::POST, "/Users", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "shared@corp.example"}))).await;
    assert_eq!(status, 201, "{b_user}");
    for (method, body) in [
        (Method::GET, None),
        (
            Method::PUT,
            Some(
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@corp.example"}),
            ),
        ),
        (
            Method::PATCH,
            Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}),
            ),
        ),
        (Method::DELETE, None),
    ] {
        let (status, _, _) = call(
            &s,
            &other_token,
            method.clone(),
            &format!("/Users/{a_id}"),
            body.as_ref(),
        )
        .await;
        assert_eq!(status, 404, "{method} of another workspace's user");
    }
    let (_, list, _) = call(&s, &other_token, Method::GET, "/Users", None).await;
    assert_eq!(list["totalResults"], 1);
    assert_ne!(list["Resources"][0]["id"], a_id.as_str());
    let (status, err, _) = call(&s, &other_token, Method::POST, "/Groups", Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "g", "members": [{"value": a_id}]}))).await;
    assert_eq!(
        status, 400,
        "a group cannot reference another workspace's user: {err}"
    );
    let (_, still, _) = call(&s, &s.token, Method::GET, &format!("/Users/{a_id}"), None).await;
    assert_eq!(still["userName"], "shared@corp.example");
}

#[tokio::test]
async fn scim_is_refused_for_workspaces_without_the_enterprise_plan_and_for_revoked_tokens() {
    let s = start().await;
    let starter = gatehouse_service::model::workspace_by_name(&s.state, "starter")
        .await
        .unwrap()
        .unwrap();
    let token = gatehouse_service::tokens::create(&s.state, &starter, "SCIM")
        .await
        .unwrap();
    let (status, err, _) = call(&s, &token, Method::GET, "/Users", None).await;
    assert_eq!(status, 403, "{err}");
    let demo = gatehouse_service::model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    let t = gatehouse_service::tokens::create(&s.state, &demo, "temp")
        .await
        .unwrap();
    assert_eq!(call(&s, &t, Method::GET, "/Users", None).await.0, 200);
    let listed = gatehouse_service::tokens::list(&s.state, &demo)
        .await
        .unwrap();
    let info = listed.iter().find(|i| i.name == "temp").unwrap();
    assert!(t.starts_with(&info.prefix) && info.last_used_at.is_some());
    assert!(
        gatehouse_service::tokens::revoke(&s.state, &demo, &info.id)
            .await
            .unwrap()
    );
    assert_eq!(call(&s, &t, Method::GET, "/Users", None).await.0, 401);
    // Only the hash is stored.
    assert_eq!(
        crate::harness::count(
            &s.state,
            "SELECT COUNT(*) AS n FROM access_tokens WHERE hash = $1",
            &t
        )
        .await,
        0
    );
}

#[tokio::test]
async fn discovery_endpoints_list_and_look_up_schemas_and_resource_types() {
    let s = start().await;
    let (_, spc, _) = call(&s, &s.token, Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["etag"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    let (_, types, _) = call(&s, &s.token, Method::GET, "/ResourceTypes", None).await;
    let names: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User", "Group"]);
    let (status, user_type, _) = call(&s, &s.token, Method::GET, "/ResourceTypes/User", None).await;
    assert_eq!(status, 200);
    assert_eq!(user_type["endpoint"], "/Users");
    let (status, schema, _) = call(
        &s,
        &s.token,
        Method::GET,
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        None,
    )
    .await;
    assert_eq!(status, 200, "{schema}");
    assert!(
        schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "userName" && a["uniqueness"] == "server")
    );
    assert_eq!(
        call(&s, &s.token, Method::GET, "/Schemas/urn:nope", None)
            .await
            .0,
        404
    );
}
