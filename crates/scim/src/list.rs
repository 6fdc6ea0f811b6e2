//! List queries (RFC 7644 §3.4.2, §3.4.3): filter, paging, sorting, attribute projection, and ETags (§3.14).
//!
//! ```
//! use gatehouse_scim::list::ListQuery;
//! use gatehouse_scim::resource::{Resource, User};
//! use gatehouse_scim::schema::ResourceSchema;
//! use gatehouse_scim::Compatibility;
//!
//! // Okta's existence check before creating a user.
//! let q = ListQuery::from_query(
//!     [("filter", r#"userName eq "bjensen@example.com""#), ("startIndex", "1"), ("count", "100")],
//!     200,
//!     Compatibility::Tolerant,
//! )?;
//! let mut u = User::new("BJensen@example.com").0;
//! u.as_object_mut().insert("id".into(), "2819c223".into());
//! let page = q.run([&u], ResourceSchema::user())?.to_json();
//! assert_eq!(page["totalResults"], 1); // userName is compared case-insensitively
//! assert_eq!(page["Resources"][0]["id"], "2819c223");
//! # Ok::<(), gatehouse_scim::Error>(())
//! ```

use std::cmp::Ordering;

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::compat::Compatibility;
use crate::error::{Error, Result};
use crate::filter::{AttrPath, Filter, compare_str, parse_with_positions};
use crate::json::get_ci;
use crate::resource::{ListResponse, Resource};
use crate::schema::{AttributeDef, AttributeType, Located, ResourceSchema, Returned, short};

/// URN of the SearchRequest message (`POST /.search`).
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Ascending (the default); unassigned values last.
    #[default]
    Ascending,
    /// Descending; unassigned values first.
    Descending,
}

/// A parsed list query.
/// Equality ignores where the filter's expressions were in the query text.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// `filter`.
    pub filter: Option<Filter>,
    /// `startIndex`, 1-based, at least 1.
    pub start_index: usize,
    /// `count`, clamped to `0..=max_results`.
    pub count: usize,
    /// `sortBy`.
    pub sort_by: Option<AttrPath>,
    /// `sortOrder`.
    pub sort_order: SortOrder,
    /// `attributes`.
    pub attributes: Vec<AttrPath>,
    /// `excludedAttributes`.
    pub excluded_attributes: Vec<AttrPath>,
    /// Where each attribute expression of `filter` starts in the query text, for error positions.
    filter_positions: Vec<usize>,
}

fn invalid(name: &str, expected: &str, got: &str) -> Error {
    Error::InvalidValue {
        attribute: name.into(),
        expected: expected.into(),
        received: format!("{got:?}"),
    }
}

/// `startIndex`: below 1 means 1 (RFC 7644 §3.4.2.4).
fn start_index(v: i64) -> usize {
    usize::try_from(v.max(1)).unwrap_or(1)
}

/// `count`: negative means 0, above the maximum means the maximum.
fn count(v: i64, max: usize) -> usize {
    usize::try_from(v.max(0)).unwrap_or(0).min(max)
}

fn path_list(text: &str) -> Result<Vec<AttrPath>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(AttrPath::parse)
        .collect()
}

impl ListQuery {
    /// A query with no filter returning the first `max_results` resources.
    #[must_use]
    pub fn all(max_results: usize) -> Self {
        Self {
            filter: None,
            start_index: 1,
            count: max_results,
            sort_by: None,
            sort_order: SortOrder::Ascending,
            attributes: Vec::new(),
            excluded_attributes: Vec::new(),
            filter_positions: Vec::new(),
        }
    }

    /// Reads URL query parameters, already percent-decoded, as `(name, value)` pairs. Parameter names are
    /// case-insensitive; unknown ones are ignored. `count` defaults to and is clamped at `max_results`.
    ///
    /// # Errors
    /// [`Error::InvalidFilter`] for the filter, [`Error::InvalidPath`] for `sortBy`/`attributes`,
    /// [`Error::InvalidValue`] for a non-integer `startIndex`/`count` or an unknown `sortOrder`.
    pub fn from_query<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        max_results: usize,
        compat: Compatibility,
    ) -> Result<Self> {
        let mut q = Self::all(max_results);
        for (k, v) in pairs {
            let int = |name: &str| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| invalid(name, "an integer", v))
            };
            match k {
                _ if k.eq_ignore_ascii_case("filter") => {
                    let (f, positions) = parse_with_positions(v, compat)?;
                    q.filter = Some(f);
                    q.filter_positions = positions;
                }
                _ if k.eq_ignore_ascii_case("startIndex") => {
                    q.start_index = start_index(int("startIndex")?)
                }
                _ if k.eq_ignore_ascii_case("count") => q.count = count(int("count")?, max_results),
                _ if k.eq_ignore_ascii_case("sortBy") => {
                    q.sort_by = Some(AttrPath::parse(v.trim())?)
                }
                _ if k.eq_ignore_ascii_case("sortOrder") => q.sort_order = sort_order(v)?,
                _ if k.eq_ignore_ascii_case("attributes") => q.attributes = path_list(v)?,
                _ if k.eq_ignore_ascii_case("excludedAttributes") => {
                    q.excluded_attributes = path_list(v)?
                }
                _ => {}
            }
        }
        Ok(q)
    }

    /// Reads a `POST /.search` SearchRequest body (RFC 7644 §3.4.3).
    ///
    /// # Errors
    /// [`Error::InvalidSyntax`] when it is not a SearchRequest (strict: `schemas` must name it), and the errors
    /// of [`ListQuery::from_query`].
    pub fn from_search_request(
        body: &Value,
        max_results: usize,
        compat: Compatibility,
    ) -> Result<Self> {
        let obj = body.as_object().ok_or_else(|| Error::InvalidSyntax {
            expected: "a SearchRequest object".into(),
            received: short(body),
        })?;
        let named = get_ci(obj, "schemas")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST_SCHEMA))
                })
            });
        if !named && compat == Compatibility::Strict {
            return Err(Error::InvalidSyntax {
                expected: format!("\"schemas\": [\"{SEARCH_REQUEST_SCHEMA}\"]"),
                received: short(get_ci(obj, "schemas").unwrap_or(&Value::Null)),
            });
        }
        let mut q = Self::all(max_results);
        let text = |name: &str| -> Result<Option<&str>> {
            match get_ci(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(other) => Err(invalid(name, "a string", &other.to_string())),
            }
        };
        let int = |name: &str| -> Result<Option<i64>> {
            match get_ci(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| invalid(name, "an integer", &v.to_string())),
            }
        };
        let paths = |name: &str| -> Result<Vec<AttrPath>> {
            match get_ci(obj, name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|p| {
                        p.as_str()
                            .ok_or_else(|| invalid(name, "attribute paths", &p.to_string()))
                            .and_then(|s| AttrPath::parse(s.trim()))
                    })
                    .collect(),
                Some(Value::String(s)) => path_list(s),
                Some(other) => Err(invalid(
                    name,
                    "an array of attribute paths",
                    &other.to_string(),
                )),
            }
        };
        if let Some(f) = text("filter")? {
            let (f, positions) = parse_with_positions(f, compat)?;
            q.filter = Some(f);
            q.filter_positions = positions;
        }
        if let Some(s) = text("sortBy")? {
            q.sort_by = Some(AttrPath::parse(s.trim())?);
        }
        if let Some(s) = text("sortOrder")? {
            q.sort_order = sort_order(s)?;
        }
        if let Some(i) = int("startIndex")? {
            q.start_index = start_index(i);
        }
        if let Some(c) = int("count")? {
            q.count = count(c, max_results);
        }
        q.attributes = paths("attributes")?;
        q.excluded_attributes = paths("excludedAttributes")?;
        Ok(q)
    }

    /// The query as a SearchRequest message (RFC 7644 §3.4.3), for `POST /.search`; reads back with
    /// [`ListQuery::from_search_request`].
    #[must_use]
    pub fn to_search_request(&self) -> Value {
        let paths = |list: &[AttrPath]| -> Value {
            Value::Array(list.iter().map(|p| Value::String(p.to_string())).collect())
        };
        let mut m = Map::new();
        m.insert(
            "schemas".into(),
            Value::Array(vec![Value::String(SEARCH_REQUEST_SCHEMA.into())]),
        );
        if !self.attributes.is_empty() {
            m.insert("attributes".into(), paths(&self.attributes));
        }
        if !self.excluded_attributes.is_empty() {
            m.insert(
                "excludedAttributes".into(),
                paths(&self.excluded_attributes),
            );
        }
        if let Some(f) = &self.filter {
            m.insert("filter".into(), Value::String(f.to_string()));
        }
        if let Some(by) = &self.sort_by {
            m.insert("sortBy".into(), Value::String(by.to_string()));
            let order = match self.sort_order {
                SortOrder::Ascending => "ascending",
                SortOrder::Descending => "descending",
            };
            m.insert("sortOrder".into(), Value::String(order.into()));
        }
        m.insert("startIndex".into(), Value::from(self.start_index));
        m.insert("count".into(), Value::from(self.count));
        Value::Object(m)
    }

    /// The number of matches to skip (`startIndex - 1`), for a store that pages itself.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.start_index.saturating_sub(1)
    }

    /// Filters, sorts and pages `resources` in memory and projects each returned one. Without `sortBy` the
    /// order is the order given, so the caller should pass a stable order (by `id` or creation time) for pages
    /// to be stable.
    ///
    /// # Errors
    /// [`Error::InvalidFilter`] from [`Filter::check`].
    pub fn run<'r>(
        &self,
        resources: impl IntoIterator<Item = &'r Resource>,
        schema: &ResourceSchema,
    ) -> Result<ListResponse> {
        if let Some(f) = &self.filter {
            f.check_at(schema, &self.filter_positions)?;
        }
        let mut hits: Vec<&Resource> = resources
            .into_iter()
            .filter(|r| {
                self.filter
                    .as_ref()
                    .is_none_or(|f| f.matches_object(r.as_object(), schema))
            })
            .collect();
        if let Some(by) = &self.sort_by {
            let def = sort_def(by, schema);
            let mut keyed: Vec<(Option<&Value>, &Resource)> = hits
                .iter()
                .map(|r| (sort_key(r.as_object(), by, schema), *r))
                .collect();
            keyed.sort_by(|a, b| {
                let o = compare_keys(a.0, b.0, def);
                if self.sort_order == SortOrder::Descending {
                    o.reverse()
                } else {
                    o
                }
            });
            hits = keyed.into_iter().map(|(_, r)| r).collect();
        }
        let total = hits.len();
        let page = hits
            .into_iter()
            .skip(self.offset())
            .take(self.count)
            .map(|r| project(r, schema, &self.attributes, &self.excluded_attributes))
            .collect();
        Ok(ListResponse {
            total_results: total,
            start_index: self.start_index,
            resources: page,
        })
    }
}

impl PartialEq for ListQuery {
    fn eq(&self, other: &Self) -> bool {
        self.filter == other.filter
            && self.start_index == other.start_index
            && self.count == other.count
            && self.sort_by == other.sort_by
            && self.sort_order == other.sort_order
            && self.attributes == other.attributes
            && self.excluded_attributes == other.excluded_attributes
    }
}

fn sort_order(v: &str) -> Result<SortOrder> {
    if v.eq_ignore_ascii_case("ascending") {
        Ok(SortOrder::Ascending)
    } else if v.eq_ignore_ascii_case("descending") {
        Ok(SortOrder::Descending)
    } else {
        Err(invalid("sortOrder", "\"ascending\" or \"descending\"", v))
    }
}

fn sort_def<'s>(by: &AttrPath, schema: &'s ResourceSchema) -> Option<&'s AttributeDef> {
    let top = schema
        .locate(by.uri.as_deref(), &by.name)
        .map(Located::def)?;
    match &by.sub {
        Some(s) => top.sub(s),
        None if top.kind == AttributeType::Complex => top.sub("value"),
        None => Some(top),
    }
}

/// The value to sort by: for a multi-valued attribute, the primary value, else the first (RFC 7644 §3.4.2.3).
fn sort_key<'v>(
    obj: &'v Map<String, Value>,
    by: &AttrPath,
    schema: &ResourceSchema,
) -> Option<&'v Value> {
    let (container, name) = match schema.locate(by.uri.as_deref(), &by.name) {
        Some(Located::Extension(ext, d)) => (get_ci(obj, &ext.id)?.as_object()?, d.name.as_str()),
        Some(Located::Core(d)) => (obj, d.name.as_str()),
        None => (obj, by.name.as_str()),
    };
    let top = get_ci(container, name)?;
    let one = match top {
        Value::Array(items) => items
            .iter()
            .find(|i| i.as_object().and_then(|o| get_ci(o, "primary")) == Some(&Value::Bool(true)))
            .or(items.first())?,
        v => v,
    };
    let sub = by
        .sub
        .as_deref()
        .or(if one.is_object() { Some("value") } else { None });
    match (sub, one) {
        (Some(s), Value::Object(o)) => get_ci(o, s).filter(|v| !v.is_null()),
        (_, v) if !v.is_null() => Some(v),
        _ => None,
    }
}

fn compare_keys(a: Option<&Value>, b: Option<&Value>, def: Option<&AttributeDef>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare_values(x, y, def),
    }
}

fn compare_values(x: &Value, y: &Value, def: Option<&AttributeDef>) -> Ordering {
    match (x, y) {
        (Value::String(a), Value::String(b)) => {
            if def.is_some_and(|d| d.kind == AttributeType::DateTime)
                && let (Ok(p), Ok(q)) = (
                    DateTime::parse_from_rfc3339(a),
                    DateTime::parse_from_rfc3339(b),
                )
            {
                return p.cmp(&q);
            }
            let exact = def.is_some_and(|d| d.case_exact);
            if compare_str(a, b, crate::filter::CompareOp::Lt, exact) {
                Ordering::Less
            } else if compare_str(a, b, crate::filter::CompareOp::Gt, exact) {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b))
            .unwrap_or(Ordering::Equal),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        _ => Ordering::Equal,
    }
}

/// A requested path, resolved to where the attribute lives.
struct Wanted<'a> {
    container: Option<String>,
    name: &'a str,
    sub: Option<&'a str>,
    /// The path names a whole extension (`attributes=urn:…:enterprise:2.0:User`).
    whole_extension: bool,
}

fn resolve<'a>(p: &'a AttrPath, schema: &ResourceSchema) -> Wanted<'a> {
    if let Some(uri) = &p.uri
        && p.sub.is_none()
    {
        let full = format!("{uri}:{}", p.name);
        if schema.extension(&full).is_some() || schema.is_core(&full) {
            return Wanted {
                container: Some(full),
                name: &p.name,
                sub: None,
                whole_extension: true,
            };
        }
    }
    let container = match schema.locate(p.uri.as_deref(), &p.name) {
        Some(Located::Extension(ext, _)) => Some(ext.id.clone()),
        Some(Located::Core(_)) => None,
        None => p.uri.clone().filter(|u| !schema.is_core(u)),
    };
    Wanted {
        container,
        name: &p.name,
        sub: p.sub.as_deref(),
        whole_extension: false,
    }
}

/// Selection of one attribute by a list of paths.
#[derive(Default)]
struct Selection<'a> {
    whole: bool,
    subs: Vec<&'a str>,
}

fn select<'a>(list: &'a [Wanted<'a>], container: Option<&str>, name: &str) -> Selection<'a> {
    let mut sel = Selection::default();
    for w in list {
        let same_container = match (&w.container, container) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        if w.whole_extension {
            if container.is_some() && same_container {
                sel.whole = true;
            }
            continue;
        }
        if same_container && w.name.eq_ignore_ascii_case(name) {
            match w.sub {
                None => sel.whole = true,
                Some(s) => sel.subs.push(s),
            }
        }
    }
    sel
}

/// Projects a resource for a response (RFC 7644 §3.4.2.5, RFC 7643 §7 `returned`): `returned: never`
/// attributes (the password) are always dropped, `always` ones (`id`, and `schemas`, `meta.resourceType`) always
/// kept; with `attributes`, only those (and their sub-attributes when a path names one) are returned; otherwise
/// `default` attributes minus `excluded`. Attributes the schema does not know count as `default`.
#[must_use]
pub fn project(
    resource: &Resource,
    schema: &ResourceSchema,
    attributes: &[AttrPath],
    excluded: &[AttrPath],
) -> Value {
    let attrs: Vec<Wanted<'_>> = attributes.iter().map(|p| resolve(p, schema)).collect();
    let excl: Vec<Wanted<'_>> = excluded.iter().map(|p| resolve(p, schema)).collect();
    let obj = resource.as_object();
    let mut out = Map::new();
    for (k, v) in obj {
        if k.eq_ignore_ascii_case("schemas") {
            out.insert(k.clone(), v.clone());
            continue;
        }
        let ext_defs: Option<&[AttributeDef]> =
            schema.extension(k).map(|s| s.attributes.as_slice());
        let is_ext = ext_defs.is_some()
            || (k.len() > 4
                && k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
                && v.is_object());
        if is_ext {
            let Value::Object(inner) = v else { continue };
            let mut kept = Map::new();
            for (ik, iv) in inner {
                let def = ext_defs.and_then(|d| crate::schema::find(d, ik));
                if let Some(pv) = project_attr(def, Some(k), ik, iv, &attrs, &excl) {
                    kept.insert(ik.clone(), pv);
                }
            }
            if !kept.is_empty() {
                out.insert(k.clone(), Value::Object(kept));
            }
            continue;
        }
        let def = crate::schema::find(&schema.common, k).or_else(|| schema.core.attribute(k));
        if let Some(pv) = project_attr(def, None, k, v, &attrs, &excl) {
            out.insert(k.clone(), pv);
        } else if k.eq_ignore_ascii_case("meta") {
            // meta.resourceType is always returned.
            if let Some(rt) = v.as_object().and_then(|m| get_ci(m, "resourceType")) {
                let mut m = Map::new();
                m.insert("resourceType".into(), rt.clone());
                out.insert(k.clone(), Value::Object(m));
            }
        }
    }
    Value::Object(out)
}

fn project_attr(
    def: Option<&AttributeDef>,
    container: Option<&str>,
    name: &str,
    value: &Value,
    attrs: &[Wanted<'_>],
    excl: &[Wanted<'_>],
) -> Option<Value> {
    let returned = def.map_or(Returned::Default, |d| d.returned);
    match returned {
        Returned::Never => return None,
        Returned::Always => return Some(strip_never(def, value)),
        _ => {}
    }
    if !attrs.is_empty() {
        let sel = select(attrs, container, name);
        if sel.whole {
            return Some(strip_never(def, value));
        }
        if !sel.subs.is_empty() {
            return keep_subs(def, value, &sel.subs);
        }
        return None;
    }
    if returned == Returned::Request {
        return None;
    }
    let sel = select(excl, container, name);
    if sel.whole {
        return None;
    }
    let v = strip_never(def, value);
    if sel.subs.is_empty() {
        Some(v)
    } else {
        drop_subs(&v, &sel.subs)
    }
}

fn sub_returned(def: Option<&AttributeDef>, sub: &str) -> Returned {
    def.and_then(|d| d.sub(sub))
        .map_or(Returned::Default, |s| s.returned)
}

type Object = Map<String, Value>;

fn map_objects(value: &Value, f: &dyn Fn(&Object) -> Object) -> Value {
    match value {
        Value::Object(o) => Value::Object(f(o)),
        Value::Array(items) => Value::Array(items.iter().map(|i| map_objects(i, f)).collect()),
        other => other.clone(),
    }
}

fn strip_never(def: Option<&AttributeDef>, value: &Value) -> Value {
    if def.is_none_or(|d| {
        d.sub_attributes
            .iter()
            .all(|s| s.returned != Returned::Never)
    }) {
        return value.clone();
    }
    map_objects(value, &|o| {
        o.iter()
            .filter(|(k, _)| sub_returned(def, k) != Returned::Never)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

fn keep_subs(def: Option<&AttributeDef>, value: &Value, subs: &[&str]) -> Option<Value> {
    let v = map_objects(value, &|o| {
        o.iter()
            .filter(|(k, _)| {
                let r = sub_returned(def, k);
                r != Returned::Never
                    && (r == Returned::Always || subs.iter().any(|s| s.eq_ignore_ascii_case(k)))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    non_empty(v)
}

fn drop_subs(value: &Value, subs: &[&str]) -> Option<Value> {
    let v = map_objects(value, &|o| {
        o.iter()
            .filter(|(k, _)| !subs.iter().any(|s| s.eq_ignore_ascii_case(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    non_empty(v)
}

fn non_empty(v: Value) -> Option<Value> {
    match &v {
        Value::Object(o) if o.is_empty() => None,
        Value::Array(a) if a.iter().all(|i| i.as_object().is_some_and(Map::is_empty)) => None,
        _ => Some(v),
    }
}

/// Checks an `If-Match` header against the resource's current ETag (RFC 7644 §3.14, RFC 7232 §3.1).
/// `None` (no header) and `*` pass; otherwise one of the listed tags must match. Tags are compared with
/// the weak comparison (the `W/` prefix ignored), since SCIM versions are weak ETags and RFC 7644's own
/// examples send them in `If-Match`.
///
/// # Errors
/// [`Error::PreconditionFailed`] (412) when no tag matches.
pub fn check_if_match(header: Option<&str>, current: &str) -> Result<()> {
    let Some(h) = header else { return Ok(()) };
    if etag_list_matches(h, current) {
        Ok(())
    } else {
        Err(Error::PreconditionFailed {
            expected: h.trim().to_owned(),
            current: current.to_owned(),
        })
    }
}

/// Whether an `If-None-Match` header matches the current ETag, in which case a `GET` answers 304.
#[must_use]
pub fn if_none_match(header: Option<&str>, current: &str) -> bool {
    header.is_some_and(|h| etag_list_matches(h, current))
}

fn opaque(tag: &str) -> &str {
    let t = tag.trim();
    t.strip_prefix("W/").unwrap_or(t)
}

fn etag_list_matches(header: &str, current: &str) -> bool {
    let h = header.trim();
    if h == "*" {
        return true;
    }
    let cur = opaque(current);
    h.split(',').any(|t| opaque(t) == cur)
}

/// Whether a `userName` (or other `uniqueness: server` string) collides with an existing one, compared as the
/// schema says (`userName` is case-insensitive). The store calls this, or enforces the same with an index on
/// the lower-cased value, and answers [`Error::Uniqueness`] (409).
#[must_use]
pub fn same_unique_value(def: &AttributeDef, a: &str, b: &str) -> bool {
    compare_str(a, b, crate::filter::CompareOp::Eq, def.case_exact)
}
