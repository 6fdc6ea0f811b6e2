//! Run with `cargo run --example scim_server_minimal`; point Okta's SCIM connector at `http://127.0.0.1:3000/scim/v2/`
//! with `Authorization: Bearer demo-token` (`SCIM_TOKEN` sets another). SCIM 2.0 Users and Groups in memory:
//! gatehouse-scim does filters, paging, projection, POST/PUT validation, PATCH (Okta's and Entra's dialects via
//! [`Compatibility::Tolerant`]), ETags and error bodies; the app does routing, authentication and storage.
#![allow(clippy::expect_used, reason = "an example")]

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::{Router, body::Bytes, routing::get};
use chrono::Utc;
use gatehouse::scim::filter::{AttrPath, Filter};
use gatehouse::scim::list::{ListQuery, check_if_match, project};
use gatehouse::scim::resource::{self, Resource, ServiceProviderConfig};
use gatehouse::scim::{Compatibility, Error, patch::PatchRequest, schema::ResourceSchema};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

// Accept what Okta and Entra send (capitalised ops, booleans as strings, path-less replaces); pages of 200.
const COMPAT: Compatibility = Compatibility::Tolerant;
const MAX_RESULTS: usize = 200;

/// The server's state: the bearer token the IdP must present (a real app stores personal access tokens hashed,
/// per workspace), the public base URL (for `meta.location`), and the resources, whose lock each request holds
/// from read to write so that `If-Match` and `userName` uniqueness hold.
#[allow(missing_docs, reason = "described above")]
pub struct Scim {
    pub token: String,
    pub base_url: String,
    pub store: Mutex<Store>,
}

/// Resources by (resource type, id); ids are zero-padded counters, so map order is creation order (stable pages).
#[derive(Default)]
pub struct Store {
    last_id: u64,
    resources: std::collections::BTreeMap<(String, String), Resource>,
}

/// The app: `/scim/v2/...` behind bearer-token authentication.
pub fn app(scim: Arc<Scim>) -> Router {
    let api = Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/{kind}", get(many).post(many))
        .route("/{kind}/{id}", get(one).put(one).patch(one).delete(one));
    let authenticated = from_fn_with_state(scim.clone(), authenticate);
    let app = Router::new().nest("/scim/v2", api);
    app.layer(authenticated).with_state(scim)
}

type App = State<Arc<Scim>>;
type Kind = Path<String>;
type Id = Path<(String, String)>;
type Params = Query<Vec<(String, String)>>;
type Result<T = Response> = std::result::Result<T, ScimError>;

async fn authenticate(State(scim): App, request: Request, next: Next) -> Response {
    let presented = request.headers().get(header::AUTHORIZATION);
    let token = presented.and_then(|v| v.to_str().ok()?.strip_prefix("Bearer "));
    let token = token.unwrap_or_default().as_bytes();
    // Compare without an early exit, so timing does not reveal how much of the token matched.
    let mut diff = token.len() ^ scim.token.len();
    for (a, b) in token.iter().zip(scim.token.as_bytes()) {
        diff |= usize::from(a ^ b);
    }
    if diff != 0 {
        let body = json!({"schemas": [resource::ERROR_SCHEMA], "status": "401"});
        return scim_json(StatusCode::UNAUTHORIZED, &body, None);
    }
    next.run(request).await
}

struct ScimError(Error); // answered with its status, `scimType` and detail (RFC 7644 §3.12)

impl<E: Into<Error>> From<E> for ScimError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST);
        scim_json(status, &self.0.to_scim_json(), None)
    }
}

fn scim_json(status: StatusCode, body: &Value, etag: Option<String>) -> Response {
    let etag = AppendHeaders(etag.map(|tag| (header::ETAG, tag)));
    let content_type = [(header::CONTENT_TYPE, "application/scim+json")];
    (status, content_type, etag, body.to_string()).into_response()
}

fn respond(resource: &Resource, schema: &ResourceSchema, status: StatusCode) -> Response {
    let body = project(resource, schema, &[], &[]); // never the password, with its ETag
    scim_json(status, &body, Some(resource.etag()))
}

fn not_found(resource_type: &str, id: &str) -> ScimError {
    let (resource_type, id) = (resource_type.to_owned(), id.to_owned());
    ScimError(Error::NotFound { resource_type, id })
}

fn schema_of(kind: &str) -> Result<&'static ResourceSchema> {
    let mut types = [ResourceSchema::user(), ResourceSchema::group()].into_iter();
    let found = types.find(|t| t.endpoint.strip_prefix('/') == Some(kind));
    found.ok_or_else(|| not_found("endpoint", kind))
}

impl Store {
    fn of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> {
        let of_kind = self.resources.iter().filter(move |((k, _), _)| k == kind);
        of_kind.map(|(_, r)| r)
    }

    /// Stores a resource unless another has its `userName` (case-insensitive, as list filters compare it).
    fn save(&mut self, kind: &str, resource: Resource, status: StatusCode) -> Result {
        let schema = schema_of(kind)?;
        if let Some(name) = resource.get("userName").and_then(Value::as_str) {
            let same = Filter::eq_str(AttrPath::name("userName"), name);
            let mut others = self.of(kind).filter(|r| r.id() != resource.id());
            if others.any(|r| same.matches_object(r.as_object(), schema)) {
                let (attribute, value) = ("userName".to_owned(), name.to_owned());
                return Err(Error::Uniqueness { attribute, value }.into());
            }
        }
        let response = respond(&resource, schema, status);
        let id = resource.id().unwrap_or_default().to_owned();
        self.resources.insert((kind.to_owned(), id), resource);
        Ok(response)
    }
}

async fn service_provider_config() -> Response {
    let config = ServiceProviderConfig::default(); // PATCH, filter, sort, ETags; pages of 200
    scim_json(StatusCode::OK, &config.to_json(Utc::now()), None)
}

/// `/{kind}`: `GET` lists (Okta looks up `?filter=userName eq "…"` before each create), `POST` creates.
async fn many(scim: App, method: Method, Path(kind): Kind, params: Params, body: Bytes) -> Result {
    let schema = schema_of(&kind)?;
    let mut store = scim.store.lock().expect("store");
    if method == Method::GET {
        let pairs = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let query = ListQuery::from_query(pairs, MAX_RESULTS, COMPAT)?;
        let page = query.run(store.of(&kind), schema)?;
        return Ok(scim_json(StatusCode::OK, &page.to_json(), None));
    }
    store.last_id += 1;
    let id = format!("{:08}", store.last_id);
    let body = resource::parse_body(&body)?;
    let created = resource::create(schema, body, COMPAT, &id, Some(&scim.base_url), Utc::now())?;
    store.save(&kind, created, StatusCode::CREATED)
}

/// `/{kind}/{id}`: `GET`, `PUT` (Okta's profile push), `PATCH` (deactivation, memberships), `DELETE`.
async fn one(scim: App, method: Method, Path((kind, id)): Id, h: HeaderMap, body: Bytes) -> Result {
    let schema = schema_of(&kind)?;
    let mut store = scim.store.lock().expect("store");
    let key = (kind.clone(), id.clone());
    let Some(mut resource) = store.resources.get(&key).cloned() else {
        return Err(not_found(&kind, &id));
    };
    let if_match = h.get(header::IF_MATCH).and_then(|v| v.to_str().ok());
    check_if_match(if_match, &resource.etag())?;
    match method {
        Method::GET => return Ok(respond(&resource, schema, StatusCode::OK)),
        Method::DELETE => {
            store.resources.remove(&key);
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        Method::PUT => {
            let body = resource::parse_body(&body)?;
            resource = resource::replace(schema, &resource, body, COMPAT, Utc::now())?;
        }
        _ => {
            if PatchRequest::from_slice(&body, COMPAT)?.apply_to(&mut resource, schema, COMPAT)? {
                resource.touch(&schema.name, Utc::now()); // lastModified and version only on change
            }
        }
    }
    store.save(&kind, resource, StatusCode::OK)
}

#[tokio::main]
async fn main() {
    let token = std::env::var("SCIM_TOKEN").unwrap_or_else(|_| "demo-token".to_owned());
    let (base_url, store) = ("http://127.0.0.1:3000/scim/v2".to_owned(), Mutex::default());
    let scim = Arc::new(Scim {
        token,
        base_url,
        store,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await;
    println!("SCIM base URL: http://127.0.0.1:3000/scim/v2/");
    let served = axum::serve(listener.expect("port 3000"), app(scim)).await;
    served.expect("server");
}
