//! The manual's troubleshooting tables quote every `admin_hint()` verbatim and name each error by its
//! `code()`. This test builds one error per hint and fails when the manual no longer says what the code says.
#![cfg(all(feature = "saml", feature = "oidc", feature = "scim", feature = "jit"))]
#![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

use chrono::{DateTime, Utc};
use gatehouse::jit::{IdpKind, JitError, Rule};
use gatehouse::oidc::RefetchDecision;
use gatehouse::{oidc, saml, scim, xml};

const MANUAL: &str = include_str!("../src/manual.rs");

/// The manual's text without the `//!` markers, line breaks, HTML escapes and autolink brackets.
fn normalize(text: &str) -> String {
    let text = text
        .replace("&lt;", "")
        .replace("&gt;", "")
        .replace(['<', '>'], "");
    let words = text.split_whitespace().filter(|w| *w != "//!");
    words.collect::<Vec<_>>().join(" ")
}

fn assert_documented(what: &str, code: &str, hint: Option<&str>) {
    let manual = normalize(MANUAL);
    let hint = hint.unwrap_or_else(|| panic!("{what}: expected an admin hint"));
    assert!(
        manual.contains(&normalize(hint)),
        "{what}: the manual lacks its hint: {hint}"
    );
    assert!(
        manual.contains(&format!("`{code}`")),
        "{what}: the manual does not name the code `{code}`"
    );
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

#[test]
fn saml_and_xml_hints() {
    let s = String::new;
    let cases = [
        saml::Error::Destination {
            expected: s(),
            found: None,
        },
        saml::Error::Recipient {
            expected: s(),
            found: None,
        },
        saml::Error::Audience {
            expected: s(),
            found: vec![],
        },
        saml::Error::NameIdQualifier {
            expected: s(),
            found: s(),
        },
        saml::Error::Issuer {
            element: "Response",
            expected: s(),
            found: s(),
        },
        saml::Error::NotSigned,
        saml::Error::AssertionNotSigned,
        saml::Error::NoDecryptionKey { what: "Assertion" },
        saml::Error::Unsolicited,
        saml::Error::Expired {
            what: "Conditions",
            not_on_or_after: now(),
            now: now(),
            skew_seconds: 180,
        },
        saml::Error::NotYetValid {
            what: "Conditions",
            not_before: now(),
            now: now(),
            skew_seconds: 180,
        },
        saml::Error::TooOld {
            what: "IssueInstant",
            instant: now(),
            now: now(),
            max_age_seconds: 60,
        },
        saml::Error::Status {
            code: s(),
            sub_code: None,
            message: None,
        },
        saml::Error::NoNameId,
    ];
    for e in cases {
        assert_documented(&format!("{e:?}"), e.code(), e.admin_hint());
    }
    let xml_cases = [
        xml::Error::UntrustedCertificate { fingerprint: s() },
        xml::Error::BadSignature { tried: 1 },
        xml::Error::NoSuitableKey {
            algorithm: "rsa-sha256",
        },
        xml::Error::LegacyCrypto { what: s() },
        xml::Error::UnsupportedAlgorithm {
            role: "signature",
            uri: s(),
        },
        xml::Error::NotSigned { element: s() },
        xml::Error::DecryptionFailed,
    ];
    for e in xml_cases {
        // Reached through the SAML error, as an app sees them.
        let e = saml::Error::Xml(e);
        assert_documented(&format!("{e:?}"), e.code(), e.admin_hint());
    }
}

#[test]
fn oidc_hints() {
    let s = String::new;
    let refetch = RefetchDecision::Refetch;
    let idp = |error: &str, description: &str| oidc::Error::IdpError {
        endpoint: "authorization",
        error: error.into(),
        description: Some(description.into()),
    };
    let cases = [
        oidc::Error::InvalidIssuerInput {
            input: s(),
            reason: "empty",
        },
        oidc::Error::DiscoveryIssuerMismatch {
            expected: s(),
            received: s(),
        },
        oidc::Error::PkceUnsupported { advertised: vec![] },
        oidc::Error::NoUsableKeys,
        oidc::Error::NoKeyForAlgorithm { alg: s(), refetch },
        oidc::Error::UnknownKeyId { kid: s(), refetch },
        oidc::Error::WeakSymmetricKey {
            alg: s(),
            min_bytes: 32,
        },
        oidc::Error::SymmetricNotEnabled { alg: s() },
        oidc::Error::IssuerMismatch {
            what: "ID token",
            expected: s(),
            received: s(),
        },
        oidc::Error::UntrustedAudience { audience: s() },
        oidc::Error::AudienceMismatch {
            expected: s(),
            received: vec![],
        },
        oidc::Error::AzpMismatch {
            expected: s(),
            received: s(),
        },
        oidc::Error::AzpMissing { audiences: vec![] },
        oidc::Error::Expired {
            exp: 0,
            now: 0,
            leeway_secs: 0,
        },
        oidc::Error::NotYetValid { nbf: 0, now: 0 },
        oidc::Error::IssuedInFuture { iat: 0, now: 0 },
        oidc::Error::IssuedTooLongAgo {
            iat: 0,
            now: 0,
            max_age_secs: 0,
        },
        oidc::Error::HttpStatus {
            what: "token endpoint",
            status: 401,
        },
        oidc::Error::UnknownInitiatingIssuer { iss: s() },
        oidc::Error::TargetLinkRejected {
            target: s(),
            reason: "origin",
        },
        oidc::Error::UnexpectedTokenType { received: s() },
        oidc::Error::NoEndpoint {
            name: "end_session_endpoint",
        },
        oidc::Error::MissingEndpoint {
            name: "token_endpoint",
        },
        idp(
            "access_denied",
            "User is not assigned to the client application.",
        ),
        idp("access_denied", "Policy evaluation failed"),
        idp("invalid_client", ""),
        idp("invalid_grant", "The redirect_uri does not match"),
        idp(
            "invalid_grant",
            "The authorization code is invalid or has expired.",
        ),
        idp("invalid_request", "redirect_uri is not allowed"),
        idp("unauthorized_client", ""),
        idp("invalid_scope", ""),
        idp("login_required", ""),
        idp("consent_required", ""),
        idp("interaction_required", ""),
    ];
    for e in cases {
        assert_documented(&format!("{e:?}"), e.code(), e.admin_hint());
    }
}

#[test]
fn jit_and_scim_hints() {
    let denials = [
        Rule::EmailMissing,
        Rule::EmailDomainNotAllowed,
        Rule::EmailNotVerified,
        Rule::GroupsIncomplete,
        Rule::EmailLinkingDisabled,
        Rule::UntrustedEmailMatchesAccount,
        Rule::EmailMatchHasSso,
        Rule::CreateDisabled,
        Rule::ScimDeactivated,
        Rule::AccountDeactivated,
        Rule::EmailTakenByOtherAccount,
        Rule::AccountLinkedToOtherSubject,
        Rule::AmbiguousMatch,
    ];
    for rule in denials {
        assert_documented(&format!("{rule:?}"), rule.code(), rule.admin_hint());
    }
    let missing = JitError::MissingClaim {
        claim: "email_verified".into(),
        idp: IdpKind::Okta,
    };
    let hint = missing.admin_hint().unwrap();
    assert!(normalize(MANUAL).contains(&normalize(&hint)), "{hint}");
    for idp in [IdpKind::Okta, IdpKind::Entra, IdpKind::Adfs] {
        assert!(
            normalize(MANUAL).contains(&normalize(idp.claims_setting())),
            "{idp}"
        );
    }

    let s = String::new;
    let scim_cases = [
        scim::Error::Uniqueness {
            attribute: s(),
            value: s(),
        },
        scim::Error::InvalidFilter {
            position: 0,
            expected: s(),
            found: s(),
        },
        scim::Error::InvalidValue {
            attribute: s(),
            expected: s(),
            received: s(),
        },
        scim::Error::Mutability {
            attribute: s(),
            mutability: "readOnly",
        },
        scim::Error::PreconditionFailed {
            expected: s(),
            current: s(),
        },
        scim::Error::NotFound {
            resource_type: s(),
            id: s(),
        },
    ];
    for e in scim_cases {
        let name = format!("{e:?}");
        let variant = name.split([' ', '{']).next().unwrap().to_owned();
        let hint = e.admin_hint().unwrap();
        assert!(
            normalize(MANUAL).contains(&normalize(hint)),
            "{variant}: {hint}"
        );
        let row = format!("`{variant}` ({}", e.status());
        assert!(normalize(MANUAL).contains(&row), "{row}");
    }
}
