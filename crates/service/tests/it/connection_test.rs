//! "Test connection" and "Re-check the last failure": real logins through the demo IdP whose reports list every
//! check, sign nobody in and apply no JIT; refused logins captured sealed and re-checked after an edit.

use gatehouse_service::{AppState, model};

use crate::harness::{Browser, Page, count, field, saml_login, start, start_login};

/// The demo IdP's SAML signing certificate fingerprint (SHA-256, as the settings page shows it).
fn demo_fingerprint(state: &AppState) -> String {
    let pem = &state.demo.as_ref().unwrap().saml_cert_pem;
    gatehouse_xml::PinnedKeys::from_pem(pem).unwrap().keys()[0].fingerprint_hex()
}

/// Pins a fresh certificate instead of the demo IdP's on `demo-saml`; returns the pinned fingerprint.
async fn pin_wrong_certificate(state: &AppState) -> String {
    let conn = model::connection_by_name(state, "demo-saml")
        .await
        .unwrap()
        .unwrap();
    let mut settings = conn.saml_settings().unwrap();
    let other = gatehouse_service::crypto::generate_rsa_cert("Not the demo IdP").unwrap();
    settings.idp.certificates = gatehouse_xml::PinnedKeys::from_pem(&other.cert_pem).unwrap();
    let fp = settings.idp.certificates.keys()[0].fingerprint_hex();
    model::update_connection_config(state, &conn, &serde_json::to_string(&settings).unwrap())
        .await
        .unwrap();
    fp
}

/// Rows that a sign-in or JIT would write.
async fn footprint(state: &AppState) -> (i64, i64, i64) {
    (
        count(state, "SELECT COUNT(*) AS n FROM users WHERE $1 = $1", "").await,
        count(
            state,
            "SELECT COUNT(*) AS n FROM sessions WHERE $1 = $1",
            "",
        )
        .await,
        count(
            state,
            "SELECT COUNT(*) AS n FROM sso_links WHERE $1 = $1",
            "",
        )
        .await,
    )
}

/// The marks of the report's check table, in order (`pass`, `fail`, `not-reached`, …).
fn marks(report: &Page) -> Vec<String> {
    report
        .body
        .split("<tr class=\"check-")
        .skip(1)
        .map(|r| r.split('"').next().unwrap().to_owned())
        .collect()
}

/// The check row whose label is `label`.
fn row<'p>(report: &'p Page, label: &str) -> &'p str {
    report
        .body
        .split("<tr class=\"check-")
        .find(|r| r.contains(&format!("<td>{label}</td>")))
        .unwrap_or_else(|| panic!("no row {label:?} in {}", report.body))
}

/// Starts a test run on `connection` as the signed-in admin in `b`, signs in at the demo IdP as demo user `user`,
/// and follows the way back to the report page; returns (report URL, report page).
async fn run_test(b: &mut Browser, connection: &str, user: &str) -> (String, Page) {
    let csrf = b.csrf().await;
    let to_idp = b
        .post(
            "/settings/sso/test",
            &[("csrf".into(), csrf), ("name".into(), connection.into())],
        )
        .await;
    assert_eq!(to_idp.status, 303, "{}", to_idp.body);
    let picker = b.get(&to_idp.location().unwrap()).await;
    assert_eq!(picker.status, 200, "{}", picker.body);
    let back = b.submit(&picker, Some(("user", user)), &[]).await;
    let arrived = if connection.contains("saml") {
        // The auto-submitting form to the ACS.
        b.submit(&back, None, &[]).await
    } else {
        assert_eq!(back.status, 303, "{}", back.body);
        b.get(&back.location().unwrap()).await
    };
    assert_eq!(arrived.status, 303, "{}", arrived.body);
    assert!(
        !arrived
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("gh_session=")),
        "a test run never sets a session cookie"
    );
    let url = arrived.location().unwrap();
    assert!(url.starts_with("/settings/sso/test/report?id="), "{url}");
    let report = b.get(&url).await;
    assert_eq!(report.status, 200, "{}", report.body);
    (url, report)
}

async fn admin(s: &crate::harness::Server) -> Browser {
    let mut b = Browser::new(&s.base);
    let done = saml_login(&mut b, "ada@demo.example", "0").await;
    assert_eq!(done.status, 303, "{}", done.body);
    b
}

#[tokio::test]
async fn a_passing_saml_test_shows_every_check_and_the_jit_decision_and_signs_nobody_in() {
    let s = start().await;
    let mut b = admin(&s).await;
    let session = b.cookies.get("gh_session").cloned();
    let before = footprint(&s.state).await;
    let (_, report) = run_test(&mut b, "demo-saml", "1").await;
    let body = &report.body;
    assert!(body.contains("✓ Passed"), "{body}");
    let m = marks(&report);
    assert_eq!(m.len(), 19, "{m:?}");
    // Every check ran and passed, except the maximum age, which the demo connection does not configure.
    assert!(m.iter().all(|x| x == "pass" || x == "na"), "{m:?}\n{body}");
    assert!(row(&report, "Assertion age (IssueInstant)").starts_with("na"));
    let cert = row(&report, "Signature: pinned certificate (SHA-256)");
    assert!(cert.contains(&demo_fingerprint(&s.state)), "{cert}");
    assert!(row(&report, "InResponseTo (outstanding request)").starts_with("pass"));
    assert!(row(&report, "Destination").contains(&s.state.acs_url("demo-saml")));
    // The attributes that arrived and what JIT would do with them.
    assert!(body.contains("grace@demo.example") && body.contains("Hopper"));
    assert!(
        body.contains("Decision: <strong>Create</strong>")
            && body.contains("<code>create.first_login</code>"),
        "{body}"
    );
    // Nobody signed in, nothing provisioned: the admin is still the admin.
    assert_eq!(footprint(&s.state).await, before);
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE email = $1",
            "grace@demo.example"
        )
        .await,
        0
    );
    assert_eq!(b.cookies.get("gh_session").cloned(), session);
    assert!(b.get("/").await.body.contains("Ada Lovelace"));
    // The request was consumed; the report is sealed at rest.
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM saml_requests WHERE connection = $1",
            "demo-saml"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM connection_tests WHERE sealed_report LIKE $1",
            "%grace%"
        )
        .await,
        0
    );
    let (outcome, reason) = crate::harness::last_audit(&s.state).await;
    assert_eq!(
        (outcome.as_str(), reason.as_str()),
        ("connection-tested", "test passed")
    );
}

#[tokio::test]
async fn a_failing_saml_test_shows_the_failed_check_with_expected_received_and_hint() {
    let s = start().await;
    let mut b = admin(&s).await;
    let pinned = pin_wrong_certificate(&s.state).await;
    let before = footprint(&s.state).await;
    let (_, report) = run_test(&mut b, "demo-saml", "2").await;
    let body = &report.body;
    assert!(body.contains("✗ Failed"), "{body}");
    // check_response's order: message, destination, status, response issuer, shape, digest pass; the key fails.
    let m = marks(&report);
    let want: Vec<&str> = ["pass"; 6]
        .into_iter()
        .chain(["fail"])
        .chain(["not-reached"; 12])
        .collect();
    assert_eq!(m, want, "{body}");
    let cert = row(&report, "Signature: pinned certificate (SHA-256)");
    assert!(
        cert.contains(&format!("<code>{pinned}</code>"))
            && cert.contains(&format!("<code>{}</code>", demo_fingerprint(&s.state))),
        "expected the pinned fingerprint, received the IdP's: {cert}"
    );
    assert!(body.contains("saml:untrusted_certificate"), "{body}");
    assert!(body.contains("What to change:"), "the admin hint: {body}");
    assert!(
        body.contains(
            "Fix this here (pin the IdP&#39;s current certificate) or in the identity provider"
        ),
        "an unpinned certificate is fixed on either side: {body}"
    );
    assert!(
        body.contains("Not evaluated"),
        "no JIT preview for a refused response"
    );
    assert!(
        !body.contains("linus@demo.example"),
        "attributes of a refused response stay sealed"
    );
    assert_eq!(footprint(&s.state).await, before);
    // A test run's failure is not a captured login failure.
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM captured_failures WHERE connection = $1",
            "demo-saml"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn only_the_admin_who_started_a_run_reads_its_report() {
    let s = start().await;
    let mut b = admin(&s).await;
    let (url, _) = run_test(&mut b, "demo-saml", "1").await;
    assert_eq!(b.get(&url).await.status, 200);

    // Another admin of the same workspace, and an admin of another workspace.
    let demo = model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    let other = model::create_workspace(&s.state, "other-ws", "enterprise")
        .await
        .unwrap();
    for (ws, user) in [(&demo.id, "u-second-admin"), (&other.id, "u-other-admin")] {
        sqlx::query("INSERT INTO users (id, workspace_id, email, role, active, provisioned_by, created_at, updated_at) VALUES ($1, $2, $3, 'admin', 1, 'manual', 0, 0)")
            .bind(user)
            .bind(ws)
            .bind(format!("{user}@example.com"))
            .execute(&s.state.pool)
            .await
            .unwrap();
        let cookie =
            gatehouse_service::web::create_session(&s.state, ws, user, "manual", "manual", None)
                .await
                .unwrap();
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
        let mut c = Browser::new(&s.base);
        c.cookies.insert("gh_session".into(), value);
        assert_eq!(
            c.get("/settings/sso").await.status,
            200,
            "{user} is an admin"
        );
        let page = c.get(&url).await;
        assert_eq!(page.status, 404, "{user}: {}", page.body);
        assert!(!page.body.contains("grace@demo.example"));
    }
    let mut anonymous = Browser::new(&s.base);
    let page = anonymous.get(&url).await;
    assert_eq!(page.status, 303);
    assert!(!page.body.contains("grace@demo.example"));
    // A guessed ID shows nothing either.
    assert_eq!(b.get("/settings/sso/test/report?id=nope").await.status, 404);
}

#[tokio::test]
async fn starting_a_test_needs_the_csrf_token_and_an_own_connection() {
    let s = start().await;
    let mut b = admin(&s).await;
    let r = b
        .post("/settings/sso/test", &[("name".into(), "demo-saml".into())])
        .await;
    assert_eq!(r.status, 403);
    let other = model::create_workspace(&s.state, "other-ws", "enterprise")
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
    let csrf = b.csrf().await;
    let r = b
        .post(
            "/settings/sso/test",
            &[("csrf".into(), csrf), ("name".into(), "other-oidc".into())],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM connection_tests WHERE $1 = $1",
            ""
        )
        .await,
        0
    );
}

#[tokio::test]
async fn an_oidc_test_run_reports_every_step_and_signs_nobody_in() {
    let s = start().await;
    let mut b = admin(&s).await;
    let before = footprint(&s.state).await;
    let (_, report) = run_test(&mut b, "demo-oidc", "1").await;
    let body = &report.body;
    assert!(body.contains("✓ Passed"), "{body}");
    let m = marks(&report);
    assert_eq!(m, vec!["pass"; 11], "{body}");
    assert!(
        row(&report, "ID token: signature").contains("ES256"),
        "{body}"
    );
    assert!(
        body.contains("grace@demo.example"),
        "the claims that arrived: {body}"
    );
    assert!(body.contains("Decision: <strong>Create</strong>"), "{body}");
    assert_eq!(footprint(&s.state).await, before);
    assert!(b.get("/").await.body.contains("Ada Lovelace"));
}

/// Signs in at the demo IdP as `user` through SP-initiated SAML; returns the posted SAMLResponse and the ACS answer.
async fn saml_attempt(b: &mut Browser, email: &str, user: &str) -> (String, Page) {
    let to_idp = start_login(b, email, "demo-saml").await;
    let picker = b.get(&to_idp.location().unwrap()).await;
    let form = b.submit(&picker, Some(("user", user)), &[]).await;
    let posted = field(&form.body, "SAMLResponse").unwrap();
    (posted, b.submit(&form, None, &[]).await)
}

async fn recheck(b: &mut Browser) -> Page {
    recheck_of(b, "demo-saml").await
}

async fn recheck_of(b: &mut Browser, connection: &str) -> Page {
    let csrf = b.csrf().await;
    let r = b
        .post(
            "/settings/sso/recheck",
            &[("csrf".into(), csrf), ("name".into(), connection.into())],
        )
        .await;
    if r.status != 303 {
        return r;
    }
    let url = r.location().unwrap();
    assert!(url.starts_with("/settings/sso/test/report?id="), "{url}");
    b.get(&url).await
}

#[tokio::test]
async fn a_refused_login_is_captured_sealed_and_rechecked_before_and_after_the_fix() {
    let s = start().await;
    let mut b = admin(&s).await;
    let wrong = pin_wrong_certificate(&s.state).await;
    let mut user = Browser::new(&s.base);
    let (posted, refused) = saml_attempt(&mut user, "grace@demo.example", "1").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("saml:untrusted_certificate"));

    // Captured, sealed: the row holds neither the response nor what it says.
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM captured_failures WHERE connection = $1 AND kind = 'saml' AND code = 'saml:untrusted_certificate'",
            "demo-saml"
        )
        .await,
        1
    );
    let sealed: String =
        sqlx::query_scalar("SELECT sealed FROM captured_failures WHERE connection = 'demo-saml'")
            .fetch_one(&s.state.pool)
            .await
            .unwrap();
    assert!(!sealed.contains(&posted) && !sealed.contains(&posted[..40]));
    assert!(!sealed.contains("grace") && !sealed.contains("urn:oasis"));

    let before = footprint(&s.state).await;
    let replay_keys = count(
        &s.state,
        "SELECT COUNT(*) AS n FROM replay_cache WHERE $1 = $1",
        "",
    )
    .await;
    let first = recheck(&mut b).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first.body.contains("Re-check") && first.body.contains("✗ Failed"),
        "{}",
        first.body
    );
    assert!(
        first.body.contains("Time checks use the capture time"),
        "{}",
        first.body
    );
    let cert = row(&first, "Signature: pinned certificate (SHA-256)");
    assert!(cert.starts_with("fail") && cert.contains(&wrong), "{cert}");

    // The admin adds the IdP's certificate on the settings page.
    let csrf = b.csrf().await;
    let pem = s.state.demo.as_ref().unwrap().saml_cert_pem.clone();
    let saved = b
        .post(
            "/settings/sso/saml/edit",
            &[
                ("csrf".into(), csrf),
                ("name".into(), "demo-saml".into()),
                ("add_cert".into(), pem),
                ("allow_unsolicited".into(), "1".into()),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    let second = recheck(&mut b).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(second.body.contains("✓ Passed"), "{}", second.body);
    let m = marks(&second);
    assert!(m.iter().all(|x| x == "pass" || x == "na"), "{m:?}");
    let cert = row(&second, "Signature: pinned certificate (SHA-256)");
    assert!(cert.contains(&demo_fingerprint(&s.state)), "{cert}");
    // InResponseTo matched against the request recorded at capture; replay only read.
    assert!(row(&second, "InResponseTo (outstanding request)").starts_with("pass"));
    assert!(
        second.body.contains("recorded at capture"),
        "{}",
        second.body
    );
    assert!(row(&second, "Replay").contains("read-only"));
    assert!(second.body.contains("Decision: <strong>Create</strong>"));
    // Re-checks sign nobody in and provision nothing; the replay cache is untouched.
    assert_eq!(footprint(&s.state).await, before);
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM users WHERE email = $1",
            "grace@demo.example"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM replay_cache WHERE $1 = $1",
            ""
        )
        .await,
        replay_keys
    );
    assert!(!user.cookies.contains_key("gh_session"));
}

#[tokio::test]
async fn a_replayed_response_rechecks_as_a_replay() {
    let s = start().await;
    let mut b = admin(&s).await;
    let mut user = Browser::new(&s.base);
    let (_, ok) = saml_attempt(&mut user, "linus@demo.example", "2").await;
    assert_eq!(ok.status, 303);
    // Post the same IdP-initiated-looking response again: refused, captured as a replay or unknown request.
    let picker = user.get("/_demo-idp/saml/launch?app=demo-saml").await;
    let form = user.submit(&picker, Some(("user", "2")), &[]).await;
    assert_eq!(user.submit(&form, None, &[]).await.status, 303);
    let mut attacker = Browser::new(&s.base);
    let again = attacker.submit(&form, None, &[]).await;
    assert_eq!(again.status, 403);
    let report = recheck(&mut b).await;
    assert!(report.body.contains("✗ Failed"), "{}", report.body);
    assert!(
        row(&report, "Replay").starts_with("fail"),
        "{}",
        report.body
    );
    assert!(row(&report, "InResponseTo (outstanding request)").starts_with("na"));
}

#[tokio::test]
async fn captured_failures_expire_after_a_day() {
    let s = start().await;
    let mut b = admin(&s).await;
    pin_wrong_certificate(&s.state).await;
    let mut user = Browser::new(&s.base);
    let (_, refused) = saml_attempt(&mut user, "grace@demo.example", "1").await;
    assert_eq!(refused.status, 403);
    assert_eq!(recheck(&mut b).await.status, 200);
    let kept: i64 = sqlx::query_scalar(
        "SELECT expires_at - captured_at FROM captured_failures WHERE connection = 'demo-saml'",
    )
    .fetch_one(&s.state.pool)
    .await
    .unwrap();
    assert_eq!(kept, 24 * 3600);
    // A day later: no longer offered, and swept.
    sqlx::query("UPDATE captured_failures SET expires_at = $1")
        .bind(s.state.now().timestamp() - 1)
        .execute(&s.state.pool)
        .await
        .unwrap();
    let expired = recheck(&mut b).await;
    assert_eq!(expired.status, 404, "{}", expired.body);
    gatehouse_service::db::sweep(&s.state.pool, s.state.now().timestamp())
        .await
        .unwrap();
    assert_eq!(
        count(
            &s.state,
            "SELECT COUNT(*) AS n FROM captured_failures WHERE $1 = $1",
            ""
        )
        .await,
        0
    );
    let gone = recheck(&mut b).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert!(gone.body.contains("No failed sign-in"));
}

#[tokio::test]
async fn a_refused_oidc_login_keeps_only_the_error_and_says_so() {
    let s = start().await;
    let mut b = admin(&s).await;
    // A callback whose browser binding is missing: refused after the pending login was found.
    let to_idp = start_login(&mut b, "grace@demo.example", "demo-oidc").await;
    let picker = b.get(&to_idp.location().unwrap()).await;
    let back = b.submit(&picker, Some(("user", "1")), &[]).await;
    let mut other = Browser::new(&s.base);
    let refused = other.get(&back.location().unwrap()).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let csrf = b.csrf().await;
    let r = b
        .post(
            "/settings/sso/recheck",
            &[("csrf".into(), csrf), ("name".into(), "demo-oidc".into())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let report = b.get(&r.location().unwrap()).await;
    assert!(
        report.body.contains("oidc:browser-mismatch"),
        "{}",
        report.body
    );
    assert!(
        report.body.contains("cannot be re-checked"),
        "{}",
        report.body
    );
}

#[tokio::test]
async fn a_failing_oidc_test_marks_the_step_that_failed_with_expected_and_received() {
    let s = start().await;
    let mut b = admin(&s).await;
    let csrf = b.csrf().await;
    let to_idp = b
        .post(
            "/settings/sso/test",
            &[("csrf".into(), csrf), ("name".into(), "demo-oidc".into())],
        )
        .await;
    assert_eq!(to_idp.status, 303, "{}", to_idp.body);
    let picker = b.get(&to_idp.location().unwrap()).await;
    let back = b.submit(&picker, Some(("user", "1")), &[]).await;
    // While the user was at the IdP, the admin changed the connection's issuer.
    let conn = model::connection_by_name(&s.state, "demo-oidc")
        .await
        .unwrap()
        .unwrap();
    let mut settings = conn.oidc_settings().unwrap();
    let configured = settings.issuer.clone();
    settings.issuer = "https://changed.okta.example".into();
    model::update_connection_config(&s.state, &conn, &serde_json::to_string(&settings).unwrap())
        .await
        .unwrap();
    let arrived = b.get(&back.location().unwrap()).await;
    assert_eq!(arrived.status, 303, "{}", arrived.body);
    let report = b.get(&arrived.location().unwrap()).await;
    assert!(report.body.contains("✗ Failed"), "{}", report.body);
    let m = marks(&report);
    let want: Vec<&str> = ["pass", "pass", "fail"]
        .into_iter()
        .chain(["not-reached"; 8])
        .collect();
    assert_eq!(m, want, "{}", report.body);
    let failed = row(&report, "Issuer of the pending login");
    assert!(
        failed.contains("https://changed.okta.example") && failed.contains(&configured),
        "expected the configured issuer, received the one the login started with: {failed}"
    );
    assert!(
        report.body.contains("oidc:issuer_mismatch"),
        "{}",
        report.body
    );
    assert!(report.body.contains("Not evaluated"));
}

#[tokio::test]
async fn an_idp_that_drops_in_response_to_still_lands_in_the_report_not_a_sign_in() {
    let s = start().await;
    let mut b = admin(&s).await;
    let before = footprint(&s.state).await;
    let session = b.cookies.get("gh_session").cloned();
    for allow_unsolicited in [true, false] {
        if !allow_unsolicited {
            let conn = model::connection_by_name(&s.state, "demo-saml")
                .await
                .unwrap()
                .unwrap();
            let mut settings = conn.saml_settings().unwrap();
            settings.idp.policy.allow_unsolicited = false;
            model::update_connection_config(
                &s.state,
                &conn,
                &serde_json::to_string(&settings).unwrap(),
            )
            .await
            .unwrap();
        }
        let csrf = b.csrf().await;
        let to_idp = b
            .post(
                "/settings/sso/test",
                &[("csrf".into(), csrf), ("name".into(), "demo-saml".into())],
            )
            .await;
        let picker = b.get(&to_idp.location().unwrap()).await;
        // The IdP answers as if the sign-in had started there, echoing only the RelayState.
        let form = b
            .submit(&picker, Some(("user", "1")), &[("request_id", "")])
            .await;
        assert!(
            form.body.contains("test:"),
            "RelayState carries the run: {}",
            form.body
        );
        let arrived = b.submit(&form, None, &[]).await;
        assert_eq!(arrived.status, 303, "{}", arrived.body);
        let report = b.get(&arrived.location().unwrap()).await;
        assert!(
            report.body.contains("answered without InResponseTo"),
            "{}",
            report.body
        );
        if allow_unsolicited {
            assert!(report.body.contains("✓ Passed"), "{}", report.body);
            assert!(row(&report, "InResponseTo (outstanding request)").starts_with("na"));
        } else {
            assert!(report.body.contains("✗ Failed"), "{}", report.body);
            assert!(row(&report, "SP- or IdP-initiated").starts_with("fail"));
        }
    }
    assert_eq!(footprint(&s.state).await, before);
    assert_eq!(b.cookies.get("gh_session").cloned(), session);
}

#[tokio::test]
async fn the_row_buttons_offer_a_recheck_only_while_a_failure_is_kept() {
    let s = start().await;
    let mut b = admin(&s).await;
    let ws = model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    let conn = model::connection_by_name(&s.state, "demo-saml")
        .await
        .unwrap()
        .unwrap();
    let csrf = gatehouse_service::web::csrf_input("c".repeat(32).as_str());
    let html = gatehouse_service::connection_test::row_buttons(&s.state, &ws, &conn, &csrf)
        .await
        .unwrap();
    let forms = crate::harness::forms(&html);
    assert_eq!(forms.len(), 1, "{html}");
    assert_eq!(forms[0].0, "/settings/sso/test");
    assert!(forms[0].1.contains(&("name".into(), "demo-saml".into())));
    pin_wrong_certificate(&s.state).await;
    let mut user = Browser::new(&s.base);
    assert_eq!(
        saml_attempt(&mut user, "grace@demo.example", "1")
            .await
            .1
            .status,
        403
    );
    let html = gatehouse_service::connection_test::row_buttons(&s.state, &ws, &conn, &csrf)
        .await
        .unwrap();
    let forms = crate::harness::forms(&html);
    assert_eq!(forms.len(), 2, "{html}");
    assert_eq!(forms[1].0, "/settings/sso/recheck");
    assert!(html.contains("saml:untrusted_certificate"), "{html}");
    // The buttons work as posted from the page.
    let csrf = b.csrf().await;
    let mut fields = forms[1].1.clone();
    fields.retain(|(k, _)| k != "csrf");
    fields.push(("csrf".into(), csrf));
    let r = b.post(&forms[1].0, &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn a_refused_oidc_login_after_the_token_exchange_rechecks_its_id_token() {
    let s = start().await;
    let mut b = admin(&s).await;
    let mut user = Browser::new(&s.base);
    assert_eq!(
        crate::harness::oidc_login(&mut user, "grace@demo.example", "1")
            .await
            .status,
        303
    );
    sqlx::query("UPDATE users SET active = 0 WHERE email = 'grace@demo.example'")
        .execute(&s.state.pool)
        .await
        .unwrap();
    let mut again = Browser::new(&s.base);
    let refused = crate::harness::oidc_login(&mut again, "grace@demo.example", "1").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let (kind, code): (String, String) =
        sqlx::query_as("SELECT kind, code FROM captured_failures WHERE connection = 'demo-oidc'")
            .fetch_one(&s.state.pool)
            .await
            .unwrap();
    assert_eq!(
        (kind.as_str(), code.as_str()),
        ("oidc", "jit:deny.account_deactivated")
    );
    let sealed: String =
        sqlx::query_scalar("SELECT sealed FROM captured_failures WHERE connection = 'demo-oidc'")
            .fetch_one(&s.state.pool)
            .await
            .unwrap();
    assert!(!sealed.contains("grace") && !sealed.contains("00u-grace"));

    let before = footprint(&s.state).await;
    let first = recheck_of(&mut b, "demo-oidc").await;
    assert!(first.body.contains("✗ Failed"), "{}", first.body);
    // What the state and code proved cannot be repeated; the ID token is verified again.
    assert_eq!(
        marks(&first),
        [
            "na", "na", "pass", "pass", "pass", "na", "na", "pass", "pass", "na", "pass"
        ],
        "{}",
        first.body
    );
    assert!(
        row(
            &first,
            "ID token: claims (iss, aud, exp, iat, nonce, at_hash, c_hash)"
        )
        .contains("at_hash/c_hash not re-checked")
    );
    assert!(
        first.body.contains("Decision: <strong>Deny</strong>")
            && first.body.contains("deny.account_deactivated"),
        "{}",
        first.body
    );
    // The admin reactivates the account; the same ID token now passes.
    sqlx::query("UPDATE users SET active = 1 WHERE email = 'grace@demo.example'")
        .execute(&s.state.pool)
        .await
        .unwrap();
    let second = recheck_of(&mut b, "demo-oidc").await;
    assert!(second.body.contains("✓ Passed"), "{}", second.body);
    assert!(!second.body.contains("Decision: <strong>Deny</strong>"));
    assert_eq!(footprint(&s.state).await, before, "nobody signed in");
    assert!(!again.cookies.contains_key("gh_session"));
}

#[tokio::test]
async fn a_test_that_cannot_start_reports_why_and_an_open_run_waits() {
    let s = start().await;
    let mut b = admin(&s).await;
    let demo = model::workspace_by_name(&s.state, "demo")
        .await
        .unwrap()
        .unwrap();
    let settings = model::OidcSettings {
        issuer: "http://127.0.0.1:9/unreachable".into(),
        client_id: "c".into(),
        client_secret_post: false,
    };
    model::add_oidc_connection(&s.state, &demo, "broken-oidc", &settings, "s3cret-value")
        .await
        .unwrap();
    let csrf = b.csrf().await;
    let r = b
        .post(
            "/settings/sso/test",
            &[("csrf".into(), csrf), ("name".into(), "broken-oidc".into())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let url = r.location().unwrap();
    assert!(
        url.starts_with("/settings/sso/test/report?id="),
        "straight to the report: {url}"
    );
    let report = b.get(&url).await;
    assert!(report.body.contains("✗ Failed"), "{}", report.body);
    assert_eq!(marks(&report), ["fail", "not-reached"], "{}", report.body);
    assert!(report.body.contains("<code>oidc:"), "{}", report.body);

    // A run whose IdP has not answered yet says so.
    let csrf = b.csrf().await;
    let to_idp = b
        .post(
            "/settings/sso/test",
            &[("csrf".into(), csrf), ("name".into(), "demo-saml".into())],
        )
        .await;
    assert_eq!(to_idp.status, 303);
    let id: String = sqlx::query_scalar(
        "SELECT id FROM connection_tests WHERE connection = 'demo-saml' AND sealed_report IS NULL",
    )
    .fetch_one(&s.state.pool)
    .await
    .unwrap();
    let waiting = b.get(&format!("/settings/sso/test/report?id={id}")).await;
    assert_eq!(waiting.status, 200);
    assert!(
        waiting.body.contains("Waiting for the identity provider"),
        "{}",
        waiting.body
    );
}
