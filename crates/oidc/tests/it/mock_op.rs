//! An in-process OpenID Provider for the conformance tests: discovery, JWKS, token and userinfo endpoints
//! served through `HttpClient`, ID tokens signed with jsonwebtoken's encoder (an implementation independent of
//! the verifier's key-selection and claim logic) using the openssl-made keys in `tests/data/`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use gatehouse_oidc::{
    ClientSecret, HttpClient, HttpRequest, HttpResponse, JwksCache, Method, OidcConnection,
    ProviderMetadata,
};
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};
use sha2::Digest as _;

pub(crate) const ISSUER: &str = "https://op.example.test";
pub(crate) const CLIENT_ID: &str = "client:1";
pub(crate) const CLIENT_SECRET: &str =
    "s3cr%t:with/odd chars/0123456789abcdef0123456789abcdef0123456789abcdef";
pub(crate) const REDIRECT: &str = "https://rp.example.test/login/callback";
pub(crate) const NOW: i64 = 1_800_000_000;

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(NOW, 0).expect("valid time")
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("test key present")
}

/// A signing key of the mock OP.
#[derive(Clone)]
pub(crate) struct OpKey {
    pub(crate) kid: &'static str,
    pub(crate) alg: Algorithm,
    pub(crate) encoding: EncodingKey,
    pub(crate) jwk: Value,
}

impl OpKey {
    pub(crate) fn load(file: &str, kid: &'static str, alg: Algorithm) -> Self {
        let pem = data(file);
        let encoding = match alg {
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(&pem),
            Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem),
            _ => EncodingKey::from_rsa_pem(&pem),
        }
        .expect("PEM key parses");
        let mut jwk = Jwk::from_encoding_key(&encoding, alg).expect("public JWK");
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(match alg {
            Algorithm::RS256 => KeyAlgorithm::RS256,
            Algorithm::PS256 => KeyAlgorithm::PS256,
            Algorithm::ES256 => KeyAlgorithm::ES256,
            Algorithm::ES384 => KeyAlgorithm::ES384,
            Algorithm::EdDSA => KeyAlgorithm::EdDSA,
            other => panic!("no key algorithm for {other:?}"),
        });
        Self {
            kid,
            alg,
            encoding,
            jwk: serde_json::to_value(jwk).expect("JWK serializes"),
        }
    }

    pub(crate) fn rsa_a() -> Self {
        Self::load("rsa-2048-a.pem", "rsa-a", Algorithm::RS256)
    }
    pub(crate) fn rsa_b() -> Self {
        Self::load("rsa-2048-b.pem", "rsa-b", Algorithm::RS256)
    }
    pub(crate) fn ec256() -> Self {
        Self::load("ec-p256.pem", "ec-256", Algorithm::ES256)
    }
    pub(crate) fn ec384() -> Self {
        Self::load("ec-p384.pem", "ec-384", Algorithm::ES384)
    }
    pub(crate) fn ed() -> Self {
        Self::load("ed25519.pem", "ed-1", Algorithm::EdDSA)
    }
}

/// How the next ID token is signed.
#[derive(Clone)]
pub(crate) enum Signer {
    /// One of the published keys, by kid.
    Key(&'static str),
    /// A key the OP does not publish (an attacker's), claiming the given kid.
    Foreign(OpKey),
    /// HMAC with the client secret.
    Hmac(Algorithm),
    /// `alg: none`, empty signature.
    None,
}

/// The knobs of one conformance scenario.
#[derive(Clone)]
pub(crate) struct Scenario {
    pub(crate) signer: Signer,
    /// `Some(None)` removes `kid` from the header; `Some(Some(k))` sets it to `k`.
    pub(crate) kid: Option<Option<String>>,
    pub(crate) claims: fn(&mut Map<String, Value>),
    pub(crate) userinfo: fn(&mut Map<String, Value>),
    pub(crate) userinfo_jwt: bool,
    pub(crate) flip_signature: bool,
    /// Flip a bit of the userinfo JWT's signature only.
    pub(crate) flip_userinfo_signature: bool,
    pub(crate) header_alg: Option<&'static str>,
    /// Signer of the userinfo JWT when it differs from the ID token's.
    pub(crate) userinfo_signer: Option<Signer>,
    /// Published JWKS (kids) and Cache-Control.
    pub(crate) cache_control: &'static str,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            signer: Signer::Key("rsa-a"),
            kid: None,
            claims: |_| {},
            userinfo: |_| {},
            userinfo_jwt: false,
            flip_signature: false,
            flip_userinfo_signature: false,
            header_alg: None,
            userinfo_signer: None,
            cache_control: "max-age=600",
        }
    }
}

struct Authorization {
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

pub(crate) struct MockOp {
    pub(crate) published: RefCell<Vec<OpKey>>,
    pub(crate) scenario: RefCell<Scenario>,
    pub(crate) jwks_fetches: Cell<u32>,
    pub(crate) token_requests: Cell<u32>,
    pub(crate) last_token_request: RefCell<Option<HttpRequest>>,
    pub(crate) discovery_issuer: RefCell<String>,
    codes: RefCell<BTreeMap<String, Authorization>>,
    next_code: Cell<u32>,
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn half_sha256(value: &str) -> String {
    b64(&sha2::Sha256::digest(value.as_bytes())[..16])
}

/// at_hash/c_hash: left half of the hash that goes with the signing algorithm (SHA-512 for Ed25519).
pub(crate) fn half_hash(alg: Algorithm, value: &str) -> String {
    match alg {
        Algorithm::ES384 | Algorithm::RS384 | Algorithm::PS384 | Algorithm::HS384 => {
            b64(&sha2::Sha384::digest(value.as_bytes())[..24])
        }
        Algorithm::EdDSA | Algorithm::RS512 | Algorithm::PS512 | Algorithm::HS512 => {
            b64(&sha2::Sha512::digest(value.as_bytes())[..32])
        }
        _ => half_sha256(value),
    }
}

fn json_response(status: u16, body: &Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: serde_json::to_vec(body).expect("JSON"),
    }
}

impl MockOp {
    pub(crate) fn new() -> Self {
        Self {
            published: RefCell::new(vec![
                OpKey::rsa_a(),
                OpKey::ec256(),
                OpKey::ec384(),
                OpKey::ed(),
            ]),
            scenario: RefCell::new(Scenario::default()),
            jwks_fetches: Cell::new(0),
            token_requests: Cell::new(0),
            last_token_request: RefCell::new(None),
            discovery_issuer: RefCell::new(ISSUER.to_owned()),
            codes: RefCell::new(BTreeMap::new()),
            next_code: Cell::new(0),
        }
    }

    pub(crate) fn with(scenario: Scenario) -> Self {
        let op = Self::new();
        *op.scenario.borrow_mut() = scenario;
        op
    }

    pub(crate) fn connection() -> OidcConnection {
        OidcConnection::new(
            ISSUER,
            CLIENT_ID,
            ClientSecret::new(CLIENT_SECRET),
            REDIRECT,
        )
        .expect("valid connection")
    }

    pub(crate) fn metadata(&self) -> ProviderMetadata {
        gatehouse_oidc::fetch_metadata(self, &Self::connection().issuer).expect("discovery")
    }

    pub(crate) fn jwks(&self) -> JwksCache {
        let mut jwks = JwksCache::for_connection(&Self::connection());
        gatehouse_oidc::refresh_jwks(self, &self.metadata(), &mut jwks, now()).expect("JWKS");
        jwks
    }

    pub(crate) fn jwks_document(&self) -> Value {
        json!({ "keys": self.published.borrow().iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// Plays the user at the authorization endpoint: checks the request and returns the callback query.
    pub(crate) fn authorize(&self, url: &url::Url) -> String {
        let q: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], CLIENT_ID);
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(q["scope"].split(' ').any(|s| s == "openid"));
        let n = self.next_code.get() + 1;
        self.next_code.set(n);
        let code = format!("code-{n}-SplxlOBeZQQYbYS6WxSbIA");
        self.codes.borrow_mut().insert(
            code.clone(),
            Authorization {
                nonce: q["nonce"].clone(),
                challenge: q["code_challenge"].clone(),
                redirect_uri: q["redirect_uri"].clone(),
            },
        );
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("code", &code)
            .append_pair("state", &q["state"])
            .append_pair("iss", ISSUER)
            .finish()
    }

    pub(crate) fn base_claims(&self, nonce: &str) -> Map<String, Value> {
        let Value::Object(map) = json!({
            "iss": ISSUER, "sub": "00u1ada", "aud": CLIENT_ID, "exp": NOW + 3600, "iat": NOW,
            "nonce": nonce, "auth_time": NOW - 30, "email": "ada@acme.test",
        }) else {
            unreachable!()
        };
        map
    }

    fn signing_alg(&self) -> Algorithm {
        match &self.scenario.borrow().signer {
            Signer::Key(kid) => self
                .published
                .borrow()
                .iter()
                .find(|k| k.kid == *kid)
                .map_or(Algorithm::RS256, |k| k.alg),
            Signer::Foreign(key) => key.alg,
            Signer::Hmac(alg) => *alg,
            Signer::None => Algorithm::RS256,
        }
    }

    /// Signs `claims` as the scenario says.
    pub(crate) fn sign(&self, claims: &Map<String, Value>) -> String {
        let (signer, flip) = {
            let scenario = self.scenario.borrow();
            (scenario.signer.clone(), scenario.flip_signature)
        };
        self.sign_with(&signer, claims, flip)
    }

    /// Signs `claims` with `signer` and the scenario's header/signature tweaks.
    pub(crate) fn sign_with(
        &self,
        signer: &Signer,
        claims: &Map<String, Value>,
        flip: bool,
    ) -> String {
        let scenario = self.scenario.borrow().clone();
        let (alg, kid, key) = match signer {
            Signer::Key(kid) => {
                let key = self
                    .published
                    .borrow()
                    .iter()
                    .find(|k| k.kid == *kid)
                    .cloned()
                    .expect("published kid");
                (key.alg, Some(key.kid.to_owned()), Some(key.encoding))
            }
            Signer::Foreign(key) => (
                key.alg,
                Some(key.kid.to_owned()),
                Some(key.encoding.clone()),
            ),
            Signer::Hmac(alg) => (
                *alg,
                None,
                Some(EncodingKey::from_secret(CLIENT_SECRET.as_bytes()).expect("hmac key")),
            ),
            Signer::None => (Algorithm::HS256, None, None),
        };
        let kid = match scenario.kid.clone() {
            Some(k) => k,
            None => kid,
        };
        let token = match key {
            Some(key) => {
                let mut header = Header::new(alg);
                header.kid = kid.clone();
                jsonwebtoken::encode(&header, claims, &key).expect("signs")
            }
            None => {
                let header = match &kid {
                    Some(k) => json!({"alg": "none", "kid": k}),
                    None => json!({"alg": "none"}),
                };
                format!(
                    "{}.{}.",
                    b64(header.to_string().as_bytes()),
                    b64(&serde_json::to_vec(claims).expect("json"))
                )
            }
        };
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        if let Some(alg) = scenario.header_alg {
            let mut header: Map<String, Value> =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[0]).expect("b64"))
                    .expect("json");
            header.insert("alg".into(), Value::String(alg.into()));
            parts[0] = b64(&serde_json::to_vec(&header).expect("json"));
        }
        if flip {
            let mut sig = URL_SAFE_NO_PAD.decode(&parts[2]).expect("b64");
            let last = sig.len() - 1;
            sig[last] ^= 1;
            parts[2] = b64(&sig);
        }
        parts.join(".")
    }

    fn token_endpoint(&self, request: &HttpRequest) -> HttpResponse {
        self.token_requests.set(self.token_requests.get() + 1);
        *self.last_token_request.borrow_mut() = Some(request.clone());
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        // client_secret_basic: base64(urlencode(id):urlencode(secret)); or client_secret_post.
        let (id, secret) = match request.header("authorization") {
            Some(basic) => {
                let decoded = STANDARD
                    .decode(basic.strip_prefix("Basic ").expect("Basic"))
                    .expect("base64");
                let decoded = String::from_utf8(decoded).expect("utf8");
                let (id, secret) = decoded.split_once(':').expect("id:secret");
                let unescape = |s: &str| -> String {
                    url::form_urlencoded::parse(format!("x={s}").as_bytes())
                        .next()
                        .expect("pair")
                        .1
                        .into_owned()
                };
                (unescape(id), unescape(secret))
            }
            None => (
                form.get("client_id").cloned().unwrap_or_default(),
                form.get("client_secret").cloned().unwrap_or_default(),
            ),
        };
        if form.get("client_assertion_type").map(String::as_str)
            == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            // private_key_jwt: the RP's public key is registered with the OP (tests/data/ec-p256.pub.pem).
            let key = DecodingKey::from_ec_pem(&data("ec-p256.pub.pem")).expect("public key");
            let mut validation = Validation::new(Algorithm::ES256);
            validation.validate_exp = false; // checked below against the mock clock
            validation.set_audience(&[format!("{ISSUER}/token")]);
            validation.set_issuer(&[CLIENT_ID]);
            validation.sub = Some(CLIENT_ID.to_owned());
            validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
            let assertion = form.get("client_assertion").cloned().unwrap_or_default();
            let verified = jsonwebtoken::decode::<Value>(&assertion, &key, &validation);
            let ok = verified.as_ref().is_ok_and(|t| {
                t.claims["iat"] == json!(NOW)
                    && t.claims["exp"] == json!(NOW + 60)
                    && t.claims["jti"].is_string()
                    && t.header.kid.as_deref() == Some("rp-key")
            });
            if !ok {
                return json_response(
                    401,
                    &json!({"error": "invalid_client", "error_description": "client assertion refused"}),
                );
            }
        } else if id != CLIENT_ID || secret != CLIENT_SECRET {
            return json_response(
                401,
                &json!({"error": "invalid_client", "error_description": "Client authentication failed."}),
            );
        }
        let code = form.get("code").cloned().unwrap_or_default();
        let Some(auth) = self.codes.borrow_mut().remove(&code) else {
            return json_response(
                400,
                &json!({"error": "invalid_grant", "error_description": "The authorization code is invalid or has expired."}),
            );
        };
        if form.get("redirect_uri") != Some(&auth.redirect_uri) {
            return json_response(
                400,
                &json!({"error": "invalid_grant", "error_description": "The 'redirect_uri' does not match the redirection URI used in the authorization request."}),
            );
        }
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        if b64(&sha2::Sha256::digest(verifier.as_bytes())) != auth.challenge {
            return json_response(
                400,
                &json!({"error": "invalid_grant", "error_description": "PKCE verification failed."}),
            );
        }
        let access_token = format!("at-{code}");
        let mut claims = self.base_claims(&auth.nonce);
        let alg = self.signing_alg();
        claims.insert(
            "at_hash".into(),
            Value::String(half_hash(alg, &access_token)),
        );
        claims.insert("c_hash".into(), Value::String(half_hash(alg, &code)));
        (self.scenario.borrow().claims)(&mut claims);
        let id_token = self.sign(&claims);
        json_response(
            200,
            &json!({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600,
                    "id_token": id_token, "scope": "openid profile email"}),
        )
    }

    fn userinfo_endpoint(&self, request: &HttpRequest) -> HttpResponse {
        let Some(bearer) = request
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return json_response(401, &json!({"error": "invalid_token"}));
        };
        assert!(bearer.starts_with("at-code-"));
        let Value::Object(mut claims) = json!({
            "sub": "00u1ada", "email": "ada@acme.test", "name": "Ada Lovelace",
            "groups": ["Everyone", "Engineering"], "iss": "https://userinfo-must-not-override.test",
        }) else {
            unreachable!()
        };
        let scenario = self.scenario.borrow().clone();
        if scenario.userinfo_jwt {
            claims.insert("iss".into(), Value::String(ISSUER.into()));
            claims.insert("aud".into(), Value::String(CLIENT_ID.into()));
        }
        (scenario.userinfo)(&mut claims);
        if scenario.userinfo_jwt {
            let signer = scenario
                .userinfo_signer
                .clone()
                .unwrap_or(scenario.signer.clone());
            let token = self.sign_with(&signer, &claims, scenario.flip_userinfo_signature);
            return HttpResponse {
                status: 200,
                headers: vec![(
                    "Content-Type".into(),
                    "application/jwt; charset=utf-8".into(),
                )],
                body: token.into_bytes(),
            };
        }
        json_response(200, &Value::Object(claims))
    }
}

impl HttpClient for MockOp {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        match (request.method, request.url.path()) {
            (Method::Get, "/.well-known/openid-configuration") => Ok(json_response(
                200,
                &json!({
                    "issuer": *self.discovery_issuer.borrow(),
                    "authorization_endpoint": format!("{ISSUER}/authorize"),
                    "token_endpoint": format!("{ISSUER}/token"),
                    "jwks_uri": format!("{ISSUER}/jwks"),
                    "userinfo_endpoint": format!("{ISSUER}/userinfo"),
                    "end_session_endpoint": format!("{ISSUER}/logout"),
                    "code_challenge_methods_supported": ["S256"],
                    "authorization_response_iss_parameter_supported": true,
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                }),
            )),
            (Method::Get, "/jwks") => {
                self.jwks_fetches.set(self.jwks_fetches.get() + 1);
                let mut response = json_response(200, &self.jwks_document());
                response.headers.push((
                    "Cache-Control".into(),
                    self.scenario.borrow().cache_control.into(),
                ));
                Ok(response)
            }
            (Method::Post, "/token") => Ok(self.token_endpoint(&request)),
            (Method::Get, "/userinfo") => Ok(self.userinfo_endpoint(&request)),
            _ => Ok(HttpResponse {
                status: 404,
                headers: Vec::new(),
                body: Vec::new(),
            }),
        }
    }
}
