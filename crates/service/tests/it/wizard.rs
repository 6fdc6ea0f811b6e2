//! The connection set-up pages (the Okta guide's steps, values to paste, checks on save), the SCIM page, certificate
//! expiry warnings, the members page's last sign-in, refusal pages with a reference admins can open, and the
//! scripts-only-from-the-service Content-Security-Policy.

use base64::Engine as _;
use gatehouse_service::{DEFAULT_CSP, model, settings};
use sha2::Digest as _;

use crate::harness::{Browser, Page, count, field, saml_login, start, start_login};
use crate::okta::copy_values;

/// SHA-256 of the DER inside a PEM certificate as Okta shows it (`AB:CD:…`): computed here, not by the code under
/// test.
fn pem_sha256(pem: &str) -> String {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap();
    sha2::Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn form_of(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn admin(s: &crate::harness::Server) -> (Browser, String) {
    let mut b = Browser::new(&s.base);
    saml_login(&mut b, "ada@demo.example", "0").await;
    let page = b.get("/settings/sso/new/oidc").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = field(&page.body, "csrf").unwrap();
    (b, csrf)
}

#[tokio::test]
async fn the_oidc_wizard_lists_the_guides_uris_and_checks_discovery_before_saving() {
    let s = start().await;
    let (mut b, csrf) = admin(&s).await;
    let page = b.get("/settings/sso/new/oidc").await;
    // The guide: Sign-in redirect URI <auth>/login/callback, Sign-out redirect URI <app>, Initiate login URI
    // <app>/login — in that order, each with a copy button carrying the same value.
    let (auth, app) = (&s.state.config.auth_url, &s.state.config.public_url);
    let want = vec![
        format!("{auth}/login/callback"),
        app.clone(),
        format!("{app}/login"),
    ];
    assert_eq!(copy_values(&page.body), want);
    for v in &want {
        assert!(
            page.body
                .contains(&format!("data-copy=\"{v}\" hidden>Copy</button>")),
            "a copy button for {v}"
        );
    }
    assert!(page.body.contains("Redirect to app to initiate login"));

    let add = |issuer: &str, name: &str, client_id: &str| {
        form_of(&[
            ("csrf", &csrf),
            ("name", name),
            ("issuer", issuer),
            ("client_id", client_id),
            ("client_secret", "s3cret-never-shown"),
        ])
    };
    // Nothing listens there: the page says it could not reach the discovery document, keeps the values, never the
    // secret, and creates nothing.
    let r = b
        .post(
            "/settings/sso/oidc",
            &add("https://127.0.0.1:1", "acme-okta", "0oa1"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body
            .contains("Could not reach https://127.0.0.1:1/.well-known/openid-configuration"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"0oa1\"") && !r.body.contains("s3cret-never-shown"));
    // A server without a discovery document there.
    let r = b
        .post(
            "/settings/sso/oidc",
            &add(
                &format!("{}/_demo-idp/nothing", s.base),
                "acme-okta",
                "0oa1",
            ),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("answered HTTP 404"), "{}", r.body);
    // Every problem of the form at once.
    let r = b
        .post("/settings/sso/oidc", &add("acme.okta.com", "bad name!", ""))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("connection name") && r.body.contains("client_id"),
        "{}",
        r.body
    );
    // A name in use.
    let issuer = s.state.demo.clone().unwrap().issuer();
    let r = b
        .post("/settings/sso/oidc", &add(&issuer, "demo-saml", "0oa1"))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("already exists"), "{}", r.body);
    assert!(
        model::connection_by_name(&s.state, "acme-okta")
            .await
            .unwrap()
            .is_none()
    );

    // A real discovery document: saved.
    let r = b
        .post("/settings/sso/oidc", &add(&issuer, "acme-okta", "0oa1"))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let conn = model::connection_by_name(&s.state, "acme-okta")
        .await
        .unwrap()
        .unwrap();
    let settings = conn.oidc_settings().unwrap();
    assert_eq!(
        (settings.issuer.as_str(), settings.client_id.as_str()),
        (issuer.as_str(), "0oa1")
    );
    assert!(
        !settings.client_secret_post,
        "the demo IdP accepts client_secret_basic"
    );
    // The connection's block on the list repeats what Okta must hold.
    let list = b.get("/settings/sso").await;
    let block = &list.body[list.body.find("id=\"conn-acme-okta\"").unwrap()..];
    assert_eq!(
        copy_values(&block[..block.find("</section>").unwrap()]),
        want
    );
}

#[tokio::test]
async fn the_saml_wizard_asks_the_name_first_and_pins_only_the_expected_certificate() {
    let s = start().await;
    let (mut b, csrf) = admin(&s).await;
    let step1 = b.get("/settings/sso/new/saml").await;
    assert_eq!(step1.status, 200);
    assert!(step1.body.contains("name=\"name\"") && !step1.body.contains("metadata_url"));
    for bad in ["bad%20name", "demo-saml"] {
        let r = b.get(&format!("/settings/sso/new/saml?name={bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert!(!r.body.contains("metadata_url"), "{bad}: stays on step 1");
    }
    let step2 = b.get("/settings/sso/new/saml?name=acme-okta").await;
    assert_eq!(step2.status, 200, "{}", step2.body);
    let auth = &s.state.config.auth_url;
    let values = copy_values(&step2.body);
    assert_eq!(
        values.first(),
        Some(&format!("{auth}/login/callback?connection=acme-okta"))
    );
    assert_eq!(
        values.get(1),
        Some(&format!("urn:auth0:{}:acme-okta", s.state.config.tenant))
    );
    assert!(values.contains(
        &"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress".to_owned()
    ));
    assert_eq!(values.last(), Some(&format!("{auth}/pem?cert=acme-okta")));

    let idp = s.state.demo.clone().unwrap();
    let fingerprint = pem_sha256(&idp.saml_cert_pem);
    let url = format!("{}/_demo-idp/saml/metadata", s.base);
    let add = |name: &str, url: &str, xml: &str, expected: &str| {
        form_of(&[
            ("csrf", &csrf),
            ("name", name),
            ("metadata_url", url),
            ("metadata", xml),
            ("expected_certificate", expected),
        ])
    };
    // A certificate the metadata does not have: refused, naming both fingerprints.
    let wrong = "00".repeat(32);
    let r = b
        .post("/settings/sso/saml", &add("acme-okta", &url, "", &wrong))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains(&fingerprint) && r.body.contains(&wrong),
        "{}",
        r.body
    );
    // A SHA-1 fingerprint is not enough; no metadata, or two, is a problem.
    let r = b
        .post(
            "/settings/sso/saml",
            &add("acme-okta", &url, "", &"ab:".repeat(20)),
        )
        .await;
    assert!(r.status == 400 && r.body.contains("SHA-1"), "{}", r.body);
    let r = b
        .post("/settings/sso/saml", &add("acme-okta", "", "", ""))
        .await;
    assert!(
        r.status == 400 && r.body.contains("Give the metadata"),
        "{}",
        r.body
    );
    let r = b
        .post("/settings/sso/saml", &add("acme-okta", &url, "<x/>", ""))
        .await;
    assert!(r.status == 400 && r.body.contains("not both"), "{}", r.body);
    assert!(
        model::connection_by_name(&s.state, "acme-okta")
            .await
            .unwrap()
            .is_none()
    );

    // The fingerprint as Okta shows it (colon-separated upper case): saved, exactly that certificate pinned, the URL kept
    // for the scheduled refetch.
    let colons = fingerprint
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap().to_uppercase())
        .collect::<Vec<_>>()
        .join(":");
    let r = b
        .post("/settings/sso/saml", &add("acme-okta", &url, "", &colons))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let conn = model::connection_by_name(&s.state, "acme-okta")
        .await
        .unwrap()
        .unwrap();
    let pinned: Vec<String> = conn
        .saml_settings()
        .unwrap()
        .idp
        .certificates
        .keys()
        .iter()
        .map(|k| k.fingerprint_hex())
        .collect();
    assert_eq!(pinned, vec![fingerprint.clone()]);
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM metadata_sources WHERE connection_id = $1",
            &conn.id
        )
        .await,
        1
    );
    // The connection page says where the metadata comes from; "Refetch metadata now" fetches it.
    let list = b.get("/settings/sso").await;
    let block = &list.body[list.body.find("id=\"conn-acme-okta\"").unwrap()..];
    assert!(
        block.contains(&format!("Metadata URL <code>{url}</code>"))
            && block.contains("Last fetched 20"),
        "{block}"
    );
    // (As if the last scheduled fetch had failed long ago.)
    sqlx::query("UPDATE metadata_sources SET fetched_at = 0, last_error = 'HTTP 503' WHERE connection_id = $1")
        .bind(&conn.id)
        .execute(&s.state.pool)
        .await
        .unwrap();
    assert!(
        b.get("/settings/sso")
            .await
            .body
            .contains("The last fetch failed:</strong> HTTP 503")
    );
    let r = b
        .post(
            "/settings/sso/metadata/refresh",
            &form_of(&[("csrf", &csrf), ("name", "acme-okta")]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let status = gatehouse_service::metadata_refresh::metadata_status(&s.state, &conn.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.fetched_at.unwrap() > 0 && status.last_error.is_none(),
        "{status:?}"
    );
    // Pasted metadata is not refetched: the button answers so.
    let r = b
        .post(
            "/settings/sso/metadata/refresh",
            &form_of(&[("csrf", &csrf), ("name", "demo-saml")]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // The certificate itself (PEM) and pasted metadata XML work too.
    let xml = b.get(&url).await.body;
    let r = b
        .post(
            "/settings/sso/saml",
            &add("acme-pasted", "", &xml, &idp.saml_cert_pem),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn the_scim_page_lists_the_connector_values_and_the_token_state() {
    let s = start().await;
    let (mut b, _) = admin(&s).await;
    let page = b.get("/settings/scim").await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The guide: SCIM connector base URL <app>/backend/scim/v2/, unique identifier field userName.
    assert_eq!(
        copy_values(&page.body),
        vec![
            format!("{}/backend/scim/v2/", s.state.config.public_url),
            "userName".to_owned()
        ]
    );
    assert!(page.body.contains("href=\"/settings/tokens\""));
    // The demo seeds one SCIM token.
    assert!(page.body.contains("1 active token(s)"), "{}", page.body);
    let mut grace = Browser::new(&s.base);
    saml_login(&mut grace, "grace@demo.example", "1").await;
    assert_eq!(
        grace.get("/settings/scim").await.status,
        403,
        "members are not admins"
    );
}

#[test]
fn certificates_are_flagged_thirty_days_before_expiry() {
    let day = 86_400;
    let now = 1_800_000_000;
    assert_eq!(settings::expiry_warning(now + 31 * day, now), None);
    assert!(
        settings::expiry_warning(now + 29 * day + 5, now)
            .unwrap()
            .starts_with("expires in 29 day(s)")
    );
    assert!(
        settings::expiry_warning(now + 5, now)
            .unwrap()
            .starts_with("expires in 0 day(s)")
    );
    assert!(
        settings::expiry_warning(now - 3 * day, now)
            .unwrap()
            .starts_with("expired 3 day(s) ago")
    );
    assert_eq!(settings::EXPIRY_WARNING_DAYS, 30);
}

#[tokio::test]
async fn the_connection_page_warns_about_a_certificate_that_expires_soon() {
    let s = start().await;
    let (mut b, csrf) = admin(&s).await;
    let page = b.get("/settings/sso").await;
    assert!(
        !page.body.contains("Certificates need attention"),
        "the demo certificate is fresh"
    );
    // Pin a second certificate (the IdP's next one) that expires in 10 days.
    let mut params = rcgen::CertificateParams::new(vec!["idp.example".to_owned()]).unwrap();
    let ymd = |d: chrono::DateTime<chrono::Utc>| {
        use chrono::Datelike as _;
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    params.not_before = ymd(s.state.now() - chrono::Duration::days(300));
    params.not_after = ymd(s.state.now() + chrono::Duration::days(10));
    let key = rcgen::KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    let r = b
        .post(
            "/settings/sso/saml/edit",
            &form_of(&[
                ("csrf", &csrf),
                ("name", "demo-saml"),
                ("add_cert", &pem),
                ("allow_unsolicited", "1"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b.get("/settings/sso").await;
    let fp = pem_sha256(&pem);
    let banner = &page.body[page
        .body
        .find("Certificates need attention")
        .expect("a warning banner")..];
    assert!(banner.contains(&fp), "{banner}");
    assert!(
        page.body.contains("expires in 9 day(s)") || page.body.contains("expires in 10 day(s)"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_members_page_shows_provisioning_source_status_and_last_sign_in() {
    let s = start().await;
    let (mut b, _) = admin(&s).await;
    let page = b.get("/settings/members").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let today = s.state.now().format("%Y-%m-%d").to_string();
    let ada = page
        .body
        .split("<tr>")
        .find(|r| r.contains("ada@demo.example"))
        .unwrap();
    assert!(
        ada.contains("JIT via demo-saml") && ada.contains("active") && ada.contains(&today),
        "{ada}"
    );
    // Someone provisioned by SCIM who never signed in.
    let r = reqwest::Client::new()
        .post(format!("{}/backend/scim/v2/Users", s.base))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "new@demo.example", "active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let page = b.get("/settings/members").await;
    let new = page
        .body
        .split("<tr>")
        .find(|r| r.contains("new@demo.example"))
        .unwrap();
    assert!(new.contains("SCIM") && new.contains("never"), "{new}");
}

fn reference(page: &Page) -> String {
    let at = page
        .body
        .find("/settings/audit?ref=")
        .expect("a reference link")
        + "/settings/audit?ref=".len();
    page.body[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_refusal_gives_the_person_a_reference_that_opens_the_admins_details() {
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
    let mut g = Browser::new(&s.base);
    let picker = g.get("/_demo-idp/saml/launch?app=demo-saml").await;
    let form = g.submit(&picker, Some(("user", "1")), &[]).await;
    let refused = g.submit(&form, None, &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    // The person: what to do, the code, the reference.
    assert!(
        refused
            .body
            .contains("Send your administrator the code and reference"),
        "{}",
        refused.body
    );
    let id = reference(&refused);
    // The person cannot open it (not signed in) …
    assert_eq!(
        g.get(&format!("/settings/audit?ref={id}")).await.status,
        303
    );
    // … the workspace's admin can, with the hint.
    let mut b = Browser::new(&s.base);
    settings.idp.policy.allow_unsolicited = true;
    model::update_connection_config(&s.state, &conn, &serde_json::to_string(&settings).unwrap())
        .await
        .unwrap();
    saml_login(&mut b, "ada@demo.example", "0").await;
    let details = b.get(&format!("/settings/audit?ref={id}")).await;
    assert_eq!(details.status, 200, "{}", details.body);
    assert!(
        details.body.contains("saml:unsolicited") && details.body.contains("What to change:"),
        "{}",
        details.body
    );
    assert_eq!(
        details.body.matches("<tr><td>").count(),
        1,
        "only that record"
    );
    // A record of another workspace is not shown, even by its id.
    let other =
        gatehouse_service::web::audit(&s.state, Some("another-workspace"), None, "refused", "x: y")
            .await
            .unwrap();
    let page = b.get(&format!("/settings/audit?ref={other}")).await;
    assert!(
        page.body.contains("No such record in this workspace"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn pages_run_scripts_only_from_the_service() {
    let s = start().await;
    let mut b = Browser::new(&s.base);
    let login = b.get("/login").await;
    assert_eq!(
        login.headers.get("content-security-policy").unwrap(),
        DEFAULT_CSP
    );
    assert!(DEFAULT_CSP.contains("script-src 'self'") && !DEFAULT_CSP.contains("unsafe-inline"));
    assert!(
        login
            .body
            .contains("<script src=\"/static/gatehouse.js\" defer></script>")
    );
    assert!(!login.body.contains("<script>"), "no inline script");
    let js = b.get("/static/gatehouse.js").await;
    assert_eq!(js.status, 200);
    assert!(
        js.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(js.body, gatehouse_service::web::SCRIPT);
    // The demo IdP's auto-submitting form: its own policy, whose nonce is the one on its only script.
    let picker = b.get("/_demo-idp/saml/launch?app=demo-saml").await;
    let form = b.submit(&picker, Some(("user", "1")), &[]).await;
    let csp = form
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(nonce.len() >= 16, "{csp}");
    assert_eq!(form.body.matches("<script").count(), 1);
    assert!(
        form.body.contains(&format!("<script nonce=\"{nonce}\">")),
        "{}",
        form.body
    );
    assert!(!form.body.contains("onload="), "no inline event handler");
}

#[tokio::test]
async fn idp_urls_on_private_addresses_are_refused_outside_a_local_trial() {
    let s = start().await;
    // The trial on loopback may call loopback (the demo IdP is there) …
    assert!(s.state.config.allow_private_idp_addresses);
    // … a deployment on a public URL may not: not for admin-typed metadata URLs, not for discovery-named endpoints.
    let mut state = s.state.clone();
    let mut config = (*state.config).clone();
    config.allow_private_idp_addresses = false;
    state.config = std::sync::Arc::new(config);
    for url in [
        "https://10.1.2.3/metadata",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/md",
        "https://localhost/md",
        format!("{}/_demo-idp/saml/metadata", s.base).as_str(),
    ] {
        let err = settings::fetch_metadata(&state, url)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not a public address") || err.contains("must use https"),
            "{url}: {err}"
        );
    }
    let request = gatehouse_oidc::HttpRequest::get(
        url::Url::parse("https://127.0.0.1:9/jwks").unwrap(),
        "application/json",
    );
    let err = gatehouse_service::egress::execute(&state, request)
        .await
        .unwrap_err();
    assert!(err.contains("--allow-private-idp-addresses"), "{err}");
    // A public deployment's configuration defaults to refusing them.
    assert!(!gatehouse_service::Config::new("https://app.example.com").allow_private_idp_addresses);
    assert!(gatehouse_service::Config::new("http://localhost:8080").allow_private_idp_addresses);
}

#[tokio::test]
async fn a_post_binding_authn_request_page_runs_under_its_own_nonce() {
    let s = start().await;
    let conn = model::connection_by_name(&s.state, "demo-saml")
        .await
        .unwrap()
        .unwrap();
    let mut settings = conn.saml_settings().unwrap();
    settings.idp.sso_binding = gatehouse_saml::Binding::HttpPost;
    model::update_connection_config(&s.state, &conn, &serde_json::to_string(&settings).unwrap())
        .await
        .unwrap();
    let mut b = Browser::new(&s.base);
    let page = start_login(&mut b, "ada@demo.example", "demo-saml").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("name=\"SAMLRequest\""), "{}", page.body);
    let csp = page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        !csp.contains("'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(page.body.matches("<script").count(), 1, "{}", page.body);
    assert!(
        page.body.contains(&format!("<script nonce=\"{nonce}\">")),
        "{}",
        page.body
    );
}
