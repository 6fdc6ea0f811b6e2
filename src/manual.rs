//! The Gatehouse manual: how the pieces fit into an app, what the host must store and why, clocks, certificate
//! rotation, the attacks the libraries are built against (and the design decision that answers each), and a
//! troubleshooting table. Nothing here is code you call; it is the "why" behind the types. The runnable
//! counterparts are the minimal examples in `examples/` (`saml_sp_minimal`, `oidc_rp_minimal`,
//! `scim_server_minimal`, `jit_minimal`), which CI drives through their routers.
//!
//! # How the pieces fit
//!
//! Gatehouse is *sans-IO*: no crate opens a socket, reads a clock or touches a database. Each takes bytes,
//! documents and `now`, and returns a value or a typed error; the app does HTTP, storage and time.
//!
//! ```text
//!  browser ──GET /login──▶ app ── saml::authn_request / oidc::AuthorizationRequest ──▶ redirect to the IdP
//!                          │        (store the PendingRequest / PendingLogin first)
//!  browser ──POST /acs or GET /login/callback──▶ app
//!                          │  SAML: saml::validate_response (or check_response + CheckedResponse::finish)
//!                          │  OIDC: oidc::complete_login (token, JWKS, ID token, userinfo via HttpClient)
//!                          ▼
//!            VerifiedAssertion / UserClaims  ──▶  jit::Claims ─ Mapping::map ─▶ Identity
//!                                                   ─ Existing::lookup ─ decide ─▶ Decision ─ apply ─▶ session
//!  IdP provisioning ──/scim/v2/Users, /Groups──▶ app: scim list/filter, resource::create/replace, PATCH
//! ```
//!
//! | crate | it does | the app does |
//! | --- | --- | --- |
//! | [`crate::xml`] | one hardened parse, exclusive c14n, XML-DSig verification against pinned keys, XML-Enc decryption | nothing directly: the SAML crate drives it |
//! | [`crate::saml`] | AuthnRequests ([`crate::saml::authn_request`]), the whole response check ([`crate::saml::validate_response`]), metadata in and out | routes `/login` and the ACS, keeps the [`crate::saml::RequestStore`] and [`crate::saml::ReplayCache`] |
//! | [`crate::oidc`] | discovery, authorization requests with PKCE, callback checks, token exchange, ID token and userinfo validation, logout URLs | implements [`crate::oidc::HttpClient`] (or does the requests itself), keeps pending logins, the [`crate::oidc::JwksCache`] and sessions |
//! | [`crate::jit`] | claims → [`crate::jit::Identity`] → [`crate::jit::Decision`], with the rule that fired | implements [`crate::jit::UserDirectory`] on its user table and applies decisions atomically |
//! | [`crate::scim`] | SCIM resources, schemas, filters, PATCH, list paging and projection, error bodies | routes `/scim/v2/…`, authenticates the IdP's bearer token, stores resources, enforces `userName` uniqueness |
//!
//! The whole SAML path in one function, on the signed Okta-shaped fixture from `testdata/` (a real app does the
//! same in its ACS handler, with `Utc::now()` and shared stores):
//!
//! ```
//! use base64::Engine as _;
//! use gatehouse::jit::{Claims, ConnectionId, Decision, Mapping, MemoryDirectory, Policy, provision};
//! use gatehouse::saml::{ConnectionPolicy, InMemoryReplayCache, InMemoryRequestStore, ServiceProvider};
//!
//! // The connection: SP entity ID and ACS URL as entered in Okta, the IdP from its metadata.
//! let sp = ServiceProvider::new(
//!     "urn:auth0:layer-stack-app:acme",
//!     "https://auth.app.layer.ai/login/callback?connection=acme",
//! );
//! let now = "2026-01-15T10:00:00Z".parse()?; // the fixture's instant
//! let metadata = include_bytes!("../testdata/saml/metadata/okta-idp.xml");
//! let policy = ConnectionPolicy { allow_unsolicited: true, ..ConnectionPolicy::default() };
//! let idp = gatehouse::saml::parse_idp_metadata(metadata, None, now, None)?.identity_provider(policy)?;
//!
//! // The ACS: the posted SAMLResponse becomes a VerifiedAssertion, or an error with an admin hint.
//! let posted = base64::engine::general_purpose::STANDARD
//!     .encode(include_bytes!("../testdata/saml/accept-unsolicited/response.xml"));
//! let (requests, replay) = (InMemoryRequestStore::default(), InMemoryReplayCache::default());
//! let assertion = gatehouse::saml::validate_response(&sp, &idp, "acme", &posted, now, &requests, &replay)?;
//!
//! // JIT: the verified claims, Okta's attribute statements, the connection's policy, the user directory.
//! let acme = ConnectionId::new("acme");
//! let mut claims = Claims::saml(acme.clone(), Some(assertion.name_id().value.clone()));
//! for attribute in assertion.attributes() {
//!     claims.add(attribute.name.clone(), attribute.values.iter().cloned());
//! }
//! let identity = Mapping::okta_saml().map(&claims)?;
//! let mut directory = MemoryDirectory::new();
//! let outcome = provision(&mut directory, &identity, &Policy::new(acme))?;
//! assert!(matches!(outcome.decision, Decision::Create { .. }));
//! assert_eq!(directory.users().count(), 1);
//!
//! // The same response posted again is a replay.
//! assert!(gatehouse::saml::validate_response(&sp, &idp, "acme", &posted, now, &requests, &replay).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Configuration is plain data: [`crate::saml::ServiceProvider`], [`crate::saml::IdentityProvider`],
//! [`crate::oidc::OidcConnection`], [`crate::jit::Policy`] and the SCIM schemas are `Clone + Send + Sync + 'static`
//! structs without type parameters, so they live in an axum `State` or any shared map of connections
//! (`tests/state_types.rs` holds them to that). Each validates all at once and returns every problem
//! ([`crate::saml::check_connection`], [`crate::oidc::OidcConnection::new`]), which is what an admin page shows.
//!
//! # What "verified" means
//!
//! A value the app can read identity from exists only after every check passed; there is no constructor, no
//! `unchecked` accessor and no "parse now, verify later" object to misuse.
//!
//! - **SAML.** [`crate::saml::VerifiedAssertion`] is built only inside response validation, and only after: one
//!   parse of the document under size and depth limits; a status of Success; `Destination` equal to the ACS URL;
//!   the issuer equal to the IdP's entity ID; a signature — on the assertion or on the response containing it —
//!   that verifies with a *pinned* certificate over exactly the element it covers (read back through a
//!   [`crate::xml::VerifiedElement`]); decryption, if encrypted, followed by that signature rule again; a bearer
//!   `SubjectConfirmation` whose `Recipient` is the ACS URL and whose times hold; `Conditions` times and an
//!   `AudienceRestriction` naming this SP; `InResponseTo` naming an outstanding request of *this* connection
//!   (or no `InResponseTo` where the connection allows IdP-initiated sign-in); and an assertion ID not seen
//!   before. [`crate::saml::check_response`] does everything that needs no storage and returns a
//!   [`crate::saml::CheckedResponse`] whose data is sealed; only [`crate::saml::CheckedResponse::finish`], given
//!   the outcome of the two store operations, opens it.
//! - **OIDC.** [`crate::oidc::VerifiedIdToken`] is built only by [`crate::oidc::VerifiedIdToken::verify`]: the
//!   signature with a JWKS key whose own type fixes the algorithm, `iss` byte-equal to the configured issuer,
//!   `aud` containing the client ID (and `azp` with several audiences), `exp`/`nbf`/`iat` within leeway, the
//!   `nonce` of this login, `at_hash`/`c_hash` when present. [`crate::oidc::UserClaims`] adds userinfo only when
//!   its `sub` equals the token's; protocol claims always come from the token. Before that,
//!   [`crate::oidc::PendingLogin::accept_callback`] checks `state` (constant time), the response mode and the
//!   RFC 9207 `iss`, and the code is exchanged with the PKCE verifier.
//! - **JIT.** [`crate::jit::Claims`] should be filled from one of those two verified values only. The decision
//!   is a pure function of the identity, what the directory returned and the policy; it refuses rather than
//!   guesses (see the account-takeover section below).
//! - **SCIM.** SCIM requests are authenticated by the app (a bearer token per workspace); the crate validates
//!   every body against the schema and never echoes a password.
//!
//! # What the host must store, and why
//!
//! | store | trait / type | key, lifetime | why | when it is missing |
//! | --- | --- | --- | --- | --- |
//! | outstanding SAML requests | [`crate::saml::RequestStore`] ([`crate::saml::InMemoryRequestStore`]) | request ID → [`crate::saml::PendingRequest`] (connection, expiry; `RequestOptions::lifetime_seconds`, default 600 s) | an `InResponseTo` must answer a request this SP sent, for the same connection, once: a response captured elsewhere or meant for another connection is refused | `UnknownRequest`; without the store every SP-initiated response fails |
//! | SAML replay cache | [`crate::saml::ReplayCache`] ([`crate::saml::InMemoryReplayCache`]) | issuer + assertion ID, kept until the assertion's last deadline plus skew ([`crate::saml::CheckedResponse::replay_expires_at`]) | a bearer assertion is valid for minutes; posted twice (from a log, a proxy, browser history) it must not sign anyone in twice | `Replay` |
//! | OIDC pending logins | [`crate::oidc::PendingLogin`] (serde) | `state` → pending login, single use, expired after `OidcConnection::pending_login_ttl_secs` (600 s) | holds the nonce and the PKCE verifier, which must not reach the browser in clear; binding it to the browser (a cookie naming the `state`) stops login CSRF | `StateMismatch`, `LoginExpired`, or the app's own "no sign-in started here" |
//! | JWKS cache | [`crate::oidc::JwksCache`] (`Clone`) | per connection; fresh for the response's `max-age` (at most a day, default an hour); refetch on an unknown `kid` at most once per cooldown (60 s) | keys rotate; fetching per login is slow and lets forged `kid`s drive traffic to the IdP | `UnknownKeyId` / `NoKeyForAlgorithm` with a [`crate::oidc::RefetchDecision`] |
//! | users | [`crate::jit::UserDirectory`] ([`crate::jit::MemoryDirectory`]) | the app's user table, **including deactivated users** | decisions are applied atomically and re-checked, so two first logins make one account and a SCIM deactivation wins a race | duplicates, or a deactivated user recreated |
//! | SCIM resources | the app's tables | per workspace; `userName` unique case-insensitively | Okta looks users up by `userName` before creating them and expects 409 for a taken one | duplicate users |
//!
//! `take` (requests) and `insert_if_absent` (replay) must be **atomic**: of two concurrent posts of one
//! response, exactly one may win. With several app instances the stores must be shared (a database table with
//! a unique key, or Redis `SET NX`); the in-memory ones serve a single process. The reference service keeps all
//! of them in SQL. Hosts with asynchronous storage use [`crate::saml::check_response`], do the two store
//! operations themselves, and pass their outcome to [`crate::saml::CheckedResponse::finish`]. Expired entries
//! may be swept at any time; nothing needs them after their deadline.
//!
//! # Clock and skew
//!
//! Every check takes `now` from the caller: pass `Utc::now()` in production and a fixed instant in tests (the
//! `testdata/saml` fixtures are all valid at `2026-01-15T10:00:00Z`, see their `params.json`). Keep the server
//! synchronized with NTP; the tolerances only absorb small drift between two well-kept clocks.
//!
//! | setting | default | applies to |
//! | --- | --- | --- |
//! | `ServiceProvider::clock_skew_seconds` | 180 s (0–3600 accepted) | SAML `NotBefore`, `NotOnOrAfter` of `Conditions` and `SubjectConfirmationData`, `SessionNotOnOrAfter`, and how long replay keys are kept |
//! | `ServiceProvider::max_assertion_age_seconds` | none | refuses SAML assertions issued, or users authenticated, longer ago (`TooOld`) |
//! | `RequestOptions::lifetime_seconds` | 600 s | how long an AuthnRequest stays outstanding |
//! | `OidcConnection::leeway_secs` | 60 s | ID token `exp`, `nbf`, `iat`, `auth_time` |
//! | `OidcConnection::max_id_token_age_secs` | 600 s | how old an ID token's `iat` may be (it is issued at the code exchange) |
//! | `OidcConnection::pending_login_ttl_secs` | 600 s | how long a user may take at the IdP |
//! | metadata `validUntil` | — | [`crate::saml::parse_idp_metadata`] refuses expired metadata |
//!
//! Time errors carry the instant, the clock used and the tolerance (`Expired { not_on_or_after, now,
//! skew_seconds }`), so a log line tells whether the clock or the IdP is wrong.
//!
//! # Certificate and key rotation
//!
//! **SAML IdP signing certificates.** A connection pins a [`crate::xml::PinnedKeys`] set, and any pinned
//! certificate verifies. To rotate without downtime: add the IdP's new certificate next to the old one (Okta
//! shows it under the app's Sign On tab, SAML Signing Certificates, before it becomes active), let the IdP switch,
//! then remove the old one. [`crate::saml::VerifiedAssertion::certificate_sha256`] names the certificate that
//! verified each login, so the app can log when the new one takes over. A signature by an unpinned certificate
//! fails with `UntrustedCertificate` carrying that certificate's SHA-256 fingerprint (from `KeyInfo`, used only
//! to *report* it) — the usual sign of a rotation the connection has not followed. For metadata-driven
//! connections, [`crate::saml::IdpMetadata::expiry_warnings`] lists certificates about to expire and
//! [`crate::saml::IdpMetadata::has_fingerprint`] checks a fingerprint an admin sent; refetched metadata must
//! itself be signed by a pinned certificate when `signed_by` is given. The certificate's own expiry does not
//! stop verification (IdPs routinely sign with self-signed certificates past `notAfter`); pinning is the trust.
//!
//! **SP keys.** The request-signing key ([`crate::saml::ServiceProvider::signing_key`], its certificate served at
//! `/pem?cert=<connection>`) and the decryption key are per connection. Rotate the signing key by publishing the
//! new certificate, having the IdP accept both, then switching; rotate the decryption key by keeping the old key
//! until the IdP encrypts to the new certificate (a response encrypted to an unknown key fails with the opaque
//! `DecryptionFailed`).
//!
//! **OIDC signing keys.** Nothing to configure: a token naming a `kid` the [`crate::oidc::JwksCache`] does not
//! hold triggers one refetch per cooldown ([`crate::oidc::verify_id_token`] and
//! [`crate::oidc::complete_login`] do it through the [`crate::oidc::HttpClient`]); a key the provider dropped
//! stops verifying at the next refresh, at most a day later. The client secret is rotated in Okta first (Okta
//! keeps both valid for a while), then in the connection.
//!
//! # The attacks refused
//!
//! ## XML signature wrapping (XSW 1–8)
//!
//! A SAML response is signed over one element, found by its `ID`. Classic SPs verified the signature
//! with one lookup and then read the assertion with another ("the first `Assertion`", an XPath), so an
//! attacker could keep the signed element somewhere harmless (inside `Extensions`, an `Object`, a wrapper)
//! and put a forged assertion where the reader looks. Somorovsky et al. (2012) catalogued eight layouts.
//!
//! Gatehouse has no second lookup to fool. [`crate::xml::verify_enveloped`] takes the element that holds the
//! signature, requires the one `Reference` to point at that very element, and returns a
//! [`crate::xml::VerifiedElement`] — a read-only, downward-only handle to the covered subtree. The SAML layer reads
//! the assertion *only* through that handle, and before that it refuses any document with more than one
//! `Assertion`/`EncryptedAssertion` or with a `Signature` anywhere other than directly in the `Response`
//! or the `Assertion`. All eight layouts fail at one of these points (`testdata/saml/reject-xsw*`).
//!
//! ## Comment and text splitting (CVE-2017-11427 and relatives)
//!
//! `<NameID>admin@acme.com<!---->.evil.io</NameID>` canonicalizes (comments dropped) to the same bytes as
//! `admin@acme.com.evil.io`, so the signature holds; libraries that returned the *first text node* gave
//! the application `admin@acme.com`. In Gatehouse an element's text is all of its text nodes joined
//! ([`crate::xml::Element::text`]), so the application sees exactly what was signed. Comments inside the
//! signature itself (a favourite for truncating `DigestValue`) are refused outright.
//!
//! ## Parser differentials and DTDs (CVE-2025-25291/25292, XXE, entity expansion)
//!
//! When the signature checker and the reader use two parsers, any disagreement — entities, namespaces,
//! duplicate attributes — is an exploit. Gatehouse parses once ([`crate::xml::Document::parse`]) and everything
//! reads that tree. The parser refuses what has no business in SAML: any DOCTYPE, entities other than the
//! five predefined ones, non-UTF-8 input, unbound prefixes, duplicate attributes and duplicate `ID` values
//! (the set-up for wrapping), with limits on size, depth, attributes, nodes, names and namespaces.
//!
//! ## Canonicalization pitfalls
//!
//! Exclusive c14n renders a namespace where it is *visibly used*, inclusive c14n everywhere it is in scope;
//! `#WithComments` keeps comments only where the node-set has them (a `#id` reference drops them); attribute
//! values are normalized before escaping; C14N 1.1 treats `xml:base` specially. Gatehouse canonicalizes whole
//! subtrees only — no XPath node-sets, so there is no way to sign a subset that excludes what the
//! application later reads — and checks its output against the W3C and Santuario vectors, and its signature
//! verdicts, differentially, against `xmlsec1 --verify` on more than a hundred signed documents
//! (`testdata/dsig/manifest.json`).
//!
//! ## Trust: pinned keys, not `KeyInfo`
//!
//! A certificate in the signature's `KeyInfo` is attacker-controlled. Some verifiers used it (or an inline
//! `RSAKeyValue`) to check the signature — the test suite found that `xmlsec1` still does when given a
//! `KeyValue`. In Gatehouse keys come only from certificates pinned on the connection
//! ([`crate::xml::PinnedKeys`], several at once for rotation); a `KeyInfo` certificate can only *select* among them,
//! and an unpinned one is reported with its fingerprint so an admin can spot a rotation. SHA-1 and RSA keys
//! under 2048 bits need an explicit per-connection opt-in; DSA and HMAC signatures never pass.
//!
//! ## Encrypted assertions and oracles
//!
//! Anyone can encrypt to the SP's public key, so encryption proves nothing: the decrypted assertion must
//! itself be signed, or sit inside a signed response (whose signature covers the ciphertext). RSA PKCS#1 v1.5
//! key transport and 3DES are refused; every failure after the algorithms are read — wrong key, bad padding,
//! bad tag, unparsable plaintext — is the same opaque error, so a tampered ciphertext cannot be used as a
//! padding or parse oracle (Jager and Somorovsky, 2011).
//!
//! ## Replay and request binding
//!
//! A valid response stolen from a log or a proxy could be posted again. Every accepted assertion ID is
//! recorded until its deadline plus skew, and an `InResponseTo` must name a request this SP sent *for the same
//! connection* and has not yet seen answered; both are consumed atomically by the host's stores
//! ([`crate::saml::CheckedResponse::finish`]). Unsolicited (IdP-initiated) responses are accepted only where the
//! connection allows them. `Destination`, `Recipient` and `Audience` must equal the connection's values
//! exactly, so a response minted for another SP — or another connection of the same SP — is refused.
//!
//! ## JWT algorithm confusion (OIDC)
//!
//! A token's `alg` header is attacker-controlled: `none`, or `HS256` keyed with the RSA public key, has
//! broken many libraries. In Gatehouse the algorithm is fixed by the key from the JWKS, never read from the
//! header alone; `none` never passes; HMAC is only possible with the client secret and only when the
//! connection enables it. Claims are only reachable from a verified ID token that passed every check.
//!
//! ## Account takeover through linking (JIT)
//!
//! The classic JIT bug links an SSO login to an existing account because the emails match — with an email
//! the IdP never verified, or from a second IdP that may assert any address. [`crate::jit::decide`] links by email
//! only when the policy allows it, the domain is verified for the workspace and the email is trusted, and
//! otherwise refuses rather than creating a duplicate. A user that SCIM deactivated is never recreated or
//! reactivated by a login.
//!
//! # Troubleshooting
//!
//! Every refusal is a typed error (or, for JIT, a [`crate::jit::Rule`]) with a stable `code()` for logs and
//! metrics, a message with what was expected and what arrived, and — where a setting fixes it — an
//! `admin_hint()` in the IdP admin's words. The tables below are those hints, verbatim (a test keeps them in
//! step with the code). An error without a hint is a malformed, replayed or hostile message: there is nothing
//! to configure, and the log line is for the security team.
//!
//! ## SAML ([`crate::saml::Error::admin_hint`], [`crate::xml::Error::admin_hint`])
//!
//! | `code()` | what to change |
//! | --- | --- |
//! | `destination`, `recipient` | The IdP sends responses to a different address. In Okta, set the application's "Single sign-on URL" to this connection's ACS URL exactly (including ?connection=…) and keep "Use this for Recipient URL and Destination URL" checked; in Entra, set the "Reply URL (Assertion Consumer Service URL)". |
//! | `audience`, `name_id_qualifier` | The assertion is meant for another SP. In Okta, set "Audience URI (SP Entity ID)" to this connection's SP entity ID exactly; in Entra, set "Identifier (Entity ID)". |
//! | `issuer` | The response comes from a different IdP entity ID than this connection expects. Re-import the IdP metadata (Okta: the application's Sign On tab, "Identity Provider metadata"), or correct the connection's IdP entity ID (Okta's "Identity Provider Issuer"). |
//! | `not_signed` (SAML) | Turn on signing in the IdP: in Okta, "Assertion Signature" Signed (default); in Entra, "Signing Option" Sign SAML assertion. |
//! | `assertion_not_signed` | This connection requires the assertion itself to be signed. In Okta set "Assertion Signature" to Signed; in Entra set "Signing Option" to "Sign SAML response and assertion" — or relax the connection's "require signed assertion" policy. |
//! | `no_decryption_key` | The IdP encrypts assertions. Give this connection an SP encryption key and upload its certificate to the IdP (Okta: "Assertion Encryption", Encryption Certificate), or turn assertion encryption off in the IdP. |
//! | `unsolicited` | The user started sign-in from the IdP (IdP-initiated SSO). Allow IdP-initiated sign-in on this connection, or in Okta use "Login initiated by: App Only" so that sign-in starts at the app. |
//! | `not_yet_valid`, `expired`, `too_old` | The clocks of the IdP and this service disagree, or the response was delayed. Check that this server's clock is synchronized (NTP); the allowed skew is part of the connection settings. |
//! | `status` | The IdP refused the sign-in. In Okta, check that the user is assigned to the application (Assignments tab) and read the IdP's System Log for this request. |
//! | `no_name_id` | The IdP sent no NameID. In Okta, set "Name ID format" and "Application username" in the SAML settings. |
//! | `untrusted_certificate` | The IdP signed with a certificate this connection does not pin. If the IdP rotated its signing certificate, add the new one to the connection (in Okta: the application's Sign On tab, SAML Signing Certificates, download the active certificate); keep the old one pinned until the rotation is complete. |
//! | `bad_signature`, `no_suitable_key` | The signature does not match the pinned certificate. Check that the certificate pinned for this connection is the IdP's current signing certificate (in Okta: the application's Sign On tab, SAML Signing Certificates). |
//! | `legacy_crypto` | The IdP signs with SHA-1 or a key shorter than 2048 bits. Switch the IdP to SHA-256 (in Okta: the application's SAML settings, Signature Algorithm RSA-SHA256 and Digest Algorithm SHA256) and a 2048-bit certificate; enable legacy algorithms on the connection only as a stopgap. |
//! | `unsupported_algorithm` | Configure the IdP to sign with RSA-SHA256 and exclusive canonicalization, and to encrypt with RSA-OAEP and AES-GCM or AES-CBC. |
//! | `not_signed` (XML) | The IdP did not sign this message. Enable response or assertion signing in the IdP's SAML settings (Okta signs assertions by default). |
//! | `decryption_failed` | The IdP may have encrypted to a different certificate than this connection's SP certificate. Upload the SP certificate again as the IdP's encryption certificate. |
//!
//! No hint (nothing to configure): `encoding`, `unexpected_message`, `missing`, `count`, `version`,
//! `timestamp`, `unexpected_signature`, `subject_confirmation`, `unknown_request` (an expired, answered or
//! foreign request: the user should start again at the app), `in_response_to_mismatch`, `replay`, and the XML
//! parser's refusals (`doctype`, `entity_reference`, `duplicate_id`, `reference_mismatch`, `digest_mismatch`,
//! `signature_shape`, …), which are what wrapping and injection attempts look like.
//! [`crate::saml::Error::fix_side`] says whether the IdP, the SP connection or a clock needs the change.
//!
//! ## OIDC ([`crate::oidc::Error::admin_hint`])
//!
//! | `code()` | what to change |
//! | --- | --- |
//! | `invalid_issuer_input` | Enter the Okta domain as shown in the Okta admin console (for example acme.okta.com), or the full issuer URL of a custom authorization server (<https://acme.okta.com/oauth2/default>). |
//! | `discovery_issuer_mismatch` | The configured Okta domain does not match the issuer the provider announces: use exactly the issuer URL from the provider's /.well-known/openid-configuration (org server or /oauth2/&lt;id&gt;). |
//! | `pkce_unsupported` | Enable PKCE (S256) for the authorization server; in Okta, PKCE is supported for Web applications. |
//! | `no_usable_keys`, `no_key_for_algorithm`, `unknown_key_id` | The provider's signing keys (jwks_uri) do not include the key that signed the token; if Okta rotated keys, retry after a minute. |
//! | `weak_symmetric_key` | The client secret is too short to key HMAC-signed ID tokens: regenerate the Client secret in the IdP, or switch the ID token signing algorithm to RS256. |
//! | `symmetric_not_enabled` | The application signs ID tokens with the client secret (HS256): set the ID token signing algorithm to RS256 in the IdP, or enable symmetric ID tokens for this connection. |
//! | `issuer_mismatch` | The token comes from another authorization server than the configured one: check the Okta domain (org server vs /oauth2/default) in the connection. |
//! | `untrusted_audience` | The ID token is also addressed to another audience: if that is intended (an API of the same application), add it to the connection's trusted audiences; otherwise check the Client ID. |
//! | `audience_mismatch`, `azp_mismatch`, `azp_missing` | The token was issued for another application: check the Client ID in the connection against the Okta app's General tab. |
//! | `expired`, `not_yet_valid`, `issued_in_future`, `issued_too_long_ago` | Check the server clock (NTP); the token's times disagree with this server's clock. |
//! | `http_status` (token endpoint, 401) | The token endpoint refused the client credentials: check the Client ID and Client secret in the connection against the Okta app's General tab. |
//! | `unknown_initiating_issuer` | Login was started from an IdP no connection knows: check the Okta domain of the connection and the app's Initiate login URI. |
//! | `target_link_rejected` | The Initiate login URI sent a target_link_uri outside the app's allowed origins; add the origin to the connection's allowed origins if it is legitimate. |
//! | `unexpected_token_type` | The authorization server must issue Bearer access tokens. |
//! | `no_endpoint`, `missing_endpoint` | The provider's discovery document lacks this endpoint; check the issuer URL of the connection. |
//! | `idp_error` `access_denied` ("not assigned") | The user is not assigned to the application in Okta: assign the user (or one of their groups) on the app's Assignments tab. |
//! | `idp_error` `access_denied` (other) | The IdP denied the sign-in: check that the user or their group is assigned to the application in Okta (Assignments tab) and that sign-on policies allow it. |
//! | `idp_error` `invalid_client` | The IdP does not recognise the client: check the Client ID and Client secret in the connection against the Okta app's General tab. |
//! | `idp_error` `invalid_grant` (redirect) | The redirect URI differs from the one registered: add this app's /login/callback URL to the Okta app's Sign-in redirect URIs. |
//! | `idp_error` `invalid_grant` (other) | The authorization code was refused (expired, used twice, or PKCE mismatch); retry the login. If it persists, check the Sign-in redirect URIs and the server clock. |
//! | `idp_error` `invalid_request` (redirect) | Add this app's /login/callback URL to the Okta app's Sign-in redirect URIs. |
//! | `idp_error` `unauthorized_client` | Enable the Authorization Code grant type for the Okta app (General tab, Grant type). |
//! | `idp_error` `invalid_scope` | Allow the openid, profile, email (and groups) scopes for the app in the authorization server. |
//! | `idp_error` `login_required`, `consent_required`, `interaction_required` | The IdP needs user interaction: retry the login without prompt=none. |
//!
//! No hint: `alg_none`, `algorithm_mismatch`, `bad_signature`, `nonce_mismatch`, `at_hash_mismatch`,
//! `c_hash_mismatch`, `state_mismatch`, `response_mode_mismatch`, `user_info_subject_mismatch` (forged, replayed
//! or injected messages), `login_expired` (the user took longer than the pending-login lifetime: start again),
//! `http` (the provider is unreachable), `malformed`, `too_large`.
//!
//! ## JIT provisioning ([`crate::jit::Rule::admin_hint`], [`crate::jit::JitError::admin_hint`])
//!
//! | `Rule::code()` | what to change |
//! | --- | --- |
//! | `deny.email_missing` | send the user's email (Okta: Attribute Statements; Entra ID: Attributes & Claims) |
//! | `deny.email_domain_not_allowed` | add the domain to the connection's allowed domains, or fix the user's email in the IdP |
//! | `deny.email_not_verified` | send email_verified = true (Okta: Attribute Statements), or set the connection to trust the workspace's verified domains |
//! | `deny.groups_incomplete` | Entra ID: Attributes & Claims → Groups claim → emit only groups assigned to the application |
//! | `deny.email_linking_disabled`, `deny.untrusted_email_matches_account`, `deny.email_match_has_sso` | link the existing account to this connection by hand, or verify the email domain and allow linking by email |
//! | `deny.create_disabled` | provision the user first (SCIM push or invitation), or turn on create-on-first-login |
//! | `deny.scim_deactivated` | reactivate the user in the IdP; the SCIM push will reactivate the account |
//! | `deny.account_deactivated` | reactivate the account in the workspace's member settings |
//! | `deny.email_taken`, `deny.linked_to_other_subject`, `deny.ambiguous_match` | two accounts claim this user: merge or remove one in the workspace's member settings |
//!
//! Mapping errors name the claim and the IdP's setting, for example a missing `email_verified` from Okta:
//! In Okta, open the app's SAML settings and, under "Attribute Statements", add `email_verified`. A claim with
//! several values, a malformed boolean or an invalid value points at the same place
//! (Okta: the app's SAML settings → Attribute Statements; Entra ID: the enterprise app → Single sign-on →
//! Attributes & Claims; AD FS: the relying party trust → Edit Claim Issuance Policy).
//!
//! ## SCIM ([`crate::scim::Error::admin_hint`])
//!
//! | error (status, `scimType`) | what to change |
//! | --- | --- |
//! | `Uniqueness` (409, `uniqueness`) | Another user already has this userName (compared case-insensitively). In Okta check the application's "Application username format" on the Sign On tab; in Entra ID check the attribute mapping for userName under Provisioning > Mappings. |
//! | `InvalidFilter` (400, `invalidFilter`) | The provisioning connector sent a filter this service cannot read. In Okta keep "Unique identifier field for users" set to userName; in Entra ID check the matching attribute ("Match objects using this attribute") in the attribute mappings. |
//! | `InvalidValue` (400, `invalidValue`) | An attribute mapping produces a value of the wrong type. In Okta review the Profile Editor mapping for the attribute named in the error; in Entra ID review Provisioning > Mappings. |
//! | `Mutability` (400, `mutability`) | The attribute mapping writes an attribute this service manages itself (such as id or meta). Remove that attribute from the Okta Profile Editor mapping or the Entra ID attribute mappings. |
//! | `PreconditionFailed` (412) | The resource changed since the identity provider last read it; the next provisioning cycle re-reads it and retries. No setting needs changing. |
//! | `NotFound` (404) | The identity provider refers to a resource this service no longer has. In Okta, re-push the user or group (Push Groups tab); in Entra ID, restart provisioning to clear its cached ids. |
