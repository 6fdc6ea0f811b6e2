//! Router-level tests: every route answered through `oneshot`, no socket.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt as _;

use crate::harness::{demo_state, last_audit};

const BASE: &str = "http://127.0.0.1:9";

async fn call(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 4 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post_form(uri: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn landing_page_without_a_session_offers_sign_in() {
    let (state, _, _files) = demo_state(BASE).await;
    let (status, _, body) = call(&gatehouse_service::router(state), get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("not signed in") && body.contains("href=\"/login\""));
}

#[tokio::test]
async fn login_page_sets_a_csrf_cookie_matching_the_form() {
    let (state, _, _files) = demo_state(BASE).await;
    let (status, headers, body) = call(&gatehouse_service::router(state), get("/login")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    assert_eq!(headers.get(header::REFERRER_POLICY).unwrap(), "no-referrer");
    assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(
        headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(
        cookie.starts_with("gh_csrf=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
    );
    let value = cookie
        .trim_start_matches("gh_csrf=")
        .split(';')
        .next()
        .unwrap();
    assert!(body.contains(&format!("name=\"csrf\" value=\"{value}\"")));
}

#[tokio::test]
async fn login_post_without_or_with_a_wrong_csrf_token_is_refused() {
    let (state, _, _files) = demo_state(BASE).await;
    let app = gatehouse_service::router(state);
    let (status, _, _) = call(&app, post_form("/login", "email=ada%40demo.example", None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let token = "A".repeat(32);
    let (status, _, _) = call(
        &app,
        post_form(
            "/login",
            &format!("email=ada%40demo.example&csrf={}", "B".repeat(32)),
            Some(&format!("gh_csrf={token}")),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn login_post_discovers_the_workspace_and_starts_saml_with_a_signed_redirect() {
    let (state, _, _files) = demo_state(BASE).await;
    let app = gatehouse_service::router(state.clone());
    let t = "C".repeat(32);
    let cookie = format!("gh_csrf={t}");
    let (status, _, body) = call(
        &app,
        post_form(
            "/login",
            &format!("email=ada%40Demo.Example&csrf={t}"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "two connections: a choice page");
    assert!(body.contains("demo-saml") && body.contains("demo-oidc"));
    let (status, headers, _) = call(
        &app,
        post_form(
            "/login",
            &format!("email=ada%40demo.example&connection=demo-saml&csrf={t}"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let loc = headers.get(header::LOCATION).unwrap().to_str().unwrap();
    let url = url::Url::parse(loc).unwrap();
    assert_eq!(url.path(), "/_demo-idp/saml/sso");
    let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(names, ["SAMLRequest", "SigAlg", "Signature"]);
    assert_eq!(
        crate::harness::count(
            &state,
            "SELECT COUNT(*) AS n FROM saml_requests WHERE connection = $1",
            "demo-saml"
        )
        .await,
        1
    );
    // The demo IdP accepts the signed request (its signature verifies with the SP certificate).
    let (status, _, body) = call(
        &app,
        get(&format!("{}?{}", url.path(), url.query().unwrap())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A tampered signature is refused by the IdP.
    let tampered = loc.replace("Signature=", "Signature=AAAA");
    let u = url::Url::parse(&tampered).unwrap();
    let (status, _, _) = call(&app, get(&format!("{}?{}", u.path(), u.query().unwrap()))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn callback_routes_refuse_malformed_requests_with_an_audit_row() {
    let (state, _, _files) = demo_state(BASE).await;
    let app = gatehouse_service::router(state.clone());
    let (status, _, body) = call(&app, get("/login/callback?connection=demo-saml")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let (status, _, _) = call(&app, get("/login/callback?code=abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, body) = call(&app, get("/login/callback?code=abc&state=nope")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = call(
        &app,
        post_form(
            "/login/callback?connection=demo-saml",
            "SAMLResponse=bm90IHhtbA%3D%3D",
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("Sign-in failed"));
    let (outcome, reason) = last_audit(&state).await;
    assert_eq!(outcome, "refused");
    assert!(reason.starts_with("saml:"), "{reason}");
    let (status, _, _) = call(
        &app,
        post_form("/login/callback?connection=nope", "SAMLResponse=AAAA", None),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(
        &app,
        post_form("/login/callback?connection=demo-saml", "", None),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pem_and_sp_metadata_describe_the_connection() {
    let (state, _, _files) = demo_state(BASE).await;
    let app = gatehouse_service::router(state.clone());
    let (status, headers, pem) = call(&app, get("/pem?cert=demo-saml")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "application/x-pem-file"
    );
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let cert = gatehouse_xml::PinnedKeys::from_pem(&pem).unwrap();
    assert!(cert.keys()[0].bits() >= 2048);
    let (status, _, xml) = call(&app, get("/saml/metadata?connection=demo-saml")).await;
    assert_eq!(status, StatusCode::OK);
    let doc = gatehouse_xml::Document::parse(xml.as_bytes()).unwrap();
    assert_eq!(
        doc.root().attr("entityID"),
        Some("urn:auth0:gatehouse:demo-saml")
    );
    assert!(
        xml.contains(&format!(
            "Location=\"{BASE}/login/callback?connection=demo-saml\""
        )),
        "{xml}"
    );
    let der_b64 = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    assert!(
        xml.contains(&der_b64),
        "metadata carries the same certificate as /pem"
    );
    for uri in [
        "/pem?cert=demo-oidc",
        "/pem?cert=missing",
        "/saml/metadata?connection=missing",
        "/pem",
    ] {
        let (status, _, _) = call(&app, get(uri)).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "{uri}: {status}"
        );
    }
}

#[tokio::test]
async fn the_entity_id_template_reproduces_the_guide() {
    let (mut state, _, _files) = demo_state(BASE).await;
    let mut config = (*state.config).clone();
    config.tenant = "layer-stack-app".into();
    state.config = std::sync::Arc::new(config);
    assert_eq!(state.sp_entity_id("acme"), "urn:auth0:layer-stack-app:acme");
    assert_eq!(
        state.acs_url("acme"),
        format!("{BASE}/login/callback?connection=acme")
    );
}

#[tokio::test]
async fn logout_without_a_session_clears_the_cookie_and_goes_home() {
    let (state, _, _files) = demo_state(BASE).await;
    let (status, headers, _) = call(&gatehouse_service::router(state), get("/logout")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/");
    assert!(
        headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
}

#[tokio::test]
async fn settings_pages_need_a_session() {
    let (state, _, _files) = demo_state(BASE).await;
    let app = gatehouse_service::router(state);
    for uri in ["/settings/tokens", "/settings/sso"] {
        let (status, headers, _) = call(&app, get(uri)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(headers.get(header::LOCATION).unwrap(), "/login");
    }
}

#[tokio::test]
async fn scim_needs_a_valid_bearer_token() {
    let (state, token, _files) = demo_state(BASE).await;
    let app = gatehouse_service::router(state);
    for auth in [None, Some("Bearer nope"), Some("Basic Zm9vOmJhcg==")] {
        let mut r = Request::get("/backend/scim/v2/Users");
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        let (status, headers, body) = call(&app, r.body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(
            headers.get(header::CONTENT_TYPE).unwrap(),
            "application/scim+json"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["status"],
            "401"
        );
    }
    for path in [
        "ServiceProviderConfig",
        "ResourceTypes",
        "Schemas",
        "Users",
        "Groups",
    ] {
        let r = Request::get(format!("/backend/scim/v2/{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = call(&app, r).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(v["schemas"].is_array(), "{path}");
    }
}

#[tokio::test]
async fn demo_idp_publishes_discovery_and_jwks() {
    let (state, _, _files) = demo_state(BASE).await;
    let app = gatehouse_service::router(state);
    let (status, _, body) = call(
        &app,
        get("/_demo-idp/oidc/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let issuer =
        gatehouse_oidc::Issuer::from_domain_or_url(&format!("{BASE}/_demo-idp/oidc")).unwrap();
    let md = gatehouse_oidc::ProviderMetadata::parse(body.as_bytes(), &issuer).unwrap();
    assert!(md.end_session_endpoint().is_some());
    let (status, headers, body) = call(&app, get("/_demo-idp/oidc/jwks")).await;
    assert_eq!(status, StatusCode::OK);
    let mut cache = gatehouse_oidc::JwksCache::new(60);
    cache
        .update(
            body.as_bytes(),
            headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            chrono::Utc::now(),
        )
        .unwrap();
    assert_eq!(cache.len(), 1);
    let (status, _, body) = call(&app, get("/_demo-idp/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("launch (IdP-initiated)"));
}

#[tokio::test]
async fn demo_idp_token_endpoint_refuses_bad_clients_and_codes() {
    let (state, _, _files) = demo_state(BASE).await;
    let app = gatehouse_service::router(state);
    let (status, _, body) = call(
        &app,
        post_form(
            "/_demo-idp/oidc/token",
            "grant_type=authorization_code&code=x&client_id=demo-client&client_secret=wrong",
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _, _) = call(&app, get("/_demo-idp/oidc/userinfo")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = call(&app, get("/_demo-idp/oidc/authorize?client_id=demo-client&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=code&scope=openid&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unregistered redirect_uri");
}
