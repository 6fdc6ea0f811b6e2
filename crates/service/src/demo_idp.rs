//! The built-in demo identity provider, mounted under `/_demo-idp/` with `--demo`: a user picker with a few demo
//! users; SAML (HTTP-Redirect AuthnRequests, signed requests verified, assertions signed with gatehouse-xml,
//! auto-POST to the ACS, IdP-initiated launch) and OIDC (discovery, JWKS, authorize, token with
//! client_secret_basic/post and PKCE S256, userinfo, end_session; ES256 ID tokens). For trying the flows without an
//! Okta account: it trusts whoever picks a user and must never face the internet.

use std::collections::HashMap;
use std::io::Read as _;
use std::sync::Mutex;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use gatehouse_xml::sign::{Placement, sign_enveloped};
use gatehouse_xml::{
    Document, PinnedKeys, SignatureAlgorithm, SigningKey, VerifyPolicy, verify_detached,
};
use serde_json::json;

use crate::AppState;
use crate::crypto::{KeyAndCert, random_token, sha256_b64url};
use crate::error::{Error, Result};
use crate::web::{esc, page};

const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// A demo user.
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// Stable ID (OIDC `sub`).
    pub id: &'static str,
    /// Email (SAML NameID).
    pub email: &'static str,
    /// Given name.
    pub given: &'static str,
    /// Family name.
    pub family: &'static str,
    /// Groups.
    pub groups: &'static [&'static str],
}

/// The demo users.
pub const USERS: &[DemoUser] = &[
    DemoUser {
        id: "00u-ada",
        email: "ada@demo.example",
        given: "Ada",
        family: "Lovelace",
        groups: &[crate::login::ADMIN_GROUP],
    },
    DemoUser {
        id: "00u-grace",
        email: "grace@demo.example",
        given: "Grace",
        family: "Hopper",
        groups: &[],
    },
    DemoUser {
        id: "00u-linus",
        email: "linus@demo.example",
        given: "Linus",
        family: "Torvalds",
        groups: &[],
    },
];

/// A SAML app (service provider) the demo IdP serves.
#[derive(Debug, Clone)]
pub struct SamlApp {
    /// The SP entity ID.
    pub entity_id: String,
    /// The ACS URL.
    pub acs_url: String,
    /// The SP's request-signing certificate (PEM), when it signs.
    pub cert_pem: Option<String>,
    /// The SP's encryption certificate (PEM): when set, assertions are encrypted to it (Okta's "Assertion
    /// Encryption": AES-256-GCM content, RSA-OAEP key transport).
    pub encryption_cert_pem: Option<String>,
}

/// An OIDC client the demo IdP serves.
#[derive(Debug, Clone)]
pub struct OidcClient {
    /// Client ID.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// The registered redirect URI.
    pub redirect_uri: String,
    /// The registered post-logout redirect URI.
    pub post_logout_redirect_uri: String,
}

struct Grant {
    user: usize,
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    challenge: String,
    expires: i64,
}

/// The demo IdP's keys, clients and short-lived grants.
pub struct DemoIdp {
    /// Base URL (`<auth-url>/_demo-idp`).
    pub base: String,
    saml_key: SigningKey,
    /// The SAML signing certificate (pin this in the SP).
    pub saml_cert_pem: String,
    oidc_key: jsonwebtoken::EncodingKey,
    oidc_jwk: serde_json::Value,
    /// SAML apps by connection name.
    pub saml_apps: Mutex<HashMap<String, SamlApp>>,
    /// OIDC clients by client ID.
    pub oidc_clients: Mutex<HashMap<String, OidcClient>>,
    grants: Mutex<HashMap<String, Grant>>,
    access_tokens: Mutex<HashMap<String, (usize, i64)>>,
}

impl std::fmt::Debug for DemoIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoIdp")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Key material of the demo IdP, kept (sealed) in the database so restarts keep the pinned certificate valid.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredKeys {
    saml_key_pem: String,
    saml_cert_pem: String,
    ec_pkcs8_b64: String,
}

impl DemoIdp {
    /// Loads the demo IdP's keys from the database, generating them on first use.
    pub async fn load_or_create(state: &AppState) -> Result<Self> {
        let keys: StoredKeys = match crate::db::setting(&state.pool, "demo_idp_keys").await? {
            Some(sealed) => serde_json::from_slice(&state.key.open("demo-idp-keys", &sealed)?)
                .map_err(|e| Error::Internal(e.to_string()))?,
            None => {
                let KeyAndCert { key_pem, cert_pem } =
                    crate::crypto::generate_rsa_cert("Gatehouse demo IdP")?;
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let ec = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
                    &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &rng,
                )
                .map_err(|_| Error::Internal("EC key generation failed".into()))?;
                let keys = StoredKeys {
                    saml_key_pem: key_pem,
                    saml_cert_pem: cert_pem,
                    ec_pkcs8_b64: STANDARD.encode(ec.as_ref()),
                };
                let plain =
                    serde_json::to_vec(&keys).map_err(|e| Error::Internal(e.to_string()))?;
                crate::db::set_setting(
                    &state.pool,
                    "demo_idp_keys",
                    &state.key.seal("demo-idp-keys", &plain)?,
                )
                .await?;
                keys
            }
        };
        let saml_key = SigningKey::from_pem(&keys.saml_key_pem, Some(&keys.saml_cert_pem))
            .map_err(|e| Error::Internal(format!("demo IdP key: {e}")))?;
        let pkcs8 = STANDARD
            .decode(&keys.ec_pkcs8_b64)
            .map_err(|_| Error::Internal("demo IdP EC key".into()))?;
        let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
        )
        .map_err(|_| Error::Internal("demo IdP EC key".into()))?;
        use aws_lc_rs::signature::KeyPair as _;
        let point = pair.public_key().as_ref();
        let (x, y) = (
            point.get(1..33).unwrap_or_default(),
            point.get(33..65).unwrap_or_default(),
        );
        let oidc_jwk = json!({"kty": "EC", "crv": "P-256", "kid": "demo-es256", "alg": "ES256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)});
        Ok(Self {
            base: format!("{}/_demo-idp", state.config.auth_url),
            saml_key,
            saml_cert_pem: keys.saml_cert_pem,
            oidc_key: jsonwebtoken::EncodingKey::from_ec_der(&pkcs8),
            oidc_jwk,
            saml_apps: Mutex::new(HashMap::new()),
            oidc_clients: Mutex::new(HashMap::new()),
            grants: Mutex::new(HashMap::new()),
            access_tokens: Mutex::new(HashMap::new()),
        })
    }

    /// The SAML IdP entity ID.
    #[must_use]
    pub fn saml_entity_id(&self) -> String {
        format!("{}/saml", self.base)
    }

    /// The SAML SSO URL (HTTP-Redirect).
    #[must_use]
    pub fn saml_sso_url(&self) -> String {
        format!("{}/saml/sso", self.base)
    }

    /// The OIDC issuer.
    #[must_use]
    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.base)
    }
}

/// The demo IdP's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/saml/sso", get(saml_sso))
        .route("/saml/metadata", get(saml_metadata))
        .route("/saml/launch", get(saml_launch))
        .route("/saml/respond", post(saml_respond))
        .route("/oidc/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/authorize", get(authorize_get).post(authorize_post))
        .route("/oidc/token", post(token))
        .route("/oidc/userinfo", get(userinfo))
        .route("/oidc/end_session", get(end_session))
}

fn demo(state: &AppState) -> Result<&DemoIdp> {
    state
        .demo
        .as_deref()
        .ok_or_else(|| Error::NotFound("demo IdP".into()))
}

fn params(raw: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(raw).into_owned().collect()
}

fn bad(msg: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        page(
            "Demo IdP: bad request",
            &format!("<p>{}</p>", esc(&msg.into())),
        ),
    )
        .into_response()
}

pub(crate) async fn index(State(state): State<AppState>) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let mut body = String::from("<p>This is Gatehouse's built-in demo identity provider. Users: ");
    body.push_str(
        &USERS
            .iter()
            .map(|u| esc(u.email))
            .collect::<Vec<_>>()
            .join(", "),
    );
    body.push_str("</p><h2>Apps</h2><ul>");
    let apps: Vec<String> = idp
        .saml_apps
        .lock()
        .map(|a| a.keys().cloned().collect())
        .unwrap_or_default();
    for name in apps {
        body.push_str(&format!("<li>SAML app <code>{0}</code>: <a href=\"/_demo-idp/saml/launch?app={0}\">launch (IdP-initiated)</a></li>", esc(&name)));
    }
    let third_party = format!(
        "{}/login?iss={}&target_link_uri={}",
        state.config.auth_url,
        urlenc(&idp.issuer()),
        urlenc(&format!("{}/", state.config.public_url))
    );
    body.push_str(&format!(
        "<li>OIDC app: <a href=\"{}\">open (third-party-initiated login)</a></li></ul>",
        esc(&third_party)
    ));
    page("Demo IdP", &body).into_response()
}

fn urlenc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn picker(action: &str, hidden: &[(&str, &str)], heading: &str) -> Response {
    let mut body = format!("<p>{}</p>", esc(heading));
    for (i, u) in USERS.iter().enumerate() {
        body.push_str(&format!(
            "<form method=\"post\" action=\"{}\">",
            esc(action)
        ));
        for (k, v) in hidden {
            body.push_str(&format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            ));
        }
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"user\" value=\"{i}\"><button type=\"submit\">Sign in as {} {} ({})</button></form>",
            esc(u.given),
            esc(u.family),
            esc(u.email)
        ));
    }
    page("Demo IdP: choose a user", &body).into_response()
}

/// The raw value of `name` in a query string, as sent (for the Redirect binding's signed octets).
fn raw_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

async fn saml_sso(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let query = query.unwrap_or_default();
    let p = params(query.as_bytes());
    let Some(request) = p.get("SAMLRequest") else {
        return bad("no SAMLRequest");
    };
    let Ok(deflated) = STANDARD.decode(request.as_bytes()) else {
        return bad("SAMLRequest is not base64");
    };
    let mut xml = Vec::new();
    if flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(256 * 1024)
        .read_to_end(&mut xml)
        .is_err()
    {
        return bad("SAMLRequest does not inflate");
    }
    let Ok(doc) = Document::parse(&xml) else {
        return bad("SAMLRequest is not well-formed");
    };
    let root = doc.root();
    if !root.is("urn:oasis:names:tc:SAML:2.0:protocol", "AuthnRequest") {
        return bad("not an AuthnRequest");
    }
    let id = root.attr("ID").unwrap_or_default().to_owned();
    let acs = root
        .attr("AssertionConsumerServiceURL")
        .unwrap_or_default()
        .to_owned();
    let issuer = root
        .child_elements()
        .find(|e| e.is(ASSERTION_NS, "Issuer"))
        .map(|e| e.text().trim().to_owned())
        .unwrap_or_default();
    let app = idp.saml_apps.lock().ok().and_then(|apps| {
        apps.iter()
            .find(|(_, a)| a.entity_id == issuer)
            .map(|(n, a)| (n.clone(), a.clone()))
    });
    let Some((name, app)) = app else {
        return bad(format!("unknown SP entity ID {issuer:?}"));
    };
    if app.acs_url != acs {
        return bad(format!(
            "ACS {acs:?} is not the registered {:?}",
            app.acs_url
        ));
    }
    if let Some(signature) = p.get("Signature") {
        let (Some(alg_uri), Some(cert)) = (p.get("SigAlg"), app.cert_pem.as_deref()) else {
            return bad("signed request without SigAlg or known SP certificate");
        };
        let Some(alg) = SignatureAlgorithm::from_uri(alg_uri) else {
            return bad("unsupported SigAlg");
        };
        let mut signed = format!(
            "SAMLRequest={}",
            raw_param(&query, "SAMLRequest").unwrap_or_default()
        );
        if let Some(rs) = raw_param(&query, "RelayState") {
            signed.push_str(&format!("&RelayState={rs}"));
        }
        signed.push_str(&format!(
            "&SigAlg={}",
            raw_param(&query, "SigAlg").unwrap_or_default()
        ));
        let (Ok(keys), Ok(sig)) = (
            PinnedKeys::from_pem(cert),
            STANDARD.decode(signature.as_bytes()),
        ) else {
            return bad("bad signature encoding");
        };
        if verify_detached(&keys, alg, &VerifyPolicy::strict(), signed.as_bytes(), &sig).is_err() {
            return bad("the AuthnRequest signature does not verify with the SP's certificate");
        }
    }
    let relay = p.get("RelayState").cloned().unwrap_or_default();
    picker(
        "/_demo-idp/saml/respond",
        &[("app", &name), ("request_id", &id), ("relay_state", &relay)],
        &format!("{issuer} asks you to sign in."),
    )
}

async fn saml_launch(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let p = params(query.unwrap_or_default().as_bytes());
    let app = p.get("app").cloned().unwrap_or_default();
    let relay = p.get("RelayState").cloned().unwrap_or_default();
    if demo(&state)
        .ok()
        .and_then(|i| i.saml_apps.lock().ok().map(|a| a.contains_key(&app)))
        != Some(true)
    {
        return bad("unknown app");
    }
    picker(
        "/_demo-idp/saml/respond",
        &[("app", &app), ("request_id", ""), ("relay_state", &relay)],
        &format!("Launch {app} (IdP-initiated)."),
    )
}

fn instant(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Builds and signs the SAML Response for `user` (the assertion carries an enveloped RSA-SHA256 signature).
pub fn saml_response(
    idp: &DemoIdp,
    app: &SamlApp,
    user: &DemoUser,
    in_response_to: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String> {
    let response_id = format!(
        "_r{}",
        crate::crypto::sha256_hex(random_token(16)?.as_bytes())
    );
    let assertion_id = format!(
        "_a{}",
        crate::crypto::sha256_hex(random_token(16)?.as_bytes())
    );
    let irt =
        in_response_to.map_or_else(String::new, |id| format!(" InResponseTo=\"{}\"", esc(id)));
    let (now_s, later, before) = (
        instant(now),
        instant(now + chrono::Duration::minutes(5)),
        instant(now - chrono::Duration::minutes(1)),
    );
    let issuer = esc(&idp.saml_entity_id());
    let acs = esc(&app.acs_url);
    let mut attrs = String::new();
    let name = format!("{} {}", user.given, user.family);
    let mut attr = |n: &str, values: &[&str]| {
        attrs.push_str(&format!("<saml:Attribute Name=\"{}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\">", esc(n)));
        for v in values {
            attrs.push_str(&format!(
                "<saml:AttributeValue>{}</saml:AttributeValue>",
                esc(v)
            ));
        }
        attrs.push_str("</saml:Attribute>");
    };
    attr(gatehouse_jit::uri::EMAIL, &[user.email]);
    attr(gatehouse_jit::uri::NAME, &[&name]);
    attr(gatehouse_jit::uri::GIVEN_NAME, &[user.given]);
    attr(gatehouse_jit::uri::SURNAME, &[user.family]);
    attr("email_verified", &["true"]);
    if !user.groups.is_empty() {
        attr("groups", user.groups);
    }
    let xml = format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"{ASSERTION_NS}\" ID=\"{response_id}\" \
         Version=\"2.0\" IssueInstant=\"{now_s}\" Destination=\"{acs}\"{irt}><saml:Issuer>{issuer}</saml:Issuer>\
         <samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
         <saml:Assertion ID=\"{assertion_id}\" Version=\"2.0\" IssueInstant=\"{now_s}\"><saml:Issuer>{issuer}</saml:Issuer>\
         <saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">{}</saml:NameID>\
         <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"><saml:SubjectConfirmationData{irt} \
         NotOnOrAfter=\"{later}\" Recipient=\"{acs}\"/></saml:SubjectConfirmation></saml:Subject>\
         <saml:Conditions NotBefore=\"{before}\" NotOnOrAfter=\"{later}\"><saml:AudienceRestriction><saml:Audience>{}</saml:Audience>\
         </saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant=\"{now_s}\" SessionIndex=\"{assertion_id}\">\
         <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>\
         </saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attrs}</saml:AttributeStatement></saml:Assertion></samlp:Response>",
        esc(user.email),
        esc(&app.entity_id),
    );
    let signed = sign_enveloped(
        &xml,
        Some(&assertion_id),
        Placement::After(ASSERTION_NS, "Issuer"),
        &idp.saml_key,
        SignatureAlgorithm::RsaSha256,
    )
    .map_err(|e| Error::Internal(format!("demo IdP signing: {e}")))?;
    match &app.encryption_cert_pem {
        Some(cert) => encrypt_assertion(&signed, cert),
        None => Ok(signed),
    }
}

/// Replaces the signed `saml:Assertion` of `response` by an `EncryptedAssertion` to the SP's certificate: the
/// assertion encrypted with a fresh AES-256-GCM key (XML Encryption 1.1: IV, ciphertext, tag), the key wrapped with
/// RSA-OAEP (MGF1 with SHA-1, SHA-1 digest: `xmlenc#rsa-oaep-mgf1p`).
fn encrypt_assertion(response: &str, cert_pem: &str) -> Result<String> {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OaepPublicEncryptingKey, PublicEncryptingKey};
    let bad = |what: &str| Error::Internal(format!("demo IdP encryption: {what}"));
    let end_tag = "</saml:Assertion>";
    let start = response
        .find("<saml:Assertion ")
        .ok_or_else(|| bad("no assertion"))?;
    let end = response
        .find(end_tag)
        .ok_or_else(|| bad("no assertion end"))?
        + end_tag.len();
    let (Some(head), Some(assertion), Some(tail)) = (
        response.get(..start),
        response.get(start..end),
        response.get(end..),
    ) else {
        return Err(bad("assertion bounds"));
    };
    let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes())
        .map_err(|_| bad("certificate PEM"))?;
    let cert = pem.parse_x509().map_err(|_| bad("certificate"))?;
    let public =
        PublicEncryptingKey::from_der(cert.public_key().raw).map_err(|_| bad("RSA key"))?;
    let oaep = OaepPublicEncryptingKey::new(public).map_err(|_| bad("RSA key"))?;
    let cek = crate::crypto::random_bytes(32)?;
    let iv = crate::crypto::random_bytes(12)?;
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&iv);
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).map_err(|_| bad("AES key"))?);
    let mut sealed = assertion.as_bytes().to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::empty(),
        &mut sealed,
    )
    .map_err(|_| bad("AES-GCM"))?;
    let mut data = iv;
    data.extend_from_slice(&sealed);
    let mut wrapped = vec![0u8; oaep.ciphertext_size()];
    let wrapped = oaep
        .encrypt(&OAEP_SHA1_MGF1SHA1, &cek, &mut wrapped, None)
        .map_err(|_| bad("RSA-OAEP"))?;
    Ok(format!(
        "{head}<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" \
         Type=\"http://www.w3.org/2001/04/xmlenc#Element\"><xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes256-gcm\"/>\
         <ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><xenc:EncryptedKey>\
         <xenc:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p\">\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"/></xenc:EncryptionMethod>\
         <xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>\
         <xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>\
         </saml:EncryptedAssertion>{tail}",
        STANDARD.encode(wrapped),
        STANDARD.encode(&data)
    ))
}

/// The auto-submitting HTML form that posts a SAML response to the ACS; its one inline script carries `nonce`
/// (serve it with [`crate::web::auto_post_page`]).
#[must_use]
pub fn post_form(acs: &str, saml_response_b64: &str, relay_state: &str, nonce: &str) -> String {
    let relay = if relay_state.is_empty() {
        String::new()
    } else {
        format!(
            "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">",
            esc(relay_state)
        )
    };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Signing in…</title></head><body>\
         <form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"SAMLResponse\" value=\"{}\">{relay}\
         <noscript><button type=\"submit\">Continue</button></noscript></form>\
         <script nonce=\"{}\">document.forms[0].submit();</script></body></html>",
        esc(acs),
        esc(saml_response_b64),
        esc(nonce)
    )
}

async fn saml_respond(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let p = params(&body);
    let app = p
        .get("app")
        .and_then(|n| idp.saml_apps.lock().ok().and_then(|a| a.get(n).cloned()));
    let user = p
        .get("user")
        .and_then(|u| u.parse::<usize>().ok())
        .and_then(|i| USERS.get(i));
    let (Some(app), Some(user)) = (app, user) else {
        return bad("unknown app or user");
    };
    let irt = p
        .get("request_id")
        .filter(|r| !r.is_empty())
        .map(String::as_str);
    match saml_response(idp, &app, user, irt, state.now()) {
        Ok(xml) => match crate::web::csp_nonce() {
            Ok(nonce) => crate::web::auto_post_page(
                post_form(
                    &app.acs_url,
                    &STANDARD.encode(xml),
                    p.get("relay_state").map_or("", String::as_str),
                    &nonce,
                ),
                &nonce,
            ),
            Err(e) => crate::web::error_page(&e),
        },
        Err(e) => crate::web::error_page(&e),
    }
}

async fn discovery(State(state): State<AppState>) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let iss = idp.issuer();
    axum::Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "end_session_endpoint": format!("{iss}/end_session"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "scopes_supported": ["openid", "profile", "email", "groups"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "claims_supported": ["sub", "email", "email_verified", "name", "given_name", "family_name", "preferred_username", "groups"]
    }))
    .into_response()
}

async fn jwks(State(state): State<AppState>) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    (
        [(header::CACHE_CONTROL, "max-age=300")],
        axum::Json(json!({"keys": [idp.oidc_jwk]})),
    )
        .into_response()
}

fn check_authorize(idp: &DemoIdp, p: &HashMap<String, String>) -> std::result::Result<(), String> {
    let client = p
        .get("client_id")
        .and_then(|c| idp.oidc_clients.lock().ok().and_then(|m| m.get(c).cloned()))
        .ok_or("unknown client_id")?;
    if p.get("redirect_uri") != Some(&client.redirect_uri) {
        return Err("redirect_uri is not registered for this client".into());
    }
    if p.get("response_type").map(String::as_str) != Some("code") {
        return Err("response_type must be code".into());
    }
    if p.get("code_challenge_method").map(String::as_str) != Some("S256")
        || p.get("code_challenge").is_none_or(|c| c.len() < 43)
    {
        return Err("PKCE S256 is required".into());
    }
    if !p
        .get("scope")
        .is_some_and(|s| s.split(' ').any(|x| x == "openid"))
    {
        return Err("scope must include openid".into());
    }
    Ok(())
}

async fn authorize_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let p = params(query.unwrap_or_default().as_bytes());
    if let Err(e) = check_authorize(idp, &p) {
        return bad(e);
    }
    let keys = [
        "client_id",
        "redirect_uri",
        "state",
        "nonce",
        "code_challenge",
        "scope",
        "response_type",
        "code_challenge_method",
    ];
    let hidden: Vec<(&str, &str)> = keys
        .iter()
        .filter_map(|k| p.get(*k).map(|v| (*k, v.as_str())))
        .collect();
    let hint = p
        .get("login_hint")
        .map_or_else(String::new, |h| format!(" (login hint: {h})"));
    picker(
        "/_demo-idp/oidc/authorize",
        &hidden,
        &format!("An application asks you to sign in{hint}."),
    )
}

async fn authorize_post(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let p = params(&body);
    if let Err(e) = check_authorize(idp, &p) {
        return bad(e);
    }
    let Some(user) = p
        .get("user")
        .and_then(|u| u.parse::<usize>().ok())
        .filter(|i| *i < USERS.len())
    else {
        return bad("unknown user");
    };
    let Ok(code) = random_token(24) else {
        return bad("no randomness");
    };
    let redirect_uri = p.get("redirect_uri").cloned().unwrap_or_default();
    if let Ok(mut grants) = idp.grants.lock() {
        grants.insert(
            code.clone(),
            Grant {
                user,
                client_id: p.get("client_id").cloned().unwrap_or_default(),
                redirect_uri: redirect_uri.clone(),
                nonce: p.get("nonce").cloned(),
                challenge: p.get("code_challenge").cloned().unwrap_or_default(),
                expires: state.now().timestamp() + 60,
            },
        );
    }
    let mut url = format!(
        "{redirect_uri}?code={}&iss={}",
        urlenc(&code),
        urlenc(&idp.issuer())
    );
    if let Some(s) = p.get("state") {
        url.push_str(&format!("&state={}", urlenc(s)));
    }
    crate::web::see_other(&url)
}

fn token_error(error: &str, status: StatusCode) -> Response {
    (status, axum::Json(json!({"error": error}))).into_response()
}

fn user_claims(user: &DemoUser) -> serde_json::Value {
    json!({
        "sub": user.id,
        "email": user.email,
        "email_verified": true,
        "name": format!("{} {}", user.given, user.family),
        "given_name": user.given,
        "family_name": user.family,
        "preferred_username": user.email,
        "groups": user.groups,
    })
}

async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let p = params(&body);
    // Client authentication: HTTP Basic (form-urlencoded parts) or the body.
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(i, s)| (decode(i), decode(s))));
    let (client_id, secret) = match basic {
        Some(pair) => pair,
        None => (
            p.get("client_id").cloned().unwrap_or_default(),
            p.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    let client = idp
        .oidc_clients
        .lock()
        .ok()
        .and_then(|m| m.get(&client_id).cloned());
    let Some(client) = client
        .filter(|c| crate::crypto::constant_time_eq(c.client_secret.as_bytes(), secret.as_bytes()))
    else {
        return token_error("invalid_client", StatusCode::UNAUTHORIZED);
    };
    if p.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return token_error("unsupported_grant_type", StatusCode::BAD_REQUEST);
    }
    let grant = p
        .get("code")
        .and_then(|c| idp.grants.lock().ok().and_then(|mut g| g.remove(c)));
    let now = state.now();
    let Some(grant) = grant.filter(|g| {
        g.expires > now.timestamp()
            && g.client_id == client.client_id
            && Some(&g.redirect_uri) == p.get("redirect_uri")
    }) else {
        return token_error("invalid_grant", StatusCode::BAD_REQUEST);
    };
    let verifier = p.get("code_verifier").cloned().unwrap_or_default();
    if !crate::crypto::constant_time_eq(
        sha256_b64url(verifier.as_bytes()).as_bytes(),
        grant.challenge.as_bytes(),
    ) {
        return token_error("invalid_grant", StatusCode::BAD_REQUEST);
    }
    let Some(user) = USERS.get(grant.user) else {
        return token_error("server_error", StatusCode::INTERNAL_SERVER_ERROR);
    };
    let Ok(access) = random_token(24) else {
        return token_error("server_error", StatusCode::INTERNAL_SERVER_ERROR);
    };
    if let Ok(mut t) = idp.access_tokens.lock() {
        t.retain(|_, (_, exp)| *exp > now.timestamp());
        t.insert(access.clone(), (grant.user, now.timestamp() + 3600));
    }
    let mut claims = user_claims(user);
    if let Some(obj) = claims.as_object_mut() {
        obj.insert("iss".into(), json!(idp.issuer()));
        obj.insert("aud".into(), json!(client.client_id));
        obj.insert("iat".into(), json!(now.timestamp()));
        obj.insert("exp".into(), json!(now.timestamp() + 300));
        obj.insert("auth_time".into(), json!(now.timestamp()));
        if let Some(n) = &grant.nonce {
            obj.insert("nonce".into(), json!(n));
        }
    }
    let mut head = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    head.kid = Some("demo-es256".into());
    let Ok(id_token) = jsonwebtoken::encode(&head, &claims, &idp.oidc_key) else {
        return token_error("server_error", StatusCode::INTERNAL_SERVER_ERROR);
    };
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(json!({
        "access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token, "scope": "openid profile email"
    })))
    .into_response()
}

fn decode(s: &str) -> String {
    form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let now = state.now().timestamp();
    let user = token
        .and_then(|t| {
            idp.access_tokens
                .lock()
                .ok()
                .and_then(|m| m.get(t).copied())
        })
        .filter(|(_, exp)| *exp > now);
    match user.and_then(|(u, _)| USERS.get(u)) {
        Some(u) => axum::Json(user_claims(u)).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response(),
    }
}

async fn end_session(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let p = params(query.unwrap_or_default().as_bytes());
    let registered = p
        .get("client_id")
        .and_then(|c| idp.oidc_clients.lock().ok().and_then(|m| m.get(c).cloned()));
    match (p.get("post_logout_redirect_uri"), registered) {
        (Some(target), Some(client)) if *target == client.post_logout_redirect_uri => {
            let mut url = target.clone();
            if let Some(s) = p.get("state") {
                url.push_str(&format!(
                    "{}state={}",
                    if url.contains('?') { '&' } else { '?' },
                    urlenc(s)
                ));
            }
            crate::web::see_other(&url)
        }
        (Some(_), _) => bad("post_logout_redirect_uri is not registered for this client"),
        (None, _) => page("Demo IdP", "<p>You are signed out of the demo IdP.</p>").into_response(),
    }
}

async fn saml_metadata(State(state): State<AppState>) -> Response {
    let Ok(idp) = demo(&state) else {
        return bad("not in demo mode");
    };
    let cert: String = idp
        .saml_cert_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let xml = format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" \
         entityID=\"{}\"><md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:KeyDescriptor use=\"signing\"><ds:KeyInfo>\
         <ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
         <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\
         <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{}\"/>\
         </md:IDPSSODescriptor></md:EntityDescriptor>",
        esc(&idp.saml_entity_id()),
        esc(&idp.saml_sso_url())
    );
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        xml,
    )
        .into_response()
}
