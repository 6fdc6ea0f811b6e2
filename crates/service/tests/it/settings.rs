//! Settings pages and admin commands: tokens shown once, CSRF, admin role, plan gate, tenant isolation.

use clap::Parser as _;
use gatehouse_service::cli::{Cli, run};
use gatehouse_service::model;

use crate::harness::{Browser, oidc_login, saml_login, start, temp_prefix};

#[tokio::test]
async fn an_admin_creates_lists_and_revokes_a_token_through_the_page() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    saml_login(&mut b, "ada@demo.example", "0").await;
    let page = b.get("/settings/tokens").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let created = b
        .submit(&page, Some(("name", "SCIM")), &[("name", "Okta SCIM")])
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let token = created
        .body
        .split("<pre>")
        .nth(1)
        .unwrap()
        .split("</pre>")
        .next()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("gh_pat_"));
    let again = b.get("/settings/tokens").await;
    assert!(!again.body.contains(&token), "shown once");
    assert!(again.body.contains("Okta SCIM"));
    let scim = reqwest::Client::new()
        .get(format!("{}/backend/scim/v2/Users", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(scim.status(), 200);
    // Revoke it: the only revoke form on the page is this token's.
    let forms = crate::harness::forms(&again.body);
    let revokes: Vec<_> = forms
        .iter()
        .filter(|(a, _)| a == "/settings/tokens/revoke")
        .collect();
    let demo = model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    let active = gatehouse_service::tokens::list(&s.state, &demo)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.revoked_at.is_none())
        .count();
    assert_eq!(revokes.len(), active, "one revoke form per live token");
    let (action, fields) = revokes[0].clone();
    // Pick the form of the token named "Okta SCIM": the table row holds its name before the form.
    let row = again
        .body
        .split("<tr>")
        .find(|r| r.contains("Okta SCIM"))
        .unwrap();
    let id = crate::harness::field(row, "id").unwrap();
    let mut fields = fields.clone();
    fields.retain(|(k, _)| k != "id");
    fields.push(("id".into(), id));
    let r = b.post(&action, &fields).await;
    assert_eq!(r.status, 303);
    let scim = reqwest::Client::new()
        .get(format!("{}/backend/scim/v2/Users", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(scim.status(), 401, "a revoked token no longer works");
    let listed = b.get("/settings/tokens").await;
    assert!(
        listed
            .body
            .split("<tr>")
            .find(|r| r.contains("Okta SCIM"))
            .unwrap()
            .contains("revoked")
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    saml_login(&mut b, "ada@demo.example", "0").await;
    let r = b
        .post("/settings/tokens", &[("name".into(), "x".into())])
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            "/settings/sso/delete",
            &[
                ("name".into(), "demo-saml".into()),
                ("csrf".into(), "Z".repeat(32)),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        model::connection_by_name(&s.state, "demo-saml")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn members_who_are_not_admins_cannot_open_settings() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    oidc_login(&mut b, "grace@demo.example", "1").await;
    assert_eq!(b.get("/settings/tokens").await.status, 403);
    assert_eq!(b.get("/settings/sso").await.status, 403);
}

#[tokio::test]
async fn sso_settings_list_add_and_delete_only_this_workspaces_connections() {
    let s = start().await;
    let other = model::create_workspace(&s.state, "other", "enterprise")
        .await
        .unwrap();
    let settings = model::OidcSettings {
        issuer: "https://other.okta.example".into(),
        client_id: "c".into(),
        client_secret_post: false,
    };
    model::add_oidc_connection(&s.state, &other, "other-oidc", &settings, "s3cret-value")
        .await
        .unwrap();
    let mut b = Browser::new(&s.base);
    saml_login(&mut b, "ada@demo.example", "0").await;
    let page = b.get("/settings/sso").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("demo-saml") && page.body.contains("demo-oidc"));
    assert!(
        !page.body.contains("other-oidc"),
        "another workspace's connection is not listed"
    );
    assert!(!page.body.contains("s3cret-value"));
    let csrf = crate::harness::field(&page.body, "csrf").unwrap();
    let r = b
        .post(
            "/settings/sso/delete",
            &[
                ("csrf".into(), csrf.clone()),
                ("name".into(), "other-oidc".into()),
            ],
        )
        .await;
    assert_eq!(
        r.status, 404,
        "cannot delete another workspace's connection"
    );
    assert!(
        model::connection_by_name(&s.state, "other-oidc")
            .await
            .unwrap()
            .is_some()
    );
    // Saving fetches the discovery document: the demo IdP's issuer works (no network in tests).
    let demo_issuer = s.state.demo.clone().unwrap().issuer();
    let r = b
        .post(
            "/settings/sso/oidc",
            &[
                ("csrf".into(), csrf.clone()),
                ("name".into(), "acme-okta".into()),
                ("issuer".into(), demo_issuer.clone()),
                ("client_id".into(), "0oa1".into()),
                ("client_secret".into(), "topsecret".into()),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let conn = model::connection_by_name(&s.state, "acme-okta")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conn.oidc_settings().unwrap().issuer, demo_issuer);
    // The secret is encrypted at rest.
    let raw = count_secret(&s.state, "topsecret").await;
    assert_eq!(raw, 0);
    assert_eq!(
        model::oidc_connection(&s.state, &conn)
            .unwrap()
            .client_secret
            .secret(),
        "topsecret"
    );
    let r = b
        .post(
            "/settings/sso/delete",
            &[("csrf".into(), csrf), ("name".into(), "acme-okta".into())],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(
        model::connection_by_name(&s.state, "acme-okta")
            .await
            .unwrap()
            .is_none()
    );
}

async fn count_secret(state: &gatehouse_service::AppState, needle: &str) -> i64 {
    crate::harness::count(
        state,
        "SELECT COUNT(*) AS n FROM connections WHERE sealed_secret LIKE $1 OR config LIKE $1",
        &format!("%{needle}%"),
    )
    .await
}

#[tokio::test]
async fn settings_of_a_workspace_without_the_enterprise_plan_say_why() {
    let s = start().await;
    let starter = model::workspace_by_name(&s.state, "starter")
        .await
        .unwrap()
        .unwrap();
    sqlx::query("INSERT INTO users (id, workspace_id, email, role, active, provisioned_by, created_at, updated_at) VALUES ('u-bob', $1, 'bob@starter.example', 'admin', 1, 'manual', 0, 0)")
        .bind(&starter.id)
        .execute(&s.state.pool)
        .await
        .unwrap();
    let cookie =
        gatehouse_service::web::create_session(&s.state, &starter.id, "u-bob", "-", "manual", None)
            .await
            .unwrap();
    let mut b = Browser::new(&s.base);
    let value = cookie
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    b.cookies.insert("gh_session".into(), value);
    let page = b.get("/settings/sso").await;
    assert_eq!(page.status, 402);
    assert!(page.body.contains("Enterprise plan"), "{}", page.body);
    let err = model::add_oidc_connection(
        &s.state,
        &starter,
        "x",
        &model::OidcSettings {
            issuer: "acme.okta.com".into(),
            client_id: "c".into(),
            client_secret_post: false,
        },
        "s",
    )
    .await;
    assert!(err.is_err(), "connections need the Enterprise plan");
}

#[tokio::test]
async fn admin_commands_create_a_workspace_connections_and_a_token() {
    let prefix = temp_prefix();
    let _files = crate::harness::TempFiles(prefix.clone());
    let db = format!("{}.db", prefix.display());
    let key = format!("{}.key", prefix.display());
    std::fs::write(&key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    let base = [
        "login_service",
        "--database",
        &db,
        "--master-key-file",
        &key,
        "--public-url",
        "https://app.example.com",
    ];
    let with = |extra: &[&str]| Cli::parse_from(base.iter().chain(extra.iter()).copied());
    run(with(&[
        "workspace",
        "create",
        "--name",
        "acme",
        "--domain",
        "acme.example",
    ]))
    .await
    .unwrap();
    assert!(
        run(with(&["workspace", "create", "--name", "acme"]))
            .await
            .is_err(),
        "names are unique"
    );
    let secret = format!("{}.secret", prefix.display());
    std::fs::write(&secret, "client-secret\n").unwrap();
    run(with(&[
        "connection",
        "add-oidc",
        "--workspace",
        "acme",
        "--name",
        "acme-oidc",
        "--issuer",
        "acme.okta.com",
        "--client-id",
        "0oa1",
        "--client-secret-file",
        &secret,
    ]))
    .await
    .unwrap();
    let metadata = format!("{}.xml", prefix.display());
    let cert = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/keys/idp.crt"
    ))
    .unwrap();
    let b64: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
    std::fs::write(&metadata, format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"http://www.okta.com/exk1\">\
         <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data>\
         <ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
         <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://acme.okta.com/app/sso/saml\"/></md:IDPSSODescriptor></md:EntityDescriptor>"
    )).unwrap();
    run(with(&[
        "connection",
        "add-saml",
        "--workspace",
        "acme",
        "--name",
        "acme-saml",
        "--metadata-file",
        &metadata,
    ]))
    .await
    .unwrap();
    run(with(&[
        "token",
        "create",
        "--workspace",
        "acme",
        "--name",
        "SCIM",
    ]))
    .await
    .unwrap();
    assert!(
        run(with(&["token", "create", "--workspace", "nope"]))
            .await
            .is_err()
    );

    let state = gatehouse_service::AppState::open(
        gatehouse_service::Config::new("https://app.example.com"),
        &db,
        &key,
        false,
    )
    .await
    .unwrap();
    let ws = model::workspace_by_name(&state, "acme")
        .await
        .unwrap()
        .unwrap();
    let conns = model::connections_of(&state, &ws.id).await.unwrap();
    assert_eq!(
        conns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["acme-oidc", "acme-saml"]
    );
    let saml = conns[1].saml_settings().unwrap();
    assert_eq!(saml.idp.entity_id, "http://www.okta.com/exk1");
    assert_eq!(
        gatehouse_service::tokens::list(&state, &ws)
            .await
            .unwrap()
            .len(),
        1
    );
    // A wrong master key cannot read the secrets.
    let wrong = format!("{}.wrong", prefix.display());
    std::fs::write(&wrong, "AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    let state2 = gatehouse_service::AppState::open(
        gatehouse_service::Config::new("https://app.example.com"),
        &db,
        &wrong,
        false,
    )
    .await
    .unwrap();
    assert!(model::oidc_connection(&state2, &conns[0]).is_err());
    // Sessions on https get the Secure attribute.
    let cookie = gatehouse_service::web::set_cookie(&state, "gh_session", "v", None);
    assert!(cookie.to_str().unwrap().contains("Secure"));
}

#[tokio::test]
async fn break_glass_recovery_code_is_single_use_audited_and_rate_limited() {
    let s = start().await;
    let demo = model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    let code = gatehouse_service::recovery::issue(&s.state, &demo, "owner@demo.example", 60)
        .await
        .unwrap();
    assert!(code.starts_with("ghr_"));
    assert_eq!(
        crate::harness::count(
            &s.state,
            "SELECT COUNT(*) AS n FROM recovery_codes WHERE code_hash = $1",
            &code
        )
        .await,
        0,
        "stored hashed"
    );
    let mut b = Browser::new(&s.base);
    let page = b.get("/login/recovery").await;
    let ok = b
        .submit(
            &page,
            None,
            &[("email", "owner@demo.example"), ("code", &code)],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.location().as_deref(), Some("/settings/sso"));
    assert_eq!(
        b.get("/settings/sso").await.status,
        200,
        "the recovered admin can fix the connection"
    );
    assert!(b.get("/").await.body.contains("break-glass"));
    assert_eq!(
        crate::harness::last_audit(&s.state).await.0,
        "recovery-signed-in"
    );

    let mut other = Browser::new(&s.base);
    let page = other.get("/login/recovery").await;
    let reused = other
        .submit(
            &page,
            None,
            &[("email", "owner@demo.example"), ("code", &code)],
        )
        .await;
    assert_eq!(reused.status, 403, "single use");

    // Members who are not admins cannot get a code.
    let mut g = Browser::new(&s.base);
    crate::harness::saml_login(&mut g, "grace@demo.example", "1").await;
    assert!(
        gatehouse_service::recovery::issue(&s.state, &demo, "grace@demo.example", 60)
            .await
            .is_err()
    );

    let fresh = gatehouse_service::recovery::issue(&s.state, &demo, "owner@demo.example", 60)
        .await
        .unwrap();
    for _ in 0..4 {
        let page = other.get("/login/recovery").await;
        let bad = other
            .submit(
                &page,
                None,
                &[("email", "owner@demo.example"), ("code", "ghr_wrong")],
            )
            .await;
        assert_eq!(bad.status, 403);
    }
    let page = other.get("/login/recovery").await;
    let locked = other
        .submit(
            &page,
            None,
            &[("email", "owner@demo.example"), ("code", &fresh)],
        )
        .await;
    assert_eq!(
        locked.status, 429,
        "five failures in the window lock recovery: {}",
        locked.body
    );
    assert_eq!(
        crate::harness::last_audit(&s.state).await.0,
        "recovery-throttled"
    );
}

#[tokio::test]
async fn expired_rows_are_swept() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    let csrf = b.csrf().await;
    b.post(
        "/login",
        &[
            ("csrf".into(), csrf),
            ("email".into(), "ada@demo.example".into()),
            ("connection".into(), "demo-saml".into()),
        ],
    )
    .await;
    assert_eq!(
        crate::harness::count(
            &s.state,
            "SELECT COUNT(*) AS n FROM saml_requests WHERE connection = $1",
            "demo-saml"
        )
        .await,
        1
    );
    let removed = gatehouse_service::db::sweep(&s.state.pool, s.state.now().timestamp() + 3600)
        .await
        .unwrap();
    assert!(removed >= 1);
    assert_eq!(
        crate::harness::count(
            &s.state,
            "SELECT COUNT(*) AS n FROM saml_requests WHERE connection = $1",
            "demo-saml"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn saml_certificate_rotation_and_policy_through_the_settings_page() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    saml_login(&mut b, "ada@demo.example", "0").await;
    let page = b.get("/settings/sso").await;
    assert!(page.body.contains("Pinned IdP certificates"));
    let csrf = crate::harness::field(&page.body, "csrf").unwrap();
    let demo_cert =
        gatehouse_xml::PinnedKeys::from_pem(&s.state.demo.as_ref().unwrap().saml_cert_pem).unwrap();
    let demo_fp = demo_cert.keys()[0].fingerprint_hex();
    assert!(page.body.contains(&demo_fp));
    let next = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/keys/idp.crt"
    ))
    .unwrap();
    let edit = |extra: Vec<(&str, String)>| {
        let mut f: Vec<(String, String)> = vec![
            ("csrf".into(), csrf.clone()),
            ("name".into(), "demo-saml".into()),
            ("sign_requests".into(), "1".into()),
        ];
        f.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
        f
    };
    // Step 1 of a rotation: pin the IdP's next certificate beside the current one; logins keep working.
    let r = b
        .post(
            "/settings/sso/saml/edit",
            &edit(vec![
                ("add_cert", next.clone()),
                ("allow_unsolicited", "1".into()),
            ]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let conn = model::connection_by_name(&s.state, "demo-saml")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        conn.saml_settings().unwrap().idp.certificates.keys().len(),
        2
    );
    let mut g = Browser::new(&s.base);
    assert_eq!(
        saml_login(&mut g, "grace@demo.example", "1").await.status,
        303
    );
    // Step 2: unpin the old one; responses signed with it are now refused.
    let r = b
        .post(
            "/settings/sso/saml/edit",
            &edit(vec![("remove", demo_fp.clone())]),
        )
        .await;
    assert_eq!(r.status, 303);
    let settings = model::connection_by_name(&s.state, "demo-saml")
        .await
        .unwrap()
        .unwrap()
        .saml_settings()
        .unwrap();
    assert_eq!(settings.idp.certificates.keys().len(), 1);
    assert!(
        !settings.idp.policy.allow_unsolicited,
        "unchecked box turns IdP-initiated sign-in off"
    );
    let mut g = Browser::new(&s.base);
    assert_eq!(
        saml_login(&mut g, "grace@demo.example", "1").await.status,
        403
    );
    // The last certificate cannot be removed.
    let only = settings.idp.certificates.keys()[0].fingerprint_hex();
    let r = b
        .post("/settings/sso/saml/edit", &edit(vec![("remove", only)]))
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_saml_connection_added_from_a_metadata_url_works_end_to_end() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    saml_login(&mut b, "ada@demo.example", "0").await;
    let page = b.get("/settings/sso").await;
    let csrf = crate::harness::field(&page.body, "csrf").unwrap();
    let url = format!("{}/_demo-idp/saml/metadata", s.base);
    let r = b
        .post(
            "/settings/sso/saml",
            &[
                ("csrf".into(), csrf.clone()),
                ("name".into(), "by-url".into()),
                ("metadata_url".into(), url),
                ("metadata".into(), String::new()),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let conn = model::connection_by_name(&s.state, "by-url")
        .await
        .unwrap()
        .unwrap();
    let settings = conn.saml_settings().unwrap();
    let idp = s.state.demo.clone().unwrap();
    assert_eq!(settings.idp.entity_id, idp.saml_entity_id());
    assert_eq!(settings.idp.sso_url, idp.saml_sso_url());
    assert!(!settings.idp.policy.allow_unsolicited);
    // Register it at the demo IdP and sign in through it.
    idp.saml_apps.lock().unwrap().insert(
        "by-url".into(),
        gatehouse_service::demo_idp::SamlApp {
            entity_id: s.state.sp_entity_id("by-url"),
            acs_url: s.state.acs_url("by-url"),
            cert_pem: conn.cert_pem.clone(),
            encryption_cert_pem: None,
        },
    );
    let mut g = Browser::new(&s.base);
    let g_csrf = g.csrf().await;
    let to_idp = g
        .post(
            "/login",
            &[
                ("csrf".into(), g_csrf),
                ("email".into(), "grace@demo.example".into()),
                ("connection".into(), "by-url".into()),
            ],
        )
        .await;
    assert_eq!(to_idp.status, 303, "{}", to_idp.body);
    let picker = g.get(&to_idp.location().unwrap()).await;
    let form = g.submit(&picker, Some(("user", "1")), &[]).await;
    let done = g.submit(&form, None, &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(g.get("/").await.body.contains("jit:by-url"));
    // A plain-http, non-loopback metadata URL is refused.
    let r = b
        .post(
            "/settings/sso/saml",
            &[
                ("csrf".into(), csrf.clone()),
                ("name".into(), "bad".into()),
                ("metadata_url".into(), "http://idp.example/metadata".into()),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
}
