//! Run with `cargo run --example saml_sp_minimal` and open <http://127.0.0.1:3000/login>: an axum app with one
//! hard-coded SAML connection (the Okta-shaped fixture in `testdata/`). `GET /login` sends the browser to the IdP
//! with an AuthnRequest; `POST /acs` verifies the response and shows who signed in. To replay a signed fixture,
//! `SAML_CLOCK=2026-01-15T10:00:00Z ALLOW_IDP_INITIATED=1 cargo run --example saml_sp_minimal`, then
//! `curl --data-urlencode SAMLResponse=$(base64 -w0 testdata/saml/accept-unsolicited/response.xml) localhost:3000/acs`
#![allow(clippy::expect_used, reason = "an example")]

use std::sync::Arc;

use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Router, extract::State, http::StatusCode, routing::get, routing::post};
use chrono::{DateTime, Utc};
use gatehouse::saml::{
    ConnectionPolicy, IdentityProvider, InMemoryReplayCache, InMemoryRequestStore, Outgoing,
    RequestOptions, RequestStore as _, ServiceProvider, authn_request, validate_response,
};

// The connection as entered in Okta ("Audience URI", "Single sign-on URL", and the app's "Identity Provider
// metadata" saved to a file). Edit for your app; the ACS URL must reach this app's `/acs`.
const SP_ENTITY_ID: &str = "urn:auth0:layer-stack-app:acme";
const ACS_URL: &str = "https://auth.app.layer.ai/login/callback?connection=acme";
const METADATA: &str = "testdata/saml/metadata/okta-idp.xml"; // relative to the repository root
/// The connection's name (the `?connection=` of a multi-connection ACS URL).
pub const CONNECTION: &str = "acme";

/// What every request shares. The configuration is plain `Clone + Send + Sync` data; the two stores must be
/// shared by all instances of the app (in memory here: one process).
pub struct Saml {
    /// This SP as the IdP knows it.
    pub sp: ServiceProvider,
    /// The IdP: entity ID, SSO URL, pinned signing certificates.
    pub idp: IdentityProvider,
    /// AuthnRequests sent and not answered yet: a response's `InResponseTo` must name one.
    pub requests: InMemoryRequestStore,
    /// Assertion IDs already accepted, kept until they expire: a replayed response is refused.
    pub replay: InMemoryReplayCache,
    /// A pinned clock (fixtures); `None` is the system clock.
    pub clock: Option<DateTime<Utc>>,
}

/// The app: `/login` and `/acs`.
pub fn app(saml: Arc<Saml>) -> Router {
    Router::new()
        .route("/login", get(login))
        .route("/acs", post(acs))
        .with_state(saml)
}

async fn login(State(saml): State<Arc<Saml>>) -> Response {
    let now = saml.clock.unwrap_or_else(Utc::now);
    let options = RequestOptions::default();
    let request = authn_request(&saml.sp, &saml.idp, CONNECTION, now, &options);
    let outgoing = request.and_then(|request| {
        // Remember the request before the browser leaves: the response must answer it, once.
        saml.requests.insert(request.pending().clone());
        request.encode(&saml.sp, None)
    });
    match outgoing {
        Ok(Outgoing::Redirect(url)) => Redirect::to(&url).into_response(),
        Ok(Outgoing::PostForm(html)) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
}

async fn acs(State(saml): State<Arc<Saml>>, Form(form): Form<AcsForm>) -> Response {
    let (sp, idp, now) = (&saml.sp, &saml.idp, saml.clock.unwrap_or_else(Utc::now));
    let (posted, requests, replay) = (&form.saml_response, &saml.requests, &saml.replay);
    match validate_response(sp, idp, CONNECTION, posted, now, requests, replay) {
        // Only a verified assertion exists here. A real app maps it to a user (examples/jit_minimal.rs)
        // and starts a session; plain text keeps IdP-supplied values from being read as HTML.
        Ok(assertion) => {
            let mut page = format!("Signed in as {}\n", assertion.name_id().value);
            for attribute in assertion.attributes() {
                page += &format!("{}: {}\n", attribute.name, attribute.values.join(", "));
            }
            page.into_response()
        }
        // The error says what was expected and what came (no secrets); the hint names the IdP setting.
        Err(e) => {
            let hint = e.admin_hint().unwrap_or("malformed, replayed or forged");
            let page = format!("Sign-in refused: {e}\n{hint}\n");
            (StatusCode::FORBIDDEN, page).into_response()
        }
    }
}

#[tokio::main]
async fn main() {
    let allow_unsolicited = std::env::var_os("ALLOW_IDP_INITIATED").is_some();
    let policy = ConnectionPolicy {
        allow_unsolicited,
        ..Default::default()
    };
    let metadata = std::fs::read(METADATA).expect("IdP metadata file");
    let idp = gatehouse::saml::parse_idp_metadata(&metadata, None, Utc::now(), None)
        .and_then(|metadata| metadata.identity_provider(policy))
        .expect("IdP metadata");
    let sp = ServiceProvider::new(SP_ENTITY_ID, ACS_URL);
    gatehouse::saml::check_connection(&sp, &idp).expect("connection settings");
    let clock = std::env::var("SAML_CLOCK").map(|t| t.parse().expect("RFC 3339"));
    let (requests, replay, clock) = (Default::default(), Default::default(), clock.ok());
    let saml = Arc::new(Saml {
        sp,
        idp,
        requests,
        replay,
        clock,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await;
    println!("open http://127.0.0.1:3000/login");
    let served = axum::serve(listener.expect("port 3000"), app(saml)).await;
    served.expect("server");
}
