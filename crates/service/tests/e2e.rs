//! End-to-end tests of the reference login service in a real browser: headless Debian Chromium driven through
//! chromedriver (WebDriver, fantoccini), against the service in demo mode on a loopback port, through the
//! built-in demo IdP. Each test runs only under `GATEHOUSE_INTEROP=1` (where a missing `chromium` or
//! `chromedriver` is a failure) and saves a screenshot to `target/e2e-screenshots/<test>.png` when it fails.
//!
//! What the browser adds over `tests/it`: real cookie handling (SameSite, HttpOnly), the HTML forms as a person
//! submits them, the demo IdP's auto-submitting POST form (JavaScript `onload`), redirects followed by the browser.

// A failed expectation in a test is a failed test.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "e2e/harness.rs"]
mod harness;
#[path = "e2e/peers.rs"]
mod peers;

use gatehouse_service::demo_idp::{OidcClient, SamlApp};
use harness::{Ctx, e2e, fail};

#[tokio::test]
async fn sp_initiated_saml_login_and_logout() {
    e2e("sp_initiated_saml_login_and_logout", |b: Ctx| async move {
        let home = b.sign_in("ada@demo.example", "demo-saml").await?;
        assert_eq!(b.path().await?, "/");
        b.shot("signed-in").await;
        for want in [
            "Ada Lovelace",
            "ada@demo.example",
            "SAML, started here (SP-initiated)",
            "demo-saml",
            "jit:demo-saml",
        ] {
            assert!(home.contains(want), "{want:?} missing from:\n{home}");
        }
        assert!(
            home.contains("Role\tadmin") || home.contains("Role admin"),
            "the admin group maps to the admin role:\n{home}"
        );
        let cookie = b
            .session_cookie()
            .await?
            .ok_or_else(|| fail("no session cookie"))?;
        assert_eq!(cookie.http_only(), Some(true), "{cookie}");
        assert_eq!(
            cookie.same_site().map(|s| s.to_string()).as_deref(),
            Some("Lax"),
            "{cookie}"
        );

        b.click_link("Sign out").await?;
        let out = b.wait_text("You are not signed in").await?;
        assert!(out.contains("Sign in with SSO"), "{out}");
        assert!(
            b.session_cookie().await?.is_none(),
            "the session cookie is cleared"
        );
        b.go("/settings/tokens").await?;
        b.wait_text("Work email").await?;
        assert_eq!(
            b.path().await?,
            "/login",
            "settings send a signed-out browser to sign in"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn idp_initiated_saml_login() {
    e2e("idp_initiated_saml_login", |b: Ctx| async move {
        b.go("/_demo-idp/").await?;
        b.wait_text("SAML app demo-saml").await?;
        b.click_link("launch (IdP-initiated)").await?;
        b.wait_text("Sign in as").await?;
        b.click_button("(grace@demo.example)").await?;
        let home = b.wait_text("Signed in as").await?;
        assert_eq!(b.path().await?, "/");
        for want in [
            "Grace Hopper",
            "SAML, started at the identity provider (IdP-initiated)",
            "jit:demo-saml",
        ] {
            assert!(home.contains(want), "{want:?} missing from:\n{home}");
        }
        assert!(b.session_cookie().await?.is_some());
        b.shot("signed-in").await;
        // Grace is no admin: the settings are closed to her.
        b.go("/settings/tokens").await?;
        let closed = b.wait_text("Only workspace admins").await?;
        assert!(!closed.contains("Create token"), "{closed}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn oidc_login_and_rp_initiated_logout() {
    e2e("oidc_login_and_rp_initiated_logout", |b: Ctx| async move {
        let home = b.sign_in("grace@demo.example", "demo-oidc").await?;
        assert_eq!(b.path().await?, "/");
        for want in [
            "Grace Hopper",
            "OpenID Connect, authorization code flow with PKCE",
            "jit:demo-oidc",
        ] {
            assert!(home.contains(want), "{want:?} missing from:\n{home}");
        }
        // The login cookie that bound the flow to this browser is spent.
        let cookies = b.client.get_all_cookies().await?;
        assert!(
            cookies.iter().any(|c| c.name() == "gh_session"),
            "{cookies:?}"
        );

        // Logout goes through the IdP's end_session endpoint and back to the public URL.
        b.click_link("Sign out").await?;
        b.wait_text("You are not signed in").await?;
        assert_eq!(b.path().await?, "/");
        assert!(b.session_cookie().await?.is_none());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn third_party_initiated_oidc_login() {
    e2e("third_party_initiated_oidc_login", |b: Ctx| async move {
        b.go("/_demo-idp/").await?;
        b.click_link("open (third-party-initiated login)").await?;
        b.wait_text("Sign in as").await?;
        b.click_button("(ada@demo.example)").await?;
        let home = b.wait_text("Signed in as").await?;
        assert_eq!(b.path().await?, "/");
        for want in [
            "Ada Lovelace",
            "OpenID Connect, started at the identity provider (third-party-initiated login)",
            "demo-oidc",
        ] {
            assert!(home.contains(want), "{want:?} missing from:\n{home}");
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn token_created_in_settings_works_for_scim() {
    e2e(
        "token_created_in_settings_works_for_scim",
        |b: Ctx| async move {
            b.sign_in("ada@demo.example", "demo-saml").await?;
            b.click_link("Personal access tokens").await?;
            b.wait_text("Create token").await?;
            b.fill("input[name=name]", "e2e browser").await?;
            b.click_button("Create token").await?;
            b.wait_text("it is shown only once").await?;
            let token = b
                .client
                .find(fantoccini::Locator::Css(".hint pre"))
                .await?
                .text()
                .await?
                .trim()
                .to_owned();
            b.shot("token-created").await;
            assert!(token.starts_with("gh_pat_"), "{token:?}");
            let listed = b.text().await?;
            assert!(
                listed.contains("e2e browser"),
                "the token is listed:\n{listed}"
            );
            // Reloading does not show the secret again.
            b.go("/settings/tokens").await?;
            let again = b.text().await?;
            assert!(!again.contains(&token), "the token is shown once only");

            // Okta's SCIM client, with the token from the page: create a user, read it back.
            let http = reqwest::Client::new();
            let scim = format!("{}/backend/scim/v2", b.base);
            let created = http
            .post(format!("{scim}/Users"))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .body(
                serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": "linus@demo.example", "externalId": "00u-linus",
                    "name": {"givenName": "Linus", "familyName": "Torvalds"},
                    "emails": [{"value": "linus@demo.example", "primary": true, "type": "work"}],
                    "active": true
                })
                .to_string(),
            )
            .send()
            .await?;
            assert_eq!(created.status(), 201, "{}", created.text().await?);
            let found: serde_json::Value = http
                .get(format!(
                    "{scim}/Users?filter=userName%20eq%20%22linus@demo.example%22"
                ))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            assert_eq!(found["totalResults"], 1, "{found}");
            let refused = http
                .get(format!("{scim}/Users"))
                .bearer_auth(format!("{token}x"))
                .send()
                .await?;
            assert_eq!(refused.status(), 401, "a wrong token is refused");

            // The admin sees the SCIM-provisioned member, and the token as used.
            b.go("/settings/members").await?;
            let members = b.wait_text("linus@demo.example").await?;
            let row = members
                .lines()
                .find(|l| l.contains("linus@demo.example"))
                .unwrap_or_default();
            b.shot("members").await;
            assert!(row.contains("SCIM") && row.contains("active"), "{members}");
            b.go("/settings/tokens").await?;
            let tokens = b.text().await?;
            let row = tokens
                .lines()
                .find(|l| l.contains("e2e browser"))
                .unwrap_or_default();
            assert!(
                !row.contains("never"),
                "the token's last use is recorded: {row:?}\n{tokens}"
            );

            // Revoked on the page, the token stops working; the demo's own token stays.
            b.click_xpath("//tr[td[1][normalize-space(.)='e2e browser']]//button[normalize-space(.)='Revoke']")
                .await?;
            b.wait_text("Create token").await?;
            let after = b.text().await?;
            let row = after
                .lines()
                .find(|l| l.contains("e2e browser"))
                .unwrap_or_default();
            assert!(row.contains("revoked"), "the list shows it revoked:\n{after}");
            assert!(after.contains("SCIM (demo)"), "{after}");
            let revoked = http
                .get(format!("{scim}/Users"))
                .bearer_auth(&token)
                .send()
                .await?;
            assert_eq!(revoked.status(), 401, "a revoked token is refused");
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn refused_logins_show_the_admin_hint() {
    e2e("refused_logins_show_the_admin_hint", |b: Ctx| async move {
        // The admin turns off IdP-initiated sign-in for demo-saml on the settings page.
        b.sign_in("ada@demo.example", "demo-saml").await?;
        b.click_link("SSO connections").await?;
        b.wait_text("Pinned IdP certificates").await?;
        let edit = "form[action='/settings/sso/saml/edit']:has(input[name=name][value=demo-saml])";
        let checkbox = b
            .client
            .find(fantoccini::Locator::Css(&format!(
                "{edit} input[name=allow_unsolicited]"
            )))
            .await?;
        assert!(
            checkbox.prop("checked").await?.as_deref() == Some("true"),
            "the demo allows IdP-initiated sign-in"
        );
        checkbox.click().await?;
        b.submit_css(&format!("{edit} button")).await?;
        b.wait_text("Pinned IdP certificates").await?;
        // Read back from a fresh load: the change was stored.
        b.go("/settings/sso").await?;
        b.wait_text("Pinned IdP certificates").await?;
        b.shot("settings-sso").await;
        let checkbox = b
            .client
            .find(fantoccini::Locator::Css(&format!(
                "{edit} input[name=allow_unsolicited]"
            )))
            .await?;
        assert_eq!(checkbox.prop("checked").await?.as_deref(), Some("false"));
        b.click_link("Home").await?;
        b.click_link("Sign out").await?;
        b.wait_text("You are not signed in").await?;

        // An IdP-initiated login on that connection is refused, with the reason and the admin's hint.
        b.go("/_demo-idp/saml/launch?app=demo-saml").await?;
        b.click_button("(grace@demo.example)").await?;
        let refused = b.wait_text("For your administrator").await?;
        b.shot("refused").await;
        assert!(refused.contains("saml:unsolicited"), "{refused}");
        assert!(
            refused.contains("Back to sign-in"),
            "the person is told what to do:\n{refused}"
        );
        assert!(b.session_cookie().await?.is_none(), "nobody is signed in");

        // Third-party-initiated login from an issuer that is no connection: refused, never redirected.
        b.go("/login?iss=https%3A%2F%2Fevil.example").await?;
        let unknown = b.wait_text("oidc:unknown_initiating_issuer").await?;
        assert_eq!(b.client.current_url().await?.host_str(), Some("127.0.0.1"));
        assert!(unknown.contains("Back to sign-in"), "{unknown}");

        // An OIDC callback in a browser that did not start the login (its login cookie is gone, as when a
        // callback URL is sent to someone else) signs nobody in.
        b.go("/login").await?;
        b.fill("input[name=email]", "grace@demo.example").await?;
        b.click_button("Continue").await?;
        b.click_button("Continue with demo-oidc ").await?;
        b.wait_text("Sign in as").await?;
        let had = b.client.get_all_cookies().await?;
        assert!(had.iter().any(|c| c.name() == "gh_login"), "{had:?}");
        b.client.delete_cookie("gh_login").await?;
        b.click_button("(grace@demo.example)").await?;
        let elsewhere = b.wait_text("oidc:browser-mismatch").await?;
        b.shot("browser-mismatch").await;
        assert!(elsewhere.contains("another browser"), "{elsewhere}");
        assert!(b.session_cookie().await?.is_none(), "nobody is signed in");

        // A callback with a made-up state is refused too.
        b.go("/login/callback?code=forged&state=forged").await?;
        let forged = b.wait_text("oidc:state_mismatch").await?;
        assert!(forged.contains("Back to sign-in"), "{forged}");
        assert!(b.session_cookie().await?.is_none());

        // A starter-plan workspace may not use SSO: the hint names the plan.
        b.go("/login").await?;
        b.fill("input[name=email]", "someone@starter.example")
            .await?;
        b.click_button("Continue").await?;
        let plan = b.wait_text("For your administrator").await?;
        b.shot("plan").await;
        assert!(plan.contains("Enterprise plan"), "{plan}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn connections_added_in_settings_sign_people_in() {
    e2e(
        "connections_added_in_settings_sign_people_in",
        |b: Ctx| async move {
            b.sign_in("ada@demo.example", "demo-saml").await?;
            b.click_link("SSO connections").await?;
            b.wait_text("Add a SAML connection").await?;

            // SAML through the wizard: the name first, then the values for Okta (the copy buttons appear: the
            // page's script runs under its Content-Security-Policy), then the demo IdP's metadata URL and the
            // certificate to expect, IdP-initiated allowed.
            b.click_link("Add a SAML connection").await?;
            b.fill("input[name=name]", "e2e-saml").await?;
            b.click_button("Next").await?;
            let page = b.wait_text("Step 2 of 2").await?;
            let acs = format!("{}/login/callback?connection=e2e-saml", b.base);
            let entity = "urn:auth0:gatehouse:e2e-saml";
            assert!(page.contains(&acs) && page.contains(entity), "{page}");
            let copy = b
                .client
                .find(fantoccini::Locator::Css(&format!(
                    "button[data-copy='{entity}']"
                )))
                .await?;
            assert!(
                copy.is_displayed().await?,
                "the copy button is shown when JavaScript runs"
            );
            let saml = "form[action='/settings/sso/saml']";
            b.fill(
                &format!("{saml} input[name=metadata_url]"),
                &format!("{}/_demo-idp/saml/metadata", b.base),
            )
            .await?;
            let idp = b.state.demo.clone().ok_or_else(|| fail("no demo IdP"))?;
            b.fill(
                &format!("{saml} textarea[name=expected_certificate]"),
                &idp.saml_cert_pem,
            )
            .await?;
            b.click_css(&format!("{saml} input[name=allow_unsolicited]"))
                .await?;
            b.click_button("Check and save").await?;
            let page = b.wait_text("e2e-saml (SAML)").await?;
            assert!(page.contains(&acs) && page.contains(entity), "{page}");

            // OIDC through its wizard, by issuer (discovery at the demo IdP, checked on save).
            b.click_link("Add an OIDC connection").await?;
            b.wait_text("Sign-in redirect URIs").await?;
            let oidc = "form[action='/settings/sso/oidc']";
            b.fill(&format!("{oidc} input[name=name]"), "e2e-oidc")
                .await?;
            b.fill(
                &format!("{oidc} input[name=issuer]"),
                &format!("{}/_demo-idp/oidc", b.base),
            )
            .await?;
            b.fill(&format!("{oidc} input[name=client_id]"), "e2e-client")
                .await?;
            b.fill(
                &format!("{oidc} input[name=client_secret]"),
                "e2e-secret-0123456789",
            )
            .await?;
            b.click_button("Check and save").await?;
            let page = b.wait_text("e2e-client").await?;
            assert!(page.contains("e2e-oidc"), "{page}");
            b.shot("connections").await;

            // The IdP side, as an admin would enter the values shown on the page into Okta.
            idp.saml_apps.lock().unwrap().insert(
                "e2e-saml".into(),
                SamlApp {
                    entity_id: entity.into(),
                    acs_url: acs.clone(),
                    cert_pem: None,
                    encryption_cert_pem: None,
                },
            );
            idp.oidc_clients.lock().unwrap().insert(
                "e2e-client".into(),
                OidcClient {
                    client_id: "e2e-client".into(),
                    client_secret: "e2e-secret-0123456789".into(),
                    redirect_uri: b.state.callback_url(),
                    post_logout_redirect_uri: format!("{}/", b.base),
                },
            );
            b.click_link("Home").await?;
            b.click_link("Sign out").await?;
            b.wait_text("You are not signed in").await?;

            // Both new connections sign people in.
            b.go("/_demo-idp/saml/launch?app=e2e-saml").await?;
            b.click_button("(linus@demo.example)").await?;
            let home = b.wait_text("Signed in as").await?;
            assert!(
                home.contains("Linus Torvalds") && home.contains("jit:e2e-saml"),
                "{home}"
            );
            b.click_link("Sign out").await?;
            b.wait_text("You are not signed in").await?;
            let home = b.sign_in("grace@demo.example", "e2e-oidc").await?;
            assert!(
                home.contains("Grace Hopper") && home.contains("jit:e2e-oidc"),
                "{home}"
            );
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn settings_pages_fit_a_phone_screen() {
    e2e("settings_pages_fit_a_phone_screen", |b: Ctx| async move {
        b.sign_in("ada@demo.example", "demo-saml").await?;
        // A 390 CSS px wide viewport (an iPhone 12–15 in portrait); the window adds its frame, so size the
        // window until the page itself is 390 px wide.
        b.client.set_window_size(390, 844).await?;
        let inner = |v: serde_json::Value| v.as_u64().unwrap_or(0);
        let mut width = inner(
            b.client
                .execute("return window.innerWidth;", vec![])
                .await?,
        );
        if width != 390 && width > 0 {
            let outer = 390 + (390u32.saturating_sub(u32::try_from(width)?));
            b.client.set_window_size(outer, 844).await?;
            width = inner(
                b.client
                    .execute("return window.innerWidth;", vec![])
                    .await?,
            );
        }
        assert_eq!(width, 390, "the browser could not be made 390 px wide");
        // A long-named token makes the tokens table wider than the screen on its own.
        b.go("/settings/tokens").await?;
        b.fill("input[name=name]", &"a-long-token-name-".repeat(5))
            .await?;
        b.click_button("Create token").await?;
        b.wait_text("it is shown only once").await?;
        for path in [
            "/settings/tokens",
            "/settings/sso",
            "/settings/members",
            "/settings/audit",
            "/settings/scim",
            "/settings/domains",
            "/settings/sso/new/oidc",
            "/settings/sso/new/saml?name=acme-okta",
            "/",
            "/login",
        ] {
            b.go(path).await?;
            b.shot(&format!("phone{}", path.replace('/', "-"))).await;
            let page_width = inner(
                b.client
                    .execute("return document.documentElement.scrollWidth;", vec![])
                    .await?,
            );
            assert!(
                page_width <= 390,
                "{path} is {page_width} px wide on a 390 px screen"
            );
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn test_connection_reports_without_signing_anyone_in() {
    e2e(
        "test_connection_reports_without_signing_anyone_in",
        |b: Ctx| async move {
            b.sign_in("ada@demo.example", "demo-saml").await?;
            let before = b
                .session_cookie()
                .await?
                .ok_or_else(|| fail("no session cookie"))?;
            b.go("/settings/sso").await?;
            b.wait_text("Test connection").await?;
            // A real login on demo-saml, as Grace, that ends in a report.
            b.submit_css("section#conn-demo-saml form[action='/settings/sso/test'] button")
                .await?;
            b.click_button("(grace@demo.example)").await?;
            let report = b.wait_text("Checks").await?;
            b.shot("report").await;
            assert!(report.contains("✓ Passed"), "{report}");
            assert!(
                report.contains("grace@demo.example"),
                "the attributes that arrived:\n{report}"
            );
            assert!(
                report.contains("Just-in-time provisioning (preview, not applied)"),
                "{report}"
            );
            assert!(!report.contains("✗"), "{report}");
            // The admin is still the admin: same session, and Grace was not created by the test.
            let after = b
                .session_cookie()
                .await?
                .ok_or_else(|| fail("the admin's session is gone"))?;
            assert_eq!(before.value(), after.value());
            b.go("/").await?;
            let home = b.wait_text("Signed in as").await?;
            assert!(home.contains("ada@demo.example"), "{home}");
            b.go("/settings/members").await?;
            let members = b.wait_text("Provisioned by").await?;
            assert!(!members.contains("grace@demo.example"), "{members}");
            Ok(())
        },
    )
    .await;
}
