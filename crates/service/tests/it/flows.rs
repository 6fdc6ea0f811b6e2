//! Full flows over a real socket through the demo IdP.

use base64::Engine as _;
use gatehouse_service::model;

use crate::harness::{
    Browser, count, field, last_audit, oidc_login, saml_login, start, start_login,
};

#[tokio::test]
async fn sp_initiated_saml_signs_in_and_creates_the_user_by_jit() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    let done = saml_login(&mut b, "ada@demo.example", "0").await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location().as_deref(), Some("/"));
    let cookie = done
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("gh_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    let home = b.get("/").await;
    assert!(home.body.contains("Ada Lovelace"), "{}", home.body);
    assert!(home.body.contains("SAML, started here (SP-initiated)"));
    assert!(home.body.contains("jit:demo-saml"));
    assert!(
        home.body.contains("<td>admin</td>"),
        "admin group maps to the admin role"
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE email = $1",
            "ada@demo.example"
        )
        .await,
        1
    );
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(outcome, "signed-in");
    assert!(
        reason.contains("saml-sp") && reason.contains("(created)"),
        "{reason}"
    );
    // The outstanding request was consumed.
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM saml_requests WHERE connection = $1",
            "demo-saml"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_replayed_saml_response_is_refused_with_an_audit_row() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    let to_idp = start_login(&mut b, "grace@demo.example", "demo-saml").await;
    let picker = b.get(&to_idp.location().unwrap()).await;
    let form = b.submit(&picker, Some(("user", "1")), &[]).await;
    let first = b.submit(&form, None, &[]).await;
    assert_eq!(first.status, 303);
    let mut attacker = Browser::new(&s.base);
    let again = attacker.submit(&form, None, &[]).await;
    assert_eq!(again.status, 403, "{}", again.body);
    assert!(again.body.contains("saml:"), "{}", again.body);
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(outcome, "refused");
    assert!(
        reason.starts_with("saml:unknown_request") || reason.starts_with("saml:replay"),
        "{reason}"
    );
    assert!(!attacker.cookies.contains_key("gh_session"));
}

#[tokio::test]
async fn idp_initiated_saml_is_accepted_where_allowed_and_follows_only_same_origin_relay_state() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    let picker = b
        .get("/_demo-idp/saml/launch?app=demo-saml&RelayState=/settings/tokens")
        .await;
    let form = b.submit(&picker, Some(("user", "0")), &[]).await;
    let done = b.submit(&form, None, &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location().as_deref(), Some("/settings/tokens"));
    let home = b.get("/").await;
    assert!(home.body.contains("IdP-initiated"), "{}", home.body);

    let mut evil = Browser::new(&s.base);
    let picker = evil
        .get("/_demo-idp/saml/launch?app=demo-saml&RelayState=https://evil.example/steal")
        .await;
    let form = evil.submit(&picker, Some(("user", "0")), &[]).await;
    let done = evil.submit(&form, None, &[]).await;
    assert_eq!(
        done.location().as_deref(),
        Some("/"),
        "an off-site RelayState is not followed"
    );
}

#[tokio::test]
async fn idp_initiated_saml_is_refused_where_the_connection_does_not_allow_it() {
    let s = start().await;
    let conn = model::connection_by_name(&s.state, "demo-saml")
        .await
        .unwrap()
        .unwrap();
    let mut settings = conn.saml_settings().unwrap();
    settings.idp.policy.allow_unsolicited = false;
    model::update_connection_config(&s.state, &conn, &serde_json::to_string(&settings).unwrap())
        .await
        .unwrap();
    let mut b = Browser::new(&s.base);
    let picker = b.get("/_demo-idp/saml/launch?app=demo-saml").await;
    let form = b.submit(&picker, Some(("user", "1")), &[]).await;
    let refused = b.submit(&form, None, &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("saml:unsolicited"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("For your administrator"),
        "the admin hint is shown: {}",
        refused.body
    );
    assert!(!b.cookies.contains_key("gh_session"));
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(
        (outcome.as_str(), reason.starts_with("saml:unsolicited")),
        ("refused", true),
        "{reason}"
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE email = $1",
            "grace@demo.example"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_tampered_saml_response_is_refused() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    let picker = b.get("/_demo-idp/saml/launch?app=demo-saml").await;
    let form = b.submit(&picker, Some(("user", "2")), &[]).await;
    let b64 = field(&form.body, "SAMLResponse").unwrap();
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    let forged = xml.replace("linus@demo.example", "ada@demo.example");
    assert_ne!(forged, xml);
    let forged = base64::engine::general_purpose::STANDARD.encode(forged);
    let refused = b.submit(&form, None, &[("SAMLResponse", &forged)]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(!b.cookies.contains_key("gh_session"));
}

#[tokio::test]
async fn oidc_code_flow_signs_in_and_logout_goes_to_the_idp_end_session() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    let done = oidc_login(&mut b, "grace@demo.example", "1").await;
    assert_eq!(done.status, 303, "{}", done.body);
    let home = b.get("/").await;
    assert!(
        home.body.contains("Grace Hopper")
            && home.body.contains("authorization code flow with PKCE"),
        "{}",
        home.body
    );
    assert!(home.body.contains("jit:demo-oidc"));
    // State is single use: the pending login is gone.
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM oidc_pending WHERE connection = $1",
            "demo-oidc"
        )
        .await,
        0
    );

    let out = b.get("/logout").await;
    assert_eq!(out.status, 303);
    let to = url::Url::parse(&out.location().unwrap()).unwrap();
    assert_eq!(to.path(), "/_demo-idp/oidc/end_session");
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(
        q.get("post_logout_redirect_uri").map(String::as_str),
        Some(format!("{}/", s.base).as_str())
    );
    assert!(
        q.get("id_token_hint")
            .is_some_and(|t| t.split('.').count() == 3)
    );
    assert!(
        !b.cookies.contains_key("gh_session"),
        "the session cookie is cleared"
    );
    let back = b.get(to.as_str()).await;
    assert_eq!(back.location(), Some(format!("{}/", s.base)));
    let home = b.get("/").await;
    assert!(home.body.contains("not signed in"));
}

#[tokio::test]
async fn the_same_person_through_saml_then_oidc_is_one_account() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    assert_eq!(
        saml_login(&mut b, "ada@demo.example", "0").await.status,
        303
    );
    let mut b2 = Browser::new(&s.base);
    assert_eq!(
        oidc_login(&mut b2, "ada@demo.example", "0").await.status,
        303
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE email = $1",
            "ada@demo.example"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM sso_links WHERE subject LIKE $1",
            "%"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn third_party_initiated_login_starts_a_fresh_flow_and_lands_on_the_target() {
    let s = start().await;
    let issuer = format!("{}/_demo-idp/oidc", s.base);
    let mut b = Browser::new(&s.base);
    let start_url = format!(
        "/login?iss={}&target_link_uri={}",
        urlencode(&issuer),
        urlencode(&format!("{}/settings/tokens", s.base))
    );
    let to_idp = b.get(&start_url).await;
    assert_eq!(to_idp.status, 303, "{}", to_idp.body);
    assert!(
        to_idp
            .location()
            .unwrap()
            .starts_with(&format!("{issuer}/authorize?"))
    );
    let picker = b.get(&to_idp.location().unwrap()).await;
    let back = b.submit(&picker, Some(("user", "0")), &[]).await;
    let done = b.get(&back.location().unwrap()).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some(format!("{}/settings/tokens", s.base)));
    let tokens = b.get("/settings/tokens").await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let home = b.get("/").await;
    assert!(home.body.contains("third-party-initiated"), "{}", home.body);
}

#[tokio::test]
async fn third_party_initiated_login_refuses_unknown_issuers_and_foreign_targets() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    let unknown = b
        .get(&format!("/login?iss={}", urlencode("https://evil.example")))
        .await;
    assert_eq!(unknown.status, 403, "{}", unknown.body);
    assert!(
        unknown.location().is_none(),
        "never redirects to an unknown issuer"
    );
    assert!(
        unknown.body.contains("oidc:unknown_initiating_issuer"),
        "{}",
        unknown.body
    );
    let issuer = format!("{}/_demo-idp/oidc", s.base);
    let foreign = b
        .get(&format!(
            "/login?iss={}&target_link_uri={}",
            urlencode(&issuer),
            urlencode("https://evil.example/")
        ))
        .await;
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    assert!(foreign.location().is_none());
    assert!(
        foreign.body.contains("oidc:target_link_rejected"),
        "{}",
        foreign.body
    );
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(
        (
            outcome.as_str(),
            reason.starts_with("oidc:target_link_rejected")
        ),
        ("refused", true),
        "{reason}"
    );
}

#[tokio::test]
async fn scim_created_user_is_matched_at_first_login_and_deactivation_blocks_sso() {
    let s = start().await;
    let http = reqwest::Client::new();
    let scim = format!("{}/backend/scim/v2", s.base);
    let created: serde_json::Value = http
        .post(format!("{scim}/Users"))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "linus@demo.example", "externalId": "00u-linus",
            "name": {"givenName": "Linus", "familyName": "Torvalds"},
            "emails": [{"value": "linus@demo.example", "primary": true, "type": "work"}], "active": true
        }))
        .send().await.unwrap().json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();

    let mut b = Browser::new(&s.base);
    assert_eq!(
        saml_login(&mut b, "linus@demo.example", "2").await.status,
        303
    );
    let home = b.get("/").await;
    assert!(
        home.body.contains("<td>scim</td>"),
        "SCIM-provisioned, not duplicated: {}",
        home.body
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE email = $1",
            "linus@demo.example"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM sso_links WHERE user_id = $1",
            &id
        )
        .await,
        1
    );

    // Okta deprovisions: PATCH active=false. The session ends and the next login is refused, changing nothing.
    let r = http
        .patch(format!("{scim}/Users/{id}"))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}))
        .send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        b.get("/").await.body.contains("not signed in"),
        "sessions of a deactivated user end"
    );
    let before = count(
        &s.state,
        "SELECT COUNT(*) AS n FROM users WHERE workspace_id <> $1",
        "",
    )
    .await;
    let mut b = Browser::new(&s.base);
    let refused = saml_login(&mut b, "linus@demo.example", "2").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Your account was deactivated by your administrator."),
        "{}",
        refused.body
    );
    let mut b = Browser::new(&s.base);
    let refused = oidc_login(&mut b, "linus@demo.example", "2").await;
    assert!(
        refused
            .body
            .contains("Your account was deactivated by your administrator."),
        "{}",
        refused.body
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE workspace_id <> $1",
            ""
        )
        .await,
        before
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE active = 0 AND id = $1",
            &id
        )
        .await,
        1
    );
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(outcome, "refused");
    assert!(reason.starts_with("jit:deny.scim_deactivated"), "{reason}");
}

#[tokio::test]
async fn a_scim_push_adopts_the_account_jit_created_first() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    assert_eq!(
        saml_login(&mut b, "grace@demo.example", "1").await.status,
        303
    );
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/backend/scim/v2/Users", s.base))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Grace@demo.example",
            "emails": [{"value": "grace@demo.example", "primary": true}], "active": true}))
        .send().await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE email = $1",
            "grace@demo.example"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE scim_managed = 1 AND provisioned_by = $1",
            "jit:demo-saml"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn home_realm_discovery_refuses_workspaces_without_the_enterprise_plan() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    let csrf = b.csrf().await;
    let page = b
        .post(
            "/login",
            &[
                ("csrf".into(), csrf.clone()),
                ("email".into(), "bob@starter.example".into()),
            ],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("Enterprise plan"), "{}", page.body);
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(
        (outcome.as_str(), reason.starts_with("plan")),
        ("refused", true)
    );
    let unknown = b
        .post(
            "/login",
            &[
                ("csrf".into(), csrf),
                ("email".into(), "eve@nowhere.example".into()),
            ],
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown
            .body
            .contains("No workspace has set up single sign-on")
    );
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(outcome, "refused");
    assert!(
        reason.starts_with("hrd:") && reason.contains("nowhere.example") && !reason.contains("eve"),
        "{reason}"
    );
}

#[tokio::test]
async fn concurrent_first_logins_of_one_person_yield_one_account() {
    let s = start().await;
    let mut forms = Vec::new();
    for _ in 0..4 {
        let mut b = Browser::new(&s.base);
        let picker = b.get("/_demo-idp/saml/launch?app=demo-saml").await;
        forms.push(b.submit(&picker, Some(("user", "1")), &[]).await);
    }
    let mut tasks = Vec::new();
    for form in forms {
        let base = s.base.clone();
        tasks.push(tokio::spawn(async move {
            Browser::new(&base).submit(&form, None, &[]).await.status
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let status = t.await.unwrap();
        assert!(status == 303 || status == 409, "{status}");
        ok += usize::from(status == 303);
    }
    assert!(ok >= 1);
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE email = $1",
            "grace@demo.example"
        )
        .await,
        1
    );
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn oidc_with_client_secret_post_and_members_page_shows_provisioning() {
    let s = start().await;
    let demo = model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    let idp = s.state.demo.clone().unwrap();
    let settings = model::OidcSettings {
        issuer: idp.issuer(),
        client_id: "post-client".into(),
        client_secret_post: true,
    };
    model::add_oidc_connection(&s.state, &demo, "demo-oidc-post", &settings, "post-secret")
        .await
        .unwrap();
    idp.oidc_clients.lock().unwrap().insert(
        "post-client".into(),
        gatehouse_service::demo_idp::OidcClient {
            client_id: "post-client".into(),
            client_secret: "post-secret".into(),
            redirect_uri: s.state.callback_url(),
            post_logout_redirect_uri: format!("{}/", s.base),
        },
    );
    let mut b = Browser::new(&s.base);
    let to_idp = start_login(&mut b, "ada@demo.example", "demo-oidc-post").await;
    let picker = b.get(&to_idp.location().unwrap()).await;
    let back = b.submit(&picker, Some(("user", "0")), &[]).await;
    let done = b.get(&back.location().unwrap()).await;
    assert_eq!(done.status, 303, "{}", done.body);
    // Grace arrives by SAML; Ada (admin) sees both and how each was provisioned.
    let mut g = Browser::new(&s.base);
    saml_login(&mut g, "grace@demo.example", "1").await;
    let members = b.get("/settings/members").await;
    assert_eq!(members.status, 200, "{}", members.body);
    assert!(
        members.body.contains("JIT via demo-oidc-post")
            && members.body.contains("JIT via demo-saml"),
        "{}",
        members.body
    );
    assert_eq!(g.get("/settings/members").await.status, 403);
}

#[tokio::test]
async fn an_oidc_callback_delivered_to_another_browser_is_refused() {
    let s = start().await;
    // The attacker starts a login and stops before the callback.
    let mut attacker = Browser::new(&s.base);
    let to_idp = start_login(&mut attacker, "grace@demo.example", "demo-oidc").await;
    assert!(attacker.cookies.contains_key("gh_login"));
    let picker = attacker.get(&to_idp.location().unwrap()).await;
    let back = attacker.submit(&picker, Some(("user", "1")), &[]).await;
    let callback = back.location().unwrap();
    // ...and makes the victim's browser follow the callback URL.
    let mut victim = Browser::new(&s.base);
    let refused = victim.get(&callback).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("oidc:browser-mismatch"));
    assert!(!victim.cookies.contains_key("gh_session"));
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE email = $1",
            "grace@demo.example"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_acs_refuses_workspaces_that_left_the_enterprise_plan() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    assert_eq!(
        saml_login(&mut b, "ada@demo.example", "0").await.status,
        303,
        "works on Enterprise (and fills the cache)"
    );
    let demo = model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    model::update_workspace(&s.state, &demo, "team")
        .await
        .unwrap();
    let mut b = Browser::new(&s.base);
    let picker = b.get("/_demo-idp/saml/launch?app=demo-saml").await;
    let form = b.submit(&picker, Some(("user", "0")), &[]).await;
    let refused = b.submit(&form, None, &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("Enterprise plan"));
    let (outcome, reason) = last_audit(&s.state).await;
    assert_eq!(
        (outcome.as_str(), reason.starts_with("plan")),
        ("refused", true),
        "{reason}"
    );
}
