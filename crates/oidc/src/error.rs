//! The crate's one error type, with the values that disagreed and a hint for the IdP admin.

use crate::jwks::RefetchDecision;

/// Everything that can go wrong in the relying party. Every variant fails closed: nothing is signed in.
///
/// Variants carry the expected and the received value where that helps an admin; they never carry a secret
/// (client secret, tokens, PKCE verifier, authorization code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Okta domain or issuer an admin typed cannot become an issuer URL.
    #[error("invalid issuer `{input}`: {reason}")]
    InvalidIssuerInput {
        /// What was typed.
        input: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A URL (endpoint, redirect URI) is malformed or not HTTPS.
    #[error("invalid {what} URL `{url}`: {reason}")]
    InvalidUrl {
        /// Which URL.
        what: &'static str,
        /// The URL as received.
        url: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A document (discovery, JWKS, token, userinfo) is larger than the limit.
    #[error("{what} is {got} bytes, limit is {limit}")]
    TooLarge {
        /// Which document.
        what: &'static str,
        /// The limit in bytes.
        limit: usize,
        /// The received size.
        got: usize,
    },
    /// A document or token is not the JSON/JWS it should be.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// Which document.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The discovery document names another issuer than the one configured.
    #[error("discovery issuer mismatch: expected `{expected}`, received `{received}`")]
    DiscoveryIssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The `issuer` in the document.
        received: String,
    },
    /// The discovery document lacks a required endpoint.
    #[error("discovery document has no `{name}`")]
    MissingEndpoint {
        /// The metadata field.
        name: &'static str,
    },
    /// The provider advertises PKCE methods but not S256.
    #[error("provider does not support PKCE S256 (advertises {advertised:?})")]
    PkceUnsupported {
        /// The advertised `code_challenge_methods_supported`.
        advertised: Vec<String>,
    },
    /// The JWKS holds no key this crate can verify with.
    #[error("JWKS has no usable signing key")]
    NoUsableKeys,
    /// The token's `alg` is `none`; never accepted.
    #[error("unsigned token (alg none) refused")]
    AlgNone,
    /// The token's `alg` is not one this crate verifies.
    #[error("unsupported token algorithm `{alg}`")]
    UnsupportedAlgorithm {
        /// The header `alg`.
        alg: String,
    },
    /// The header `alg` is not the algorithm fixed by the key.
    #[error("algorithm mismatch for key `{kid}`: key is {key_alg}, token header says {header_alg}")]
    AlgorithmMismatch {
        /// The key id (empty when none).
        kid: String,
        /// The algorithm the key fixes.
        key_alg: String,
        /// The token's header `alg`.
        header_alg: String,
    },
    /// An HMAC-signed ID token arrived but the connection does not allow them.
    #[error("HMAC-signed ID token ({alg}) refused: symmetric ID tokens are not enabled")]
    SymmetricNotEnabled {
        /// The header `alg`.
        alg: String,
    },
    /// The client secret is shorter than the HMAC algorithm requires (RFC 7518 §3.2: at least the hash size).
    #[error("client secret too short for {alg}: {min_bytes} bytes needed")]
    WeakSymmetricKey {
        /// The header `alg`.
        alg: String,
        /// The minimum key size in bytes.
        min_bytes: usize,
    },
    /// No key with the token's `kid`; `refetch` says whether the caller should refetch the JWKS now.
    #[error("no key with kid `{kid}` in the JWKS ({refetch:?})")]
    UnknownKeyId {
        /// The header `kid`.
        kid: String,
        /// Whether a JWKS refetch is allowed now (cooldown).
        refetch: RefetchDecision,
    },
    /// A token without `kid` and no key of its algorithm.
    #[error("no key for algorithm {alg} in the JWKS ({refetch:?})")]
    NoKeyForAlgorithm {
        /// The header `alg`.
        alg: String,
        /// Whether a JWKS refetch is allowed now (cooldown).
        refetch: RefetchDecision,
    },
    /// A token without `kid` (or with a duplicated `kid`) that several keys could verify.
    #[error(
        "ambiguous key: {candidates} keys fit algorithm {alg} and the token names no single one"
    )]
    AmbiguousKey {
        /// The header `alg`.
        alg: String,
        /// How many keys fit.
        candidates: usize,
    },
    /// The signature does not verify with the selected key.
    #[error("{what} signature does not verify (alg {alg}, kid `{kid}`)")]
    BadSignature {
        /// Which token.
        what: &'static str,
        /// The algorithm.
        alg: String,
        /// The key id (empty when none).
        kid: String,
    },
    /// The token's `iss` is not the configured issuer.
    #[error("{what} issuer mismatch: expected `{expected}`, received `{received}`")]
    IssuerMismatch {
        /// Which token or message.
        what: &'static str,
        /// The configured issuer.
        expected: String,
        /// The received issuer.
        received: String,
    },
    /// The token's `aud` does not contain the client ID.
    #[error("audience mismatch: expected `{expected}`, received {received:?}")]
    AudienceMismatch {
        /// The client ID.
        expected: String,
        /// The token's audiences.
        received: Vec<String>,
    },
    /// The token lists an audience besides the client ID that the connection does not trust (OIDC Core
    /// §3.1.3.7 step 3).
    #[error("token lists untrusted audience `{audience}`")]
    UntrustedAudience {
        /// The audience.
        audience: String,
    },
    /// The pending login is older than the connection allows.
    #[error("login started at {created_at} expired ({ttl_secs} s allowed, now {now})")]
    LoginExpired {
        /// When the authorization request was built.
        created_at: chrono::DateTime<chrono::Utc>,
        /// The caller's clock.
        now: chrono::DateTime<chrono::Utc>,
        /// The allowed lifetime.
        ttl_secs: i64,
    },
    /// Several audiences and no `azp`.
    #[error("token has several audiences {audiences:?} but no azp")]
    AzpMissing {
        /// The token's audiences.
        audiences: Vec<String>,
    },
    /// `azp` is not the client ID.
    #[error("azp mismatch: expected `{expected}`, received `{received}`")]
    AzpMismatch {
        /// The client ID.
        expected: String,
        /// The token's `azp`.
        received: String,
    },
    /// A required claim is absent.
    #[error("{what} lacks the `{claim}` claim")]
    MissingClaim {
        /// Which token.
        what: &'static str,
        /// The claim name.
        claim: &'static str,
    },
    /// A claim has the wrong type or form.
    #[error("{what} claim `{claim}` is invalid: {detail}")]
    InvalidClaim {
        /// Which token.
        what: &'static str,
        /// The claim name.
        claim: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// `exp` (plus leeway) is past.
    #[error("token expired at {exp}, now is {now} (leeway {leeway_secs} s)")]
    Expired {
        /// `exp` (Unix seconds).
        exp: i64,
        /// The caller's clock (Unix seconds).
        now: i64,
        /// The leeway applied.
        leeway_secs: i64,
    },
    /// `nbf` (minus leeway) is still ahead.
    #[error("token not valid before {nbf}, now is {now}")]
    NotYetValid {
        /// `nbf` (Unix seconds).
        nbf: i64,
        /// The caller's clock.
        now: i64,
    },
    /// `iat` is ahead of the clock by more than the leeway.
    #[error("token issued in the future ({iat}), now is {now}")]
    IssuedInFuture {
        /// `iat` (Unix seconds).
        iat: i64,
        /// The caller's clock.
        now: i64,
    },
    /// `iat` is further in the past than the connection allows.
    #[error("token issued at {iat}, more than {max_age_secs} s before now ({now})")]
    IssuedTooLongAgo {
        /// `iat` (Unix seconds).
        iat: i64,
        /// The caller's clock.
        now: i64,
        /// The largest accepted age.
        max_age_secs: i64,
    },
    /// `nonce` is not the one sent in the authorization request.
    #[error("nonce mismatch")]
    NonceMismatch,
    /// `at_hash` does not match the access token.
    #[error("at_hash does not match the access token")]
    AtHashMismatch,
    /// `c_hash` does not match the authorization code.
    #[error("c_hash does not match the authorization code")]
    CHashMismatch,
    /// `max_age` was requested and the authentication is older.
    #[error("authentication at {auth_time} is older than max_age {max_age_secs} s (now {now})")]
    AuthTooOld {
        /// `auth_time` (Unix seconds).
        auth_time: i64,
        /// The requested `max_age`.
        max_age_secs: i64,
        /// The caller's clock.
        now: i64,
    },
    /// The callback's `state` is not the pending login's.
    #[error("state mismatch: the callback does not belong to this login")]
    StateMismatch,
    /// The callback arrived by another response mode than the one requested.
    #[error("callback arrived as {received:?}, the login asked for {expected:?}")]
    ResponseModeMismatch {
        /// The requested response mode.
        expected: crate::ResponseMode,
        /// How the callback arrived.
        received: crate::ResponseMode,
    },
    /// A required request parameter is missing.
    #[error("missing parameter `{name}`")]
    MissingParameter {
        /// The parameter.
        name: &'static str,
    },
    /// A parameter appears more than once.
    #[error("parameter `{name}` appears more than once")]
    DuplicateParameter {
        /// The parameter.
        name: String,
    },
    /// The IdP redirected back with an OAuth error (or the token endpoint answered one).
    #[error("identity provider returned `{error}`{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    IdpError {
        /// Where: "authorization" or "token".
        endpoint: &'static str,
        /// The OAuth `error` code.
        error: String,
        /// The IdP's `error_description`.
        description: Option<String>,
    },
    /// An HTTP exchange answered an unexpected status.
    #[error("{what} answered HTTP {status}")]
    HttpStatus {
        /// Which endpoint.
        what: &'static str,
        /// The status code.
        status: u16,
    },
    /// The HTTP client failed (connection, TLS, timeout).
    #[error("HTTP request to {what} failed: {detail}")]
    Http {
        /// Which endpoint.
        what: &'static str,
        /// The transport error.
        detail: String,
    },
    /// The token response's `token_type` is not Bearer.
    #[error("token_type `{received}` is not Bearer")]
    UnexpectedTokenType {
        /// The received `token_type`.
        received: String,
    },
    /// Userinfo's `sub` is not the ID token's.
    #[error("userinfo sub `{userinfo_sub}` differs from the ID token's `{id_token_sub}`")]
    UserInfoSubjectMismatch {
        /// The ID token's `sub`.
        id_token_sub: String,
        /// The userinfo `sub`.
        userinfo_sub: String,
    },
    /// The provider has no userinfo endpoint.
    #[error("provider has no {name}")]
    NoEndpoint {
        /// The metadata field.
        name: &'static str,
    },
    /// A third-party-initiated login names an issuer no connection has.
    #[error("login initiated by unknown issuer `{iss}`")]
    UnknownInitiatingIssuer {
        /// The `iss` parameter.
        iss: String,
    },
    /// `target_link_uri` is outside the allowed origins (open-redirect protection).
    #[error("target_link_uri `{target}` refused: {reason}")]
    TargetLinkRejected {
        /// The parameter as received.
        target: String,
        /// Why.
        reason: &'static str,
    },
    /// The `private_key_jwt` key is unusable, or missing while that method is selected.
    #[error("client assertion key: {reason}")]
    InvalidClientKey {
        /// Why.
        reason: &'static str,
    },
    /// The operating system's random generator failed.
    #[error("random generator failed")]
    Random,
    /// A [`LoginFlow`](crate::LoginFlow) was driven out of turn (a reply where none was due, none where one
    /// was, or a call after it finished or failed): a bug in the driver; nothing is signed in.
    #[error("login flow driven out of turn: expected {expected}, received {received}")]
    FlowOutOfOrder {
        /// What the flow's state allowed.
        expected: &'static str,
        /// What the driver passed.
        received: &'static str,
    },
}

impl Error {
    /// A stable snake_case code for the variant (logs, metrics, the CLI's JSON).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidIssuerInput { .. } => "invalid_issuer_input",
            Self::InvalidUrl { .. } => "invalid_url",
            Self::TooLarge { .. } => "too_large",
            Self::Malformed { .. } => "malformed",
            Self::DiscoveryIssuerMismatch { .. } => "discovery_issuer_mismatch",
            Self::MissingEndpoint { .. } => "missing_endpoint",
            Self::PkceUnsupported { .. } => "pkce_unsupported",
            Self::NoUsableKeys { .. } => "no_usable_keys",
            Self::AlgNone { .. } => "alg_none",
            Self::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            Self::AlgorithmMismatch { .. } => "algorithm_mismatch",
            Self::SymmetricNotEnabled { .. } => "symmetric_not_enabled",
            Self::WeakSymmetricKey { .. } => "weak_symmetric_key",
            Self::UnknownKeyId { .. } => "unknown_key_id",
            Self::NoKeyForAlgorithm { .. } => "no_key_for_algorithm",
            Self::AmbiguousKey { .. } => "ambiguous_key",
            Self::BadSignature { .. } => "bad_signature",
            Self::IssuerMismatch { .. } => "issuer_mismatch",
            Self::AudienceMismatch { .. } => "audience_mismatch",
            Self::UntrustedAudience { .. } => "untrusted_audience",
            Self::LoginExpired { .. } => "login_expired",
            Self::AzpMissing { .. } => "azp_missing",
            Self::AzpMismatch { .. } => "azp_mismatch",
            Self::MissingClaim { .. } => "missing_claim",
            Self::InvalidClaim { .. } => "invalid_claim",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::IssuedInFuture { .. } => "issued_in_future",
            Self::IssuedTooLongAgo { .. } => "issued_too_long_ago",
            Self::NonceMismatch { .. } => "nonce_mismatch",
            Self::AtHashMismatch { .. } => "at_hash_mismatch",
            Self::CHashMismatch { .. } => "c_hash_mismatch",
            Self::AuthTooOld { .. } => "auth_too_old",
            Self::StateMismatch { .. } => "state_mismatch",
            Self::ResponseModeMismatch { .. } => "response_mode_mismatch",
            Self::MissingParameter { .. } => "missing_parameter",
            Self::DuplicateParameter { .. } => "duplicate_parameter",
            Self::IdpError { .. } => "idp_error",
            Self::HttpStatus { .. } => "http_status",
            Self::Http { .. } => "http",
            Self::UnexpectedTokenType { .. } => "unexpected_token_type",
            Self::UserInfoSubjectMismatch { .. } => "user_info_subject_mismatch",
            Self::NoEndpoint { .. } => "no_endpoint",
            Self::UnknownInitiatingIssuer { .. } => "unknown_initiating_issuer",
            Self::TargetLinkRejected { .. } => "target_link_rejected",
            Self::InvalidClientKey { .. } => "invalid_client_key",
            Self::Random { .. } => "random",
            Self::FlowOutOfOrder { .. } => "flow_out_of_order",
        }
    }

    /// What an IdP admin (Okta words) or the app operator should change, when the fix is a setting.
    #[must_use]
    pub fn admin_hint(&self) -> Option<&'static str> {
        Some(match self {
            Self::InvalidIssuerInput { .. } => {
                "Enter the Okta domain as shown in the Okta admin console (for example acme.okta.com), or the full \
                 issuer URL of a custom authorization server (https://acme.okta.com/oauth2/default)."
            }
            Self::DiscoveryIssuerMismatch { .. } => {
                "The configured Okta domain does not match the issuer the provider announces: use exactly the \
                 issuer URL from the provider's /.well-known/openid-configuration (org server or /oauth2/<id>)."
            }
            Self::PkceUnsupported { .. } => {
                "Enable PKCE (S256) for the authorization server; in Okta, PKCE is supported for Web applications."
            }
            Self::NoUsableKeys | Self::NoKeyForAlgorithm { .. } | Self::UnknownKeyId { .. } => {
                "The provider's signing keys (jwks_uri) do not include the key that signed the token; if Okta \
                 rotated keys, retry after a minute."
            }
            Self::WeakSymmetricKey { .. } => {
                "The client secret is too short to key HMAC-signed ID tokens: regenerate the Client secret in the \
                 IdP, or switch the ID token signing algorithm to RS256."
            }
            Self::SymmetricNotEnabled { .. } => {
                "The application signs ID tokens with the client secret (HS256): set the ID token signing \
                 algorithm to RS256 in the IdP, or enable symmetric ID tokens for this connection."
            }
            Self::IssuerMismatch { .. } => {
                "The token comes from another authorization server than the configured one: check the Okta \
                 domain (org server vs /oauth2/default) in the connection."
            }
            Self::UntrustedAudience { .. } => {
                "The ID token is also addressed to another audience: if that is intended (an API of the same \
                 application), add it to the connection's trusted audiences; otherwise check the Client ID."
            }
            Self::AudienceMismatch { .. } | Self::AzpMismatch { .. } | Self::AzpMissing { .. } => {
                "The token was issued for another application: check the Client ID in the connection against the \
                 Okta app's General tab."
            }
            Self::Expired { .. }
            | Self::NotYetValid { .. }
            | Self::IssuedInFuture { .. }
            | Self::IssuedTooLongAgo { .. } => {
                "Check the server clock (NTP); the token's times disagree with this server's clock."
            }
            Self::IdpError {
                error, description, ..
            } => {
                let description = description.as_deref().unwrap_or_default();
                idp_error_hint(error, description)?
            }
            Self::HttpStatus {
                what: "token endpoint",
                status: 401,
            } => {
                "The token endpoint refused the client credentials: check the Client ID and Client secret in the \
                 connection against the Okta app's General tab."
            }
            Self::UnknownInitiatingIssuer { .. } => {
                "Login was started from an IdP no connection knows: check the Okta domain of the connection and \
                 the app's Initiate login URI."
            }
            Self::TargetLinkRejected { .. } => {
                "The Initiate login URI sent a target_link_uri outside the app's allowed origins; add the origin \
                 to the connection's allowed origins if it is legitimate."
            }
            Self::UnexpectedTokenType { .. } => {
                "The authorization server must issue Bearer access tokens."
            }
            Self::NoEndpoint { .. } | Self::MissingEndpoint { .. } => {
                "The provider's discovery document lacks this endpoint; check the issuer URL of the connection."
            }
            _ => return None,
        })
    }
}

/// Maps an OAuth error code (and the IdP's description) to the Okta setting that fixes it.
fn idp_error_hint(error: &str, description: &str) -> Option<&'static str> {
    let description = description.to_ascii_lowercase();
    Some(match error {
        "access_denied" if description.contains("not assigned") => {
            "The user is not assigned to the application in Okta: assign the user (or one of their groups) on \
             the app's Assignments tab."
        }
        "access_denied" => {
            "The IdP denied the sign-in: check that the user or their group is assigned to the application in \
             Okta (Assignments tab) and that sign-on policies allow it."
        }
        "invalid_client" => {
            "The IdP does not recognise the client: check the Client ID and Client secret in the connection \
             against the Okta app's General tab."
        }
        "invalid_grant" if description.contains("redirect") => {
            "The redirect URI differs from the one registered: add this app's /login/callback URL to the Okta \
             app's Sign-in redirect URIs."
        }
        "invalid_grant" => {
            "The authorization code was refused (expired, used twice, or PKCE mismatch); retry the login. If it \
             persists, check the Sign-in redirect URIs and the server clock."
        }
        "invalid_request" if description.contains("redirect") => {
            "Add this app's /login/callback URL to the Okta app's Sign-in redirect URIs."
        }
        "unauthorized_client" => {
            "Enable the Authorization Code grant type for the Okta app (General tab, Grant type)."
        }
        "invalid_scope" => {
            "Allow the openid, profile, email (and groups) scopes for the app in the authorization server."
        }
        "login_required" | "consent_required" | "interaction_required" => {
            "The IdP needs user interaction: retry the login without prompt=none."
        }
        _ => return None,
    })
}
