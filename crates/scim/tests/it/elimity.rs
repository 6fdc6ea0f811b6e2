//! The recorded Okta and Azure AD (Entra ID) requests of `../shared/corpus/scim/elimity-idp`, fed through a
//! small in-memory SCIM server built only from this crate's pieces. The recorded responses come from stubs,
//! so the checks are the status codes and the outcomes RFC 7644 implies for each request.

use chrono::{TimeZone, Utc};
use gatehouse_scim::list::{ListQuery, check_if_match, project, same_unique_value};
use gatehouse_scim::patch::PatchRequest;
use gatehouse_scim::resource::{self, Resource};
use gatehouse_scim::schema::ResourceSchema;
use gatehouse_scim::{Compatibility, Error};
use serde_json::{Value, json};

use crate::support::{corpus, read_json};

/// A minimal server over two in-memory tables, as a host application would write it.
struct Server {
    compat: Compatibility,
    users: Vec<Resource>,
    groups: Vec<Resource>,
    next_id: u32,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

impl Server {
    fn new(compat: Compatibility) -> Self {
        Self {
            compat,
            users: Vec::new(),
            groups: Vec::new(),
            next_id: 1,
        }
    }

    fn table(&mut self, endpoint: &str) -> (&'static ResourceSchema, &mut Vec<Resource>) {
        match endpoint {
            "Users" => (ResourceSchema::user(), &mut self.users),
            "Groups" => (ResourceSchema::group(), &mut self.groups),
            other => panic!("no endpoint {other}"),
        }
    }

    fn handle(&mut self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        match self.try_handle(method, path, body) {
            Ok(r) => r,
            Err(e) => (e.status(), e.to_scim_json()),
        }
    }

    fn try_handle(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), Error> {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let compat = self.compat;
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let mut parts = route.trim_start_matches('/').splitn(2, '/');
        let endpoint = parts.next().unwrap().to_owned();
        let id = parts.next().map(str::to_owned);
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let fresh_id = format!("id-{}", self.next_id);
        let (schema, table) = self.table(&endpoint);
        let find = |table: &Vec<Resource>, id: &str| table.iter().position(|r| r.id() == Some(id));
        let not_found = |id: &str| Error::NotFound {
            resource_type: schema.name.clone(),
            id: id.to_owned(),
        };
        match (method, id) {
            ("GET", None) => {
                let pairs: Vec<(String, String)> = query
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or((p, ""));
                        (percent_decode(k), percent_decode(v))
                    })
                    .collect();
                let q = ListQuery::from_query(
                    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    200,
                    compat,
                )?;
                Ok((200, q.run(table.iter(), schema)?.to_json()))
            }
            ("GET", Some(id)) => {
                let i = find(table, &id).ok_or_else(|| not_found(&id))?;
                Ok((200, project(&table[i], schema, &[], &[])))
            }
            ("POST", None) => {
                let r = resource::create(
                    schema,
                    resource::parse_body(&bytes)?,
                    compat,
                    &fresh_id,
                    None,
                    now,
                )?;
                if let Some(name) = r.get("userName").and_then(Value::as_str) {
                    let def = schema.core.attribute("userName").unwrap();
                    if table.iter().any(|u| {
                        u.get("userName")
                            .and_then(Value::as_str)
                            .is_some_and(|n| same_unique_value(def, n, name))
                    }) {
                        return Err(Error::Uniqueness {
                            attribute: "userName".into(),
                            value: name.into(),
                        });
                    }
                }
                let shown = project(&r, schema, &[], &[]);
                table.push(r);
                self.next_id += 1;
                Ok((201, shown))
            }
            ("PUT", Some(id)) => {
                let i = find(table, &id).ok_or_else(|| not_found(&id))?;
                check_if_match(None, &table[i].etag())?;
                let r = resource::replace(
                    schema,
                    &table[i],
                    resource::parse_body(&bytes)?,
                    compat,
                    now,
                )?;
                table[i] = r;
                Ok((200, project(&table[i], schema, &[], &[])))
            }
            ("PATCH", Some(id)) => {
                let i = find(table, &id).ok_or_else(|| not_found(&id))?;
                let req = PatchRequest::from_slice(&bytes, compat)?;
                if req.apply_to(&mut table[i], schema, compat)? {
                    table[i].touch(&schema.name, now);
                }
                Ok((200, project(&table[i], schema, &[], &[])))
            }
            ("DELETE", Some(id)) => {
                let i = find(table, &id).ok_or_else(|| not_found(&id))?;
                table.remove(i);
                Ok((204, Value::Null))
            }
            (m, _) => panic!("unsupported {m}"),
        }
    }

    /// Seeds a resource with a given id, as if created earlier.
    fn seed(&mut self, endpoint: &str, id: &str, body: Value) {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let (schema, table) = self.table(endpoint);
        let r = resource::create(schema, body, Compatibility::Tolerant, id, None, now).unwrap();
        table.push(r);
    }

    fn get(&mut self, endpoint: &str, id: &str) -> Value {
        let (status, body) = self.handle("GET", &format!("/{endpoint}/{id}"), None);
        assert_eq!(status, 200, "{body}");
        body
    }
}

fn fixture(dir: &std::path::Path, name: &str) -> (String, String, Option<Value>, u16) {
    let v = read_json(&dir.join(name));
    let method = v["method"].as_str().unwrap().to_owned();
    let path = v["path"].as_str().unwrap().to_owned();
    let status = u16::try_from(v["statusCode"].as_u64().unwrap()).unwrap();
    let body = v.get("request").filter(|b| !b.is_null()).cloned();
    (method, path, body, status)
}

fn id_of(path: &str) -> String {
    path.rsplit('/').next().unwrap().to_owned()
}

fn user(user_name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
           "name": {"givenName": "Test", "familyName": "User"},
           "emails": [{"value": "old@example.com", "type": "work", "primary": true}],
           "password": "s3cret-pw", "active": true})
}

fn group(name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|m| json!({"value": m, "display": "someone"}))
        .collect();
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "members": members})
}

#[test]
fn recorded_requests_give_the_recorded_status_and_the_rfc_outcome() {
    let Some(root) = corpus("elimity-idp") else {
        return;
    };
    let dir = root.join("testdata");
    let mut seen = 0;
    for name in [
        "okta/create_user.json",
        "azuread/create_user.json",
        "okta/create_group.json",
        "azuread/create_group.json",
        "okta/user_exists.json",
        "azuread/get_user_query_0.json",
        "azuread/get_user_query_resp.json",
        "azuread/get_group_dn.json",
        "azuread/get_user_resp.json",
        "azuread/get_group.json",
        "okta/retrieve_user.json",
        "okta/retrieve_group.json",
        "okta/update_user.json",
        "okta/update_user_patch.json",
        "azuread/update_user.json",
        "azuread/update_group.json",
        "okta/update_group_membership.json",
        "okta/update_group_name.json",
    ] {
        let (method, path, body, status) = fixture(&dir, name);
        let mut s = Server::new(Compatibility::Tolerant);
        let endpoint = if path.starts_with("/Users") {
            "Users"
        } else {
            "Groups"
        };
        // State the request needs.
        match name {
            "azuread/get_user_query_resp.json" => {
                let q = percent_decode(path.split("%22").nth(1).unwrap());
                // Stored with different case: userName matches case-insensitively.
                s.seed("Users", "u-1", user(&q.to_uppercase()));
            }
            "azuread/get_group_dn.json" => s.seed("Groups", "g-1", group("displayName", &[])),
            _ if method != "POST" && !path.contains('?') => {
                let seed = if endpoint == "Users" {
                    user("test.user@okta.local")
                } else {
                    group("Old", &["89bb1940-b905-4575-9e7f-6f887cfb368e"])
                };
                s.seed(endpoint, &id_of(&path), seed);
            }
            _ => {}
        }
        let (got, resp) = s.handle(&method, &path, body.as_ref());
        assert_eq!(got, status, "{name}: {resp}");
        seen += 1;
        match name {
            "okta/create_user.json" => {
                assert_eq!(resp["userName"], "test.user@okta.local");
                assert!(resp.get("password").is_none(), "password is never returned");
                assert!(
                    resp.get("groups").is_none(),
                    "groups is readOnly: ignored on create"
                );
                assert_eq!(resp["meta"]["resourceType"], "User");
                assert!(resp["id"].is_string());
                assert_eq!(
                    s.users[0].get("password"),
                    Some(&json!("1mz050nq")),
                    "password kept for the host"
                );
            }
            "azuread/create_user.json" => {
                assert_eq!(resp["meta"]["resourceType"], "User");
                assert_eq!(resp["meta"]["created"], "2026-03-01T12:00:00Z");
                assert_eq!(resp["roles"], json!([]));
                assert_eq!(resp["emails"][0]["type"], "work");
            }
            "okta/user_exists.json" | "azuread/get_user_query_0.json" => {
                assert_eq!(resp["totalResults"], 0);
                assert_eq!(resp["itemsPerPage"], 0);
                assert_eq!(resp["startIndex"], 1);
                assert_eq!(resp["Resources"], json!([]));
            }
            "azuread/get_user_query_resp.json" | "azuread/get_group_dn.json" => {
                assert_eq!(resp["totalResults"], 1, "{name}: {resp}");
                assert_eq!(resp["itemsPerPage"], 1);
            }
            "okta/update_user.json" => {
                let u = s.get("Users", &id_of(&path));
                assert_eq!(
                    u["name"],
                    json!({"givenName": "Another", "middleName": "Excited", "familyName": "User"})
                );
                assert_eq!(
                    u["meta"]["created"], "2026-01-01T00:00:00Z",
                    "PUT keeps meta.created"
                );
                assert_eq!(
                    s.users[0].get("password"),
                    Some(&json!("s3cret-pw")),
                    "PUT without password keeps it"
                );
            }
            "okta/update_user_patch.json" => {
                assert_eq!(s.get("Users", &id_of(&path))["active"], false)
            }
            "azuread/update_user.json" => {
                let u = s.get("Users", &id_of(&path));
                assert_eq!(
                    u["emails"],
                    json!([{"value": "updatedEmail@microsoft.com", "type": "work", "primary": true}])
                );
                assert_eq!(u["name"]["familyName"], "updatedFamilyName");
                assert_eq!(u["name"]["givenName"], "Test");
                assert_eq!(
                    u["userName"],
                    "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
                );
                assert_eq!(u["active"], false);
            }
            "azuread/update_group.json" => {
                let g = s.get("Groups", &id_of(&path));
                assert_eq!(
                    g["displayName"],
                    "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
                );
                let ids: Vec<&str> = g["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["value"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    ids,
                    ["89bb1940-b905-4575-9e7f-6f887cfb368e"],
                    "added then removed f648…"
                );
            }
            "okta/update_group_membership.json" => {
                let g = s.get("Groups", &id_of(&path));
                let ids: Vec<&str> = g["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["value"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    ids,
                    [
                        "23a35c27-23d3-4c03-b4c5-6443c09e7173",
                        "89bb1940-b905-4575-9e7f-6f887cfb368e"
                    ]
                );
            }
            "okta/update_group_name.json" => {
                assert_eq!(s.get("Groups", &id_of(&path))["displayName"], "Test SCIMv2")
            }
            _ => {}
        }
    }
    assert_eq!(seen, 18);
}

#[test]
fn strict_mode_refuses_the_idp_quirks() {
    let Some(root) = corpus("elimity-idp") else {
        return;
    };
    let dir = root.join("testdata");
    for (name, scim_type) in [
        ("azuread/update_user.json", "invalidSyntax"), // "Replace"
        ("azuread/update_group.json", "invalidSyntax"), // "Replace", remove with value
        ("okta/update_group_name.json", "mutability"), // pathless replace carrying id
    ] {
        let (method, path, body, _) = fixture(&dir, name);
        let mut s = Server::new(Compatibility::Strict);
        let endpoint = if path.starts_with("/Users") {
            "Users"
        } else {
            "Groups"
        };
        let seed = if endpoint == "Users" {
            user("x@example.com")
        } else {
            group("Old", &[])
        };
        s.seed(endpoint, &id_of(&path), seed);
        let (status, resp) = s.handle(&method, &path, body.as_ref());
        assert_eq!(status, 400, "{name}: {resp}");
        assert_eq!(resp["scimType"], scim_type, "{name}: {resp}");
        assert_eq!(resp["status"], "400");
    }
}

#[test]
fn okta_conflicts_and_missing_resources() {
    let mut s = Server::new(Compatibility::Tolerant);
    let (status, _) = s.handle("POST", "/Users", Some(&user("Jane@Example.com")));
    assert_eq!(status, 201);
    let (status, body) = s.handle("POST", "/Users", Some(&user("jane@example.COM")));
    assert_eq!(status, 409);
    assert_eq!(body["scimType"], "uniqueness");
    assert_eq!(body["status"], "409");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    let (status, body) = s.handle("GET", "/Users/nope", None);
    assert_eq!(status, 404);
    assert_eq!(body["status"], "404");
    assert!(body.get("scimType").is_none());
    let (status, _) = s.handle("DELETE", "/Groups/nope", None);
    assert_eq!(status, 404);
}

/// Okta imports page by 100 and needs a stable order and integer counts.
#[test]
fn okta_import_pages() {
    let mut s = Server::new(Compatibility::Tolerant);
    for i in 0..250 {
        s.handle(
            "POST",
            "/Users",
            Some(&user(&format!("user{i:03}@example.com"))),
        );
    }
    let mut seen = Vec::new();
    for start in [1, 101, 201] {
        let (status, page) = s.handle("GET", &format!("/Users?startIndex={start}&count=100"), None);
        assert_eq!(status, 200);
        assert_eq!(page["totalResults"], 250);
        assert_eq!(page["startIndex"], start);
        let items = page["Resources"].as_array().unwrap();
        assert_eq!(page["itemsPerPage"], items.len());
        seen.extend(
            items
                .iter()
                .map(|u| u["userName"].as_str().unwrap().to_owned()),
        );
    }
    let expected: Vec<String> = (0..250)
        .map(|i| format!("user{i:03}@example.com"))
        .collect();
    assert_eq!(seen, expected);
}
