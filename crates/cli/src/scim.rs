//! `gatehouse scim filter | patch | sql`: the filter and PATCH languages of gatehouse-scim.

use std::path::Path;

use gatehouse_scim::Compatibility;
use gatehouse_scim::filter::sql::{Dialect, SqlParam, to_sql};
use gatehouse_scim::filter::{AttrPath, CompValue, Filter, parse_filter_for};
use gatehouse_scim::patch::PatchRequest;
use gatehouse_scim::schema::ResourceSchema;
use serde_json::{Value, json};

use crate::input;
use crate::output::{Failure, Output, REFUSED, USAGE, variant_code};

/// Which resource schema decides attribute types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ResourceType {
    /// `urn:ietf:params:scim:schemas:core:2.0:User` (with the enterprise extension).
    User,
    /// `urn:ietf:params:scim:schemas:core:2.0:Group`.
    Group,
}

/// SQL dialect names on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SqlDialect {
    /// SQLite 3.38+, placeholders `?1`, `?2`, …
    Sqlite,
    /// PostgreSQL 12+ with a jsonb column, placeholders `$1`, `$2`, …
    Postgres,
}

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn schema_for(kind: Option<ResourceType>, resource: Option<&Value>) -> &'static ResourceSchema {
    let is_group = match kind {
        Some(k) => k == ResourceType::Group,
        None => resource
            .and_then(|r| r.get("schemas"))
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(GROUP_SCHEMA))),
    };
    if is_group {
        ResourceSchema::group()
    } else {
        ResourceSchema::user()
    }
}

fn compat(strict: bool) -> Compatibility {
    if strict {
        Compatibility::Strict
    } else {
        Compatibility::Tolerant
    }
}

/// A SCIM error as a CLI failure: the RFC 7644 `scimType` in snake_case (or the variant name).
fn failure(e: &gatehouse_scim::Error, exit: u8) -> Failure {
    let code = e
        .scim_type()
        .map_or_else(|| variant_code(&format!("{e:?}")), variant_code);
    Failure::new(exit, &code, e.to_string(), e.admin_hint()).with("scim_status", json!(e.status()))
}

fn path_text(p: &AttrPath) -> String {
    let mut s = String::new();
    if let Some(uri) = &p.uri {
        s.push_str(uri);
        s.push(':');
    }
    s.push_str(&p.name);
    if let Some(sub) = &p.sub {
        s.push('.');
        s.push_str(sub);
    }
    s
}

fn value_json(v: &CompValue) -> Value {
    match v {
        CompValue::Null => Value::Null,
        CompValue::Bool(b) => json!(b),
        CompValue::Number(n) => Value::Number(n.clone()),
        CompValue::String(s) => json!(s),
    }
}

/// The filter tree as JSON: `{"op": …}` nodes with `attr`, `value`, `left`/`right` or `filter`.
pub(crate) fn ast_json(f: &Filter) -> Value {
    match f {
        Filter::Present(p) => json!({"op": "pr", "attr": path_text(p)}),
        Filter::Compare(p, op, v) => {
            json!({"op": op.as_str(), "attr": path_text(p), "value": value_json(v)})
        }
        Filter::ValuePath { attr, filter, then } => json!({
            "op": "value_path",
            "attr": path_text(attr),
            "filter": ast_json(filter),
            "then": then.as_deref().map(ast_json),
        }),
        Filter::And(a, b) => json!({"op": "and", "left": ast_json(a), "right": ast_json(b)}),
        Filter::Or(a, b) => json!({"op": "or", "left": ast_json(a), "right": ast_json(b)}),
        Filter::Not(a) => json!({"op": "not", "filter": ast_json(a)}),
    }
}

fn parse(text: &str, schema: &ResourceSchema, strict: bool) -> Result<Filter, Failure> {
    parse_filter_for(text, schema, compat(strict)).map_err(|e| failure(&e, USAGE))
}

/// `scim filter`.
pub(crate) fn filter(
    text: &str,
    resource: Option<&Path>,
    kind: Option<ResourceType>,
    strict: bool,
) -> Result<Output, Failure> {
    let resource = resource.map(input::read_json).transpose()?;
    let schema = schema_for(kind, resource.as_ref());
    let f = parse(text, schema, strict)?;
    let ast = ast_json(&f);
    let mut t = format!("{f}\n{}\n", crate::output::pretty(&ast));
    let mut json = serde_json::Map::new();
    json.insert("filter".into(), json!(f.to_string()));
    json.insert("ast".into(), ast);
    if let Some(r) = &resource {
        let matches = f.matches(r, schema);
        json.insert("matches".into(), json!(matches));
        t.push_str(&format!("matches: {matches}\n"));
    }
    let json = Value::Object(json);
    Ok(Output::new(json, t))
}

/// `scim patch`: the PatchOp applied all-or-nothing.
pub(crate) fn patch(
    resource: &Path,
    patch: &Path,
    kind: Option<ResourceType>,
    strict: bool,
) -> Result<Output, Failure> {
    let mut r = input::read_json(resource)?;
    let schema = schema_for(kind, Some(&r));
    let body = input::read(patch)?;
    // Not a PatchOp, or a path/filter that does not parse: unreadable (2); anything else was understood
    // and refused (1), whether the library noticed it while reading or while applying.
    let patch_failure = |e: gatehouse_scim::Error| {
        let unreadable = matches!(
            e.scim_type(),
            Some("invalidSyntax" | "invalidPath" | "invalidFilter")
        );
        failure(&e, if unreadable { USAGE } else { REFUSED })
    };
    let request = PatchRequest::from_slice(&body, compat(strict)).map_err(patch_failure)?;
    request
        .apply(&mut r, schema, compat(strict))
        .map_err(patch_failure)?;
    let text = format!("{}\n", crate::output::pretty(&r));
    Ok(Output::new(r, text))
}

fn param_json(p: &SqlParam) -> Value {
    match p {
        SqlParam::Text(s) => json!(s),
        SqlParam::Integer(i) => json!(i),
        SqlParam::Real(f) => json!(f),
        SqlParam::Bool(b) => json!(b),
        other => json!(format!("{other:?}")),
    }
}

/// `scim sql`.
pub(crate) fn sql(
    text: &str,
    dialect: SqlDialect,
    kind: Option<ResourceType>,
    first_param: usize,
    strict: bool,
) -> Result<Output, Failure> {
    let schema = schema_for(kind, None);
    let f = parse(text, schema, strict)?;
    let d = match dialect {
        SqlDialect::Sqlite => Dialect::Sqlite,
        SqlDialect::Postgres => Dialect::Postgres,
    };
    let w = to_sql(&f, schema, d, first_param).map_err(|e| failure(&e, USAGE))?;
    let params: Vec<Value> = w.params.iter().map(param_json).collect();
    let json = json!({
        "filter": f.to_string(),
        "dialect": format!("{dialect:?}").to_lowercase(),
        "where": w.clause,
        "params": params,
    });
    let mut t = format!("{}\n", w.clause);
    for (i, p) in params.iter().enumerate() {
        let mark = match dialect {
            SqlDialect::Sqlite => format!("?{}", first_param + i),
            SqlDialect::Postgres => format!("${}", first_param + i),
        };
        t.push_str(&format!("  {mark} = {p}\n"));
    }
    Ok(Output::new(json, t))
}
