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
