//! Property tests: no input makes a parser panic, and any change to a signed token is refused.

use gatehouse_oidc::{
    AllowedOrigins, Callback, IdToken, IdTokenChecks, InitiateLogin, Issuer, JwksCache,
    ProviderMetadata, VerifiedIdToken,
};
use proptest::prelude::*;

use crate::mock_op::{MockOp, now};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&data).into_owned();
        let issuer = Issuer::from_domain_or_url("acme.okta.com").unwrap();
        let _ = ProviderMetadata::parse(&data, &issuer);
        let _ = JwksCache::new(60).update(&data, Some(&text), now());
        let _ = Callback::parse(&data);
        let _ = InitiateLogin::parse(&data);
        let _ = Issuer::from_domain_or_url(&text);
        let _ = AllowedOrigins::new(["https://app.example.com"]).unwrap().check(&text);
        let conn = MockOp::connection();
        let checks = IdTokenChecks { nonce: "n", max_age_secs: None, access_token: None, code: None };
        let _ = VerifiedIdToken::verify(IdToken::new(text), &conn, &JwksCache::new(60), &checks, now());
        gatehouse_oidc::fuzzing::id_token(&data);
    }

    /// An accepted issuer is a fixed point: typing it again yields the same issuer, and it is https (or
    /// loopback http) with no query, fragment, userinfo or trailing slash.
    #[test]
    fn issuer_normalization_is_idempotent(
        host in "[a-z][a-z0-9-]{0,15}(\\.[a-z][a-z0-9-]{0,10}){1,3}",
        path in "(/[a-zA-Z0-9_-]{1,10}){0,3}/?",
        scheme in prop::sample::select(vec!["", "https://", "HTTPS://", "http://"]),
    ) {
        let input = format!("{scheme}{host}{path}");
        if let Ok(issuer) = Issuer::from_domain_or_url(&input) {
            prop_assert_eq!(Issuer::from_domain_or_url(issuer.as_str()).ok(), Some(issuer.clone()));
            let url = url::Url::parse(issuer.as_str()).unwrap();
            prop_assert_eq!(url.scheme(), "https");
            prop_assert!(url.query().is_none() && url.fragment().is_none() && url.username().is_empty());
            prop_assert!(!issuer.as_str().ends_with('/'));
        } else {
            // Refused only for plain http off loopback, Okta's admin console domain, or a host no URL parser
            // accepts (the generator can make an empty punycode label such as `a.xn--`, invalid under IDNA).
            let valid_host = url::Url::parse(&format!("https://{host}/")).is_ok();
            prop_assert!(
                scheme == "http://" || host.contains("-admin.") || !valid_host,
                "{} refused", input
            );
        }
    }

    /// Mutations of the checked-in fuzz seeds (which reach deep into each parser) never panic.
    #[test]
    fn mutated_fuzz_seeds_never_panic(
        seed in 0usize..64,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
    ) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/oidc_id_token");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let mut data = std::fs::read(&files[seed % files.len()]).unwrap();
        for (index, byte, op) in edits {
            if data.is_empty() {
                data.push(byte);
                continue;
            }
            let i = index.index(data.len());
            match op {
                0 => data[i] = byte,
                1 => data.insert(i, byte),
                2 => { data.remove(i); }
                _ => data.truncate(i.max(1)),
            }
        }
        gatehouse_oidc::fuzzing::id_token(&data);
    }

    #[test]
    fn look_alike_targets_never_pass(
        suffix in "[a-z0-9.-]{1,20}",
        user in "[a-zA-Z0-9.:%-]{1,20}",
        path in "[a-zA-Z0-9/._~%-]{0,30}",
    ) {
        let allowed = AllowedOrigins::new(["https://app.example.com"]).unwrap();
        // Same origin with any path passes.
        let same = format!("https://app.example.com/{path}");
        prop_assert!(allowed.check(&same).is_ok(), "{}", same);
        let tricks = [
            format!("https://app.example.com.{suffix}/{path}"),
            format!("https://app.example.com-{suffix}/{path}"),
            format!("https://{suffix}.evil/{path}?https://app.example.com"),
            format!("https://app.example.com@{suffix}.evil/{path}"),
            format!("https://{user}@app.example.com/{path}"),
            format!("//app.example.com.{suffix}/{path}"),
            format!("https:\\\\app.example.com/{path}"),
            format!("http://app.example.com/{path}"),
            format!("https://app.example.com:8443/{path}"),
        ];
        for target in tricks {
            if let Ok(url) = allowed.check(&target) {
                // Only a trick that the URL parser normalizes back to the exact origin without userinfo may pass.
                prop_assert_eq!(url.host_str(), Some("app.example.com"), "{}", target);
                prop_assert!(url.username().is_empty() && url.password().is_none(), "{}", target);
                prop_assert_eq!(url.scheme(), "https");
                prop_assert_eq!(url.port_or_known_default(), Some(443));
            }
        }
    }

    #[test]
    fn any_byte_change_in_a_signed_token_is_refused(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let op = MockOp::new();
        let jwks = op.jwks();
        let conn = MockOp::connection();
        let token = op.sign(&op.base_claims("nonce-1"));
        let checks = IdTokenChecks { nonce: "nonce-1", max_age_secs: None, access_token: None, code: None };
        prop_assert!(VerifiedIdToken::verify(IdToken::new(token.clone()), &conn, &jwks, &checks, now()).is_ok());
        let mut bytes = token.into_bytes();
        let i = index.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let changed = String::from_utf8_lossy(&bytes).into_owned();
        let result = VerifiedIdToken::verify(IdToken::new(changed.clone()), &conn, &jwks, &checks, now());
        // Strict base64url (no padding, no stray trailing bits) means every byte matters.
        prop_assert!(result.is_err(), "changed token accepted: {}", changed);
    }
}

/// The input that found the generator's blind spot: an empty punycode label is no host, so no issuer.
#[test]
fn an_invalid_punycode_label_is_no_issuer() {
    assert!(url::Url::parse("https://a.xn--/").is_err());
    assert!(Issuer::from_domain_or_url("a.xn--").is_err());
    assert!(Issuer::from_domain_or_url("a.xn--bcher-kva.example").is_ok());
}
