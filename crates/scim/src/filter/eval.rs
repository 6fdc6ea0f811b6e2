//! Evaluating a filter against a resource, driven by the resource type's schema.
//!
//! Rules (RFC 7644 §3.4.2.2 and RFC 7643 §2):
//! - strings compare case-insensitively unless the attribute is `caseExact` (`userName` is not, `id` and
//!   `externalId` are); attributes the schema does not know compare like the RFC 7643 default, case-insensitively;
//! - `dateTime` attributes compare as instants (`2021-09-08T23:02:28Z` equals `2021-09-09T01:02:28+02:00`);
//! - a multi-valued attribute matches when any value matches; `emails co "x"` on a multi-valued complex
//!   attribute tests its `value` sub-attribute;
//! - `pr` needs a non-empty value; `eq null` matches an unassigned attribute and `ne null` an assigned one;
//! - `ne` matches when some value differs (an attribute with no value matches neither `eq` nor `ne`, as in SQL);
//! - a comparison between different types (a number attribute and a string literal) is "not equal".
//!
//! [`Filter::check`] rejects, with `invalidFilter`, what RFC 7644 says must fail: ordering operators on
//! boolean and binary attributes, and literals that cannot be the attribute's type.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::error::{Error, Result};
use crate::json::{get_ci, is_present};
use crate::schema::{AttributeDef, AttributeType, Located, ResourceSchema};

/// What names inside an expression are relative to.
#[derive(Clone, Copy)]
enum Scope<'s> {
    /// The whole resource.
    Resource(&'s ResourceSchema),
    /// One value of a multi-valued or complex attribute (inside `[...]`).
    Within(Option<&'s AttributeDef>),
}

impl Filter {
    /// Whether `resource` (a JSON object) matches this filter, under `schema`'s attribute definitions.
    #[must_use]
    pub fn matches(&self, resource: &Value, schema: &ResourceSchema) -> bool {
        resource
            .as_object()
            .is_some_and(|obj| eval(self, obj, Scope::Resource(schema)))
    }

    /// Like [`Filter::matches`] for a JSON object.
    #[must_use]
    pub fn matches_object(&self, resource: &Map<String, Value>, schema: &ResourceSchema) -> bool {
        eval(self, resource, Scope::Resource(schema))
    }

    /// Refuses comparisons that RFC 7644 says must fail with `invalidFilter`: `gt`/`ge`/`lt`/`le` on boolean or
    /// binary attributes or with `true`/`false`/`null`, `co`/`sw`/`ew` with a non-string, a `dateTime` attribute
    /// compared with a string that is not a date-time.
    ///
    /// # Errors
    /// [`Error::InvalidFilter`] naming the attribute; `position` is 0 because the tree keeps no positions
    /// ([`crate::filter::parse_filter_for`] parses and checks with real positions).
    pub fn check(&self, schema: &ResourceSchema) -> Result<()> {
        check(self, Scope::Resource(schema), &mut Leaves::default())
    }

    /// [`Filter::check`] reporting the byte position of the offending expression, given the start positions
    /// of the attribute expressions in source order (as the parser records them).
    pub(crate) fn check_at(&self, schema: &ResourceSchema, positions: &[usize]) -> Result<()> {
        let mut leaves = Leaves { seen: 0, positions };
        check(self, Scope::Resource(schema), &mut leaves)
    }
}

/// Counts attribute expressions in source order, to map a check failure to its position.
#[derive(Default)]
struct Leaves<'p> {
    seen: usize,
    positions: &'p [usize],
}

impl Leaves<'_> {
    fn next(&mut self) -> usize {
        let p = self.positions.get(self.seen).copied().unwrap_or(0);
        self.seen += 1;
        p
    }
}

/// Whether one value of a multi-valued attribute (an object) passes a value-selection filter.
pub(crate) fn matches_element(
    f: &Filter,
    elem: &Map<String, Value>,
    def: Option<&AttributeDef>,
) -> bool {
    eval(f, elem, Scope::Within(def))
}

fn check(f: &Filter, scope: Scope<'_>, leaves: &mut Leaves<'_>) -> Result<()> {
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => {
            check(a, scope, leaves)?;
            check(b, scope, leaves)
        }
        Filter::Not(a) => check(a, scope, leaves),
        Filter::Present(_) => {
            leaves.next();
            Ok(())
        }
        Filter::Compare(path, op, lit) => {
            let position = leaves.next();
            let def = leaf_def(path, scope);
            let bad = |why: &str| Error::InvalidFilter {
                position,
                expected: format!("{why} for {path}"),
                found: format!("{} {lit}", op.as_str()),
            };
            match lit {
                CompValue::Null | CompValue::Bool(_) if op.is_ordering() => {
                    return Err(bad("an ordering operator needs a string or number"));
                }
                CompValue::Null if !matches!(op, CompareOp::Eq | CompareOp::Ne) => {
                    return Err(bad("only eq and ne compare with null"));
                }
                CompValue::Number(_) | CompValue::Bool(_)
                    if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) =>
                {
                    return Err(bad("co, sw and ew need a string"));
                }
                _ => {}
            }
            if let Some(def) = def {
                match def.kind {
                    AttributeType::Boolean | AttributeType::Binary if op.is_ordering() => {
                        return Err(bad(
                            "gt, ge, lt and le are not defined on boolean and binary attributes",
                        ));
                    }
                    AttributeType::DateTime => {
                        if let CompValue::String(s) = lit
                            && !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
                            && DateTime::parse_from_rfc3339(s).is_err()
                        {
                            return Err(bad("a date-time such as \"2011-05-13T04:42:34Z\""));
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        Filter::ValuePath { attr, filter, then } => {
            let def = top_def(attr, scope);
            check(filter, Scope::Within(def), leaves)?;
            if let Some(t) = then {
                check(t, Scope::Within(def), leaves)?;
            }
            Ok(())
        }
    }
}

fn top_def<'s>(path: &AttrPath, scope: Scope<'s>) -> Option<&'s AttributeDef> {
    match scope {
        Scope::Resource(schema) => schema
            .locate(path.uri.as_deref(), &path.name)
            .map(Located::def),
        Scope::Within(parent) => parent.and_then(|d| d.sub(&path.name)),
    }
}

fn leaf_def<'s>(path: &AttrPath, scope: Scope<'s>) -> Option<&'s AttributeDef> {
    let top = top_def(path, scope)?;
    match &path.sub {
        Some(sub) => top.sub(sub),
        None if top.kind == AttributeType::Complex => top.sub("value"),
        None => Some(top),
    }
}

fn eval(f: &Filter, obj: &Map<String, Value>, scope: Scope<'_>) -> bool {
    match f {
        Filter::And(a, b) => eval(a, obj, scope) && eval(b, obj, scope),
        Filter::Or(a, b) => eval(a, obj, scope) || eval(b, obj, scope),
        Filter::Not(a) => !eval(a, obj, scope),
        Filter::Present(path) => any_value(path, obj, scope, false, &mut |v, _| is_present(v)),
        Filter::Compare(path, op, CompValue::Null) => {
            let present = any_value(path, obj, scope, true, &mut |v, _| is_present(v));
            match op {
                CompareOp::Eq => !present,
                CompareOp::Ne => present,
                _ => false,
            }
        }
        // A null value is an unassigned one (RFC 7643 §2.5): it compares with nothing.
        Filter::Compare(path, op, lit) => any_value(path, obj, scope, true, &mut |v, def| {
            !v.is_null() && compare(v, def, *op, lit)
        }),
        Filter::ValuePath { attr, filter, then } => {
            let Some((top, def)) = resolve(attr, obj, scope) else {
                return false;
            };
            let inner = Scope::Within(def);
            let test = |e: &Value| {
                e.as_object().is_some_and(|o| {
                    eval(filter, o, inner) && then.as_ref().is_none_or(|t| eval(t, o, inner))
                })
            };
            match top {
                Value::Array(items) => items.iter().any(test),
                other => test(other),
            }
        }
    }
}

/// The value of the path's top-level attribute and its definition.
fn resolve<'v, 's>(
    path: &AttrPath,
    obj: &'v Map<String, Value>,
    scope: Scope<'s>,
) -> Option<(&'v Value, Option<&'s AttributeDef>)> {
    match scope {
        Scope::Resource(schema) => {
            let located = schema.locate(path.uri.as_deref(), &path.name);
            let (container, def) = match located {
                Some(Located::Extension(ext, d)) => (get_ci(obj, &ext.id)?.as_object()?, Some(d)),
                Some(Located::Core(d)) => (obj, Some(d)),
                None => match &path.uri {
                    Some(u) if !schema.is_core(u) => (get_ci(obj, u)?.as_object()?, None),
                    _ => (obj, None),
                },
            };
            let name = def.map_or(path.name.as_str(), |d| d.name.as_str());
            Some((get_ci(container, name)?, def))
        }
        Scope::Within(parent) => {
            let def = parent.and_then(|d| d.sub(&path.name));
            let name = def.map_or(path.name.as_str(), |d| d.name.as_str());
            Some((get_ci(obj, name)?, def))
        }
    }
}

/// Calls `test` on every value the path reaches (every element of a multi-valued attribute, the `value`
/// sub-attribute of complex values when `complex_means_value`), and says whether any passed.
fn any_value(
    path: &AttrPath,
    obj: &Map<String, Value>,
    scope: Scope<'_>,
    complex_means_value: bool,
    test: &mut dyn FnMut(&Value, Option<&AttributeDef>) -> bool,
) -> bool {
    let Some((top, def)) = resolve(path, obj, scope) else {
        return false;
    };
    let (sub_name, sub_def) = match &path.sub {
        Some(s) => (Some(s.as_str()), def.and_then(|d| d.sub(s))),
        None if complex_means_value => (Some("value"), def.and_then(|d| d.sub("value"))),
        None => (None, def),
    };
    let mut one = |v: &Value| -> bool {
        match (sub_name, v) {
            (Some(name), Value::Object(o)) => {
                match get_ci(o, sub_def.map_or(name, |d| d.name.as_str())) {
                    Some(Value::Array(items)) => items.iter().any(|x| test(x, sub_def)),
                    Some(x) => test(x, sub_def),
                    None => false,
                }
            }
            // An explicit sub-attribute of a non-complex value selects nothing.
            (Some(_), _) if path.sub.is_some() => false,
            _ => test(v, def),
        }
    };
    match top {
        Value::Array(items) => items.iter().any(&mut one),
        other => one(other),
    }
}

fn compare(v: &Value, def: Option<&AttributeDef>, op: CompareOp, lit: &CompValue) -> bool {
    let kind = def.map(|d| d.kind);
    match (v, lit) {
        (Value::String(s), CompValue::String(l)) => {
            if kind == Some(AttributeType::DateTime)
                && !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
                && let (Some(a), Some(b)) = (instant(s), instant(l))
            {
                return ordered(a.cmp(&b), op);
            }
            let exact = def.is_some_and(|d| d.case_exact)
                || matches!(kind, Some(AttributeType::Binary | AttributeType::DateTime));
            compare_str(s, l, op, exact)
        }
        (Value::Bool(b), CompValue::Bool(l)) => match op {
            CompareOp::Eq => b == l,
            CompareOp::Ne => b != l,
            _ => false,
        },
        (Value::Number(n), CompValue::Number(l)) => {
            let ord = match (n.as_i64(), l.as_i64()) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => n
                    .as_f64()
                    .zip(l.as_f64())
                    .and_then(|(a, b)| a.partial_cmp(&b)),
            };
            ord.is_some_and(|o| ordered(o, op))
        }
        _ => op == CompareOp::Ne,
    }
}

fn instant(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

fn ordered(o: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        // Substring operators on non-strings never match.
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// String comparison; `exact` false folds case (ASCII fast path, full Unicode lower-casing otherwise).
pub(crate) fn compare_str(s: &str, l: &str, op: CompareOp, exact: bool) -> bool {
    if exact {
        return str_op(s, l, op);
    }
    if s.is_ascii() && l.is_ascii() {
        let (a, b) = (s.as_bytes(), l.as_bytes());
        return match op {
            CompareOp::Eq => a.eq_ignore_ascii_case(b),
            CompareOp::Ne => !a.eq_ignore_ascii_case(b),
            CompareOp::Sw => a.get(..b.len()).is_some_and(|p| p.eq_ignore_ascii_case(b)),
            CompareOp::Ew => {
                a.len() >= b.len()
                    && a.get(a.len() - b.len()..)
                        .is_some_and(|p| p.eq_ignore_ascii_case(b))
            }
            CompareOp::Co => b.is_empty() || a.windows(b.len()).any(|w| w.eq_ignore_ascii_case(b)),
            _ => {
                let o = a
                    .iter()
                    .map(u8::to_ascii_lowercase)
                    .cmp(b.iter().map(u8::to_ascii_lowercase));
                ordered(o, op)
            }
        };
    }
    str_op(&s.to_lowercase(), &l.to_lowercase(), op)
}

fn str_op(s: &str, l: &str, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => s == l,
        CompareOp::Ne => s != l,
        CompareOp::Co => s.contains(l),
        CompareOp::Sw => s.starts_with(l),
        CompareOp::Ew => s.ends_with(l),
        _ => ordered(s.cmp(l), op),
    }
}
