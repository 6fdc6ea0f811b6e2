//! # Design notes: the attacks this relying party is built against
//!
//! Each entry names an attack on OIDC relying parties, the check that stops it here, and the test that shows it.
//!
//! ## Algorithm confusion (`alg` swapping, `none`)
//! A token whose header says `HS256` can be "verified" with an RSA public key used as an HMAC secret by
//! libraries that let the header choose the algorithm. Here the algorithm is a property of the key, fixed when
//! the JWKS is parsed from `kty`/`crv`/`alg` (an RSA key without `alg` means RS256, the OIDC default); the
//! header must name that algorithm or the token fails with [`crate::Error::AlgorithmMismatch`]. HMAC algorithms
//! never select a JWKS key: they are keyed by the client secret alone, only when
//! [`crate::OidcConnection::symmetric_id_tokens`] is set, and only when the secret is at least as long as the hash
//! (RFC 7518 §3.2). `oct` keys in a JWKS are discarded. `none` fails before any key lookup. Tests: the conformance
//! table in `tests/it/conformance.rs` ("header alg RS256 swapped to HS256", "rp-id_token-sig-none").
//!
//! ## Key selection tricks (`kid` injection, refetch storms, embedded keys)
//! Header `jwk`, `jku`, `x5u` and `x5c` are ignored: keys come only from the configured issuer's `jwks_uri`. A
//! token without `kid` verifies only when exactly one key has its algorithm; a duplicated `kid` with two fitting
//! keys is ambiguous and refused. An unknown `kid` asks the caller to refetch the JWKS, at most once per cooldown
//! (60 s by default), so a stream of forged kids costs one fetch a minute, not one per request. Tests:
//! `key_rotation_triggers_exactly_one_refetch_then_cooldown`, `kid_absent_with_several_keys_of_the_alg_is_refused`.
//!
//! ## Issuer mix-up
//! With several IdPs configured, an attacker's IdP can try to get its code or token accepted for another
//! connection. The discovery `issuer`, every ID token's `iss` and, when present (always, if the provider
//! advertises it), the RFC 9207 `iss` authorization response parameter must equal the configured issuer byte for
//! byte; the pending login remembers the issuer it was sent to.
//!
//! ## Code injection, CSRF and replay
//! `state` (compared in constant time) binds the callback to the browser session that started the login; PKCE
//! S256 binds the code to the pending login's verifier, so a stolen or injected code cannot be redeemed by
//! another session; `nonce` binds the ID token to the pending login; `c_hash`/`at_hash`, when present, bind the
//! code and access token to the ID token. A callback must arrive by the response mode requested (a `form_post`
//! login refuses a code in a URL), and pending logins expire (10 minutes by default). The caller removes the
//! pending login from its store before completing it, so each `state` is single use.
//!
//! ## Open redirects through third-party-initiated login
//! `GET /login?iss=…&target_link_uri=…` can be sent by anyone. An unknown `iss` is an error, never a redirect to
//! it; `target_link_uri` must be an absolute `http(s)` URL whose origin (scheme, host, port) equals one of the
//! app's allowed origins exactly, without user information, whitespace, control characters or backslashes — so
//! `https://app.example.com.evil.io`, `https://app.example.com@evil.io`, `//evil.io` and `https:\\evil.io` all
//! fail. A refused target is an error, not silently dropped, so the attempt is visible.
//!
//! ## Audience and authorized party
//! `aud` must contain the client ID; any other audience must be listed in
//! [`crate::OidcConnection::trusted_audiences`] (OIDC Core §3.1.3.7 step 3); with several audiences `azp` is
//! required and must be the client ID.
//!
//! ## Time
//! `exp`, `nbf`, `iat` (not in the future, not older than 10 minutes) and `auth_time` (against `max_age`) are
//! checked against the caller's clock with 60 s of leeway; the crate never reads the system clock.
//!
//! ## Userinfo substitution
//! Userinfo is fetched with the access token of the same login, and its `sub` must equal the ID token's (OIDC
//! Core §5.3.2); protocol claims (`iss`, `aud`, `exp`, `nonce`, …) are never taken from userinfo when merging.
//!
//! ## Secrets
//! The client secret, tokens, codes and PKCE verifiers are newtypes whose `Debug` prints `[redacted]`;
//! [`crate::HttpRequest`]'s `Debug` hides header values and the body; errors never carry them.
