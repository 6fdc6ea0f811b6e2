//! Claims → identity: the built-in profiles against the Okta guide and a real Entra ID assertion, string
//! booleans, NameID fallback, missing-claim errors and their admin hints.

use std::path::PathBuf;

use gatehouse_jit::{
    Attr, Claims, ConnectionId, Email, ExtraAttr, IdpKind, JitError, Mapping, Protocol,
    SubjectRule, limits, uri,
};

fn okta() -> ConnectionId {
    ConnectionId::new("acme-okta")
}

fn interop() -> bool {
    std::env::var("GATEHOUSE_INTEROP").is_ok_and(|v| v == "1")
}

/// A file under `/work/shared` (outside the project); `None` (test skipped) when absent, except under
/// `GATEHOUSE_INTEROP=1`, where absence fails.
fn shared_file(relative: &str) -> Option<String> {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(relative);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if interop() => panic!(
            "GATEHOUSE_INTEROP=1 but {} is unreadable: {e}",
            path.display()
        ),
        Err(_) => {
            eprintln!("skipping: {} not found", path.display());
            None
        }
    }
}

/// The attribute statements of the guide: `(name, value expression, optional)`.
fn guide_statements(guide: &str) -> Vec<(String, String, bool)> {
    guide
        .lines()
        .filter_map(|line| {
            let optional = line.starts_with("[Optional] Name:");
            let rest = line
                .strip_prefix("[Optional] Name: ")
                .or_else(|| line.strip_prefix("Name: "))?;
            let (name, value) = rest.split_once(", Value: ")?;
            Some((name.trim().to_owned(), value.trim().to_owned(), optional))
        })
        .collect()
}

/// The Okta profile reads exactly the guide's attribute statements, and requires all but the optional one.
#[test]
fn okta_profile_matches_the_guide() {
    let Some(guide) = shared_file("seed/okta-integration.txt") else {
        return;
    };
    let statements = guide_statements(&guide);
    let names: Vec<&str> = statements.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
            "email_verified",
            "profile_picture",
        ],
        "the guide's attribute statements changed"
    );
    let mapping = Mapping::okta_saml();
    let read: Vec<&str> = [
        mapping.email.as_ref().map(|a| a.claim.as_str()),
        mapping.display_name.as_ref().map(|a| a.claim.as_str()),
        mapping.given_name.as_ref().map(|a| a.claim.as_str()),
        mapping.family_name.as_ref().map(|a| a.claim.as_str()),
        mapping.email_verified.as_deref(),
        mapping.picture.as_ref().map(|a| a.claim.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(read, names);

    // A login carrying what the guide's statements evaluate to for one Okta user.
    let values = |expr: &str| match expr {
        "user.email" => "Jane.Doe@Acme.example",
        "user.name" => "Jane Doe",
        "user.given_name" => "Jane",
        "user.family_name" => "Doe",
        "true" => "true",
        _ => "https://acme.okta.example/pictures/jane.png",
    };
    let mut claims = Claims::saml(okta(), Some("jane.doe@acme.example".to_owned()));
    for (name, expr, _) in &statements {
        claims.add(name.clone(), [values(expr)]);
    }
    let identity = mapping.map(&claims).unwrap();
    assert_eq!(identity.subject.0, "jane.doe@acme.example");
    assert_eq!(identity.user_name.as_deref(), Some("jane.doe@acme.example"));
    assert_eq!(
        identity.email.as_ref().map(Email::as_str),
        Some("jane.doe@acme.example")
    );
    assert!(identity.email_verified);
    assert_eq!(identity.profile.display_name.as_deref(), Some("Jane Doe"));
    assert_eq!(identity.profile.given_name.as_deref(), Some("Jane"));
    assert_eq!(identity.profile.family_name.as_deref(), Some("Doe"));
    assert_eq!(
        identity.profile.picture.as_deref(),
        Some("https://acme.okta.example/pictures/jane.png")
    );

    // Each statement the guide does not mark optional is needed: dropping it is an error naming it and
    // Okta's "Attribute Statements"; dropping an optional one is fine. (`email_verified` is read as false when
    // absent; the policy decides what that means.)
    for (dropped, _, optional) in &statements {
        let mut partial = Claims::saml(okta(), Some("jane.doe@acme.example".to_owned()));
        for (name, expr, _) in statements.iter().filter(|(n, _, _)| n != dropped) {
            partial.add(name.clone(), [values(expr)]);
        }
        let result = mapping.map(&partial);
        if dropped == uri::EMAIL {
            let err = result.unwrap_err();
            assert_eq!(
                err,
                JitError::MissingClaim {
                    claim: uri::EMAIL.to_owned(),
                    idp: IdpKind::Okta
                }
            );
            let hint = err.admin_hint().unwrap();
            assert!(
                hint.contains("Attribute Statements") && hint.contains(uri::EMAIL),
                "{hint}"
            );
        } else {
            assert!(
                result.is_ok(),
                "dropping {dropped} (optional: {optional}) failed: {result:?}"
            );
        }
    }
}

/// Pulls NameID and attributes out of a SAML assertion by plain string search (test-only; the assertion is a
/// fixed, well-formed corpus file).
fn saml_attributes(xml: &str, connection: ConnectionId) -> Claims {
    let name_id = xml.find("<NameID").and_then(|start| {
        let open_end = start + xml[start..].find('>')? + 1;
        let close = open_end + xml[open_end..].find("</NameID>")?;
        Some(xml[open_end..close].to_owned())
    });
    let mut claims = Claims::saml(connection, name_id);
    let mut rest = xml;
    while let Some(start) = rest.find("<Attribute Name=\"") {
        rest = &rest[start + "<Attribute Name=\"".len()..];
        let name_end = rest.find('"').unwrap();
        let name = rest[..name_end].to_owned();
        let end = rest.find("</Attribute>").unwrap();
        let mut body = &rest[..end];
        let mut values = Vec::new();
        while let Some(v) = body.find("<AttributeValue") {
            body = &body[v..];
            let open_end = body.find('>').unwrap() + 1;
            let close = body.find("</AttributeValue>").unwrap();
            values.push(body[open_end..close].to_owned());
            body = &body[close..];
        }
        claims.add(name, values);
        rest = &rest[end..];
    }
    claims
}

/// A real Entra ID assertion (ssoready corpus, folder `adfs`, which its MANIFEST identifies as Entra ID):
/// values hand-checked against the file.
#[test]
fn entra_profile_reads_a_real_entra_assertion() {
    let Some(xml) = shared_file("corpus/saml/ssoready/testdata/assertions/adfs/assertion.xml")
    else {
        return;
    };
    let claims = saml_attributes(&xml, ConnectionId::new("entra"));
    assert!(
        claims.get(uri::ENTRA_TENANT_ID).len() == 1,
        "extraction found the attributes"
    );
    let identity = Mapping::entra_saml().map(&claims).unwrap();
    assert_eq!(identity.subject.0, "74a35d48-1914-4115-82f1-1b8a01449f3d");
    assert_eq!(
        identity.email.as_ref().map(Email::as_str),
        Some("ulysse.carion@codomaindata.com")
    );
    assert_eq!(
        identity.user_name.as_deref(),
        Some("ulysse.carion_codomaindata.com#EXT#@ulyssecarioncodomaindata.onmicrosoft.com")
    );
    assert_eq!(
        identity.profile.display_name.as_deref(),
        Some("Ulysse Carion")
    );
    assert_eq!(identity.profile.given_name.as_deref(), Some("Ulysse"));
    assert_eq!(identity.profile.family_name.as_deref(), Some("Carion"));
    assert!(!identity.email_verified, "Entra sends no email_verified");
    assert!(identity.groups.is_empty() && identity.groups_complete);

    // The Okta profile on the same assertion would take the UPN for a display name: the reason the Entra
    // profile exists.
    let okta_view = Mapping::okta_saml().map(&claims).unwrap();
    assert_eq!(okta_view.profile.display_name, identity.user_name);
}

#[test]
fn entra_missing_object_id_and_group_overage() {
    let claims = Claims::saml(ConnectionId::new("entra"), Some("jane@acme.example".into()))
        .with(uri::EMAIL, ["jane@acme.example"]);
    let err = Mapping::entra_saml().map(&claims).unwrap_err();
    assert_eq!(
        err,
        JitError::MissingClaim {
            claim: uri::ENTRA_OBJECT_ID.to_owned(),
            idp: IdpKind::Entra
        }
    );
    let hint = err.admin_hint().unwrap();
    assert!(
        hint.contains("Attributes & Claims") && hint.contains(uri::ENTRA_OBJECT_ID),
        "{hint}"
    );

    let claims = claims
        .with(uri::ENTRA_OBJECT_ID, ["oid-1"])
        .with(uri::ENTRA_GROUPS, ["g1", "g2", "g1", " "])
        .with(
            uri::ENTRA_GROUPS_LINK,
            ["https://graph.windows.net/tenant/users/oid-1/getMemberObjects"],
        );
    let identity = Mapping::entra_saml().map(&claims).unwrap();
    assert_eq!(identity.groups.len(), 2);
    assert!(!identity.groups_complete);
}

/// `email_verified` as SAML strings and OIDC JSON booleans.
#[test]
fn string_booleans() {
    let table: &[(&[&str], Result<bool, &str>)] = &[
        (&["true"], Ok(true)),
        (&["TRUE"], Ok(true)),
        (&[" true "], Ok(true)),
        (&["1"], Ok(true)),
        (&["false"], Ok(false)),
        (&["False"], Ok(false)),
        (&["0"], Ok(false)),
        (&[], Ok(false)),
        (&[""], Ok(false)),
        (&["true", "true"], Ok(true)),
        (&["yes"], Err("invalid")),
        (&["truee"], Err("invalid")),
        (&["true", "false"], Err("ambiguous")),
    ];
    for (values, want) in table {
        let claims = Claims::saml(okta(), Some("jane".into()))
            .with(uri::EMAIL, ["jane@acme.example"])
            .with("email_verified", values.iter().copied());
        let got = Mapping::okta_saml().map(&claims);
        match (want, got) {
            (Ok(want), Ok(identity)) => assert_eq!(identity.email_verified, *want, "{values:?}"),
            (Err("invalid"), Err(JitError::InvalidBoolean { claim, .. })) => {
                assert_eq!(claim, "email_verified");
            }
            (Err("ambiguous"), Err(JitError::AmbiguousClaim { count: 2, .. })) => {}
            (want, got) => panic!("{values:?}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn name_id_as_fallback_subject() {
    let mut mapping = Mapping::okta_saml();
    mapping.subject = SubjectRule::ClaimOrNameId("uid".to_owned());
    let base = |name_id: Option<&str>| {
        Claims::saml(okta(), name_id.map(str::to_owned)).with(uri::EMAIL, ["jane@acme.example"])
    };
    let with_uid = base(Some("name-id")).with("uid", ["u-1"]);
    assert_eq!(mapping.map(&with_uid).unwrap().subject.0, "u-1");
    assert_eq!(
        mapping.map(&base(Some(" name-id "))).unwrap().subject.0,
        "name-id"
    );
    assert_eq!(
        mapping.map(&base(None)).unwrap_err(),
        JitError::MissingClaim {
            claim: "uid".to_owned(),
            idp: IdpKind::Okta
        }
    );
    assert_eq!(
        Mapping::okta_saml().map(&base(Some("  "))).unwrap_err(),
        JitError::MissingClaim {
            claim: "NameID".to_owned(),
            idp: IdpKind::Okta
        }
    );
}

#[test]
fn oidc_claims_from_json() {
    let json = br#"{"sub":"00u1","email":"Jane@Acme.example","email_verified":true,
        "name":"Jane Doe","given_name":"Jane","family_name":"Doe","preferred_username":"jane",
        "picture":"javascript:alert(1)","groups":["Admins","Everyone",7,null,["nested"]],
        "address":{"country":"FR"},"auth_time":1700000000,"nonce":null}"#;
    let claims = Claims::from_oidc_json(ConnectionId::new("oidc"), json).unwrap();
    assert_eq!(claims.get("auth_time"), ["1700000000"]);
    assert!(claims.get("address").is_empty() && claims.get("nonce").is_empty());
    let identity = Mapping::oidc(IdpKind::Okta).map(&claims).unwrap();
    assert_eq!(identity.subject.0, "00u1");
    assert_eq!(
        identity.email.as_ref().map(Email::as_str),
        Some("jane@acme.example")
    );
    assert!(identity.email_verified);
    assert_eq!(identity.user_name.as_deref(), Some("jane"));
    assert_eq!(
        identity.external_id.as_deref(),
        Some("00u1"),
        "Okta's sub is its SCIM externalId"
    );
    let generic = Mapping::oidc(IdpKind::Generic).map(&claims).unwrap();
    assert_eq!(generic.external_id, None);
    assert_eq!(identity.profile.picture, None, "non-https picture dropped");
    let groups: Vec<&str> = identity.groups.iter().map(String::as_str).collect();
    assert_eq!(groups, ["7", "Admins", "Everyone"]);

    // Some IdPs send the boolean as a string.
    let json = br#"{"sub":"1","email":"a@acme.example","email_verified":"false"}"#;
    let claims = Claims::from_oidc_json(ConnectionId::new("oidc"), json).unwrap();
    assert!(
        !Mapping::oidc(IdpKind::Generic)
            .map(&claims)
            .unwrap()
            .email_verified
    );

    for bad in [&b"[]"[..], b"\"x\"", b"{", b"", b"{\"sub\":1}}"] {
        assert!(matches!(
            Claims::from_oidc_json(ConnectionId::new("oidc"), bad),
            Err(JitError::InvalidClaimsJson { .. })
        ));
    }
    let no_email = Claims::from_oidc_json(ConnectionId::new("oidc"), br#"{"sub":"1"}"#).unwrap();
    let err = Mapping::oidc(IdpKind::Generic).map(&no_email).unwrap_err();
    assert!(err.admin_hint().unwrap().contains("openid email profile"));
}

#[test]
fn protocol_must_match() {
    let oidc = Claims::oidc(ConnectionId::new("oidc")).with("sub", ["1"]);
    assert_eq!(
        Mapping::okta_saml().map(&oidc).unwrap_err(),
        JitError::WrongProtocol {
            expected: Protocol::Saml,
            got: Protocol::Oidc
        }
    );
}

#[test]
fn hostile_values_are_refused() {
    let base = || Claims::saml(okta(), Some("jane".into()));
    let cases: Vec<(Claims, &str)> = vec![
        (
            base().with(uri::EMAIL, ["jane@acme.example", "admin@acme.example"]),
            "ambiguous email",
        ),
        (
            base().with(uri::EMAIL, ["jane@acme.example\u{0007}"]),
            "control character",
        ),
        (base().with(uri::EMAIL, ["not an email"]), "bad email"),
        (
            base()
                .with(uri::EMAIL, ["jane@acme.example"])
                .with(uri::NAME, ["Jane\u{0000}Admin"]),
            "NUL in a name",
        ),
        (
            base()
                .with(uri::EMAIL, ["jane@acme.example"])
                .with(uri::NAME, ["x".repeat(5000)]),
            "overlong name",
        ),
        (
            Claims::saml(okta(), Some("ja\u{001B}ne".into())).with(uri::EMAIL, ["j@acme.example"]),
            "escape in NameID",
        ),
    ];
    for (claims, what) in cases {
        let err = Mapping::okta_saml().map(&claims).unwrap_err();
        assert!(
            matches!(
                err,
                JitError::InvalidClaim { .. } | JitError::AmbiguousClaim { .. }
            ),
            "{what}: {err:?}"
        );
        assert!(
            err.to_string().chars().count() < 300,
            "{what}: error message not shortened"
        );
        assert!(err.admin_hint().is_some(), "{what}");
    }
    // The same email twice (SAML attributes may repeat) is one value; whitespace around it is dropped.
    let twice = base().with(uri::EMAIL, ["jane@acme.example", " jane@acme.example "]);
    assert!(Mapping::okta_saml().map(&twice).is_ok());
}

#[test]
fn pictures_must_be_https() {
    for (url, kept) in [
        ("https://cdn.acme.example/p.png", true),
        ("HTTPS://cdn.acme.example/p.png", true),
        ("http://cdn.acme.example/p.png", false),
        ("javascript:alert(1)", false),
        ("data:image/png;base64,AAAA", false),
        ("//cdn.acme.example/p.png", false),
    ] {
        let claims = Claims::saml(okta(), Some("jane".into()))
            .with(uri::EMAIL, ["jane@acme.example"])
            .with("profile_picture", [url]);
        let identity = Mapping::okta_saml().map(&claims).unwrap();
        assert_eq!(identity.profile.picture.is_some(), kept, "{url}");
    }
}

#[test]
fn extra_attributes() {
    let mut mapping = Mapping::okta_saml();
    mapping.extra = vec![
        ExtraAttr {
            key: "department".to_owned(),
            attr: Attr::optional("department"),
        },
        ExtraAttr {
            key: "cost_center".to_owned(),
            attr: Attr::required("costCenter"),
        },
    ];
    let claims = Claims::saml(okta(), Some("jane".into()))
        .with(uri::EMAIL, ["jane@acme.example"])
        .with("department", ["R&D"]);
    assert_eq!(
        mapping.map(&claims).unwrap_err(),
        JitError::MissingClaim {
            claim: "costCenter".to_owned(),
            idp: IdpKind::Okta
        }
    );
    let identity = mapping.map(&claims.with("costCenter", ["42"])).unwrap();
    assert_eq!(
        identity.profile.extra.get("department").map(String::as_str),
        Some("R&D")
    );
    assert_eq!(
        identity
            .profile
            .extra
            .get("cost_center")
            .map(String::as_str),
        Some("42")
    );
}

#[test]
fn claim_limits() {
    let mut claims = Claims::saml(okta(), None);
    for i in 0..limits::MAX_CLAIMS + 10 {
        claims.add(format!("attr-{i}"), ["v"]);
    }
    claims.add("many", (0..limits::MAX_VALUES + 10).map(|i| i.to_string()));
    assert_eq!(claims.attributes().len(), limits::MAX_CLAIMS);
    claims.add(
        "attr-0",
        (0..limits::MAX_VALUES + 10).map(|i| i.to_string()),
    );
    assert_eq!(claims.get("attr-0").len(), limits::MAX_VALUES);
}
