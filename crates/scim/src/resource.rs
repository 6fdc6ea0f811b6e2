//! Resources (RFC 7643 §3–§5) and the protocol messages a server sends (RFC 7644 §3.4.2, §3.12).
//!
//! A [`Resource`] is the JSON object itself, so attributes this crate does not know, including unknown
//! extensions, are kept exactly as they came. [`User`] and [`Group`] are typed views over it. Request bodies
//! are read with [`ResourceSchema`]-driven validation: [`create`] for `POST`, [`replace`] for `PUT`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::compat::Compatibility;
use crate::error::{Error, Result};
use crate::json::{get_ci, key_ci, remove_ci, set_ci};
use crate::schema::{AttributeDef, Mutability, ResourceSchema, Schema, USER_SCHEMA, short};

/// URN of the error message.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// URN of the list response message.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// URN of the ServiceProviderConfig resource.
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// Largest request body this crate parses, in bytes.
pub const MAX_BODY_LEN: usize = 1024 * 1024;

/// A SCIM resource: its JSON object, unknown attributes included. `Debug` prints `password` as `[redacted]`.
#[derive(Clone, PartialEq, Default)]
pub struct Resource(Map<String, Value>);

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = crate::schema::redacted(&Value::Object(self.0.clone()));
        f.debug_tuple("Resource").field(&shown).finish()
    }
}

/// The `meta` attribute (RFC 7643 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// `User`, `Group`, ...
    pub resource_type: String,
    /// When the resource was created.
    #[serde(with = "rfc3339")]
    pub created: DateTime<Utc>,
    /// When it last changed.
    #[serde(with = "rfc3339")]
    pub last_modified: DateTime<Utc>,
    /// Its URL.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub location: Option<String>,
    /// Its ETag (`W/"…"`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
}

mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

impl Resource {
    /// Wraps a JSON object.
    ///
    /// # Errors
    /// [`Error::InvalidSyntax`] when `v` is not an object.
    pub fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Object(m) => Ok(Self(m)),
            other => Err(Error::InvalidSyntax {
                expected: "a JSON object".into(),
                received: short(&other),
            }),
        }
    }

    /// Wraps a JSON object.
    #[must_use]
    pub fn from_object(m: Map<String, Value>) -> Self {
        Self(m)
    }

    /// The JSON object.
    #[must_use]
    pub fn as_object(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The JSON object, mutably.
    pub fn as_object_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.0
    }

    /// The resource as a JSON value.
    #[must_use]
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// An attribute, by case-insensitive name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        get_ci(&self.0, name)
    }

    /// `id`.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.get("id").and_then(Value::as_str)
    }

    /// `externalId`.
    #[must_use]
    pub fn external_id(&self) -> Option<&str> {
        self.get("externalId").and_then(Value::as_str)
    }

    /// `meta`, when present and well-formed.
    #[must_use]
    pub fn meta(&self) -> Option<Meta> {
        self.get("meta")
            .and_then(|m| serde_json::from_value(m.clone()).ok())
    }

    /// Sets `meta`.
    pub fn set_meta(&mut self, meta: &Meta) {
        if let Ok(v) = serde_json::to_value(meta) {
            set_ci(&mut self.0, "meta", v);
        }
    }

    /// The weak ETag of the content (everything but `meta`): `W/"<16 hex digits>"`, stable across runs
    /// and platforms (FNV-1a over the canonical JSON, whose object keys are sorted).
    #[must_use]
    pub fn etag(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for (k, v) in &self.0 {
            if k.eq_ignore_ascii_case("meta") {
                continue;
            }
            for b in k
                .bytes()
                .chain(std::iter::once(0))
                .chain(v.to_string().into_bytes())
                .chain(std::iter::once(0))
            {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        format!("W/\"{h:016x}\"")
    }

    /// Marks a change at `now`: `meta.lastModified` = `now`, `meta.version` = the new [`Resource::etag`].
    /// `meta` is created (with `created` = `now`) for `resource_type` if missing.
    pub fn touch(&mut self, resource_type: &str, now: DateTime<Utc>) {
        let mut meta = self.meta().unwrap_or(Meta {
            resource_type: resource_type.to_owned(),
            created: now,
            last_modified: now,
            location: None,
            version: None,
        });
        meta.last_modified = now;
        meta.version = Some(self.etag());
        self.set_meta(&meta);
    }
}

/// Parses a request body (bounded by [`MAX_BODY_LEN`]). A missing `Content-Type` (Okta) is the caller's
/// business: this only needs the bytes.
///
/// # Errors
/// [`Error::InvalidSyntax`] for oversized or malformed JSON.
pub fn parse_body(body: &[u8]) -> Result<Value> {
    if body.len() > MAX_BODY_LEN {
        return Err(Error::InvalidSyntax {
            expected: format!("a body of at most {MAX_BODY_LEN} bytes"),
            received: format!("{} bytes", body.len()),
        });
    }
    serde_json::from_slice(body).map_err(|e| Error::InvalidSyntax {
        expected: "a JSON object".into(),
        received: format!("invalid JSON ({e})"),
    })
}

/// Validates a resource body against `schema` and returns it in canonical form.
///
/// - `schemas` must name the core schema (in [`Compatibility::Tolerant`] a missing `schemas` is filled in);
/// - known attributes are type-checked and coerced ([`AttributeDef::coerce`]) and stored under their canonical
///   names; extension attributes under their URN; an extension present but missing from `schemas` is added;
/// - readOnly attributes (`id`, `meta`, `groups`) are dropped, as RFC 7644 §3.3 says they are ignored;
/// - unknown attributes and unknown extensions are kept;
/// - required attributes (`userName`) must be present.
///
/// # Errors
/// [`Error::InvalidSyntax`] without the core schema; [`Error::InvalidValue`] for a wrong type or a missing
/// required attribute.
pub fn validate(schema: &ResourceSchema, body: Value, compat: Compatibility) -> Result<Resource> {
    let Value::Object(obj) = body else {
        return Err(Error::InvalidSyntax {
            expected: "a JSON object".into(),
            received: short(&body),
        });
    };
    let mut out = Map::new();
    let mut schemas: Vec<Value> = match get_ci(&obj, "schemas") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let has_core = schemas
        .iter()
        .any(|s| s.as_str().is_some_and(|s| schema.is_core(s)));
    if !has_core {
        if compat == Compatibility::Strict {
            return Err(Error::InvalidSyntax {
                expected: format!("\"schemas\" containing \"{}\"", schema.core.id),
                received: short(get_ci(&obj, "schemas").unwrap_or(&Value::Null)),
            });
        }
        schemas.insert(0, Value::String(schema.core.id.clone()));
    }
    for (k, v) in obj {
        if k.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(ext) = schema.extension(&k) {
            let Value::Object(inner) = v else {
                return Err(Error::InvalidValue {
                    attribute: ext.id.clone(),
                    expected: "an object of extension attributes".into(),
                    received: short(&v),
                });
            };
            out.insert(
                ext.id.clone(),
                Value::Object(validate_attrs(&ext.attributes, inner, compat)?),
            );
            if !schemas
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&ext.id)))
            {
                schemas.push(Value::String(ext.id.clone()));
            }
            continue;
        }
        let def = crate::schema::find(&schema.common, &k).or_else(|| schema.core.attribute(&k));
        match def {
            Some(d) if d.mutability == Mutability::ReadOnly => {}
            Some(d) => {
                let v = crate::json::without_nulls(d.coerce(v, compat)?);
                if !v.is_null() {
                    out.insert(d.name.clone(), v);
                }
            }
            None => {
                out.insert(k, v);
            }
        }
    }
    out.insert("schemas".into(), Value::Array(schemas));
    check_required(&schema.core, &out)?;
    for ext in &schema.extensions {
        if ext.required && key_ci(&out, &ext.schema.id).is_none() {
            return Err(Error::InvalidValue {
                attribute: ext.schema.id.clone(),
                expected: "the required extension".into(),
                received: "nothing".into(),
            });
        }
        if let Some(Value::Object(inner)) = out.get(&ext.schema.id) {
            check_required(&ext.schema, inner)?;
        }
    }
    Ok(Resource(out))
}

fn validate_attrs(
    defs: &[AttributeDef],
    obj: Map<String, Value>,
    compat: Compatibility,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (k, v) in obj {
        match crate::schema::find(defs, &k) {
            Some(d) if d.mutability == Mutability::ReadOnly => {}
            Some(d) => {
                let v = crate::json::without_nulls(d.coerce(v, compat)?);
                if !v.is_null() {
                    out.insert(d.name.clone(), v);
                }
            }
            None => {
                out.insert(k, v);
            }
        }
    }
    Ok(out)
}

fn check_required(schema: &Schema, obj: &Map<String, Value>) -> Result<()> {
    for d in schema
        .attributes
        .iter()
        .filter(|d| d.required && d.mutability != Mutability::ReadOnly)
    {
        if get_ci(obj, &d.name).is_none_or(Value::is_null) {
            return Err(Error::InvalidValue {
                attribute: d.name.clone(),
                expected: "a value (the attribute is required)".into(),
                received: "nothing".into(),
            });
        }
    }
    Ok(())
}

/// Reads a `POST` body into a new resource with `id`, and `meta` (created = lastModified = `now`,
/// `location` = `{base_url}{endpoint}/{id}` when a base URL is given, version = ETag).
/// Uniqueness of `userName` is the store's check: report a collision with [`Error::Uniqueness`] (409).
///
/// # Errors
/// As [`validate`].
pub fn create(
    schema: &ResourceSchema,
    body: Value,
    compat: Compatibility,
    id: &str,
    base_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Resource> {
    let mut r = validate(schema, body, compat)?;
    r.0.insert("id".into(), Value::String(id.to_owned()));
    let meta = Meta {
        resource_type: schema.name.clone(),
        created: now,
        last_modified: now,
        location: base_url.map(|b| format!("{}{}/{id}", b.trim_end_matches('/'), schema.endpoint)),
        version: Some(r.etag()),
    };
    r.set_meta(&meta);
    Ok(r)
}

/// Reads a `PUT` body as the new state of `existing` (RFC 7644 §3.5.1): `id` and `meta.created`/`location` are
/// kept (Okta copies `id` and `meta` back; they are ignored), immutable attributes must not change (and are
/// kept when not sent), writeOnly attributes not sent (the password) are kept, everything else not sent
/// becomes unassigned.
///
/// # Errors
/// As [`validate`], and [`Error::Mutability`] when an immutable attribute changes.
pub fn replace(
    schema: &ResourceSchema,
    existing: &Resource,
    body: Value,
    compat: Compatibility,
    now: DateTime<Utc>,
) -> Result<Resource> {
    let mut r = validate(schema, body, compat)?;
    for d in schema.common.iter().chain(&schema.core.attributes) {
        let old = existing.get(&d.name);
        let new = r.get(&d.name);
        match d.mutability {
            Mutability::Immutable => match (old, new) {
                (Some(o), Some(n)) if o != n => {
                    return Err(Error::Mutability {
                        attribute: d.name.clone(),
                        mutability: "immutable",
                    });
                }
                // Not sent: an immutable value cannot be cleared either.
                (Some(o), None) => {
                    r.0.insert(d.name.clone(), o.clone());
                }
                _ => {}
            },
            Mutability::WriteOnly if new.is_none() => {
                if let Some(o) = old {
                    r.0.insert(d.name.clone(), o.clone());
                }
            }
            // `schemas` follows the body (it names the extensions the body carries).
            Mutability::ReadOnly if d.name != "schemas" => {
                remove_ci(&mut r.0, &d.name);
                if let Some(o) = old {
                    r.0.insert(d.name.clone(), o.clone());
                }
            }
            _ => {}
        }
    }
    r.touch(&schema.name, now);
    Ok(r)
}

/// A typed view of a User resource.
#[derive(Debug, Clone, PartialEq)]
pub struct User(pub Resource);

/// The `name` attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Name {
    pub formatted: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub honorific_prefix: Option<String>,
    pub honorific_suffix: Option<String>,
}

/// One value of a multi-valued attribute (`emails`, `members`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MultiValue {
    /// `value`.
    pub value: Option<String>,
    /// `display`.
    pub display: Option<String>,
    /// `type`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `primary`.
    #[serde(default)]
    pub primary: bool,
}

fn str_attr<'a>(r: &'a Resource, name: &str) -> Option<&'a str> {
    r.get(name).and_then(Value::as_str)
}

fn multi(r: &Resource, name: &str) -> Vec<MultiValue> {
    match r.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| serde_json::from_value(i.clone()).ok())
            .collect(),
        _ => Vec::new(),
    }
}

impl User {
    /// A minimal user with `userName`.
    #[must_use]
    pub fn new(user_name: &str) -> Self {
        let mut m = Map::new();
        m.insert("schemas".into(), json!([USER_SCHEMA]));
        m.insert("userName".into(), Value::String(user_name.to_owned()));
        Self(Resource(m))
    }

    /// `userName`.
    #[must_use]
    pub fn user_name(&self) -> Option<&str> {
        str_attr(&self.0, "userName")
    }

    /// `active` (absent counts as active, as Okta creates users with it and deactivates by setting `false`).
    #[must_use]
    pub fn active(&self) -> bool {
        self.0
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// `displayName`.
    #[must_use]
    pub fn display_name(&self) -> Option<&str> {
        str_attr(&self.0, "displayName")
    }

    /// `name`.
    #[must_use]
    pub fn name(&self) -> Option<Name> {
        self.0
            .get("name")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// `emails`.
    #[must_use]
    pub fn emails(&self) -> Vec<MultiValue> {
        multi(&self.0, "emails")
    }

    /// The primary email, else the first.
    #[must_use]
    pub fn primary_email(&self) -> Option<String> {
        let emails = self.emails();
        emails
            .iter()
            .find(|e| e.primary)
            .or(emails.first())
            .and_then(|e| e.value.clone())
    }

    /// An Enterprise User extension attribute (`employeeNumber`, `department`, ...), when a string.
    #[must_use]
    pub fn enterprise(&self, name: &str) -> Option<&str> {
        self.0
            .get(crate::schema::ENTERPRISE_USER_SCHEMA)
            .and_then(Value::as_object)
            .and_then(|o| get_ci(o, name))
            .and_then(Value::as_str)
    }

    /// The manager's id (`manager.value` of the Enterprise User extension).
    #[must_use]
    pub fn manager_id(&self) -> Option<&str> {
        self.0
            .get(crate::schema::ENTERPRISE_USER_SCHEMA)
            .and_then(Value::as_object)
            .and_then(|o| get_ci(o, "manager"))
            .and_then(Value::as_object)
            .and_then(|m| get_ci(m, "value"))
            .and_then(Value::as_str)
    }
}

/// A typed view of a Group resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Group(pub Resource);

impl Group {
    /// A group with `displayName` and no members.
    #[must_use]
    pub fn new(display_name: &str) -> Self {
        let mut m = Map::new();
        m.insert("schemas".into(), json!([crate::schema::GROUP_SCHEMA]));
        m.insert("displayName".into(), Value::String(display_name.to_owned()));
        Self(Resource(m))
    }

    /// `displayName`.
    #[must_use]
    pub fn display_name(&self) -> Option<&str> {
        str_attr(&self.0, "displayName")
    }

    /// `members`.
    #[must_use]
    pub fn members(&self) -> Vec<MultiValue> {
        multi(&self.0, "members")
    }

    /// The member ids.
    #[must_use]
    pub fn member_ids(&self) -> Vec<String> {
        self.members().into_iter().filter_map(|m| m.value).collect()
    }
}

/// A list response (RFC 7644 §3.4.2): `totalResults`, `startIndex`, `itemsPerPage` (= the number of resources
/// returned) as integers, and `Resources` (always present, `[]` when empty: Okta expects 200 with
/// `totalResults: 0`).
#[derive(Debug, Clone, PartialEq)]
pub struct ListResponse {
    /// Matches in total, over all pages.
    pub total_results: usize,
    /// 1-based index of the first resource returned.
    pub start_index: usize,
    /// The resources of this page, already projected.
    pub resources: Vec<Value>,
}

impl ListResponse {
    /// The message body.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "schemas": [LIST_RESPONSE_SCHEMA],
            "totalResults": self.total_results,
            "startIndex": self.start_index,
            "itemsPerPage": self.resources.len(),
            "Resources": self.resources,
        })
    }
}

/// The `/ServiceProviderConfig` resource (RFC 7643 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProviderConfig {
    /// Help page for admins.
    pub documentation_uri: Option<String>,
    /// Largest page a list returns (`filter.maxResults`).
    pub max_results: usize,
    /// Whether ETags are served.
    pub etag: bool,
}

impl Default for ServiceProviderConfig {
    fn default() -> Self {
        Self {
            documentation_uri: None,
            max_results: 200,
            etag: true,
        }
    }
}

impl ServiceProviderConfig {
    /// The resource body: PATCH, filter, sort and ETag supported; bulk and password change not; bearer tokens.
    #[must_use]
    pub fn to_json(&self, now: DateTime<Utc>) -> Value {
        let mut v = json!({
            "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": self.max_results },
            "changePassword": { "supported": false },
            "sort": { "supported": true },
            "etag": { "supported": self.etag },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with a personal access token in the Authorization header.",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": "/ServiceProviderConfig",
                "created": now.to_rfc3339_opts(SecondsFormat::Secs, true),
                "lastModified": now.to_rfc3339_opts(SecondsFormat::Secs, true),
            },
        });
        if let (Some(uri), Some(o)) = (&self.documentation_uri, v.as_object_mut()) {
            o.insert("documentationUri".into(), Value::String(uri.clone()));
        }
        v
    }
}

/// The `/ResourceTypes` list response for these resource types.
#[must_use]
pub fn resource_types_response(types: &[&ResourceSchema]) -> Value {
    let resources: Vec<Value> = types.iter().map(|t| t.resource_type_json()).collect();
    ListResponse {
        total_results: resources.len(),
        start_index: 1,
        resources,
    }
    .to_json()
}

/// The `/Schemas` list response: every core and extension schema of these resource types.
#[must_use]
pub fn schemas_response(types: &[&ResourceSchema]) -> Value {
    let mut resources = Vec::new();
    for t in types {
        resources.push(t.core.to_json());
        for e in &t.extensions {
            resources.push(e.schema.to_json());
        }
    }
    ListResponse {
        total_results: resources.len(),
        start_index: 1,
        resources,
    }
    .to_json()
}
