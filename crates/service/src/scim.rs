//! The SCIM 2.0 server under `/backend/scim/v2/` (RFC 7643/7644), built from gatehouse-scim: Users and Groups
//! with list queries (filters pushed down to SQL through the crate's translation, paging, sorting, projection),
//! `POST …/.search`, create, PUT, PATCH, DELETE, ETags (`If-Match`, `If-None-Match`), and the discovery
//! endpoints. Authenticated by a personal access token of an Enterprise workspace; every query is scoped to the
//! token's workspace.
//!
//! Users live in the `users` table (the SCIM JSON in `data`, the columns login needs beside it), so JIT and SCIM
//! agree: a SCIM-deactivated user cannot sign in, a SCIM-created user is matched (not duplicated) at first login,
//! and a SCIM push of a user JIT created first adopts that account instead of failing with 409.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gatehouse_scim::filter::sql::{SqlParam, to_sql};
use gatehouse_scim::filter::{CompValue, CompareOp, Filter};
use gatehouse_scim::list::{ListQuery, check_if_match, if_none_match, project};
use gatehouse_scim::patch::PatchRequest;
use gatehouse_scim::resource::{self, ListResponse, Resource, ServiceProviderConfig};
use gatehouse_scim::schema::ResourceSchema;
use gatehouse_scim::{Compatibility, Error as ScimError};
use serde_json::{Value, json};
use sqlx::Row as _;
use sqlx::any::AnyArguments;

use crate::AppState;
use crate::db::Dialect;
use crate::model::Workspace;

/// Largest page (`filter.maxResults`).
pub const MAX_RESULTS: usize = 200;
const COMPAT: Compatibility = Compatibility::Tolerant;
const SCIM_JSON: &str = "application/scim+json";

/// SCIM routes (nest under `/backend/scim/v2`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema_one))
        .route("/ResourceTypes/{id}", get(resource_type_one))
        .merge(resource_routes(Res::Users, "/Users"))
        .merge(resource_routes(Res::Groups, "/Groups"))
}

/// The list, search, and per-resource routes of one resource type, all handled by the same functions.
fn resource_routes(res: Res, base: &str) -> Router<AppState> {
    Router::new()
        .route(
            base,
            get(move |s: State<AppState>, h: HeaderMap, q: RawQuery| list_get(s, res, h, q))
                .post(move |s: State<AppState>, h: HeaderMap, b: Bytes| create(s, res, h, b)),
        )
        .route(
            &format!("{base}/.search"),
            post(move |s: State<AppState>, h: HeaderMap, b: Bytes| search(s, res, h, b)),
        )
        .route(
            &format!("{base}/{{id}}"),
            get(
                move |s: State<AppState>, h: HeaderMap, p: Path<String>, q: RawQuery| {
                    get_one(s, res, h, p, q)
                },
            )
            .put(
                move |s: State<AppState>, h: HeaderMap, p: Path<String>, b: Bytes| {
                    replace(s, res, h, p, b)
                },
            )
            .patch(
                move |s: State<AppState>, h: HeaderMap, p: Path<String>, b: Bytes| {
                    patch(s, res, h, p, b)
                },
            )
            .delete(move |s: State<AppState>, h: HeaderMap, p: Path<String>| delete(s, res, h, p)),
        )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Res {
    Users,
    Groups,
}

impl Res {
    fn schema(self) -> &'static ResourceSchema {
        match self {
            Self::Users => ResourceSchema::user(),
            Self::Groups => ResourceSchema::group(),
        }
    }
    fn table(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Groups => "scim_groups",
        }
    }
    fn type_name(self) -> &'static str {
        match self {
            Self::Users => "User",
            Self::Groups => "Group",
        }
    }
    /// The indexed, lower-cased column of the unique name attribute.
    fn name_column(self) -> &'static str {
        match self {
            Self::Users => "user_name_lc",
            Self::Groups => "display_name_lc",
        }
    }
    fn name_attr(self) -> &'static str {
        match self {
            Self::Users => "userName",
            Self::Groups => "displayName",
        }
    }
}

/// A SCIM failure: an error body with its status.
enum Fail {
    Scim(ScimError),
    Status(StatusCode, String),
    Internal(crate::Error),
}

impl From<ScimError> for Fail {
    fn from(e: ScimError) -> Self {
        Self::Scim(e)
    }
}

impl From<crate::Error> for Fail {
    fn from(e: crate::Error) -> Self {
        Self::Internal(e)
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        // PostgreSQL stores no U+0000 in `text` or `jsonb` (SQLite does): a value carrying one is the client's
        // mistake, answered with 400 rather than an internal error.
        if let sqlx::Error::Database(d) = &e
            && matches!(d.code().as_deref(), Some("22P05" | "22021"))
        {
            return Self::Scim(ScimError::InvalidValue {
                attribute: "(a string value)".into(),
                expected: "text without the NUL character (U+0000)".into(),
                received: "a string containing U+0000".into(),
            });
        }
        Self::Internal(e.into())
    }
}

fn scim_response(status: StatusCode, body: &Value, etag: Option<&str>) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        r.headers_mut().insert(header::ETAG, tag);
    }
    r
}

fn error_body(status: StatusCode, detail: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": status.as_u16().to_string(), "detail": detail})
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        match self {
            Self::Scim(e) => {
                let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
                scim_response(status, &e.to_scim_json(), None)
            }
            Self::Status(status, detail) => {
                let mut r = scim_response(status, &error_body(status, &detail), None);
                if status == StatusCode::UNAUTHORIZED {
                    r.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Bearer realm=\"scim\""),
                    );
                }
                r
            }
            Self::Internal(e) => {
                tracing::error!(error = %e, "SCIM request failed");
                scim_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &error_body(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
                    None,
                )
            }
        }
    }
}

fn done(r: Result<Response, Fail>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

/// The token's workspace, which must be on the Enterprise plan.
async fn authorize(state: &AppState, headers: &HeaderMap) -> Result<Workspace, Fail> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token else {
        return Err(Fail::Status(
            StatusCode::UNAUTHORIZED,
            "a bearer personal access token is required".into(),
        ));
    };
    let Some(ws) = crate::tokens::authenticate(state, token).await? else {
        return Err(Fail::Status(
            StatusCode::UNAUTHORIZED,
            "the token is unknown or revoked".into(),
        ));
    };
    if !ws.is_enterprise() {
        return Err(Fail::Status(
            StatusCode::FORBIDDEN,
            format!(
                "workspace {} is not on the Enterprise plan; SCIM needs it",
                ws.name
            ),
        ));
    }
    Ok(ws)
}

fn base_url(state: &AppState) -> String {
    format!("{}/backend/scim/v2", state.config.public_url)
}

async fn service_provider_config(State(state): State<AppState>, headers: HeaderMap) -> Response {
    done(
        async {
            authorize(&state, &headers).await?;
            let config = ServiceProviderConfig {
                documentation_uri: None,
                max_results: MAX_RESULTS,
                etag: true,
            };
            Ok(scim_response(
                StatusCode::OK,
                &config.to_json(state.now()),
                None,
            ))
        }
        .await,
    )
}

async fn resource_types(State(state): State<AppState>, headers: HeaderMap) -> Response {
    done(
        async {
            authorize(&state, &headers).await?;
            Ok(scim_response(
                StatusCode::OK,
                &resource::resource_types_response(&[
                    ResourceSchema::user(),
                    ResourceSchema::group(),
                ]),
                None,
            ))
        }
        .await,
    )
}

async fn schemas(State(state): State<AppState>, headers: HeaderMap) -> Response {
    done(
        async {
            authorize(&state, &headers).await?;
            Ok(scim_response(
                StatusCode::OK,
                &resource::schemas_response(&[ResourceSchema::user(), ResourceSchema::group()]),
                None,
            ))
        }
        .await,
    )
}

fn query_pairs(raw: Option<String>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

async fn list_get(
    State(state): State<AppState>,
    res: Res,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    done(
        async {
            let ws = authorize(&state, &headers).await?;
            let pairs = query_pairs(raw);
            let q = ListQuery::from_query(
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                MAX_RESULTS,
                COMPAT,
            )?;
            let page = list(&state, &ws, res, &q).await?;
            Ok(scim_response(StatusCode::OK, &page.to_json(), None))
        }
        .await,
    )
}

async fn search(
    State(state): State<AppState>,
    res: Res,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    done(
        async {
            let ws = authorize(&state, &headers).await?;
            let q =
                ListQuery::from_search_request(&resource::parse_body(&body)?, MAX_RESULTS, COMPAT)?;
            let page = list(&state, &ws, res, &q).await?;
            Ok(scim_response(StatusCode::OK, &page.to_json(), None))
        }
        .await,
    )
}

/// `userName eq "…"` / `displayName eq "…"`: answered from the indexed lower-cased column.
fn name_lookup(filter: Option<&Filter>, res: Res) -> Option<String> {
    match filter? {
        Filter::Compare(path, CompareOp::Eq, CompValue::String(v))
            if path.sub.is_none()
                && path.name.eq_ignore_ascii_case(res.name_attr())
                && path
                    .uri
                    .as_deref()
                    .is_none_or(|u| u.eq_ignore_ascii_case(&res.schema().core.id)) =>
        {
            Some(v.to_ascii_lowercase())
        }
        _ => None,
    }
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, AnyArguments>,
    params: &[SqlParam],
    dialect: Dialect,
) -> Result<sqlx::query::Query<'q, sqlx::Any, AnyArguments>, Fail> {
    for p in params {
        query = match p {
            SqlParam::Text(s) => query.bind(s.clone()),
            SqlParam::Integer(i) => query.bind(*i),
            SqlParam::Real(f) => query.bind(*f),
            SqlParam::Bool(b) if dialect == Dialect::Postgres => query.bind(*b),
            SqlParam::Bool(b) => query.bind(i64::from(*b)),
            _ => {
                return Err(Fail::Internal(crate::Error::Internal(
                    "unsupported SQL parameter".into(),
                )));
            }
        };
    }
    Ok(query)
}

fn parse_resource(data: &str) -> Result<Resource, Fail> {
    let v: Value = serde_json::from_str(data)
        .map_err(|e| crate::Error::Internal(format!("stored resource: {e}")))?;
    Ok(Resource::from_value(v)?)
}

async fn list(
    state: &AppState,
    ws: &Workspace,
    res: Res,
    q: &ListQuery,
) -> Result<ListResponse, Fail> {
    let schema = res.schema();
    let table = res.table();
    let dialect = state.dialect;
    let data = dialect.json_text("r.data");
    if q.sort_by.is_some() {
        // Sorting: filter in SQL is not needed for correctness; sort and page in memory over the workspace's rows.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {data} AS data FROM {table} AS r WHERE r.workspace_id = $1 AND r.data IS NOT NULL ORDER BY r.created_at, r.id LIMIT 20000"
        )))
        .bind(&ws.id)
        .fetch_all(&state.pool)
        .await?;
        let resources = rows
            .iter()
            .map(|r| parse_resource(&r.try_get::<String, _>("data")?))
            .collect::<Result<Vec<_>, Fail>>()?;
        return Ok(q.run(resources.iter(), schema)?);
    }
    let (clause, params) = match (name_lookup(q.filter.as_ref(), res), &q.filter) {
        (Some(name), _) => (
            format!("r.{} = $2", res.name_column()),
            vec![SqlParam::Text(name)],
        ),
        (None, Some(f)) => {
            let w = to_sql(f, schema, dialect.scim(), 2)?;
            (w.clause, w.params)
        }
        (None, None) => ("1 = 1".to_owned(), Vec::new()),
    };
    let count_sql = format!(
        "SELECT COUNT(*) AS n FROM {table} AS r WHERE r.workspace_id = $1 AND r.data IS NOT NULL AND ({clause})"
    );
    let total: i64 = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(count_sql)).bind(&ws.id),
        &params,
        dialect,
    )?
    .fetch_one(&state.pool)
    .await?
    .try_get("n")?;
    let mut resources = Vec::new();
    if q.count > 0 && total > 0 {
        let page_sql = format!(
            "SELECT {data} AS data FROM {table} AS r WHERE r.workspace_id = $1 AND r.data IS NOT NULL AND ({clause}) \
             ORDER BY r.created_at, r.id LIMIT {} OFFSET {}",
            q.count,
            q.offset()
        );
        let rows = bind_all(
            sqlx::query(sqlx::AssertSqlSafe(page_sql)).bind(&ws.id),
            &params,
            dialect,
        )?
        .fetch_all(&state.pool)
        .await?;
        for r in &rows {
            let resource = parse_resource(&r.try_get::<String, _>("data")?)?;
            resources.push(project(
                &resource,
                schema,
                &q.attributes,
                &q.excluded_attributes,
            ));
        }
    }
    Ok(ListResponse {
        total_results: usize::try_from(total).unwrap_or(0),
        start_index: q.start_index,
        resources,
    })
}

async fn load(state: &AppState, ws: &Workspace, res: Res, id: &str) -> Result<Resource, Fail> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} AS data FROM {} WHERE workspace_id = $1 AND id = $2 AND data IS NOT NULL",
        state.dialect.json_text("data"),
        res.table()
    )))
    .bind(&ws.id)
    .bind(id)
    .fetch_optional(&state.pool)
    .await?;
    match row {
        Some(r) => parse_resource(&r.try_get::<String, _>("data")?),
        None => Err(ScimError::NotFound {
            resource_type: res.type_name().into(),
            id: id.chars().take(100).collect(),
        }
        .into()),
    }
}

fn version(r: &Resource) -> String {
    r.meta().and_then(|m| m.version).unwrap_or_else(|| r.etag())
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn get_one(
    State(state): State<AppState>,
    res: Res,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    done(
        async {
            let ws = authorize(&state, &headers).await?;
            let r = load(&state, &ws, res, &id).await?;
            let tag = version(&r);
            if if_none_match(header_str(&headers, header::IF_NONE_MATCH), &tag) {
                let mut resp = StatusCode::NOT_MODIFIED.into_response();
                if let Ok(v) = HeaderValue::from_str(&tag) {
                    resp.headers_mut().insert(header::ETAG, v);
                }
                return Ok(resp);
            }
            let pairs = query_pairs(raw);
            let q = ListQuery::from_query(
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                MAX_RESULTS,
                COMPAT,
            )?;
            Ok(scim_response(
                StatusCode::OK,
                &project(&r, res.schema(), &q.attributes, &q.excluded_attributes),
                Some(&tag),
            ))
        }
        .await,
    )
}

/// The login-relevant columns of a SCIM User.
struct UserColumns {
    user_name: Option<String>,
    email: Option<String>,
    display_name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    active: bool,
    external_id: Option<String>,
}

fn user_columns(r: &Resource) -> UserColumns {
    let user = resource::User(r.clone());
    let name = user.name();
    let email = user
        .primary_email()
        .or_else(|| {
            user.user_name()
                .filter(|n| n.contains('@'))
                .map(str::to_owned)
        })
        .and_then(|e| gatehouse_jit::Email::parse(&e).ok())
        .map(|e| e.as_str().to_owned());
    let given = name.as_ref().and_then(|n| n.given_name.clone());
    let family = name.as_ref().and_then(|n| n.family_name.clone());
    let display = user
        .display_name()
        .map(str::to_owned)
        .or_else(|| match (&given, &family) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            _ => None,
        });
    UserColumns {
        user_name: user.user_name().map(str::to_owned),
        email,
        display_name: display,
        given_name: given,
        family_name: family,
        active: user.active(),
        external_id: r.external_id().map(str::to_owned),
    }
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Group members must be users of the same workspace.
async fn check_members(state: &AppState, ws: &Workspace, r: &Resource) -> Result<(), Fail> {
    for id in resource::Group(r.clone()).member_ids() {
        let found = sqlx::query("SELECT 1 AS one FROM users WHERE workspace_id = $1 AND id = $2")
            .bind(&ws.id)
            .bind(&id)
            .fetch_optional(&state.pool)
            .await?;
        if found.is_none() {
            return Err(ScimError::InvalidValue {
                attribute: "members".into(),
                expected: "ids of users of this workspace".into(),
                received: format!("{:?}", id.chars().take(64).collect::<String>()),
            }
            .into());
        }
    }
    Ok(())
}

/// Writes `r` (new or changed) to its row. Returns a uniqueness error on a taken name or email.
async fn store(
    state: &AppState,
    ws: &Workspace,
    res: Res,
    r: &Resource,
    insert: bool,
) -> Result<(), Fail> {
    let id = r.id().unwrap_or_default().to_owned();
    let data =
        serde_json::to_string(r.as_object()).map_err(|e| crate::Error::Internal(e.to_string()))?;
    let now = state.now().timestamp();
    let result = match res {
        Res::Users => {
            let c = user_columns(r);
            let json = state.dialect.json_param(9);
            let sql = if insert {
                format!(
                    "INSERT INTO users (user_name, user_name_lc, email, display_name, given_name, family_name, active, external_id, \
                     data, updated_at, id, workspace_id, scim_managed, provisioned_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {json}, $10, $11, $12, 1, 'scim', $10)"
                )
            } else {
                format!(
                    "UPDATE users SET user_name = $1, user_name_lc = $2, email = $3, display_name = $4, given_name = $5, \
                     family_name = $6, active = $7, external_id = $8, data = {json}, updated_at = $10, scim_managed = 1 \
                     WHERE id = $11 AND workspace_id = $12"
                )
            };
            let result = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(c.user_name.clone())
                .bind(c.user_name.as_ref().map(|n| n.to_ascii_lowercase()))
                .bind(c.email.clone())
                .bind(c.display_name)
                .bind(c.given_name)
                .bind(c.family_name)
                .bind(i64::from(c.active))
                .bind(c.external_id)
                .bind(&data)
                .bind(now)
                .bind(&id)
                .bind(&ws.id)
                .execute(&state.pool)
                .await;
            if result.is_ok() && !c.active {
                // A deactivated user is signed out everywhere.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND workspace_id = $2")
                    .bind(&id)
                    .bind(&ws.id)
                    .execute(&state.pool)
                    .await?;
            }
            result.map_err(|e| {
                if unique_violation(&e) {
                    let (attribute, value) = match (c.email, c.user_name) {
                        (Some(e), _) if !insert => ("emails", e),
                        (_, Some(n)) => ("userName", n),
                        (Some(e), None) => ("emails", e),
                        (None, None) => ("userName", String::new()),
                    };
                    Fail::Scim(ScimError::Uniqueness {
                        attribute: attribute.into(),
                        value,
                    })
                } else {
                    e.into()
                }
            })
        }
        Res::Groups => {
            check_members(state, ws, r).await?;
            let name = resource::Group(r.clone())
                .display_name()
                .unwrap_or_default()
                .to_owned();
            let json = state.dialect.json_param(2);
            let sql = if insert {
                format!(
                    "INSERT INTO scim_groups (display_name_lc, data, updated_at, id, workspace_id, created_at) VALUES ($1, {json}, $3, $4, $5, $3)"
                )
            } else {
                format!(
                    "UPDATE scim_groups SET display_name_lc = $1, data = {json}, updated_at = $3 WHERE id = $4 AND workspace_id = $5"
                )
            };
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(name.to_ascii_lowercase())
                .bind(&data)
                .bind(now)
                .bind(&id)
                .bind(&ws.id)
                .execute(&state.pool)
                .await
                .map_err(|e| {
                    if unique_violation(&e) {
                        Fail::Scim(ScimError::Uniqueness {
                            attribute: "displayName".into(),
                            value: name,
                        })
                    } else {
                        e.into()
                    }
                })
        }
    };
    result.map(|_| ())
}

async fn create(
    State(state): State<AppState>,
    res: Res,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    done(async {
        let ws = authorize(&state, &headers).await?;
        let body = resource::parse_body(&body)?;
        let now = state.now();
        let base = base_url(&state);
        let mut r = resource::create(res.schema(), body.clone(), COMPAT, &crate::db::new_id()?, Some(&base), now)?;
        let mut insert = true;
        if res == Res::Users {
            // A user JIT (or an admin) created before SCIM was set up is adopted, not duplicated.
            let c = user_columns(&r);
            let existing = sqlx::query(
                "SELECT id FROM users WHERE workspace_id = $1 AND data IS NULL AND (user_name_lc = $2 OR email = $3) ORDER BY created_at LIMIT 1",
            )
            .bind(&ws.id)
            .bind(c.user_name.as_ref().map(|n| n.to_ascii_lowercase()))
            .bind(c.email)
            .fetch_optional(&state.pool)
            .await?;
            if let Some(row) = existing {
                let id: String = row.try_get("id")?;
                r = resource::create(res.schema(), body, COMPAT, &id, Some(&base), now)?;
                insert = false;
                crate::web::audit(&state, Some(&ws.id), None, "scim-adopted", &format!("user {id}")).await;
            }
        }
        store(&state, &ws, res, &r, insert).await?;
        if insert {
            crate::web::audit(&state, Some(&ws.id), None, "scim-created", &format!("{} {}", res.type_name(), r.id().unwrap_or_default())).await;
        }
        let tag = version(&r);
        let mut resp = scim_response(StatusCode::CREATED, &project(&r, res.schema(), &[], &[]), Some(&tag));
        if let Some(loc) = r.meta().and_then(|m| m.location).and_then(|l| HeaderValue::from_str(&l).ok()) {
            resp.headers_mut().insert(header::LOCATION, loc);
        }
        Ok(resp)
    }
    .await)
}

async fn replace(
    State(state): State<AppState>,
    res: Res,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    done(
        async {
            let ws = authorize(&state, &headers).await?;
            let existing = load(&state, &ws, res, &id).await?;
            check_if_match(header_str(&headers, header::IF_MATCH), &version(&existing))?;
            let body = resource::parse_body(&body)?;
            let r = resource::replace(res.schema(), &existing, body, COMPAT, state.now())?;
            save_updated(&state, &ws, res, &id, &r, "scim-replaced").await
        }
        .await,
    )
}

/// Stores an updated resource, audits the change (`event`) and answers 200 with the resource and its ETag.
async fn save_updated(
    state: &AppState,
    ws: &Workspace,
    res: Res,
    id: &str,
    r: &Resource,
    event: &str,
) -> Result<Response, Fail> {
    store(state, ws, res, r, false).await?;
    crate::web::audit(
        state,
        Some(&ws.id),
        None,
        event,
        &format!("{} {id}", res.type_name()),
    )
    .await;
    let tag = version(r);
    Ok(scim_response(
        StatusCode::OK,
        &project(r, res.schema(), &[], &[]),
        Some(&tag),
    ))
}

async fn patch(
    State(state): State<AppState>,
    res: Res,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    done(
        async {
            let ws = authorize(&state, &headers).await?;
            let mut r = load(&state, &ws, res, &id).await?;
            check_if_match(header_str(&headers, header::IF_MATCH), &version(&r))?;
            let request = PatchRequest::from_slice(&body, COMPAT)?;
            request.apply_to(&mut r, res.schema(), COMPAT)?;
            r.touch(res.schema().name.as_str(), state.now());
            save_updated(&state, &ws, res, &id, &r, "scim-patched").await
        }
        .await,
    )
}

async fn delete(
    State(state): State<AppState>,
    res: Res,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    done(
        async {
            let ws = authorize(&state, &headers).await?;
            let existing = load(&state, &ws, res, &id).await?;
            check_if_match(header_str(&headers, header::IF_MATCH), &version(&existing))?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {} WHERE workspace_id = $1 AND id = $2",
                res.table()
            )))
            .bind(&ws.id)
            .bind(&id)
            .execute(&state.pool)
            .await?;
            if res == Res::Users {
                // Drop the user from the workspace's groups.
                let groups = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT id, {} AS data FROM scim_groups WHERE workspace_id = $1",
                    state.dialect.json_text("data")
                )))
                .bind(&ws.id)
                .fetch_all(&state.pool)
                .await?;
                for g in groups {
                    let mut group = parse_resource(&g.try_get::<String, _>("data")?)?;
                    if let Some(Value::Array(members)) = group.as_object_mut().get_mut("members") {
                        let before = members.len();
                        members.retain(|m| {
                            m.get("value").and_then(Value::as_str) != Some(id.as_str())
                        });
                        if members.len() != before {
                            group.touch("Group", state.now());
                            store(&state, &ws, Res::Groups, &group, false).await?;
                        }
                    }
                }
            }
            crate::web::audit(
                &state,
                Some(&ws.id),
                None,
                "scim-deleted",
                &format!("{} {id}", res.type_name()),
            )
            .await;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

/// One entry of a discovery list by its `id` (RFC 7644 §4: `/Schemas/{uri}`, `/ResourceTypes/{name}`).
fn discovery_entry(list: &Value, id: &str, what: &str) -> Result<Response, Fail> {
    list["Resources"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["id"].as_str() == Some(id)))
        .map(|r| scim_response(StatusCode::OK, r, None))
        .ok_or_else(|| {
            Fail::Scim(ScimError::NotFound {
                resource_type: what.into(),
                id: id.chars().take(200).collect(),
            })
        })
}

async fn schema_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    done(
        async {
            authorize(&state, &headers).await?;
            discovery_entry(
                &resource::schemas_response(&[ResourceSchema::user(), ResourceSchema::group()]),
                &id,
                "Schema",
            )
        }
        .await,
    )
}

async fn resource_type_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    done(
        async {
            authorize(&state, &headers).await?;
            discovery_entry(
                &resource::resource_types_response(&[
                    ResourceSchema::user(),
                    ResourceSchema::group(),
                ]),
                &id,
                "ResourceType",
            )
        }
        .await,
    )
}
