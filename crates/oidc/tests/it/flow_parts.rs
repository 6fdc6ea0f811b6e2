//! Discovery, the authorization request, callback parsing, token response, logout, secrets and errors.

use gatehouse_oidc::{
    AuthorizationRequest, Callback, ClientSecret, Error, HttpResponse, Issuer, OidcConnection,
    PkceVerifier, Prompt, ProviderMetadata, ResponseMode, TokenResponse, logout_url,
    pkce_challenge,
};
use serde_json::json;

use crate::mock_op::{MockOp, now};

/// Whether an error is the one a case expects.
type IsExpected = fn(&Error) -> bool;

#[test]
fn issuer_from_what_customers_type() {
    let cases: &[(&str, Option<&str>)] = &[
        ("acme.okta.com", Some("https://acme.okta.com")),
        ("  acme.okta.com/ ", Some("https://acme.okta.com")),
        ("https://acme.okta.com", Some("https://acme.okta.com")),
        (
            "https://acme.okta.com/oauth2/default",
            Some("https://acme.okta.com/oauth2/default"),
        ),
        (
            "acme.okta.com/oauth2/aus1a2b3",
            Some("https://acme.okta.com/oauth2/aus1a2b3"),
        ),
        (
            "https://login.microsoftonline.com/tid/v2.0",
            Some("https://login.microsoftonline.com/tid/v2.0"),
        ),
        ("http://127.0.0.1:3000", Some("http://127.0.0.1:3000")),
        ("http://acme.okta.com", None),
        ("acme-admin.okta.com", None),
        ("https://acme-admin.oktapreview.com/oauth2/default", None),
        ("acme.oktapreview.com", Some("https://acme.oktapreview.com")),
        ("ftp://acme.okta.com", None),
        ("https://acme.okta.com?x=1", None),
        ("https://acme.okta.com#frag", None),
        ("https://user@acme.okta.com", None),
        ("acme okta.com", None),
        ("acme.okta.com\\evil", None),
        ("", None),
    ];
    for (input, expected) in cases {
        let got = Issuer::from_domain_or_url(input)
            .ok()
            .map(|i| i.as_str().to_owned());
        assert_eq!(got.as_deref(), *expected, "input {input:?}");
    }
    let issuer = Issuer::from_domain_or_url("acme.okta.com").unwrap();
    assert_eq!(
        issuer.discovery_url(),
        "https://acme.okta.com/.well-known/openid-configuration"
    );
    let custom = Issuer::from_domain_or_url("https://acme.okta.com/oauth2/default").unwrap();
    assert_eq!(
        custom.discovery_url(),
        "https://acme.okta.com/oauth2/default/.well-known/openid-configuration"
    );
}

#[test]
fn connection_reports_every_problem_at_once() {
    let problems = OidcConnection::new(
        "ftp://x",
        " ",
        ClientSecret::new(""),
        "http://rp.example.com/cb",
    )
    .unwrap_err();
    assert_eq!(problems.len(), 4, "{problems:?}");
}

fn okta_discovery(issuer: &str) -> Vec<u8> {
    // Shape of Okta's org and custom authorization server documents (fields trimmed).
    serde_json::to_vec(&json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/v1/authorize"),
        "token_endpoint": format!("{issuer}/v1/token"),
        "userinfo_endpoint": format!("{issuer}/v1/userinfo"),
        "jwks_uri": format!("{issuer}/v1/keys"),
        "end_session_endpoint": format!("{issuer}/v1/logout"),
        "response_types_supported": ["code", "id_token", "code id_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .unwrap()
}

#[test]
fn discovery_requires_exact_issuer_and_https_endpoints() {
    for typed in ["acme.okta.com", "https://acme.okta.com/oauth2/default"] {
        let issuer = Issuer::from_domain_or_url(typed).unwrap();
        let metadata = ProviderMetadata::parse(&okta_discovery(issuer.as_str()), &issuer).unwrap();
        assert_eq!(metadata.jwks_uri().as_str(), format!("{issuer}/v1/keys"));
        assert!(metadata.end_session_endpoint().is_some());
    }
    let org = Issuer::from_domain_or_url("acme.okta.com").unwrap();
    let cases: Vec<(Vec<u8>, IsExpected)> = vec![
        (okta_discovery("https://acme.okta.com/oauth2/default"), |e| matches!(e, Error::DiscoveryIssuerMismatch { .. })),
        (okta_discovery("https://acme.okta.com/"), |e| matches!(e, Error::DiscoveryIssuerMismatch { .. })),
        (okta_discovery("https://ACME.okta.com"), |e| matches!(e, Error::DiscoveryIssuerMismatch { .. })),
        (br#"{"issuer":"https://acme.okta.com","authorization_endpoint":"http://acme.okta.com/a","token_endpoint":"https://acme.okta.com/t","jwks_uri":"https://acme.okta.com/k"}"#.to_vec(),
            |e| matches!(e, Error::InvalidUrl { what: "authorization_endpoint", .. })),
        (br#"{"issuer":"https://acme.okta.com","authorization_endpoint":"https://acme.okta.com/a","token_endpoint":"https://acme.okta.com/t"}"#.to_vec(),
            |e| matches!(e, Error::MissingEndpoint { name: "jwks_uri" })),
        (br#"{"issuer":"https://acme.okta.com","authorization_endpoint":"https://acme.okta.com/a","token_endpoint":"https://acme.okta.com/t","jwks_uri":"https://acme.okta.com/k","code_challenge_methods_supported":["plain"]}"#.to_vec(),
            |e| matches!(e, Error::PkceUnsupported { .. })),
        (b"[]".to_vec(), |e| matches!(e, Error::Malformed { .. })),
        (vec![b' '; 300 * 1024], |e| matches!(e, Error::TooLarge { .. })),
    ];
    for (i, (document, expect)) in cases.into_iter().enumerate() {
        let err = ProviderMetadata::parse(&document, &org).expect_err("refused");
        assert!(expect(&err), "case {i}: {err:?}");
    }
}

#[test]
fn pkce_challenge_matches_rfc7636_appendix_b() {
    let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    assert_eq!(
        pkce_challenge(&verifier),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn authorization_request_carries_every_parameter_and_fresh_secrets() {
    let op = MockOp::new();
    let conn = MockOp::connection();
    let metadata = op.metadata();
    let (url, pending) = AuthorizationRequest::new(&conn, &metadata)
        .response_mode(ResponseMode::FormPost)
        .scope("groups")
        .scope("openid")
        .login_hint("ada@acme.test")
        .prompt(Prompt::Login)
        .prompt(Prompt::Consent)
        .max_age_secs(300)
        .build(now())
        .unwrap();
    let q: std::collections::BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/authorize");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "openid profile email groups");
    assert_eq!(q["response_mode"], "form_post");
    assert_eq!(q["login_hint"], "ada@acme.test");
    assert_eq!(q["prompt"], "login consent");
    assert_eq!(q["max_age"], "300");
    assert_eq!(q["redirect_uri"], crate::mock_op::REDIRECT);
    assert_eq!(q["state"], pending.state());
    assert_eq!(q["nonce"], pending.nonce());
    assert_eq!(q["code_challenge"], pkce_challenge(pending.pkce_verifier()));
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(pending.state().len() >= 43 && pending.nonce().len() >= 43);
    assert!(!q.contains_key("code_verifier"));
    // Debug of the pending login never shows the verifier.
    assert!(!format!("{pending:?}").contains(pending.pkce_verifier().secret()));
    // Serde round trip: the caller stores it.
    let stored = serde_json::to_string(&pending).unwrap();
    let back: gatehouse_oidc::PendingLogin = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, pending);
    // Fresh values each time.
    let (_, other) = AuthorizationRequest::new(&conn, &metadata)
        .build(now())
        .unwrap();
    assert_ne!(other.state(), pending.state());
    assert_ne!(other.nonce(), pending.nonce());
    assert_ne!(other.pkce_verifier(), pending.pkce_verifier());
}

#[test]
fn callback_checks() {
    let op = MockOp::new();
    let conn = MockOp::connection();
    let metadata = op.metadata(); // advertises authorization_response_iss_parameter_supported
    let (_, pending) = AuthorizationRequest::new(&conn, &metadata)
        .build(now())
        .unwrap();
    let state = pending.state().to_owned();
    let iss = crate::mock_op::ISSUER;
    let ok = format!("code=abc&state={state}&iss={iss}");
    assert_eq!(
        pending
            .accept_callback(&Callback::parse(ok.as_bytes()).unwrap(), &metadata)
            .unwrap()
            .secret(),
        "abc"
    );

    let cases: Vec<(String, IsExpected)> = vec![
        (format!("code=abc&state=other&iss={iss}"), |e| matches!(e, Error::StateMismatch)),
        (format!("code=abc&iss={iss}"), |e| matches!(e, Error::MissingParameter { name: "state" })),
        (format!("code=abc&state={state}&iss=https://evil.test"), |e| matches!(e, Error::IssuerMismatch { .. })),
        (format!("code=abc&state={state}"), |e| matches!(e, Error::MissingParameter { name: "iss" })),
        (format!("state={state}&iss={iss}"), |e| matches!(e, Error::MissingParameter { name: "code" })),
        (format!("code=abc&code=def&state={state}&iss={iss}"), |e| matches!(e, Error::DuplicateParameter { .. })),
        (format!("error=access_denied&error_description=User+is+not+assigned+to+the+client+application.&state={state}&iss={iss}"),
            |e| matches!(e, Error::IdpError { error, description: Some(d), .. } if error == "access_denied" && d.contains("not assigned"))),
        ("error=invalid_request&error_description=The+%27redirect_uri%27+parameter+must+be+a+Login+redirect+URI".to_owned(),
            |e| matches!(e, Error::IdpError { error, .. } if error == "invalid_request")),
        (format!("error=access_denied&state=forged&iss={iss}"), |e| matches!(e, Error::StateMismatch)),
    ];
    for (query, expect) in cases {
        let err = Callback::parse(query.as_bytes())
            .and_then(|c| pending.accept_callback(&c, &metadata))
            .expect_err(&query);
        assert!(expect(&err), "{query}: {err:?}");
    }
    // Admin hints in Okta words.
    let not_assigned = Callback::parse(
        format!("error=access_denied&error_description=User+is+not+assigned+to+the+client+application.&state={state}&iss={iss}").as_bytes(),
    )
    .and_then(|c| pending.accept_callback(&c, &metadata))
    .unwrap_err();
    assert!(not_assigned.admin_hint().unwrap().contains("Assignments"));
    let redirect = Callback::parse(b"error=invalid_request&error_description=The+redirect_uri+parameter+must+be+a+Login+redirect+URI")
        .and_then(|c| pending.accept_callback(&c, &metadata))
        .unwrap_err();
    assert!(
        redirect
            .admin_hint()
            .unwrap()
            .contains("Sign-in redirect URIs")
    );
}

#[test]
fn callback_must_arrive_by_the_requested_response_mode() {
    let op = MockOp::new();
    let conn = MockOp::connection();
    let metadata = op.metadata();
    let iss = crate::mock_op::ISSUER;
    let (_, form_post) = AuthorizationRequest::new(&conn, &metadata)
        .response_mode(ResponseMode::FormPost)
        .build(now())
        .unwrap();
    let body = format!("code=abc&state={}&iss={iss}", form_post.state());
    assert!(
        form_post
            .accept_callback(
                &Callback::from_form_post(body.as_bytes()).unwrap(),
                &metadata
            )
            .is_ok()
    );
    let err = form_post
        .accept_callback(&Callback::from_query(&body).unwrap(), &metadata)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseModeMismatch {
                expected: ResponseMode::FormPost,
                received: ResponseMode::Query
            }
        ),
        "{err:?}"
    );
    let (_, query) = AuthorizationRequest::new(&conn, &metadata)
        .build(now())
        .unwrap();
    let q = format!("code=abc&state={}&iss={iss}", query.state());
    assert!(
        query
            .accept_callback(&Callback::from_query(&q).unwrap(), &metadata)
            .is_ok()
    );
    assert!(
        query
            .accept_callback(&Callback::from_form_post(q.as_bytes()).unwrap(), &metadata)
            .is_err()
    );
}

#[test]
fn token_response_parsing() {
    let response = |status, body: serde_json::Value| HttpResponse {
        status,
        headers: vec![],
        body: serde_json::to_vec(&body).unwrap(),
    };
    let ok = TokenResponse::parse(&response(
        200,
        json!({"access_token":"at","token_type":"bearer","id_token":"a.b.c","expires_in":"3600","refresh_token":"rt"}),
    ))
    .unwrap();
    assert_eq!(ok.access_token.secret(), "at");
    assert_eq!(ok.expires_in, Some(3600));
    assert_eq!(format!("{ok:?}").matches("[redacted]").count(), 3, "{ok:?}");
    let cases: Vec<(u16, serde_json::Value, IsExpected)> = vec![
        (
            200,
            json!({"access_token":"at","token_type":"mac","id_token":"a.b.c"}),
            |e| matches!(e, Error::UnexpectedTokenType { .. }),
        ),
        (
            200,
            json!({"access_token":"at","token_type":"Bearer"}),
            |e| {
                matches!(
                    e,
                    Error::MissingClaim {
                        claim: "id_token",
                        ..
                    }
                )
            },
        ),
        (
            200,
            json!({"token_type":"Bearer","id_token":"a.b.c"}),
            |e| {
                matches!(
                    e,
                    Error::MissingClaim {
                        claim: "access_token",
                        ..
                    }
                )
            },
        ),
        (
            400,
            json!({"error":"invalid_grant","error_description":"The 'redirect_uri' does not match."}),
            |e| {
                matches!(
                    e,
                    Error::IdpError {
                        endpoint: "token",
                        ..
                    }
                ) && e.admin_hint().unwrap().contains("Sign-in redirect URIs")
            },
        ),
        (400, json!({"error":"unauthorized_client"}), |e| {
            e.admin_hint().unwrap().contains("Authorization Code")
        }),
        (503, json!("down"), |e| {
            matches!(e, Error::HttpStatus { status: 503, .. })
        }),
    ];
    for (status, body, expect) in cases {
        let err = TokenResponse::parse(&response(status, body.clone())).expect_err("refused");
        assert!(expect(&err), "{body}: {err:?}");
    }
}

#[test]
fn logout_url_has_hint_redirect_and_state() {
    let op = MockOp::new();
    let conn = MockOp::connection();
    let metadata = op.metadata();
    let hint = gatehouse_oidc::IdToken::new("eyJ.hint.token");
    let url = logout_url(
        &conn,
        &metadata,
        Some(&hint),
        Some("https://app.layer.ai"),
        Some("st-1"),
    )
    .unwrap();
    let q: std::collections::BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/logout");
    assert_eq!(q["id_token_hint"], "eyJ.hint.token");
    assert_eq!(q["post_logout_redirect_uri"], "https://app.layer.ai/");
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["client_id"], crate::mock_op::CLIENT_ID);
    assert!(matches!(
        logout_url(&conn, &metadata, None, Some("javascript:alert(1)"), None),
        Err(Error::InvalidUrl { .. })
    ));
}

#[test]
fn secrets_are_redacted() {
    let conn = MockOp::connection();
    let debug = format!("{conn:?}");
    assert!(!debug.contains(crate::mock_op::CLIENT_SECRET), "{debug}");
    assert!(debug.contains("[redacted]"));
    for text in [
        format!("{:?}", gatehouse_oidc::AccessToken::new("tok-123")),
        format!("{:?}", gatehouse_oidc::IdToken::new("tok-123")),
        format!("{:?}", gatehouse_oidc::RefreshToken::new("tok-123")),
        format!("{:?}", gatehouse_oidc::AuthorizationCode::new("tok-123")),
        format!("{:?}", PkceVerifier::new("tok-123")),
    ] {
        assert!(
            !text.contains("tok-123") && text.contains("[redacted]"),
            "{text}"
        );
    }
}

#[test]
fn admin_hints_name_the_okta_setting() {
    let idp = |error: &str, description: Option<&str>| Error::IdpError {
        endpoint: "authorization",
        error: error.to_owned(),
        description: description.map(str::to_owned),
    };
    let cases: Vec<(Error, &str)> = vec![
        (
            idp(
                "access_denied",
                Some("User is not assigned to the client application."),
            ),
            "Assignments",
        ),
        (idp("access_denied", None), "assigned to the application"),
        (idp("invalid_client", None), "Client secret"),
        (
            idp("invalid_grant", Some("The 'redirect_uri' does not match")),
            "Sign-in redirect URIs",
        ),
        (idp("unauthorized_client", None), "Authorization Code"),
        (
            Error::AudienceMismatch {
                expected: "a".into(),
                received: vec!["b".into()],
            },
            "Client ID",
        ),
        (
            Error::AzpMismatch {
                expected: "a".into(),
                received: "b".into(),
            },
            "Client ID",
        ),
        (
            Error::HttpStatus {
                what: "token endpoint",
                status: 401,
            },
            "Client secret",
        ),
        (
            Error::UnknownInitiatingIssuer { iss: "x".into() },
            "Initiate login URI",
        ),
        (
            Error::TargetLinkRejected {
                target: "x".into(),
                reason: "r",
            },
            "Initiate login URI",
        ),
        (
            Error::DiscoveryIssuerMismatch {
                expected: "a".into(),
                received: "b".into(),
            },
            "issuer",
        ),
        (
            Error::SymmetricNotEnabled {
                alg: "HS256".into(),
            },
            "RS256",
        ),
        (
            Error::Expired {
                exp: 1,
                now: 2,
                leeway_secs: 60,
            },
            "clock",
        ),
    ];
    for (error, words) in cases {
        let hint = error
            .admin_hint()
            .unwrap_or_else(|| panic!("{error:?} has no hint"));
        assert!(hint.contains(words), "{error:?}: {hint}");
    }
    // Failures an admin cannot fix carry no hint rather than a misleading one.
    for error in [
        Error::NonceMismatch,
        Error::StateMismatch,
        Error::AlgNone,
        Error::Random,
    ] {
        assert_eq!(error.admin_hint(), None, "{error:?}");
    }
}

#[test]
fn long_lived_values_are_plain_clone_send_sync() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<OidcConnection>();
    assert_shareable::<ProviderMetadata>();
    assert_shareable::<gatehouse_oidc::JwksCache>();
    assert_shareable::<gatehouse_oidc::PendingLogin>();
    assert_shareable::<gatehouse_oidc::VerifiedIdToken>();
    assert_shareable::<gatehouse_oidc::AllowedOrigins>();
}
