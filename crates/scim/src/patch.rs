//! PATCH (RFC 7644 §3.5.2): reading a PatchOp message and applying it to a resource, atomically.
//!
//! Semantics, in brief:
//! - `add`: a missing attribute is set; a multi-valued one gets the new values appended (a value already
//!   there, or one with the same `value` sub-attribute, is not added twice); a complex one has the given
//!   sub-attributes merged in; a simple one is set.
//! - `replace`: a multi-valued attribute is replaced as a whole (a single value becomes a one-element list);
//!   a complex one has the given sub-attributes replaced, others left unchanged; with a value filter the
//!   matching values (or their sub-attribute) are replaced, and a filter matching nothing is `noTarget`.
//! - `remove`: needs a path (`noTarget` otherwise); removes the attribute, the sub-attribute, or the values
//!   matching the filter; a multi-valued attribute left empty becomes unassigned.
//! - Only one value of a multi-valued attribute may be `primary`: a value added or set as primary clears the
//!   flag on the others; a replacement list with two primaries is `invalidValue`.
//! - `readOnly` attributes are refused with `mutability`; `immutable` ones may be set once, never changed.
//!
//! The Okta and Entra forms accepted in [`Compatibility::Tolerant`] are listed on [`Compatibility`]. One choice
//! that goes beyond the RFC in both modes of [`remove`](OpKind::Remove) with a value list (Entra's group member
//! removal): an item with a `value` removes every element with that `value`, whatever its other
//! sub-attributes (`"$ref": null` in Entra's item does not stop the removal of a member stored with a `$ref`:
//! failing to revoke membership would be the unsafe outcome).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::compat::Compatibility;
use crate::error::{Error, Result};
use crate::filter::{AttrPath, Filter, matches_element};
use crate::json::{get_ci, get_ci_mut, key_ci, remove_ci, set_ci};
use crate::path::PatchPath;
use crate::schema::{AttributeDef, AttributeType, Located, Mutability, ResourceSchema, short};

/// URN of the PatchOp message.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Most operations accepted in one request.
pub const MAX_OPERATIONS: usize = 1000;

/// A PATCH operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `replace`.
    Replace,
}

impl OpKind {
    /// The RFC keyword.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Replace => "replace",
        }
    }
}

/// One operation of a PatchOp message. `Debug` redacts a password value.
#[derive(Clone, PartialEq)]
pub struct PatchOperation {
    /// What to do.
    pub op: OpKind,
    /// Where; `None` for pathless `add`/`replace`.
    pub path: Option<PatchPath>,
    /// The value, absent for a plain `remove`.
    pub value: Option<Value>,
}

impl std::fmt::Debug for PatchOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = self
            .path
            .as_ref()
            .is_some_and(|p| p.attr.name.eq_ignore_ascii_case("password"));
        let value = match &self.value {
            Some(_) if secret => Some(Value::String("[redacted]".into())),
            Some(v) => Some(crate::schema::redacted(v)),
            None => None,
        };
        f.debug_struct("PatchOperation")
            .field("op", &self.op)
            .field("path", &self.path.as_ref().map(ToString::to_string))
            .field("value", &value)
            .finish()
    }
}

/// A PatchOp message (`urn:ietf:params:scim:api:messages:2.0:PatchOp`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    /// The operations, applied in order.
    pub operations: Vec<PatchOperation>,
}

fn syntax(expected: &str, received: &Value) -> Error {
    Error::InvalidSyntax {
        expected: expected.to_owned(),
        received: short(received),
    }
}

impl PatchRequest {
    /// Parses a request body.
    ///
    /// # Errors
    /// [`Error::InvalidSyntax`] for malformed JSON or a message that is not a PatchOp; [`Error::InvalidPath`].
    pub fn from_slice(body: &[u8], compat: Compatibility) -> Result<Self> {
        let v: Value = serde_json::from_slice(body).map_err(|e| Error::InvalidSyntax {
            expected: "a JSON PatchOp message".into(),
            received: format!("invalid JSON ({e})"),
        })?;
        Self::from_json(&v, compat)
    }

    /// Reads a PatchOp message.
    ///
    /// # Errors
    /// [`Error::InvalidSyntax`] when `schemas` lacks the PatchOp URN (strict mode), `Operations` is missing or
    /// an `op` is unknown; [`Error::InvalidPath`] for a malformed path; [`Error::TooMany`] above
    /// [`MAX_OPERATIONS`].
    pub fn from_json(v: &Value, compat: Compatibility) -> Result<Self> {
        let obj = v.as_object().ok_or_else(|| syntax("a JSON object", v))?;
        let has_schema = get_ci(obj, "schemas")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
                })
            });
        if !has_schema && compat == Compatibility::Strict {
            return Err(syntax(
                &format!("\"schemas\": [\"{PATCH_OP_SCHEMA}\"]"),
                get_ci(obj, "schemas").unwrap_or(&Value::Null),
            ));
        }
        let ops = get_ci(obj, "Operations")
            .and_then(Value::as_array)
            .ok_or_else(|| syntax("an \"Operations\" array", v))?;
        if ops.len() > MAX_OPERATIONS {
            return Err(Error::TooMany {
                limit: MAX_OPERATIONS,
                count: ops.len(),
            });
        }
        let operations = ops
            .iter()
            .map(|op| parse_operation(op, compat))
            .collect::<Result<_>>()?;
        Ok(Self { operations })
    }

    /// The message as JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let ops: Vec<Value> = self
            .operations
            .iter()
            .map(|o| {
                let mut m = Map::new();
                m.insert("op".into(), Value::String(o.op.as_str().into()));
                if let Some(p) = &o.path {
                    m.insert("path".into(), Value::String(p.to_string()));
                }
                if let Some(v) = &o.value {
                    m.insert("value".into(), v.clone());
                }
                Value::Object(m)
            })
            .collect();
        json!({ "schemas": [PATCH_OP_SCHEMA], "Operations": ops })
    }

    /// Applies every operation to `resource` (a JSON object), all or nothing: on error `resource` is unchanged.
    /// Returns whether the resource changed: RFC 7644 §3.5.2.1 says a PATCH that changes nothing must not
    /// change the modify timestamp, so the caller updates `meta.lastModified` and `meta.version` (see
    /// [`crate::resource::Resource::touch`]) only when this is `true`.
    ///
    /// # Errors
    /// `noTarget`, `mutability`, `invalidValue`, `invalidPath` or `invalidSyntax` per RFC 7644 §3.5.2.
    pub fn apply(
        &self,
        resource: &mut Value,
        schema: &ResourceSchema,
        compat: Compatibility,
    ) -> Result<bool> {
        let obj = resource
            .as_object_mut()
            .ok_or_else(|| Error::InvalidSyntax {
                expected: "a resource object".into(),
                received: "another JSON value".into(),
            })?;
        self.apply_to_object(obj, schema, compat)
    }

    fn apply_to_object(
        &self,
        obj: &mut Map<String, Value>,
        schema: &ResourceSchema,
        compat: Compatibility,
    ) -> Result<bool> {
        let mut work = obj.clone();
        let applier = Applier { schema, compat };
        for op in &self.operations {
            applier.operation(&mut work, op)?;
        }
        let changed = work != *obj;
        *obj = work;
        Ok(changed)
    }
}

impl PatchRequest {
    /// [`PatchRequest::apply`] on a [`Resource`](crate::resource::Resource); `true` when it changed.
    ///
    /// # Errors
    /// As [`PatchRequest::apply`]; on error the resource is unchanged.
    pub fn apply_to(
        &self,
        resource: &mut crate::resource::Resource,
        schema: &ResourceSchema,
        compat: Compatibility,
    ) -> Result<bool> {
        self.apply_to_object(resource.as_object_mut(), schema, compat)
    }
}

fn parse_operation(v: &Value, compat: Compatibility) -> Result<PatchOperation> {
    let obj = v
        .as_object()
        .ok_or_else(|| syntax("an operation object", v))?;
    let op_v = get_ci(obj, "op").unwrap_or(&Value::Null);
    let op_s = op_v
        .as_str()
        .ok_or_else(|| syntax("\"op\": \"add\", \"remove\" or \"replace\"", op_v))?;
    let op = [OpKind::Add, OpKind::Remove, OpKind::Replace]
        .into_iter()
        .find(|k| {
            if compat.case_insensitive_ops() {
                k.as_str().eq_ignore_ascii_case(op_s)
            } else {
                k.as_str() == op_s
            }
        })
        .ok_or_else(|| syntax("\"op\": \"add\", \"remove\" or \"replace\"", op_v))?;
    let path = match get_ci(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(PatchPath::parse_with(p, compat)?),
        Some(other) => return Err(syntax("\"path\" as a string", other)),
    };
    let value = get_ci(obj, "value").cloned();
    if op != OpKind::Remove && value.is_none() {
        return Err(syntax(&format!("a \"value\" for \"{}\"", op.as_str()), v));
    }
    if op != OpKind::Remove && path.is_none() && !value.as_ref().is_some_and(Value::is_object) {
        return Err(syntax(
            "an object \"value\" for an operation without \"path\"",
            v,
        ));
    }
    if op == OpKind::Remove && path.is_none() {
        return Err(Error::NoTarget {
            reason: "\"remove\" needs a \"path\"".into(),
        });
    }
    Ok(PatchOperation { op, path, value })
}

/// Where a top-level attribute lives: at the top of the resource or inside an extension object.
struct Target<'s> {
    extension: Option<String>,
    name: String,
    def: Option<&'s AttributeDef>,
}

struct Applier<'s> {
    schema: &'s ResourceSchema,
    compat: Compatibility,
}

impl<'s> Applier<'s> {
    fn operation(&self, res: &mut Map<String, Value>, op: &PatchOperation) -> Result<()> {
        match (op.op, &op.path, &op.value) {
            (OpKind::Remove, Some(path), value) => self.remove(res, path, value.as_ref()),
            (OpKind::Remove, None, _) => Err(Error::NoTarget {
                reason: "\"remove\" needs a \"path\"".into(),
            }),
            (kind, None, Some(Value::Object(map))) => {
                for (k, v) in map {
                    self.pathless(res, kind == OpKind::Replace, k, v.clone())?;
                }
                Ok(())
            }
            (kind, Some(path), Some(value)) => {
                self.set(res, path, value.clone(), kind == OpKind::Replace)
            }
            (_, _, value) => Err(syntax(
                "a \"value\"",
                value.as_ref().unwrap_or(&Value::Null),
            )),
        }
    }

    /// One key of a pathless `add`/`replace` value.
    fn pathless(
        &self,
        res: &mut Map<String, Value>,
        replace: bool,
        key: &str,
        value: Value,
    ) -> Result<()> {
        if key.eq_ignore_ascii_case("schemas") {
            if self.compat.ignore_unchanged_read_only() {
                return Ok(());
            }
            return Err(Error::Mutability {
                attribute: "schemas".into(),
                mutability: "readOnly",
            });
        }
        if let Some(ext) = self.schema.extension(key) {
            let Value::Object(inner) = value else {
                return Err(Error::InvalidValue {
                    attribute: ext.id.clone(),
                    expected: "an object of extension attributes".into(),
                    received: short(&value),
                });
            };
            for (k, v) in inner {
                let path = PatchPath {
                    attr: AttrPath {
                        uri: Some(ext.id.clone()),
                        name: k,
                        sub: None,
                    },
                    filter: None,
                    sub: None,
                };
                self.set(res, &path, v, replace)?;
            }
            return Ok(());
        }
        let plain = key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'$'));
        if plain {
            let path = PatchPath {
                attr: AttrPath::name(key),
                filter: None,
                sub: None,
            };
            return self.set(res, &path, value, replace);
        }
        let is_urn = key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
        // `urn:…:enterprise:2.0:User:manager` names an attribute of a known schema (Entra), not an extension.
        let known_attribute = is_urn
            && AttrPath::parse(key).is_ok_and(|p| {
                p.uri
                    .as_deref()
                    .is_some_and(|u| self.schema.is_core(u) || self.schema.extension(u).is_some())
            });
        if is_urn && !known_attribute && value.is_object() {
            // An extension this resource type does not declare: kept as it came.
            let slot = res
                .entry(key.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            merge_objects(slot, value);
            return Ok(());
        }
        if self.compat.pathless_keys_as_paths() {
            tracing::debug!(key, "tolerant PATCH: pathless value key read as a path");
            let path = PatchPath::parse_with(key, self.compat)?;
            return self.set(res, &path, value, replace);
        }
        Err(Error::InvalidPath {
            path: key.to_owned(),
            position: 0,
            expected: "an attribute name as a key of a pathless value (paths belong in \"path\")"
                .into(),
        })
    }

    fn target(&self, attr: &AttrPath) -> Target<'s> {
        match self.schema.locate(attr.uri.as_deref(), &attr.name) {
            Some(Located::Extension(ext, d)) => Target {
                extension: Some(ext.id.clone()),
                name: d.name.clone(),
                def: Some(d),
            },
            Some(Located::Core(d)) => Target {
                extension: None,
                name: d.name.clone(),
                def: Some(d),
            },
            None => match &attr.uri {
                Some(u) if !self.schema.is_core(u) => Target {
                    extension: Some(u.clone()),
                    name: attr.name.clone(),
                    def: None,
                },
                _ => Target {
                    extension: None,
                    name: attr.name.clone(),
                    def: None,
                },
            },
        }
    }

    /// The object holding the target attribute; created (and the extension URN added to `schemas`) if asked.
    fn container<'r>(
        &self,
        res: &'r mut Map<String, Value>,
        t: &Target<'_>,
        create: bool,
    ) -> Option<&'r mut Map<String, Value>> {
        let Some(ext) = &t.extension else {
            return Some(res);
        };
        if key_ci(res, ext).is_none() {
            if !create {
                return None;
            }
            res.insert(ext.clone(), Value::Object(Map::new()));
            if let Some(Value::Array(schemas)) = get_ci_mut(res, "schemas")
                && !schemas
                    .iter()
                    .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(ext)))
            {
                schemas.push(Value::String(ext.clone()));
            }
        }
        get_ci_mut(res, ext).and_then(Value::as_object_mut)
    }

    /// May `def` be changed from `current` to `new`?
    fn mutable(
        &self,
        def: Option<&AttributeDef>,
        current: Option<&Value>,
        new: &Value,
    ) -> Result<bool> {
        let Some(def) = def else { return Ok(true) };
        let unchanged = current.is_some_and(|c| c == new);
        match def.mutability {
            Mutability::ReadOnly if unchanged && self.compat.ignore_unchanged_read_only() => {
                tracing::debug!(attribute = %def.name, "tolerant PATCH: unchanged readOnly attribute ignored");
                Ok(false)
            }
            Mutability::ReadOnly => Err(Error::Mutability {
                attribute: def.name.clone(),
                mutability: "readOnly",
            }),
            Mutability::Immutable if current.is_some_and(|c| !c.is_null()) && !unchanged => {
                Err(Error::Mutability {
                    attribute: def.name.clone(),
                    mutability: "immutable",
                })
            }
            _ => Ok(true),
        }
    }

    fn coerce(&self, def: Option<&AttributeDef>, value: Value) -> Result<Value> {
        match def {
            Some(d) => d.coerce(value, self.compat),
            None => Ok(value),
        }
    }

    fn set(
        &self,
        res: &mut Map<String, Value>,
        path: &PatchPath,
        value: Value,
        replace: bool,
    ) -> Result<()> {
        let t = self.target(&path.attr);
        match (&path.filter, &path.attr.sub) {
            (None, None) => self.set_attr(res, &t, value, replace),
            (None, Some(sub)) => self.set_sub(res, &t, sub, value),
            (Some(filter), _) => {
                self.set_matching(res, &t, filter, path.sub.as_deref(), value, replace)
            }
        }
    }

    fn set_attr(
        &self,
        res: &mut Map<String, Value>,
        t: &Target<'_>,
        value: Value,
        replace: bool,
    ) -> Result<()> {
        let value = self.coerce(t.def, value)?;
        if value.is_null() && !replace {
            return Err(Error::InvalidValue {
                attribute: t.name.clone(),
                expected: "a value".into(),
                received: "null".into(),
            });
        }
        // Setting an attribute of an absent extension to null changes nothing.
        let Some(container) = self.container(res, t, !value.is_null()) else {
            return Ok(());
        };
        let current = get_ci(container, &t.name);
        if !self.mutable(t.def, current, &value)? {
            return Ok(());
        }
        if value.is_null() {
            remove_ci(container, &t.name);
            return Ok(());
        }
        let multi = t.def.map_or(value.is_array(), |d| d.multi_valued);
        let complex = t
            .def
            .map_or(value.is_object(), |d| d.kind == AttributeType::Complex);
        let current_is_array = matches!(current, Some(Value::Array(_)));
        match (multi, current) {
            (true, _) if current_is_array && !replace => {
                let Value::Array(new) = crate::json::without_nulls(value) else {
                    return Ok(());
                };
                let Some(Value::Array(list)) = get_ci_mut(container, &t.name) else {
                    return Ok(());
                };
                // The existing values by their `value`, so adding to a large list stays linear.
                let mut by_value: HashMap<String, usize> = list
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| value_key(e).map(|k| (k, i)))
                    .collect();
                let mut last_primary = None;
                for item in new {
                    let is_primary = primary(&item);
                    let key = value_key(&item);
                    let pos = match &key {
                        Some(k) => by_value.get(k).copied(),
                        None => list.iter().position(|e| e == &item),
                    };
                    let idx = match pos {
                        Some(i) => {
                            if let (Some(Value::Object(old)), Value::Object(_)) =
                                (list.get_mut(i), &item)
                                && is_primary
                            {
                                old.insert("primary".into(), Value::Bool(true));
                            }
                            i
                        }
                        None => {
                            if let Some(k) = key {
                                by_value.insert(k, list.len());
                            }
                            list.push(item);
                            list.len() - 1
                        }
                    };
                    if is_primary {
                        last_primary = Some(idx);
                    }
                }
                if let Some(keep) = last_primary {
                    clear_other_primaries(list, keep);
                }
            }
            (true, _) => {
                if let Value::Array(items) = &value
                    && items.iter().filter(|i| primary(i)).count() > 1
                {
                    return Err(Error::InvalidValue {
                        attribute: t.name.clone(),
                        expected: "at most one value with \"primary\": true".into(),
                        received: short(&value),
                    });
                }
                set_ci(container, &t.name, crate::json::without_nulls(value));
            }
            (false, Some(Value::Object(_))) if complex => {
                let mut merged = current.cloned().unwrap_or(Value::Null);
                if let Some(def) = t.def {
                    self.check_subs(def, merged.as_object(), &value)?;
                }
                merge_objects(&mut merged, value);
                set_ci(container, &t.name, merged);
            }
            _ => set_ci(container, &t.name, crate::json::without_nulls(value)),
        }
        Ok(())
    }

    /// Mutability of the sub-attributes a merge would change.
    fn check_subs(
        &self,
        def: &AttributeDef,
        current: Option<&Map<String, Value>>,
        value: &Value,
    ) -> Result<()> {
        if let Value::Object(new) = value {
            for (k, v) in new {
                let cur = current.and_then(|c| get_ci(c, k));
                self.mutable(def.sub(k), cur, v)?;
            }
        }
        Ok(())
    }

    /// `name.givenName` (or `emails.type`: every value of a multi-valued attribute).
    fn set_sub(
        &self,
        res: &mut Map<String, Value>,
        t: &Target<'_>,
        sub: &str,
        value: Value,
    ) -> Result<()> {
        let sub_def = t.def.and_then(|d| d.sub(sub));
        let sub_name = sub_def.map_or(sub, |d| d.name.as_str()).to_owned();
        let value = self.coerce(sub_def, value)?;
        if let Some(d) = t.def {
            self.mutable(Some(d), None, &Value::Null)?;
        }
        let multi = t.def.is_some_and(|d| d.multi_valued);
        let container = self
            .container(res, t, true)
            .ok_or_else(|| Error::NoTarget {
                reason: t.name.clone(),
            })?;
        let slot = match get_ci_mut(container, &t.name) {
            Some(v) if !v.is_null() => v,
            _ => {
                let mut obj = Map::new();
                obj.insert(sub_name, value);
                let fresh = Value::Object(obj);
                set_ci(
                    container,
                    &t.name,
                    if multi {
                        Value::Array(vec![fresh])
                    } else {
                        fresh
                    },
                );
                return Ok(());
            }
        };
        let targets: Vec<&mut Map<String, Value>> = match slot {
            Value::Array(items) => items.iter_mut().filter_map(Value::as_object_mut).collect(),
            Value::Object(o) => vec![o],
            other => {
                return Err(Error::NoTarget {
                    reason: format!("{} is {} and has no sub-attributes", t.name, short(other)),
                });
            }
        };
        for obj in targets {
            if !self.mutable(sub_def, get_ci(obj, &sub_name), &value)? {
                continue;
            }
            if value.is_null() {
                remove_ci(obj, &sub_name);
            } else {
                set_ci(obj, &sub_name, value.clone());
            }
        }
        Ok(())
    }

    fn set_matching(
        &self,
        res: &mut Map<String, Value>,
        t: &Target<'_>,
        filter: &Filter,
        sub: Option<&str>,
        value: Value,
        replace: bool,
    ) -> Result<()> {
        let no_target = || Error::NoTarget {
            reason: format!("no value of {} matches the filter [{filter}]", t.name),
        };
        let any_hit = self
            .container(res, t, false)
            .and_then(|c| get_ci(c, &t.name))
            .and_then(Value::as_array)
            .is_some_and(|items| {
                items.iter().any(|e| {
                    e.as_object()
                        .is_some_and(|o| matches_element(filter, o, t.def))
                })
            });
        if !any_hit {
            if self.compat.upsert_on_filter_miss()
                && let Some(mut elem) = element_from_filter(filter)
            {
                match (sub, value) {
                    (Some(s), v) => {
                        let name = t.def.and_then(|d| d.sub(s)).map_or(s, |d| d.name.as_str());
                        elem.insert(name.to_owned(), v);
                    }
                    (None, Value::Object(v)) => elem.extend(v),
                    (None, other) => {
                        return Err(Error::InvalidValue {
                            attribute: t.name.clone(),
                            expected: "an object for a value selected by a filter".into(),
                            received: short(&other),
                        });
                    }
                }
                tracing::debug!(attribute = %t.name, "tolerant PATCH: filter matched no value, adding one");
                return self.set_attr(res, t, Value::Array(vec![Value::Object(elem)]), false);
            }
            return Err(no_target());
        }
        let container = self.container(res, t, false).ok_or_else(no_target)?;
        let Some(Value::Array(items)) = get_ci_mut(container, &t.name) else {
            return Err(no_target());
        };
        let hits: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.as_object()
                    .is_some_and(|o| matches_element(filter, o, t.def))
            })
            .map(|(i, _)| i)
            .collect();
        let sub_def = sub.and_then(|s| t.def.and_then(|d| d.sub(s)));
        let value = match (sub, t.def) {
            (Some(_), _) => self.coerce(sub_def, value)?,
            (None, Some(d)) => d.coerce_single(value, self.compat)?,
            (None, None) => value,
        };
        let mut became_primary = None;
        for &i in &hits {
            let Some(Value::Object(elem)) = items.get_mut(i) else {
                continue;
            };
            match sub {
                Some(s) => {
                    let name = sub_def.map_or(s, |d| d.name.as_str()).to_owned();
                    if !self.mutable(sub_def, get_ci(elem, &name), &value)? {
                        continue;
                    }
                    if name == "primary" && value == Value::Bool(true) {
                        became_primary = Some(i);
                    }
                    set_ci(elem, &name, value.clone());
                }
                None => {
                    if let Some(d) = t.def {
                        self.check_subs(d, Some(elem), &value)?;
                    }
                    if primary(&value) {
                        became_primary = Some(i);
                    }
                    let mut new = if replace {
                        Value::Object(Map::new())
                    } else {
                        Value::Object(elem.clone())
                    };
                    if replace && let Some(d) = t.def {
                        // Immutable sub-attributes survive a replacement of the record.
                        for s in d
                            .sub_attributes
                            .iter()
                            .filter(|s| s.mutability == Mutability::Immutable)
                        {
                            if let (Some(v), Value::Object(n)) = (get_ci(elem, &s.name), &mut new) {
                                n.insert(s.name.clone(), v.clone());
                            }
                        }
                    }
                    merge_objects(&mut new, value.clone());
                    if let Value::Object(n) = new {
                        *elem = n;
                    }
                }
            }
        }
        if let Some(keep) = became_primary {
            clear_other_primaries(items, keep);
        }
        Ok(())
    }

    fn remove(
        &self,
        res: &mut Map<String, Value>,
        path: &PatchPath,
        value: Option<&Value>,
    ) -> Result<()> {
        let t = self.target(&path.attr);
        if let Some(v) = value
            && !v.is_null()
        {
            if !self.compat.remove_with_value() {
                return Err(syntax(
                    "no \"value\" in a \"remove\" operation (select values with a filter)",
                    v,
                ));
            }
            if path.filter.is_none() && path.attr.sub.is_none() {
                tracing::debug!(attribute = %t.name, "tolerant PATCH: remove with a value list");
                return self.remove_values(res, &t, v);
            }
        }
        let Some(container) = self.container(res, &t, false) else {
            return Ok(());
        };
        match (&path.filter, &path.attr.sub) {
            (None, None) => {
                if let Some(d) = t.def {
                    if matches!(d.mutability, Mutability::ReadOnly | Mutability::Immutable) {
                        return Err(Error::Mutability {
                            attribute: d.name.clone(),
                            mutability: d.mutability.as_str(),
                        });
                    }
                    if d.required {
                        return Err(Error::InvalidValue {
                            attribute: d.name.clone(),
                            expected: "a value (the attribute is required)".into(),
                            received: "remove".into(),
                        });
                    }
                }
                remove_ci(container, &t.name);
            }
            (None, Some(sub)) => {
                let sub_def = t.def.and_then(|d| d.sub(sub));
                if let Some(d) = sub_def
                    && matches!(d.mutability, Mutability::ReadOnly | Mutability::Immutable)
                {
                    return Err(Error::Mutability {
                        attribute: d.name.clone(),
                        mutability: d.mutability.as_str(),
                    });
                }
                let name = sub_def.map_or(sub.as_str(), |d| d.name.as_str());
                match get_ci_mut(container, &t.name) {
                    Some(Value::Object(o)) => {
                        remove_ci(o, name);
                    }
                    Some(Value::Array(items)) => {
                        for o in items.iter_mut().filter_map(Value::as_object_mut) {
                            remove_ci(o, name);
                        }
                    }
                    _ => {}
                }
            }
            (Some(filter), _) => {
                let Some(Value::Array(items)) = get_ci_mut(container, &t.name) else {
                    return Ok(());
                };
                match &path.sub {
                    None => items.retain(|e| {
                        !e.as_object()
                            .is_some_and(|o| matches_element(filter, o, t.def))
                    }),
                    Some(sub) => {
                        let sub_def = t.def.and_then(|d| d.sub(sub));
                        if let Some(d) = sub_def
                            && matches!(d.mutability, Mutability::ReadOnly | Mutability::Immutable)
                        {
                            return Err(Error::Mutability {
                                attribute: d.name.clone(),
                                mutability: d.mutability.as_str(),
                            });
                        }
                        let name = sub_def.map_or(sub.as_str(), |d| d.name.as_str());
                        for o in items.iter_mut().filter_map(Value::as_object_mut) {
                            if matches_element(filter, o, t.def) {
                                remove_ci(o, name);
                            }
                        }
                    }
                }
                drop_if_empty(container, &t.name);
            }
        }
        Ok(())
    }

    /// Entra's `remove` with a `value` list: drops the listed values.
    fn remove_values(
        &self,
        res: &mut Map<String, Value>,
        t: &Target<'_>,
        value: &Value,
    ) -> Result<()> {
        let selectors: Vec<&Value> = match value {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        let Some(container) = self.container(res, t, false) else {
            return Ok(());
        };
        match get_ci_mut(container, &t.name) {
            Some(Value::Array(items)) => {
                items.retain(|e| !selectors.iter().any(|s| selects(s, e)));
                drop_if_empty(container, &t.name);
            }
            // A single-valued attribute (Entra removes `manager` this way): removed when selected.
            Some(current) if selectors.iter().any(|s| selects(s, current)) => {
                remove_ci(container, &t.name);
            }
            _ => {}
        }
        Ok(())
    }
}

/// The value a filter of `sub eq literal` conditions joined by `and` describes (`type eq "work"` →
/// `{"type": "work"}`), or `None` for any other filter.
fn element_from_filter(f: &Filter) -> Option<Map<String, Value>> {
    use crate::filter::{CompValue, CompareOp};
    match f {
        Filter::And(a, b) => {
            let mut m = element_from_filter(a)?;
            m.extend(element_from_filter(b)?);
            Some(m)
        }
        Filter::Compare(p, CompareOp::Eq, lit) if p.uri.is_none() && p.sub.is_none() => {
            let v = match lit {
                CompValue::Null => return None,
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::String(s) => Value::String(s.clone()),
            };
            let mut m = Map::new();
            m.insert(p.name.clone(), v);
            Some(m)
        }
        _ => None,
    }
}

fn drop_if_empty(container: &mut Map<String, Value>, name: &str) {
    if let Some(Value::Array(items)) = get_ci(container, name)
        && items.is_empty()
    {
        remove_ci(container, name);
    }
}

/// Does the selector of a `remove` value list pick this element?
fn selects(selector: &Value, elem: &Value) -> bool {
    match (selector, elem) {
        (Value::Object(sel), Value::Object(el)) => {
            if let Some(v) = get_ci(sel, "value").filter(|v| !v.is_null()) {
                return get_ci(el, "value") == Some(v);
            }
            !sel.is_empty()
                && sel.iter().all(|(k, v)| match v {
                    Value::Null => get_ci(el, k).is_none_or(Value::is_null),
                    v => get_ci(el, k) == Some(v),
                })
        }
        (s, e) => s == e,
    }
}

fn primary(v: &Value) -> bool {
    v.as_object().and_then(|o| get_ci(o, "primary")) == Some(&Value::Bool(true))
}

/// The identity of a value of a multi-valued attribute for `add`: its non-null `value` sub-attribute (two
/// values with the same `value` are the same value), as JSON text.
fn value_key(v: &Value) -> Option<String> {
    v.as_object()
        .and_then(|o| get_ci(o, "value"))
        .filter(|x| !x.is_null())
        .map(Value::to_string)
}

fn clear_other_primaries(items: &mut [Value], keep: usize) {
    for (i, item) in items.iter_mut().enumerate() {
        if i != keep
            && let Value::Object(o) = item
            && let Some(p) = get_ci_mut(o, "primary")
            && *p == Value::Bool(true)
        {
            *p = Value::Bool(false);
        }
    }
}

/// Merges the members of `add` into `into` (an object), replacing members with the same (case-insensitive) key.
/// A `null` member unassigns that key (RFC 7643 §2.5).
fn merge_objects(into: &mut Value, add: Value) {
    match (into, add) {
        (Value::Object(dst), Value::Object(src)) => {
            for (k, v) in src {
                if v.is_null() {
                    remove_ci(dst, &k);
                } else {
                    set_ci(dst, &k, v);
                }
            }
        }
        (dst, src) => *dst = crate::json::without_nulls(src),
    }
}
