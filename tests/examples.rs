//! Keeps the minimal embedding examples working: each example's `app` (or login function) is included here as a
//! module and driven with `oneshot` requests (no socket) against fixtures made by independent tools
//! (`testdata/`, signed by xmlsec1 and openssl), so `cargo test --workspace` runs them.
#![cfg(all(feature = "saml", feature = "oidc", feature = "scim", feature = "jit"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a failed expectation is a failed test"
)]

#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example's main is not called here"
)]
#[path = "../examples/saml_sp_minimal.rs"]
mod saml_sp_minimal;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use tower::ServiceExt as _;

fn testdata(path: &str) -> String {
    format!("{}/testdata/{path}", env!("CARGO_MANIFEST_DIR"))
}

async fn body_text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn form(pairs: &[(&str, &str)]) -> Body {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    Body::from(s.finish())
}

mod saml {
    use std::sync::Arc;

    use base64::Engine as _;
    use gatehouse::saml::{
        ConnectionPolicy, PendingRequest, RequestStore as _, ServiceProvider, parse_idp_metadata,
        receive_redirect,
    };

    use super::saml_sp_minimal::{CONNECTION, Saml, app};
    use super::*;

    /// The instant every `testdata/saml` fixture is valid at (its params.json `now`).
    fn fixture_now() -> DateTime<Utc> {
        "2026-01-15T10:00:00Z".parse().unwrap()
    }

    const SSO_URL: &str = "https://acme.okta.com/app/acme_layerstackapp_1/exk1abcdEXAMPLE/sso/saml";
    const ACS: &str = "https://auth.app.layer.ai/login/callback?connection=acme";
    const SP_ID: &str = "urn:auth0:layer-stack-app:acme";

    fn state() -> Arc<Saml> {
        state_with(ConnectionPolicy::default())
    }

    fn state_with(policy: ConnectionPolicy) -> Arc<Saml> {
        let metadata = std::fs::read(testdata("saml/metadata/okta-idp.xml")).unwrap();
        let idp = parse_idp_metadata(&metadata, None, fixture_now(), None)
            .unwrap()
            .identity_provider(policy)
            .unwrap();
        Arc::new(Saml {
            sp: ServiceProvider::new(SP_ID, ACS),
            idp,
            requests: Default::default(),
            replay: Default::default(),
            clock: Some(fixture_now()),
        })
    }

    /// Records the request the fixtures answer (`InResponseTo="_req-7f3c2a"`), as `/login` would have.
    fn outstanding(saml: &Saml) {
        saml.requests.insert(PendingRequest {
            id: "_req-7f3c2a".into(),
            connection: CONNECTION.into(),
            issued_at: fixture_now(),
            expires_at: fixture_now() + chrono::Duration::minutes(10),
        });
    }

    async fn post_fixture(saml: &Arc<Saml>, case: &str) -> (StatusCode, String) {
        let xml = std::fs::read(testdata(&format!("saml/{case}/response.xml"))).unwrap();
        let encoded = base64::engine::general_purpose::STANDARD.encode(xml);
        let request = Request::post("/acs")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[("SAMLResponse", &encoded), ("RelayState", "")]))
            .unwrap();
        let response = app(saml.clone()).oneshot(request).await.unwrap();
        (response.status(), body_text(response).await)
    }

    #[tokio::test]
    async fn login_redirects_to_the_idp_with_a_request_it_remembers() {
        let saml = state();
        let request = Request::get("/login").body(Body::empty()).unwrap();
        let response = app(saml.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        let query = location
            .strip_prefix(&format!("{SSO_URL}?"))
            .unwrap_or_else(|| panic!("redirect to the metadata's SSO URL, got {location}"));
        // Read it back as the IdP does (DEFLATE + base64 + XML).
        let received = receive_redirect(query, None).unwrap();
        assert_eq!(received.issuer, SP_ID);
        assert_eq!(received.acs_url.as_deref(), Some(ACS));
        assert_eq!(received.destination.as_deref(), Some(SSO_URL));
        let pending = saml
            .requests
            .take(&received.id)
            .expect("the request was stored");
        assert_eq!(pending.connection, CONNECTION);
    }

    #[tokio::test]
    async fn acs_accepts_the_signed_fixture_once() {
        let saml = state();
        outstanding(&saml);
        let (status, body) = post_fixture(&saml, "accept-assertion-signed").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body.starts_with("Signed in as jane.doe@acme.com\n"),
            "{body}"
        );
        assert!(
            body.contains(
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname: Jane\n"
            ),
            "{body}"
        );
        let (status, body) = post_fixture(&saml, "accept-assertion-signed").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            body.contains("InResponseTo") || body.contains("replay"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn idp_initiated_only_where_allowed_and_only_once() {
        let refused = post_fixture(&state(), "accept-unsolicited").await;
        assert_eq!(refused.0, StatusCode::FORBIDDEN);
        assert!(
            refused.1.contains("Allow IdP-initiated sign-in"),
            "{}",
            refused.1
        );
        let allowed = state_with(ConnectionPolicy {
            allow_unsolicited: true,
            ..ConnectionPolicy::default()
        });
        let (status, body) = post_fixture(&allowed, "accept-unsolicited").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body.starts_with("Signed in as jane.doe@acme.com\n"),
            "{body}"
        );
        let (status, body) = post_fixture(&allowed, "accept-unsolicited").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("was already used (replay)"), "{body}");
    }

    #[tokio::test]
    async fn acs_refuses_bad_responses_and_names_the_setting() {
        // (fixture, text the refusal must contain): the error's want/got or its admin hint.
        let cases = [
            ("reject-wrong-audience", "Audience URI (SP Entity ID)"),
            ("reject-wrong-destination", "Single sign-on URL"),
            ("reject-expired", "clock"),
            ("reject-unsolicited-not-allowed", "IdP-initiated"),
            ("reject-xsw1", "Sign-in refused"),
            ("reject-assertion-signature-by-attacker", "Sign-in refused"),
            ("reject-no-signature", "Sign-in refused"),
        ];
        for (case, want) in cases {
            let saml = state();
            outstanding(&saml);
            let (status, body) = post_fixture(&saml, case).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{case}: {body}");
            assert!(body.contains(want), "{case}: {body}");
            assert!(!body.contains("Signed in"), "{case}: {body}");
        }
    }
}

#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example's main is not called here"
)]
#[path = "../examples/scim_server_minimal.rs"]
mod scim_server_minimal;

mod scim {
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};

    use super::scim_server_minimal::{Scim, app};
    use super::*;

    const TOKEN: &str = "t0ken-for-tests";

    fn server() -> Arc<Scim> {
        Arc::new(Scim {
            token: TOKEN.into(),
            base_url: "https://app.example.test/scim/v2".into(),
            store: Mutex::default(),
        })
    }

    struct Reply {
        status: StatusCode,
        etag: Option<String>,
        body: Value,
    }

    async fn call(
        s: &Arc<Scim>,
        method: &str,
        path: &str,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/scim/v2{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = app(s.clone())
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let etag = response
            .headers()
            .get(header::ETAG)
            .map(|v| v.to_str().unwrap().to_owned());
        let text = body_text(response).await;
        Reply {
            status,
            etag,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// Okta's provisioning sequence for a user and a pushed group, with the request shapes of Okta's SCIM 2.0
    /// guide; expected results from RFC 7643/7644 (caseExact=false userName, 409 uniqueness, PATCH semantics).
    #[tokio::test]
    async fn okta_sequence_against_the_example() {
        let s = server();
        let lookup =
            "/Users?filter=userName%20eq%20%22jane.doe%40acme.example%22&startIndex=1&count=100";
        let r = call(&s, "GET", lookup, None, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            (r.body["totalResults"].clone(), r.body["Resources"].clone()),
            (json!(0), json!([]))
        );

        let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "jane.doe@acme.example", "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"primary": true, "value": "jane.doe@acme.example", "type": "work"}],
            "displayName": "Jane Doe", "locale": "en-US", "externalId": "00u1abcd", "groups": [],
            "password": "t1meMa$heen", "active": true});
        let created = call(&s, "POST", "/Users", Some(&user), &[]).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert!(
            created.body.get("password").is_none(),
            "the password is never returned"
        );
        assert_eq!(
            created.body["meta"]["location"],
            format!("https://app.example.test/scim/v2/Users/{id}")
        );
        assert_eq!(
            created.etag.as_deref(),
            created.body["meta"]["version"].as_str()
        );

        // The lookup now finds it, whatever the case (userName is caseExact=false).
        for filter in ["jane.doe%40acme.example", "JANE.DOE%40ACME.example"] {
            let path =
                format!("/Users?filter=userName%20eq%20%22{filter}%22&startIndex=1&count=100");
            let r = call(&s, "GET", &path, None, &[]).await;
            assert_eq!(r.body["totalResults"], 1, "{filter}");
            assert_eq!(r.body["Resources"][0]["id"], id.as_str());
        }
        let mut twin = user.clone();
        twin["userName"] = json!("Jane.Doe@ACME.example");
        let r = call(&s, "POST", "/Users", Some(&twin), &[]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(
            (r.body["status"].clone(), r.body["scimType"].clone()),
            (json!("409"), json!("uniqueness"))
        );

        let got = call(&s, "GET", &format!("/Users/{id}"), None, &[]).await;
        assert_eq!(
            (got.status, got.body["userName"].clone()),
            (StatusCode::OK, json!("jane.doe@acme.example"))
        );

        // Profile push: PUT of the whole user, as Okta sends it (id and meta included).
        let mut put = got.body.clone();
        put["name"]["familyName"] = json!("Smith");
        let r = call(&s, "PUT", &format!("/Users/{id}"), Some(&put), &[]).await;
        assert_eq!(
            (r.status, r.body["name"]["familyName"].clone()),
            (StatusCode::OK, json!("Smith"))
        );
        // A stale If-Match is refused.
        let stale = got.etag.unwrap();
        let r = call(
            &s,
            "PUT",
            &format!("/Users/{id}"),
            Some(&put),
            &[("if-match", &stale)],
        )
        .await;
        assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);

        // Deactivation: PATCH replace without a path.
        let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false}}]});
        let r = call(&s, "PATCH", &format!("/Users/{id}"), Some(&deactivate), &[]).await;
        assert_eq!(
            (r.status, r.body["active"].clone()),
            (StatusCode::OK, json!(false))
        );

        // Push Groups: create, add a member, rename, remove the member, delete.
        let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering", "members": []});
        let g = call(&s, "POST", "/Groups", Some(&group), &[]).await;
        assert_eq!(g.status, StatusCode::CREATED);
        let gid = format!("/Groups/{}", g.body["id"].as_str().unwrap());
        let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": id, "display": "jane.doe@acme.example"}]},
                           {"op": "replace", "value": {"id": g.body["id"], "displayName": "Eng"}}]});
        let r = call(&s, "PATCH", &gid, Some(&add), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (
                r.body["displayName"].clone(),
                r.body["members"][0]["value"].clone()
            ),
            (json!("Eng"), json!(id))
        );
        let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]});
        let r = call(&s, "PATCH", &gid, Some(&remove), &[]).await;
        assert!(
            r.body["members"].as_array().is_none_or(Vec::is_empty),
            "{}",
            r.body
        );
        assert_eq!(
            call(&s, "DELETE", &gid, None, &[]).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            call(&s, "GET", &gid, None, &[]).await.status,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn refusals() {
        let s = server();
        for auth in [
            None,
            Some("Bearer wrong-token-of-same-len"),
            Some("Bearer t0ken-for-test"),
            Some(TOKEN),
        ] {
            let mut request = Request::get("/scim/v2/Users");
            if let Some(a) = auth {
                request = request.header(header::AUTHORIZATION, a);
            }
            let response = app(s.clone())
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        }
        let r = call(&s, "GET", "/Users?filter=userName%20eq%20bare", None, &[]).await;
        assert_eq!(
            (r.status, r.body["scimType"].clone()),
            (StatusCode::BAD_REQUEST, json!("invalidFilter"))
        );
        let r = call(&s, "GET", "/Users/nope", None, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = call(&s, "GET", "/Widgets", None, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = call(
            &s,
            "POST",
            "/Users",
            Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})),
            &[],
        )
        .await;
        assert_eq!(
            (r.status, r.body["scimType"].clone()),
            (StatusCode::BAD_REQUEST, json!("invalidValue"))
        );
        let r = call(&s, "GET", "/ServiceProviderConfig", None, &[]).await;
        assert_eq!(r.body["patch"]["supported"], true);
    }

    fn corpus() -> Option<PathBuf> {
        let dir = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/corpus/scim/elimity-idp/testdata/okta"
        ));
        if dir.is_dir() {
            return Some(dir);
        }
        assert_ne!(
            std::env::var("GATEHOUSE_INTEROP").as_deref(),
            Ok("1"),
            "corpus missing at {}",
            dir.display()
        );
        eprintln!(
            "skipping: third-party corpus not found at {}",
            dir.display()
        );
        None
    }

    /// Okta's recorded requests (elimity-com/scim's fixtures, in ../shared/corpus): each is accepted with the
    /// recorded status class once its ids are replaced by ours.
    #[tokio::test]
    async fn okta_recorded_requests() {
        let Some(dir) = corpus() else { return };
        let s = server();
        let fixture = |name: &str| -> Value {
            serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
        };
        let their_id = |f: &Value| {
            f["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        };
        let replay = async |name: &str, ids: &[(String, String)]| {
            let f = fixture(name);
            let (mut path, mut body) = (
                f["path"].as_str().unwrap().to_owned(),
                f.get("request").map(Value::to_string),
            );
            for (theirs, ours) in ids {
                path = path.replace(theirs, ours);
                body = body.map(|b| b.replace(theirs, ours));
            }
            let body: Option<Value> = body.map(|b| serde_json::from_str(&b).unwrap());
            let r = call(&s, f["method"].as_str().unwrap(), &path, body.as_ref(), &[]).await;
            assert_eq!(
                r.status.as_u16() / 100,
                f["statusCode"].as_u64().unwrap() as u16 / 100,
                "{name}: {}",
                r.body
            );
            r.body
        };
        assert_eq!(replay("user_exists.json", &[]).await["totalResults"], 0);
        let id = replay("create_user.json", &[]).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(replay("user_exists.json", &[]).await["totalResults"], 1);
        for name in [
            "retrieve_user.json",
            "update_user.json",
            "update_user_patch.json",
        ] {
            let body = replay(name, &[(their_id(&fixture(name)), id.clone())]).await;
            assert_eq!(body["id"], id.as_str(), "{name}");
        }
        assert_eq!(
            call(&s, "GET", &format!("/Users/{id}"), None, &[])
                .await
                .body["active"],
            false
        );
        let gid = replay("create_group.json", &[]).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for name in [
            "retrieve_group.json",
            "update_group_name.json",
            "update_group_membership.json",
        ] {
            let body = replay(name, &[(their_id(&fixture(name)), gid.clone())]).await;
            assert_eq!(body["id"], gid.as_str(), "{name}");
        }
    }
}

#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example's main is not called here"
)]
#[path = "../examples/jit_minimal.rs"]
mod jit_minimal;

mod jit {
    use gatehouse::jit::{
        ConnectionId, Decision, Domain, EmailLinking, MemoryDirectory, Policy, Rule, ScimRecord,
        SsoLink, Subject,
    };

    use super::jit_minimal::{CONNECTION, account, claims, login, verified_fixture};

    fn policy() -> Policy {
        Policy::new(ConnectionId::new(CONNECTION))
    }

    #[test]
    fn first_login_creates_then_signs_in() {
        let claims = claims(&verified_fixture());
        let mut directory = MemoryDirectory::new();
        let first = login(&mut directory, &claims, &policy()).unwrap();
        assert_eq!(first.rule(), Rule::CreateOnFirstLogin);
        let user = directory.users().next().unwrap().clone();
        // The fixture's attribute statements (Okta's, from the setup guide) became the profile.
        assert_eq!(
            user.email.as_ref().map(|e| e.as_str()),
            Some("jane.doe@acme.com")
        );
        assert_eq!(user.profile.given_name.as_deref(), Some("Jane"));
        assert_eq!(user.profile.family_name.as_deref(), Some("Doe"));
        assert!(user.has_link(
            &ConnectionId::new(CONNECTION),
            &Subject::new("jane.doe@acme.com")
        ));
        let again = login(&mut directory, &claims, &policy()).unwrap();
        assert_eq!(again.rule(), Rule::SignInBySubject);
        assert_eq!(again.user(), Some(&user.id));
        assert_eq!(directory.users().count(), 1);
    }

    #[test]
    fn an_existing_account_is_linked_only_through_a_verified_domain() {
        let claims = claims(&verified_fixture());
        let linking = Policy {
            email_linking: EmailLinking::ToAccountsWithoutSso,
            ..policy()
        };
        let mut verified = linking.clone();
        verified
            .verified_domains
            .insert(Domain::parse("acme.com").unwrap());
        // (policy, expected rule): the default never links; linking without a verified domain is refused;
        // the same login links once the workspace has verified acme.com.
        let cases = [
            (policy(), Rule::EmailLinkingDisabled),
            (linking, Rule::UntrustedEmailMatchesAccount),
            (verified, Rule::LinkByVerifiedEmail),
        ];
        for (policy, want) in cases {
            let mut directory = MemoryDirectory::new();
            directory
                .insert(account("u-invited", "jane.doe@acme.com"))
                .unwrap();
            let decision = login(&mut directory, &claims, &policy).unwrap();
            assert_eq!(decision.rule(), want);
            assert_eq!(
                directory.users().count(),
                1,
                "{want:?}: never a duplicate account"
            );
            let linked = !directory.users().next().unwrap().links.is_empty();
            assert_eq!(linked, want == Rule::LinkByVerifiedEmail, "{want:?}");
        }
    }

    #[test]
    fn a_scim_deactivated_user_stays_out() {
        let claims = claims(&verified_fixture());
        for linked in [true, false] {
            let mut gone = account("u-scim", "jane.doe@acme.com");
            gone.scim = Some(ScimRecord {
                external_id: Some("00u1abcd".into()),
            });
            gone.active = false;
            if linked {
                let subject = Subject::new("jane.doe@acme.com");
                gone.links.insert(SsoLink {
                    connection: ConnectionId::new(CONNECTION),
                    subject,
                });
            }
            let mut directory = MemoryDirectory::new();
            directory.insert(gone).unwrap();
            // Even a policy that links by trusted email does not bring the user back.
            let mut policy = Policy {
                email_linking: EmailLinking::ToAnyAccount,
                ..policy()
            };
            policy
                .verified_domains
                .insert(Domain::parse("acme.com").unwrap());
            let decision = login(&mut directory, &claims, &policy).unwrap();
            assert!(
                matches!(
                    decision,
                    Decision::Deny {
                        reason: Rule::ScimDeactivated,
                    }
                ),
                "{decision:?}"
            );
            assert_eq!(directory.users().count(), 1);
            assert!(!directory.users().next().unwrap().active);
        }
    }
}

#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example's main is not called here"
)]
#[path = "../examples/oidc_rp_minimal.rs"]
mod oidc_rp_minimal;

mod oidc {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use gatehouse::oidc::{
        AsyncHttpClient, ClientSecret, HttpClient, HttpRequest, HttpResponse, JwksCache, Method,
        OidcConnection, PkceVerifier, fetch_metadata, pkce_challenge,
    };
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::{Map, Value, json};

    use super::oidc_rp_minimal::{Rp, app};
    use super::*;

    const ISSUER: &str = "https://op.example.test";
    const CLIENT_ID: &str = "0oa-client";
    const SECRET: &str = "client-secret-0123456789abcdef";
    const REDIRECT: &str = "http://127.0.0.1:3000/login/callback";

    /// An in-process OpenID Provider: discovery, JWKS, token (client authentication, PKCE S256, one use per code)
    /// and userinfo. ID tokens are signed by jsonwebtoken's encoder with the openssl-made test key of
    /// gatehouse-oidc (`crates/oidc/tests/data/rsa-2048-a.pem`).
    struct FakeOp {
        key: EncodingKey,
        jwk: Value,
        /// Codes the OP issued: code → (nonce, code_challenge).
        grants: Mutex<HashMap<String, (String, String)>>,
        /// Edits the next ID token's claims (a misbehaving or hostile OP).
        tamper: Mutex<Tamper>,
    }

    type Tamper = fn(&mut Map<String, Value>);

    struct Op(Arc<FakeOp>);

    fn json_response(status: u16, body: &Value) -> HttpResponse {
        let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        HttpResponse {
            status,
            headers,
            body: body.to_string().into_bytes(),
        }
    }

    impl HttpClient for Op {
        fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String> {
            let op = &self.0;
            Ok(match (request.method, request.url.path()) {
                (Method::Get, "/.well-known/openid-configuration") => json_response(
                    200,
                    &json!({
                        "issuer": ISSUER,
                        "authorization_endpoint": format!("{ISSUER}/authorize"),
                        "token_endpoint": format!("{ISSUER}/token"),
                        "jwks_uri": format!("{ISSUER}/keys"),
                        "userinfo_endpoint": format!("{ISSUER}/userinfo"),
                        "end_session_endpoint": format!("{ISSUER}/logout"),
                        "code_challenge_methods_supported": ["S256"],
                    }),
                ),
                (Method::Get, "/keys") => json_response(200, &json!({"keys": [op.jwk]})),
                (Method::Post, "/token") => {
                    let form: HashMap<String, String> =
                        form_urlencoded::parse(&request.body).into_owned().collect();
                    let basic = base64::Engine::encode(
                        &base64::engine::general_purpose::STANDARD,
                        format!("{CLIENT_ID}:{SECRET}"),
                    );
                    assert_eq!(
                        request.header("authorization"),
                        Some(format!("Basic {basic}").as_str())
                    );
                    assert_eq!(form["redirect_uri"], REDIRECT);
                    let grant = op.grants.lock().unwrap().remove(&form["code"]);
                    let Some((nonce, challenge)) = grant else {
                        return Ok(json_response(400, &json!({"error": "invalid_grant"})));
                    };
                    if pkce_challenge(&PkceVerifier::new(form["code_verifier"].clone()))
                        != challenge
                    {
                        return Ok(json_response(400, &json!({"error": "invalid_grant"})));
                    }
                    let now = Utc::now().timestamp();
                    let mut claims = json!({"iss": ISSUER, "aud": CLIENT_ID, "sub": "00u1", "iat": now,
                        "exp": now + 300, "nonce": nonce});
                    (op.tamper.lock().unwrap())(claims.as_object_mut().unwrap());
                    let mut header = Header::new(Algorithm::RS256);
                    header.kid = Some("k1".into());
                    let id_token = jsonwebtoken::encode(&header, &claims, &op.key).unwrap();
                    json_response(
                        200,
                        &json!({"access_token": "at-1", "token_type": "Bearer",
                        "expires_in": 3600, "id_token": id_token}),
                    )
                }
                (Method::Get, "/userinfo") => {
                    assert_eq!(request.header("authorization"), Some("Bearer at-1"));
                    json_response(
                        200,
                        &json!({"sub": "00u1", "email": "jane.doe@acme.example"}),
                    )
                }
                _ => json_response(404, &json!({})),
            })
        }
    }

    /// The example's handlers drive `complete_login_async`: the in-process OP answers at once.
    impl AsyncHttpClient for Op {
        fn execute(
            &self,
            request: HttpRequest,
        ) -> impl Future<Output = Result<HttpResponse, String>> + Send {
            std::future::ready(HttpClient::execute(self, request))
        }
    }

    fn setup() -> (Arc<Rp<Op>>, Arc<FakeOp>) {
        let pem = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/crates/oidc/tests/data/rsa-2048-a.pem"
        ))
        .unwrap();
        let key = EncodingKey::from_rsa_pem(&pem).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some("k1".into());
        let op = Arc::new(FakeOp {
            key,
            jwk: serde_json::to_value(jwk).unwrap(),
            grants: Mutex::default(),
            tamper: Mutex::new(|_| {}),
        });
        let conn =
            OidcConnection::new(ISSUER, CLIENT_ID, ClientSecret::new(SECRET), REDIRECT).unwrap();
        let metadata = fetch_metadata(&Op(op.clone()), &conn.issuer).unwrap();
        let jwks = Mutex::new(JwksCache::new(conn.jwks_refetch_cooldown_secs));
        let http = Op(op.clone());
        let rp = Arc::new(Rp {
            conn,
            metadata,
            jwks,
            pending: Mutex::default(),
            sessions: Mutex::default(),
            http,
        });
        (rp, op)
    }

    async fn get(rp: &Arc<Rp<Op>>, uri: &str, cookie: Option<&str>) -> Response {
        let mut request = Request::get(uri);
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        app(rp.clone())
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    /// The redirect target of a response: the URL without its query, and the query's parameters.
    fn redirect(response: &Response) -> (String, HashMap<String, String>) {
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        let (to, query) = location.split_once('?').unwrap_or((location, ""));
        (
            to.to_owned(),
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn set_cookie(response: &Response) -> String {
        let value = response.headers()[header::SET_COOKIE].to_str().unwrap();
        value.split(';').next().unwrap().to_owned()
    }

    /// `/login` as the browser sees it; the fake OP then authenticates the user and issues `code` for the
    /// request's nonce and PKCE challenge. Returns the callback URL and the state cookie.
    async fn start(rp: &Arc<Rp<Op>>, op: &FakeOp, code: &str) -> (String, String) {
        let response = get(rp, "/login", None).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (to, q) = redirect(&response);
        assert_eq!(to, format!("{ISSUER}/authorize"));
        assert_eq!(
            (q["response_type"].as_str(), q["client_id"].as_str()),
            ("code", CLIENT_ID)
        );
        assert_eq!(
            (
                q["redirect_uri"].as_str(),
                q["code_challenge_method"].as_str()
            ),
            (REDIRECT, "S256")
        );
        assert!(q["scope"].split(' ').any(|s| s == "openid"));
        op.grants.lock().unwrap().insert(
            code.to_owned(),
            (q["nonce"].clone(), q["code_challenge"].clone()),
        );
        let cookie = set_cookie(&response);
        assert_eq!(cookie, format!("oidc_state={}", q["state"]));
        (
            format!("/login/callback?code={code}&state={}", q["state"]),
            cookie,
        )
    }

    #[tokio::test]
    async fn code_flow_then_logout() {
        let (rp, op) = setup();
        let (callback, state_cookie) = start(&rp, &op, "code-1").await;
        let response = get(&rp, &callback, Some(&state_cookie)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let session = set_cookie(&response);
        assert!(
            session.starts_with("sid=") && session.len() == 4 + 64,
            "{session}"
        );
        assert_eq!(
            body_text(response).await,
            "Signed in as 00u1 (jane.doe@acme.example)\n"
        );
        // The same callback again (a replayed or leaked URL) finds no login in flight.
        assert_eq!(
            get(&rp, &callback, Some(&state_cookie)).await.status(),
            StatusCode::BAD_REQUEST
        );

        let response = get(&rp, "/logout", Some(&session)).await;
        let (to, q) = redirect(&response);
        assert_eq!(to, format!("{ISSUER}/logout"));
        assert_eq!(q["post_logout_redirect_uri"], "http://127.0.0.1:3000/");
        assert_eq!(
            q["id_token_hint"].split('.').count(),
            3,
            "the session's ID token"
        );
        assert!(rp.sessions.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_callback_from_another_browser_is_refused() {
        let (rp, op) = setup();
        // Login CSRF: the attacker's own code and state, delivered to a victim whose browser has no state cookie.
        let (callback, state_cookie) = start(&rp, &op, "code-1").await;
        assert_eq!(
            get(&rp, &callback, None).await.status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            get(&rp, &callback, Some("oidc_state=forged"))
                .await
                .status(),
            StatusCode::BAD_REQUEST
        );
        // The browser that started the login can still finish it.
        assert_eq!(
            get(&rp, &callback, Some(&state_cookie)).await.status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn bad_tokens_are_refused_with_the_setting_to_fix() {
        // (tampering of the ID token, text the refusal must contain)
        let cases: [(Tamper, &str); 4] = [
            (
                |c| drop(c.insert("aud".into(), json!("0oa-other-app"))),
                "Client ID",
            ),
            (
                |c| drop(c.insert("iss".into(), json!("https://evil.example.test"))),
                "Okta domain",
            ),
            (
                |c| drop(c.insert("nonce".into(), json!("not-the-nonce-sent"))),
                "nonce",
            ),
            (
                |c| drop(c.insert("exp".into(), json!(Utc::now().timestamp() - 3600))),
                "clock",
            ),
        ];
        for (tamper, want) in cases {
            let (rp, op) = setup();
            *op.tamper.lock().unwrap() = tamper;
            let (callback, state_cookie) = start(&rp, &op, "code-1").await;
            let response = get(&rp, &callback, Some(&state_cookie)).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{want}");
            assert!(
                response.headers().get(header::SET_COOKIE).is_none(),
                "{want}: no session"
            );
            let body = body_text(response).await;
            assert!(body.contains(want), "{want}: {body}");
            assert!(rp.sessions.lock().unwrap().is_empty());
        }
        // The IdP's own refusal (user not assigned to the app) comes back with Okta's fix.
        let (rp, op) = setup();
        let (callback, state_cookie) = start(&rp, &op, "code-1").await;
        let state = callback.split("state=").nth(1).unwrap();
        let denied = format!(
            "/login/callback?error=access_denied&error_description=User+is+not+assigned+to+the+client+application.&state={state}"
        );
        let response = get(&rp, &denied, Some(&state_cookie)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(body_text(response).await.contains("assign"));
    }
}
