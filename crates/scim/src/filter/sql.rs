//! Translating a filter into a parameterised SQL `WHERE` clause, for SQLite and PostgreSQL.
//!
//! # Table layout
//!
//! Resources are stored whole, as the JSON this crate produces (canonical attribute spelling, extension
//! attributes under their schema URN), one row each:
//!
//! ```sql
//! -- SQLite                                   -- PostgreSQL
//! CREATE TABLE scim_resources (               CREATE TABLE scim_resources (
//!   id            TEXT PRIMARY KEY,             id            TEXT PRIMARY KEY,
//!   resource_type TEXT NOT NULL,                resource_type TEXT NOT NULL,
//!   data          TEXT NOT NULL                 data          JSONB NOT NULL
//! );                                          );
//! ```
//!
//! and queried as `SELECT r.data FROM scim_resources AS r WHERE r.resource_type = ?1 AND (<clause>)
//! ORDER BY <order_by>, r.id LIMIT <count> OFFSET <startIndex - 1>` ([`to_sql`], [`order_by`]): the clauses
//! refer to the row as `r`. For C-like string ordering, create PostgreSQL databases with `--locale=C` (the
//! tests do) or expect the collation's order for `gt`/`lt` and sorting. (A unique index on `lower(data ->> 'userName')` per workspace enforces `userName`
//! uniqueness; that is the server's schema, not this module's.)
//!
//! # Guarantees
//!
//! - No value and no attribute name is spliced into the SQL text: literals, JSON paths and keys are all bound
//!   parameters ([`SqlParam`]); the text holds only fixed SQL, placeholders and generated aliases.
//! - The clause means what [`Filter::matches`] means: case-insensitive comparison unless the attribute is
//!   `caseExact`, `dateTime` compared as instants (`julianday` / `timestamptz`), multi-valued attributes
//!   through `EXISTS` over the array elements, every leaf `COALESCE`d so `NOT` follows two-valued logic.
//!   Tests run 650 filters (600 generated) over 45 users through SQLite and PostgreSQL and compare with memory.
//! - Known differences: case folding is the parameter lower-cased in Rust (Unicode) against the column's
//!   `lower()`, which folds ASCII only in SQLite and in PostgreSQL under the C locale, so a stored `"É"` does not
//!   match `"é"` there (it does in memory and under a Unicode-aware PostgreSQL locale); `pr` on a multi-valued
//!   attribute tests for a non-empty array.

use std::fmt::Write as _;

use chrono::DateTime;

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::error::{Error, Result};
use crate::schema::{AttributeDef, AttributeType, Located, ResourceSchema};

/// The SQL dialect to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite 3.38+ (JSON functions built in); placeholders `?1`, `?2`, ...
    Sqlite,
    /// PostgreSQL 12+ with a `jsonb` column; placeholders `$1`, `$2`, ...
    Postgres,
}

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SqlParam {
    /// Text (also JSON paths and keys).
    Text(String),
    /// An integer (SQLite booleans are 0/1).
    Integer(i64),
    /// A real number.
    Real(f64),
    /// A boolean (PostgreSQL).
    Bool(bool),
}

/// A translated clause and its parameters, numbered from the `first_param` given to [`to_sql`].
#[derive(Debug, Clone, PartialEq)]
pub struct SqlWhere {
    /// The boolean SQL expression.
    pub clause: String,
    /// Values for the placeholders, in order.
    pub params: Vec<SqlParam>,
}

/// Translates `filter` for resources of type `schema`. `first_param` is the number of the first placeholder
/// (at least 1; pass 2 when `?1` already binds the resource type).
///
/// # Errors
/// [`Error::InvalidFilter`] from [`Filter::check`] (a filter that would fail in memory fails here too).
pub fn to_sql(
    filter: &Filter,
    schema: &ResourceSchema,
    dialect: Dialect,
    first_param: usize,
) -> Result<SqlWhere> {
    filter.check(schema)?;
    let mut t = Translator {
        dialect,
        first: first_param.max(1),
        params: Vec::new(),
        aliases: 0,
    };
    let mut out = String::new();
    t.filter(&mut out, filter, Scope::Resource(schema))?;
    Ok(SqlWhere {
        clause: out,
        params: t.params,
    })
}

/// The `ORDER BY` term for `sortBy`/`sortOrder` (RFC 7644 §3.4.2.3), ordering as
/// [`crate::list::ListQuery::run`] does: strings case-insensitively unless `caseExact`, `dateTime` as instants,
/// a multi-valued attribute by its primary value (else its first), unassigned values last when ascending and
/// first when descending. Append a unique column for a stable page order:
/// `ORDER BY <clause>, r.id`. Parameters are numbered from `first_param`.
#[must_use]
pub fn order_by(
    sort_by: &AttrPath,
    order: crate::list::SortOrder,
    schema: &ResourceSchema,
    dialect: Dialect,
    first_param: usize,
) -> SqlWhere {
    let mut t = Translator {
        dialect,
        first: first_param.max(1),
        params: Vec::new(),
        aliases: 0,
    };
    let (base, keys, def) = t.locate(sort_by, Scope::Resource(schema));
    let sub = match &sort_by.sub {
        Some(s) => Some(
            def.and_then(|d| d.sub(s))
                .map_or(s.clone(), |d| d.name.clone()),
        ),
        None if def.is_some_and(|d| d.kind == AttributeType::Complex) => Some("value".to_owned()),
        None => None,
    };
    let leaf_def = match (&sub, def) {
        (Some(s), Some(d)) => d.sub(s),
        (None, d) => d,
        _ => None,
    };
    let kind = match leaf_def.map(|d| d.kind) {
        Some(AttributeType::DateTime) => Kind::Instant,
        Some(AttributeType::Integer | AttributeType::Decimal) => Kind::Number,
        Some(AttributeType::Boolean) => Kind::Bool,
        _ => Kind::Text,
    };
    let fold = kind == Kind::Text && !leaf_def.is_some_and(|d| d.case_exact);
    let key = match def {
        Some(d) if d.multi_valued => {
            let loc = t.path(&base, &keys);
            t.first_element(&loc, sub.as_deref(), kind)
        }
        Some(_) => {
            let mut keys = keys;
            keys.extend(sub);
            let loc = t.path(&base, &keys);
            t.typed(&loc, kind)
        }
        None => {
            // Unknown to the schema: an array sorts by its primary (else first) element.
            let loc = t.path(&base, &keys);
            let ty = t.typ(&loc);
            let single = match &sub {
                Some(s) => {
                    let mut k = keys.clone();
                    k.push(s.clone());
                    let l = t.path(&base, &k);
                    t.typed(&l, kind)
                }
                None => t.typed(&loc, kind),
            };
            let first = t.first_element(&loc, sub.as_deref(), kind);
            format!("(CASE WHEN {ty} = 'array' THEN {first} ELSE {single} END)")
        }
    };
    let key = if fold { format!("lower({key})") } else { key };
    let direction = match order {
        crate::list::SortOrder::Ascending => "ASC NULLS LAST",
        crate::list::SortOrder::Descending => "DESC NULLS FIRST",
    };
    SqlWhere {
        clause: format!("{key} {direction}"),
        params: t.params,
    }
}

#[derive(Clone, Copy)]
enum Scope<'s> {
    Resource(&'s ResourceSchema),
    /// Inside `attr[...]`: names are keys of the element `alias`.
    Element(&'s str, Option<&'s AttributeDef>),
}

/// Where a JSON value lives.
enum Loc {
    /// A path under a JSON document expression: SQLite one `$."a"."b"` parameter, PostgreSQL one per key.
    Path { base: String, params: Vec<usize> },
    /// A row of `json_each` / `jsonb_array_elements`.
    Elem(String),
}

struct Translator {
    dialect: Dialect,
    first: usize,
    params: Vec<SqlParam>,
    aliases: usize,
}

const FALSE_SQLITE: &str = "0";

impl Translator {
    fn param(&mut self, p: SqlParam) -> String {
        self.params.push(p);
        let n = self.first + self.params.len() - 1;
        match self.dialect {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    fn false_lit(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => FALSE_SQLITE,
            Dialect::Postgres => "FALSE",
        }
    }

    fn path<K: AsRef<str>>(&mut self, base: &str, keys: &[K]) -> Loc {
        match self.dialect {
            Dialect::Sqlite => {
                let mut p = String::from("$");
                for k in keys {
                    // Keys come from the attribute-path grammar (letters, digits, `-_$:.`): no quotes inside.
                    let _ = write!(p, ".\"{}\"", k.as_ref());
                }
                let n = self.param(SqlParam::Text(p));
                Loc::Path {
                    base: base.to_owned(),
                    params: vec![self.number(&n)],
                }
            }
            Dialect::Postgres => {
                let params = keys
                    .iter()
                    .map(|k| {
                        let n = self.param(SqlParam::Text(k.as_ref().to_owned()));
                        self.number(&n)
                    })
                    .collect();
                Loc::Path {
                    base: base.to_owned(),
                    params,
                }
            }
        }
    }

    fn number(&self, placeholder: &str) -> usize {
        placeholder
            .get(1..)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    fn ph(&self, n: usize) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// The JSON type of the value (SQLite `json_type` names, PostgreSQL `jsonb_typeof` names).
    fn typ(&self, loc: &Loc) -> String {
        match (self.dialect, loc) {
            (Dialect::Sqlite, Loc::Path { base, params }) => {
                format!(
                    "json_type({base}, {})",
                    self.ph(params.first().copied().unwrap_or(0))
                )
            }
            (Dialect::Sqlite, Loc::Elem(a)) => format!("{a}.type"),
            (Dialect::Postgres, _) => format!("jsonb_typeof({})", self.jsonb(loc)),
        }
    }

    /// PostgreSQL: the `jsonb` value. SQLite: the SQL value (`json_extract`, `atom`).
    fn jsonb(&self, loc: &Loc) -> String {
        match (self.dialect, loc) {
            (Dialect::Sqlite, Loc::Path { base, params }) => {
                format!(
                    "json_extract({base}, {})",
                    self.ph(params.first().copied().unwrap_or(0))
                )
            }
            (Dialect::Sqlite, Loc::Elem(a)) => format!("{a}.value"),
            (Dialect::Postgres, Loc::Path { base, params }) => {
                let keys: Vec<String> = params.iter().map(|n| self.ph(*n)).collect();
                format!("jsonb_extract_path({base}, {})", keys.join(", "))
            }
            (Dialect::Postgres, Loc::Elem(a)) => format!("{a}.value"),
        }
    }

    /// Base expression for paths inside an element (its JSON text / jsonb).
    fn elem_doc(&self, alias: &str) -> String {
        format!("{alias}.value")
    }

    fn typed(&self, loc: &Loc, kind: Kind) -> String {
        let t = self.typ(loc);
        let v = self.jsonb(loc);
        match (self.dialect, kind) {
            (Dialect::Sqlite, Kind::Text) => format!("(CASE WHEN {t} = 'text' THEN {v} END)"),
            (Dialect::Sqlite, Kind::Number) => {
                format!("(CASE WHEN {t} IN ('integer', 'real') THEN {v} END)")
            }
            (Dialect::Sqlite, Kind::Bool) => {
                format!("(CASE WHEN {t} IN ('true', 'false') THEN {v} END)")
            }
            (Dialect::Sqlite, Kind::Instant) => {
                format!("julianday(CASE WHEN {t} = 'text' THEN {v} END)")
            }
            (Dialect::Postgres, Kind::Text) => {
                format!("(CASE WHEN {t} = 'string' THEN {v} #>> '{{}}' END)")
            }
            (Dialect::Postgres, Kind::Number) => {
                format!("(CASE WHEN {t} = 'number' THEN ({v} #>> '{{}}')::numeric END)")
            }
            (Dialect::Postgres, Kind::Bool) => {
                format!("(CASE WHEN {t} = 'boolean' THEN ({v} #>> '{{}}')::boolean END)")
            }
            (Dialect::Postgres, Kind::Instant) => {
                format!("(CASE WHEN {t} = 'string' THEN {v} #>> '{{}}' END)::timestamptz")
            }
        }
    }

    /// The typed value of the primary (else first) element of the array at `loc`, or its `sub`.
    fn first_element(&mut self, loc: &Loc, sub: Option<&str>, kind: Kind) -> String {
        self.aliases += 1;
        let alias = format!("s{}", self.aliases);
        let el = match sub {
            Some(s) => {
                let doc = self.elem_doc(&alias);
                self.path(&doc, &[s])
            }
            None => Loc::Elem(alias.clone()),
        };
        let value = self.typed(&el, kind);
        match (self.dialect, loc) {
            (Dialect::Sqlite, Loc::Path { base, params }) => {
                let p = self.ph(params.first().copied().unwrap_or(0));
                format!(
                    "(SELECT {value} FROM json_each({base}, {p}) AS {alias} WHERE json_type({base}, {p}) = 'array' \
                     ORDER BY (CASE WHEN {alias}.type = 'object' THEN json_extract({alias}.value, '$.primary') END) = 1 DESC, \
                     {alias}.key LIMIT 1)"
                )
            }
            (Dialect::Sqlite, Loc::Elem(_)) => "NULL".to_owned(),
            (Dialect::Postgres, _) => {
                let t = self.typ(loc);
                let v = self.jsonb(loc);
                format!(
                    "(SELECT {value} FROM jsonb_array_elements(CASE WHEN {t} = 'array' THEN {v} ELSE '[]'::jsonb END) \
                     WITH ORDINALITY AS {alias}(value, i) ORDER BY ({alias}.value -> 'primary') = 'true'::jsonb DESC NULLS LAST, \
                     {alias}.i LIMIT 1)"
                )
            }
        }
    }

    /// `pr` on one location: not null, not "", not [], not {}.
    fn present(&self, loc: &Loc) -> String {
        let t = self.typ(loc);
        let v = self.jsonb(loc);
        match self.dialect {
            Dialect::Sqlite => format!(
                "(CASE WHEN {t} IS NULL OR {t} = 'null' THEN 0 WHEN {t} = 'text' THEN {v} <> '' \
                 WHEN {t} = 'array' THEN json_array_length({v}) > 0 WHEN {t} = 'object' THEN {v} <> '{{}}' ELSE 1 END)"
            ),
            Dialect::Postgres => format!(
                "(CASE WHEN {t} IS NULL OR {t} = 'null' THEN FALSE WHEN {t} = 'string' THEN {v} #>> '{{}}' <> '' \
                 WHEN {t} = 'array' THEN jsonb_array_length({v}) > 0 WHEN {t} = 'object' THEN {v} <> '{{}}'::jsonb \
                 ELSE TRUE END)"
            ),
        }
    }

    /// `EXISTS` over the elements of the array at `loc`, with `body` building the condition on the alias.
    fn exists(
        &mut self,
        out: &mut String,
        loc: &Loc,
        body: &mut dyn FnMut(&mut Self, &mut String, &str) -> Result<()>,
    ) -> Result<()> {
        self.aliases += 1;
        let alias = format!("e{}", self.aliases);
        let t = self.typ(loc);
        let v = self.jsonb(loc);
        match self.dialect {
            Dialect::Sqlite => {
                // The two-argument json_each reads the JSON in place (json_extract would hand a text
                // value back as SQL text, which json_each cannot parse).
                let each = match loc {
                    Loc::Path { base, params } => {
                        format!("{base}, {}", self.ph(params.first().copied().unwrap_or(0)))
                    }
                    Loc::Elem(_) => v,
                };
                let _ = write!(
                    out,
                    "COALESCE({t} = 'array' AND EXISTS (SELECT 1 FROM json_each({each}) AS {alias} WHERE "
                );
            }
            Dialect::Postgres => {
                let _ = write!(
                    out,
                    "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN {t} = 'array' THEN {v} ELSE '[]'::jsonb END) \
                     AS {alias}(value) WHERE "
                );
            }
        }
        body(self, out, &alias)?;
        match self.dialect {
            Dialect::Sqlite => out.push_str("), 0)"),
            Dialect::Postgres => out.push(')'),
        }
        Ok(())
    }

    fn filter(&mut self, out: &mut String, f: &Filter, scope: Scope<'_>) -> Result<()> {
        match f {
            Filter::And(a, b) | Filter::Or(a, b) => {
                out.push('(');
                self.filter(out, a, scope)?;
                out.push_str(if matches!(f, Filter::And(..)) {
                    " AND "
                } else {
                    " OR "
                });
                self.filter(out, b, scope)?;
                out.push(')');
                Ok(())
            }
            Filter::Not(a) => {
                out.push_str("NOT (");
                self.filter(out, a, scope)?;
                out.push(')');
                Ok(())
            }
            Filter::Present(path) => self.attr(out, path, scope, None),
            Filter::Compare(path, op, lit) => self.attr(out, path, scope, Some((*op, lit))),
            Filter::ValuePath { attr, filter, then } => {
                let (base, keys, def_ref) = self.locate(attr, scope);
                let loc = self.path(&base, &keys);
                self.exists(out, &loc, &mut |t, out, alias| {
                    let inner = Scope::Element(alias, def_ref);
                    out.push('(');
                    t.filter(out, filter, inner)?;
                    if let Some(th) = then {
                        out.push_str(" AND ");
                        t.filter(out, th, inner)?;
                    }
                    out.push(')');
                    Ok(())
                })
            }
        }
    }

    /// The JSON document and key path of the top-level attribute of `path`, and its definition.
    fn locate<'s>(
        &self,
        path: &AttrPath,
        scope: Scope<'s>,
    ) -> (String, Vec<String>, Option<&'s AttributeDef>) {
        match scope {
            Scope::Resource(schema) => match schema.locate(path.uri.as_deref(), &path.name) {
                Some(Located::Extension(ext, d)) => (
                    "r.data".into(),
                    vec![ext.id.clone(), d.name.clone()],
                    Some(d),
                ),
                Some(Located::Core(d)) => ("r.data".into(), vec![d.name.clone()], Some(d)),
                None => match &path.uri {
                    Some(u) if !schema.is_core(u) => {
                        ("r.data".into(), vec![u.clone(), path.name.clone()], None)
                    }
                    _ => ("r.data".into(), vec![path.name.clone()], None),
                },
            },
            Scope::Element(alias, parent) => {
                let def = parent.and_then(|d| d.sub(&path.name));
                let name = def.map_or(path.name.as_str(), |d| d.name.as_str());
                (self.elem_doc(alias), vec![name.to_owned()], def)
            }
        }
    }

    fn attr(
        &mut self,
        out: &mut String,
        path: &AttrPath,
        scope: Scope<'_>,
        test: Option<(CompareOp, &CompValue)>,
    ) -> Result<()> {
        let (base, keys, def) = self.locate(path, scope);
        // `eq null` / `ne null` are presence tests.
        let (test, negate) = match test {
            Some((CompareOp::Eq, CompValue::Null)) => (None, true),
            Some((CompareOp::Ne, CompValue::Null)) => (None, false),
            other => (other, false),
        };
        if negate {
            out.push_str("NOT ");
        }
        let sub = match &path.sub {
            Some(s) => Some(
                def.and_then(|d| d.sub(s))
                    .map_or(s.clone(), |d| d.name.clone()),
            ),
            None if test.is_some() && def.is_some_and(|d| d.kind == AttributeType::Complex) => {
                Some("value".to_owned())
            }
            None => None,
        };
        let leaf_def = match (&sub, def) {
            (Some(s), Some(d)) => d.sub(s),
            (None, d) => d,
            _ => None,
        };
        match def {
            Some(d) if d.multi_valued => {
                self.multi(out, &base, &keys, sub.as_deref(), leaf_def, test)
            }
            Some(_) => self.single(out, &base, keys, sub, leaf_def, test),
            // Unknown to the schema: single or multi-valued, as the stored JSON has it (as in memory).
            None => {
                out.push('(');
                self.single(out, &base, keys.clone(), sub.clone(), None, test)?;
                out.push_str(" OR ");
                self.multi(out, &base, &keys, sub.as_deref(), None, test)?;
                out.push(')');
                Ok(())
            }
        }
    }

    fn single(
        &mut self,
        out: &mut String,
        base: &str,
        mut keys: Vec<String>,
        sub: Option<String>,
        leaf_def: Option<&AttributeDef>,
        test: Option<(CompareOp, &CompValue)>,
    ) -> Result<()> {
        if let Some(s) = sub {
            keys.push(s);
        }
        let loc = self.path(base, &keys);
        self.leaf(out, &loc, leaf_def, test)
    }

    fn multi(
        &mut self,
        out: &mut String,
        base: &str,
        keys: &[String],
        sub: Option<&str>,
        leaf_def: Option<&AttributeDef>,
        test: Option<(CompareOp, &CompValue)>,
    ) -> Result<()> {
        let loc = self.path(base, keys);
        if test.is_none() && sub.is_none() {
            // `emails pr`: a non-empty array.
            let t = self.typ(&loc);
            let v = self.jsonb(&loc);
            let f = self.false_lit();
            let len = match self.dialect {
                Dialect::Sqlite => "json_array_length",
                Dialect::Postgres => "jsonb_array_length",
            };
            let _ = write!(out, "COALESCE({t} = 'array' AND {len}({v}) > 0, {f})");
            return Ok(());
        }
        self.exists(out, &loc, &mut |t, out, alias| {
            let el = match sub {
                Some(s) => {
                    let doc = t.elem_doc(alias);
                    t.path(&doc, &[s])
                }
                None => Loc::Elem(alias.to_owned()),
            };
            t.leaf(out, &el, leaf_def, test)
        })
    }

    /// One comparison (or presence test) on one location, always TRUE or FALSE, never NULL.
    fn leaf(
        &mut self,
        out: &mut String,
        loc: &Loc,
        def: Option<&AttributeDef>,
        test: Option<(CompareOp, &CompValue)>,
    ) -> Result<()> {
        let f = self.false_lit();
        let Some((op, lit)) = test else {
            let p = self.present(loc);
            let _ = write!(out, "COALESCE({p}, {f})");
            return Ok(());
        };
        let kind = def.map(|d| d.kind);
        let (k, param, ci) = match lit {
            CompValue::String(s) => {
                let instant = kind == Some(AttributeType::DateTime)
                    && !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
                    && DateTime::parse_from_rfc3339(s).is_ok();
                if instant {
                    (Kind::Instant, SqlParam::Text(s.clone()), false)
                } else {
                    let exact = def.is_some_and(|d| d.case_exact)
                        || matches!(kind, Some(AttributeType::Binary | AttributeType::DateTime));
                    let v = if exact { s.clone() } else { s.to_lowercase() };
                    (Kind::Text, SqlParam::Text(v), !exact)
                }
            }
            CompValue::Number(n) => {
                let p = n.as_i64().map_or_else(
                    || SqlParam::Real(n.as_f64().unwrap_or(0.0)),
                    SqlParam::Integer,
                );
                (Kind::Number, p, false)
            }
            CompValue::Bool(b) => match self.dialect {
                Dialect::Sqlite => (Kind::Bool, SqlParam::Integer(i64::from(*b)), false),
                Dialect::Postgres => (Kind::Bool, SqlParam::Bool(*b), false),
            },
            CompValue::Null => {
                return Err(Error::InvalidFilter {
                    position: 0,
                    expected: "eq or ne with null".into(),
                    found: op.as_str().into(),
                });
            }
        };
        let mut x = self.typed(loc, k);
        if ci {
            x = format!("lower({x})");
        }
        let p = self.param(param);
        let p = match (self.dialect, k) {
            (Dialect::Sqlite, Kind::Instant) => format!("julianday({p})"),
            (Dialect::Postgres, Kind::Instant) => format!("CAST({p} AS timestamptz)"),
            (Dialect::Postgres, Kind::Text) => format!("CAST({p} AS text)"),
            _ => p,
        };
        let cmp = |op: CompareOp, dialect: Dialect| -> String {
            match op {
                CompareOp::Eq | CompareOp::Ne => format!("{x} = {p}"),
                CompareOp::Gt => format!("{x} > {p}"),
                CompareOp::Ge => format!("{x} >= {p}"),
                CompareOp::Lt => format!("{x} < {p}"),
                CompareOp::Le => format!("{x} <= {p}"),
                CompareOp::Co => match dialect {
                    Dialect::Sqlite => format!("instr({x}, {p}) > 0"),
                    Dialect::Postgres => format!("strpos({x}, {p}) > 0"),
                },
                CompareOp::Sw => match dialect {
                    Dialect::Sqlite => format!("substr({x}, 1, length({p})) = {p}"),
                    Dialect::Postgres => format!("left({x}, length({p})) = {p}"),
                },
                CompareOp::Ew => match dialect {
                    Dialect::Sqlite => {
                        format!("(length({p}) = 0 OR substr({x}, -length({p})) = {p})")
                    }
                    Dialect::Postgres => format!("right({x}, length({p})) = {p}"),
                },
            }
        };
        if op == CompareOp::Ne {
            // Some assigned value that is not equal (a value of another type is not equal).
            let t = self.typ(loc);
            let eq = cmp(CompareOp::Eq, self.dialect);
            let _ = write!(
                out,
                "COALESCE({t} <> 'null' AND NOT COALESCE({eq}, {f}), {f})"
            );
        } else {
            let c = cmp(op, self.dialect);
            let _ = write!(out, "COALESCE({c}, {f})");
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Bool,
    Instant,
}
