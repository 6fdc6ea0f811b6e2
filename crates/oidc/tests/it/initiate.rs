//! Third-party-initiated login (OIDC Core §4) and the open-redirect defences of `target_link_uri`.

use gatehouse_oidc::{AllowedOrigins, Error, InitiateLogin};

use crate::mock_op::{ISSUER, MockOp, now};

#[test]
fn target_link_uri_stays_inside_allowed_origins() {
    let allowed = AllowedOrigins::new([
        "https://app.example.com",
        "https://auth.example.com:8443/anything",
    ])
    .unwrap();
    let cases: &[(&str, bool)] = &[
        ("https://app.example.com", true),
        ("https://app.example.com/projects/42?tab=1#top", true),
        ("https://APP.example.com/x", true),
        ("https://app.example.com:443/x", true),
        ("https://auth.example.com:8443/x", true),
        ("https://auth.example.com/x", false),
        ("http://app.example.com/x", false),
        ("https://app.example.com.evil.io/x", false),
        ("https://evil.io/?https://app.example.com", false),
        ("https://app.example.com@evil.io/", false),
        ("https://user:pw@app.example.com/", false),
        ("//evil.io/x", false),
        ("/relative/path", false),
        ("https:\\\\evil.io", false),
        ("https://app.example.com\\@evil.io", false),
        ("javascript:alert(1)", false),
        ("data:text/html,<script>", false),
        ("https://app.example.com/%0d%0aSet-Cookie:x", true),
        ("https://app.example.com/\r\nx", false),
        (" https://app.example.com", false),
        ("https://app.example.com:8443/x", false),
        ("https://xn--pp-bja.example.com/", false),
    ];
    for (target, ok) in cases {
        let result = allowed.check(target);
        assert_eq!(result.is_ok(), *ok, "{target}: {result:?}");
        if !ok {
            assert!(matches!(result, Err(Error::TargetLinkRejected { .. })));
        }
    }
}

#[test]
fn initiation_starts_a_fresh_flow_or_fails_closed() {
    let op = MockOp::new();
    let conn = MockOp::connection();
    let metadata = op.metadata();
    let allowed = AllowedOrigins::new(["https://app.example.com"]).unwrap();
    let connections = [conn.clone()];

    // GET query and POST body parse the same way.
    let query = format!(
        "iss={}&login_hint=ada%40acme.test&target_link_uri=https%3A%2F%2Fapp.example.com%2Fprojects%2F42",
        url::form_urlencoded::byte_serialize(ISSUER.as_bytes()).collect::<String>()
    );
    let init = InitiateLogin::parse(query.as_bytes()).unwrap();
    let found = init.find_connection(&connections).unwrap();
    let (url, pending) = init
        .authorization_request(found, &metadata, &allowed)
        .unwrap()
        .build(now())
        .unwrap();
    assert!(url.as_str().starts_with(&format!("{ISSUER}/authorize?")));
    assert!(
        url.query_pairs()
            .any(|(k, v)| k == "login_hint" && v == "ada@acme.test")
    );
    assert_eq!(
        pending.return_to(),
        Some("https://app.example.com/projects/42")
    );

    let unknown = InitiateLogin::parse(
        b"iss=https%3A%2F%2Fevil.example&target_link_uri=https%3A%2F%2Fapp.example.com",
    )
    .unwrap();
    let err = unknown.find_connection(&connections).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownInitiatingIssuer { iss } if iss == "https://evil.example")
    );
    assert!(err.admin_hint().unwrap().contains("Initiate login URI"));
    assert!(matches!(
        unknown.authorization_request(&conn, &metadata, &allowed),
        Err(Error::UnknownInitiatingIssuer { .. })
    ));

    let open_redirect =
        format!("iss={ISSUER}&target_link_uri=https%3A%2F%2Fapp.example.com.evil.io%2F");
    let init = InitiateLogin::parse(open_redirect.as_bytes()).unwrap();
    assert!(matches!(
        init.authorization_request(&conn, &metadata, &allowed),
        Err(Error::TargetLinkRejected { .. })
    ));

    assert!(matches!(
        InitiateLogin::parse(b"login_hint=x"),
        Err(Error::MissingParameter { name: "iss" })
    ));
    let twice = format!("iss={ISSUER}&iss=https://evil.example");
    assert!(matches!(
        InitiateLogin::parse(twice.as_bytes()),
        Err(Error::DuplicateParameter { .. })
    ));
    // No target: a plain login.
    let plain = InitiateLogin::parse(format!("iss={ISSUER}").as_bytes()).unwrap();
    let (_, pending) = plain
        .authorization_request(&conn, &metadata, &allowed)
        .unwrap()
        .build(now())
        .unwrap();
    assert_eq!(pending.return_to(), None);
}
