//! Real identity providers as peers, in the browser: node `oidc-provider` (an OpenID-certified OP) and npm
//! `saml-idp` (a SAML 2.0 IdP on `samlp`), launched by `tests/peers/idp.mjs` on 127.0.0.1, each the IdP of a
//! connection an admin adds on `/settings/sso`. Nothing of the service is bypassed: the connection is added
//! through the settings form (OIDC by discovery from the issuer, SAML from the IdP's metadata URL), the person
//! signs in on the peer's own pages, and what the service shows afterwards is read from the page.
//!
//! Under `GATEHOUSE_INTEROP=1` a missing `node` or missing `tests/peers/node_modules` fails (install them with
//! `npm ci --prefix crates/service/tests/peers --no-audit --no-fund`); without it the tests skip, like every
//! browser test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use sha2::Digest as _;
use sqlx::Row as _;

use crate::harness::{Ctx, Outcome, e2e, fail};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The OIDC connection the admin adds, and the client registered at the OP for it.
const OIDC_CONNECTION: &str = "peer-oidc";
const CLIENT_ID: &str = "gatehouse-peer-rp";
const CLIENT_SECRET: &str = "peer-secret-7f3a9c21b8e04d6a";

/// The OP's one account: the username and password typed on its sign-in page, and its claims (which
/// oidc-provider serves from userinfo only: scope claims are not put into the ID token of a code flow).
const OP_LOGIN: &str = "marie";
const OP_PASSWORD: &str = "polonium-1898";
const OP_EMAIL: &str = "marie@demo.example";
const OP_NAME: &str = "Marie Curie";

/// The SAML connection the admin adds; the IdP's entity ID; the person the IdP signs in.
const SAML_CONNECTION: &str = "peer-saml";
const SAML_IDP_ENTITY: &str = "urn:gatehouse:peer:saml-idp";
const SAML_EMAIL: &str = "katherine@demo.example";
const SAML_NAME: &str = "Katherine Johnson";

/// The service's JWKS refetch cooldown (`gatehouse_oidc::OidcConnection::jwks_refetch_cooldown_secs`, 60 s by
/// default): a token naming an unknown key makes the service refetch the JWKS at most once per cooldown.
const JWKS_COOLDOWN: Duration = Duration::from_secs(60);

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

fn free_port() -> Res<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A peer IdP: `node tests/peers/idp.mjs <mode> --port P ...`, its output in a log file; killed on drop. The
/// log's last lines are added to a failed step's message (and printed if the flow panics).
struct Peer {
    child: Child,
    log: PathBuf,
    base: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail());
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Peer {
    async fn start(mode: &str, args: &[String]) -> Res<Self> {
        let node =
            std::env::var_os("GATEHOUSE_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from);
        let dir = peers_dir();
        for package in ["oidc-provider", "saml-idp", "samlp"] {
            if !dir.join("node_modules").join(package).is_dir() {
                return Err(fail(format!(
                    "{} has no node_modules/{package}: run `npm ci --prefix crates/service/tests/peers --no-audit --no-fund`",
                    dir.display()
                )));
            }
        }
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!(
            "gatehouse-e2e-peer-{}-{mode}-{port}.log",
            std::process::id()
        ));
        let out = std::fs::File::create(&log)?;
        let child = Command::new(&node)
            .current_dir(&dir)
            .arg("idp.mjs")
            .arg(mode)
            .arg("--port")
            .arg(port.to_string())
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .map_err(|e| {
                let _ = std::fs::remove_file(&log);
                fail(format!(
                    "cannot start {} (Debian's `nodejs`): {e}",
                    node.display()
                ))
            })?;
        let mut peer = Self {
            child,
            log,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let ready = format!("READY {port}");
        loop {
            if std::fs::read_to_string(&peer.log)
                .unwrap_or_default()
                .contains(&ready)
            {
                return Ok(peer);
            }
            if let Some(status) = peer.child.try_wait()? {
                return Err(fail(format!(
                    "the {mode} peer exited ({status})\n{}",
                    peer.log_tail()
                )));
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "the {mode} peer did not start within 30 s\n{}",
                    peer.log_tail()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(60);
        format!(
            "--- peer log {} (last lines) ---\n{}",
            self.log.display(),
            lines[from..].join("\n")
        )
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many `method path` requests the service made to the OP (the launcher logs each request with its
    /// user agent: the service's HTTP client sends none of the browser's, and not the test's own).
    fn service_calls(&self, method: &str, path: &str) -> usize {
        let want = format!("REQUEST {method} {path} ua=");
        self.log()
            .lines()
            .filter(|l| {
                l.starts_with(&want)
                    && !l.contains("Mozilla/")
                    && !l.ends_with(&format!("ua={TEST_AGENT}"))
            })
            .count()
    }

    /// `outcome`, with the peer's log attached when it failed.
    fn explain(&self, outcome: Outcome) -> Outcome {
        outcome.map_err(|e| fail(format!("{e}\n{}", self.log_tail())))
    }
}

/// The node `oidc-provider` peer, with a client registered for this service's callback and logout URLs.
async fn start_op(b: &Ctx) -> Res<Peer> {
    let account = serde_json::json!({
        "login": OP_LOGIN,
        "password": OP_PASSWORD,
        "claims": {
            "email": OP_EMAIL,
            "email_verified": true,
            "name": OP_NAME,
            "given_name": "Marie",
            "family_name": "Curie",
        },
    });
    Peer::start(
        "oidc",
        &[
            "--client-id".into(),
            CLIENT_ID.into(),
            "--client-secret".into(),
            CLIENT_SECRET.into(),
            "--redirect-uri".into(),
            b.state.callback_url(),
            // The service sends its public URL as post_logout_redirect_uri (as a URL: with the root path).
            "--post-logout-redirect-uri".into(),
            format!("{}/", b.base),
            "--account".into(),
            account.to_string(),
        ],
    )
    .await
}

/// The user agent of the test's own requests to a peer (told apart from the service's in the peer's log).
const TEST_AGENT: &str = "gatehouse-e2e-test";

fn test_http() -> Res<reqwest::Client> {
    Ok(reqwest::Client::builder().user_agent(TEST_AGENT).build()?)
}

/// The OP's discovery document.
async fn op_discovery(op: &Peer) -> Res<serde_json::Value> {
    Ok(test_http()?
        .get(format!("{}/.well-known/openid-configuration", op.base))
        .send()
        .await?
        .json()
        .await?)
}

/// The path of an endpoint the OP's discovery document names.
async fn op_endpoint_path(op: &Peer, endpoint: &str) -> Res<String> {
    let md = op_discovery(op).await?;
    let url = md[endpoint].as_str().ok_or_else(|| {
        fail(format!(
            "no {endpoint} in the OP's discovery document: {md}"
        ))
    })?;
    Ok(url::Url::parse(url)?.path().to_owned())
}

/// The key ids the OP publishes now.
async fn op_kids(op: &Peer) -> Res<Vec<String>> {
    let jwks: serde_json::Value = test_http()?
        .get(format!("{}/jwks", op.base))
        .send()
        .await?
        .json()
        .await?;
    Ok(jwks["keys"]
        .as_array()
        .ok_or_else(|| fail(format!("no keys in the OP's JWKS: {jwks}")))?
        .iter()
        .filter_map(|k| k["kid"].as_str().map(str::to_owned))
        .collect())
}

/// The visible text of the connection's section on `/settings/sso`.
async fn connection_section(b: &Ctx, name: &str) -> Res<String> {
    b.go("/settings/sso").await?;
    let section = b
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(&format!("section#conn-{name}")))
        .await
        .map_err(|e| {
            fail(format!(
                "no section for connection {name} on /settings/sso: {e}"
            ))
        })?;
    Ok(section.text().await?)
}

/// Ada (the demo admin, through the demo IdP) adds the OIDC connection with the set-up page: name, issuer (the
/// service runs discovery before saving), client ID and secret; then signs out.
async fn add_oidc_connection(b: &Ctx, op: &Peer) -> Outcome {
    b.sign_in("ada@demo.example", "demo-saml").await?;
    b.click_link("SSO connections").await?;
    b.click_link("Add an OIDC connection").await?;
    let form = "form[action='/settings/sso/oidc']";
    b.fill(&format!("{form} input[name=name]"), OIDC_CONNECTION)
        .await?;
    b.fill(&format!("{form} input[name=issuer]"), &op.base)
        .await?;
    b.fill(&format!("{form} input[name=client_id]"), CLIENT_ID)
        .await?;
    b.fill(&format!("{form} input[name=client_secret]"), CLIENT_SECRET)
        .await?;
    b.submit_css(&format!("{form} button")).await?;
    b.wait_text(CLIENT_ID).await?;
    assert_eq!(b.path().await?, "/settings/sso", "saved");
    b.shot("connection-added").await;
    let section = connection_section(b, OIDC_CONNECTION).await?;
    for want in [
        OIDC_CONNECTION,
        "OIDC",
        op.base.as_str(),
        CLIENT_ID,
        &b.state.callback_url(),
    ] {
        assert!(
            section.contains(want),
            "{want:?} missing from the connection:\n{section}"
        );
    }
    assert!(
        !b.text().await?.contains(CLIENT_SECRET),
        "the client secret is never shown"
    );
    assert_eq!(
        op.service_calls("GET", "/.well-known/openid-configuration"),
        1,
        "the set-up page fetched the OP's discovery document before saving"
    );
    b.click_link("Home").await?;
    b.click_link("Sign out").await?;
    b.wait_text("You are not signed in").await?;
    Ok(())
}

/// From `/login`: the OP's email, the peer connection among the workspace's options, on to the OP.
async fn start_oidc_login(b: &Ctx) -> Outcome {
    b.go("/login").await?;
    b.fill("input[name=email]", OP_EMAIL).await?;
    b.click_button("Continue").await?;
    b.wait_text("several sign-in options").await?;
    b.click_button(&format!("Continue with {OIDC_CONNECTION} "))
        .await?;
    Ok(())
}

/// On the OP's own pages: username and password, then consent. Returns the service's landing page text.
async fn sign_in_at_op(b: &Ctx, op: &Peer) -> Res<String> {
    b.wait_text("Sign in to the peer OP").await?;
    let at = b.client.current_url().await?;
    assert_eq!(
        at.origin().ascii_serialization(),
        op.base,
        "the browser is at the OP"
    );
    assert!(
        at.path().starts_with("/interaction/"),
        "{at}: the OP asks who is signing in"
    );
    b.fill("input[name=login]", OP_LOGIN).await?;
    b.fill("input[name=password]", OP_PASSWORD).await?;
    b.click_button("Sign in").await?;
    b.wait_text("Allow access").await?;
    b.shot("op-consent").await;
    b.click_button("Allow").await?;
    b.wait_text("Signed in as").await
}

/// The ID token of the browser's current session, as the service stored it (sealed): (header, payload).
async fn session_id_token(b: &Ctx) -> Res<(serde_json::Value, serde_json::Value)> {
    let cookie = b
        .session_cookie()
        .await?
        .ok_or_else(|| fail("no session cookie"))?;
    let hash = gatehouse_service::crypto::sha256_hex(cookie.value().as_bytes());
    let row = sqlx::query("SELECT connection, sealed_id_token FROM sessions WHERE id_hash = $1")
        .bind(&hash)
        .fetch_one(&b.state.pool)
        .await?;
    let connection: String = row.try_get("connection")?;
    assert_eq!(connection, OIDC_CONNECTION);
    let sealed: Option<String> = row.try_get("sealed_id_token")?;
    let sealed = sealed.ok_or_else(|| fail("the OIDC session holds no ID token"))?;
    let jwt = String::from_utf8(b.state.key.open("id-token", &sealed)?)?;
    let mut parts = jwt.split('.');
    let mut part = || -> Res<serde_json::Value> {
        let b64 = parts.next().ok_or_else(|| fail("not a JWS"))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64)?;
        Ok(serde_json::from_slice(&bytes)?)
    };
    let header = part()?;
    let payload = part()?;
    Ok((header, payload))
}

/// The landing page names the OP's person (name and email: from userinfo), the connection and the flow.
fn assert_op_person_signed_in(home: &str) {
    for want in [
        OP_NAME,
        OP_EMAIL,
        OIDC_CONNECTION,
        "OpenID Connect, authorization code flow with PKCE",
        "jit:peer-oidc",
    ] {
        assert!(home.contains(want), "{want:?} missing from:\n{home}");
    }
}

/// Sign out at the service: its `/logout` sends the browser to the OP's end_session endpoint (RP-initiated
/// logout, with id_token_hint and post_logout_redirect_uri); the person confirms on the OP's page and comes back
/// signed out.
async fn rp_initiated_logout(b: &Ctx, op: &Peer) -> Outcome {
    b.click_link("Sign out").await?;
    b.wait_text("Yes, sign me out").await?;
    let at = b.client.current_url().await?;
    assert_eq!(at.origin().ascii_serialization(), op.base, "{at}");
    assert!(at.path().starts_with("/session/end"), "{at}");
    let query: Vec<(String, String)> = at.query_pairs().into_owned().collect();
    let param = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert!(param("id_token_hint").is_some(), "{at}");
    assert_eq!(
        param("post_logout_redirect_uri"),
        Some(format!("{}/", b.base)),
        "{at}"
    );
    b.shot("op-logout").await;
    b.click_button("Yes, sign me out").await?;
    b.wait_text("You are not signed in").await?;
    assert_eq!(
        b.client.current_url().await?.origin().ascii_serialization(),
        b.base,
        "back at the service"
    );
    assert!(
        b.session_cookie().await?.is_none(),
        "the session cookie is cleared"
    );
    b.go("/settings/tokens").await?;
    b.wait_text("Work email").await?;
    assert_eq!(
        b.path().await?,
        "/login",
        "a protected page sends the signed-out browser to sign in"
    );
    Ok(())
}

#[tokio::test]
async fn oidc_provider_code_flow_userinfo_and_rp_initiated_logout() {
    e2e(
        "oidc_provider_code_flow_userinfo_and_rp_initiated_logout",
        |b: Ctx| async move {
            let op = start_op(&b).await?;
            let flow = async {
                add_oidc_connection(&b, &op).await?;

                // Code flow on the OP's pages.
                start_oidc_login(&b).await?;
                let home = sign_in_at_op(&b, &op).await?;
                b.shot("signed-in").await;
                assert_eq!(b.path().await?, "/");
                assert_op_person_signed_in(&home);

                // Userinfo: the service called the OP's userinfo endpoint (once, with the access token), and the ID
                // token it verified carries no name or email (oidc-provider puts scope claims only in userinfo), so
                // the name and email on the page came from there.
                let userinfo = op_endpoint_path(&op, "userinfo_endpoint").await?;
                let token = op_endpoint_path(&op, "token_endpoint").await?;
                let userinfo_calls = |op: &Peer| {
                    op.service_calls("GET", &userinfo) + op.service_calls("POST", &userinfo)
                };
                assert_eq!(op.service_calls("POST", &token), 1, "one code redemption");
                assert_eq!(userinfo_calls(&op), 1, "one userinfo call");
                let (header, claims) = session_id_token(&b).await?;
                assert_eq!(claims["iss"], serde_json::json!(op.base), "{claims}");
                assert_eq!(claims["aud"], serde_json::json!(CLIENT_ID), "{claims}");
                assert_eq!(claims["sub"], serde_json::json!(OP_LOGIN), "{claims}");
                for absent in ["email", "name", "given_name", "family_name"] {
                    assert!(
                        claims.get(absent).is_none(),
                        "{absent} is in the ID token: {claims}"
                    );
                }
                assert_eq!(header["alg"], "RS256", "{header}");
                assert_eq!(
                    op_kids(&op).await?,
                    vec![header["kid"].as_str().unwrap_or_default().to_owned()],
                    "signed with the OP's published key"
                );

                // The OP session is single sign-on: with the service's session dropped (the browser forgets its
                // cookie), a new login goes through the OP without its pages.
                b.client.delete_cookie("gh_session").await?;
                b.go("/").await?;
                b.wait_text("You are not signed in").await?;
                start_oidc_login(&b).await?;
                let again = b.wait_text("Signed in as").await?;
                assert_op_person_signed_in(&again);
                assert_eq!(
                    userinfo_calls(&op),
                    2,
                    "userinfo again for the second login"
                );

                // RP-initiated logout ends both sessions: the next login asks for the password again.
                rp_initiated_logout(&b, &op).await?;
                start_oidc_login(&b).await?;
                b.wait_text("Sign in to the peer OP").await?;
                b.shot("op-asks-again").await;
                Ok(())
            }
            .await;
            op.explain(flow)
        },
    )
    .await;
}

#[tokio::test]
async fn oidc_provider_key_rotation() {
    e2e("oidc_provider_key_rotation", |b: Ctx| async move {
        let op = start_op(&b).await?;
        let flow = async {
            add_oidc_connection(&b, &op).await?;
            start_oidc_login(&b).await?;
            let home = sign_in_at_op(&b, &op).await?;
            // The service fetched the OP's JWKS during this login.
            let first_fetch = Instant::now();
            assert_op_person_signed_in(&home);
            let (first, _) = session_id_token(&b).await?;
            let old_kid = first["kid"].as_str().unwrap_or_default().to_owned();
            assert_eq!(op_kids(&op).await?, vec![old_kid.clone()]);
            let jwks_path = op_endpoint_path(&op, "jwks_uri").await?;
            assert_eq!(
                op.service_calls("GET", &jwks_path),
                1,
                "the service fetched the JWKS once"
            );
            rp_initiated_logout(&b, &op).await?;

            // The OP rotates: a new signing key, the old one retired from its JWKS at once.
            let rotated: serde_json::Value = test_http()?
                .post(format!("{}/peer/rotate", op.base))
                .send()
                .await?
                .json()
                .await?;
            assert_eq!(rotated["retired"], serde_json::json!(old_kid), "{rotated}");
            let new_kid = rotated["current"].as_str().unwrap_or_default().to_owned();
            assert_ne!(new_kid, old_kid);
            assert_eq!(
                op_kids(&op).await?,
                vec![new_kid.clone()],
                "only the new key is published"
            );

            // The service still holds the old JWKS; a token naming the new key makes it refetch, which its
            // cooldown allows once 60 s have passed since the last fetch.
            let wait = (first_fetch + JWKS_COOLDOWN + Duration::from_secs(2))
                .saturating_duration_since(Instant::now());
            tokio::time::sleep(wait).await;
            start_oidc_login(&b).await?;
            let home = sign_in_at_op(&b, &op).await?;
            b.shot("signed-in-after-rotation").await;
            assert_op_person_signed_in(&home);
            let (second, _) = session_id_token(&b).await?;
            assert_eq!(
                second["kid"],
                serde_json::json!(new_kid),
                "the second login's ID token was verified with the rotated key: {second}"
            );
            assert_eq!(
                op.service_calls("GET", &jwks_path),
                2,
                "the unknown kid made the service fetch the JWKS again"
            );
            Ok(())
        }
        .await;
        op.explain(flow)
    })
    .await;
}

/// SHA-256 of the saml-idp signing certificate's DER, lowercase hex: the fingerprint the settings page pins.
fn saml_idp_cert_sha256() -> Res<String> {
    let pem = std::fs::read_to_string(peers_dir().join("saml-idp-cert.pem"))?;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64)?;
    Ok(sha2::Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[tokio::test]
async fn saml_idp_sp_and_idp_initiated_login() {
    e2e("saml_idp_sp_and_idp_initiated_login", |b: Ctx| async move {
        // What the settings page will tell the admin to paste into the IdP (checked below against the page).
        let acs = b.state.acs_url(SAML_CONNECTION);
        let audience = b.state.sp_entity_id(SAML_CONNECTION);
        // The attribute statements of the Okta guide, with this person's values.
        let attributes = serde_json::json!({
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": SAML_EMAIL,
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": SAML_NAME,
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": "Katherine",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": "Johnson",
            "email_verified": "true",
        });
        let user = serde_json::json!({ "userName": SAML_EMAIL, "attributes": attributes });
        let idp = Peer::start(
            "saml",
            &[
                "--acs".into(),
                acs.clone(),
                "--audience".into(),
                audience.clone(),
                "--issuer".into(),
                SAML_IDP_ENTITY.into(),
                "--user".into(),
                user.to_string(),
            ],
        )
        .await?;
        let flow = async {
            // The admin adds the connection with the set-up pages: the name first, then the values to paste into
            // the IdP (those the IdP was started with), then its metadata URL and the expected certificate's SHA-256
            // fingerprint (computed here from the IdP's certificate file), IdP-initiated sign-in allowed.
            b.sign_in("ada@demo.example", "demo-saml").await?;
            b.click_link("SSO connections").await?;
            b.click_link("Add a SAML connection").await?;
            b.fill("input[name=name]", SAML_CONNECTION).await?;
            b.click_button("Next").await?;
            b.wait_text("Step 2 of 2").await?;
            let mut pasted = Vec::new();
            for el in b
                .client
                .find_all(fantoccini::Locator::Css("code.copy"))
                .await?
            {
                pasted.push(el.text().await?.trim().to_owned());
            }
            assert!(pasted.contains(&acs), "Single sign-on URL {acs}: {pasted:?}");
            assert!(pasted.contains(&audience), "Audience URI {audience}: {pasted:?}");
            for (name, _) in attributes.as_object().into_iter().flatten() {
                assert!(
                    pasted.contains(name),
                    "attribute statement {name} not listed: {pasted:?}"
                );
            }
            let form = "form[action='/settings/sso/saml']";
            b.fill(
                &format!("{form} input[name=metadata_url]"),
                &format!("{}/metadata", idp.base),
            )
            .await?;
            let fingerprint = saml_idp_cert_sha256()?;
            b.fill(
                &format!("{form} textarea[name=expected_certificate]"),
                &fingerprint,
            )
            .await?;
            b.click_css(&format!("{form} input[name=allow_unsolicited]"))
                .await?;
            b.submit_css(&format!("{form} button")).await?;
            b.wait_text(SAML_IDP_ENTITY).await?;
            assert_eq!(b.path().await?, "/settings/sso", "saved");
            b.shot("connection-added").await;
            let section = connection_section(&b, SAML_CONNECTION).await?;
            assert!(section.contains(SAML_IDP_ENTITY), "{section}");
            assert!(
                section
                    .to_lowercase()
                    .replace(':', "")
                    .contains(&fingerprint),
                "the IdP's certificate (SHA-256 {fingerprint}) is pinned:\n{section}"
            );
            b.click_link("Home").await?;
            b.click_link("Sign out").await?;
            b.wait_text("You are not signed in").await?;

            // SP-initiated: from /login to saml-idp's page, which shows the AuthnRequest it received.
            b.go("/login").await?;
            b.fill("input[name=email]", SAML_EMAIL).await?;
            b.click_button("Continue").await?;
            b.wait_text("several sign-in options").await?;
            b.click_button(&format!("Continue with {SAML_CONNECTION} "))
                .await?;
            let at_idp = b.wait_text("SAML Authentication Request").await?;
            assert_eq!(
                b.client.current_url().await?.origin().ascii_serialization(),
                idp.base
            );
            b.shot("idp-sp-initiated").await;
            assert!(at_idp.contains("Subject Statement"), "{at_idp}");
            b.click_button("Sign in").await?;
            let home = b.wait_text("Signed in as").await?;
            b.shot("signed-in-sp-initiated").await;
            assert_eq!(b.path().await?, "/");
            for want in [
                SAML_NAME,
                SAML_EMAIL,
                SAML_CONNECTION,
                "SAML, started here (SP-initiated)",
                "jit:peer-saml",
            ] {
                assert!(home.contains(want), "{want:?} missing from:\n{home}");
            }
            // saml-idp logs the response it sent: response and assertion signed with RSA-SHA256, SHA-256 digests.
            let log = idp.log();
            assert_eq!(
                log.matches("SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"")
                    .count(),
                2,
                "two RSA-SHA256 signatures (response, assertion)"
            );
            assert!(
                !log.contains("#rsa-sha1") && !log.contains("#sha1\""),
                "no SHA-1 anywhere"
            );
            b.click_link("Sign out").await?;
            b.wait_text("You are not signed in").await?;
            assert!(b.session_cookie().await?.is_none());
            b.go("/settings/tokens").await?;
            b.wait_text("Work email").await?;
            assert_eq!(b.path().await?, "/login", "signed out for real");

            // IdP-initiated: the person starts at saml-idp, which posts an unsolicited response to the ACS.
            b.go(&format!("{}/", idp.base)).await?;
            let at_idp = b.wait_text("Subject Statement").await?;
            assert!(
                !at_idp.contains("SAML Authentication Request"),
                "no AuthnRequest: IdP-initiated"
            );
            b.click_button("Sign in").await?;
            let home = b.wait_text("Signed in as").await?;
            b.shot("signed-in-idp-initiated").await;
            assert_eq!(b.path().await?, "/");
            for want in [
                SAML_NAME,
                SAML_EMAIL,
                SAML_CONNECTION,
                "SAML, started at the identity provider (IdP-initiated)",
            ] {
                assert!(home.contains(want), "{want:?} missing from:\n{home}");
            }
            Ok(())
        }
        .await;
        idp.explain(flow)
    })
    .await;
}
