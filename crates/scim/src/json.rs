//! Case-insensitive access to JSON objects (SCIM attribute names are case-insensitive, RFC 7643 §2.1).

use serde_json::{Map, Value};

/// The value under `name`, trying the exact spelling first, then any spelling.
pub(crate) fn get_ci<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = map.get(name) {
        return Some(v);
    }
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The key as spelled in `map` that matches `name` case-insensitively.
pub(crate) fn key_ci(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_owned());
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Mutable access to the value under `name`, any spelling.
pub(crate) fn get_ci_mut<'a>(map: &'a mut Map<String, Value>, name: &str) -> Option<&'a mut Value> {
    let key = key_ci(map, name)?;
    map.get_mut(&key)
}

/// Removes the value under `name`, any spelling.
pub(crate) fn remove_ci(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = key_ci(map, name)?;
    map.remove(&key)
}

/// Sets `name` to `value`, replacing a differently-spelled key, writing the canonical spelling `name`.
pub(crate) fn set_ci(map: &mut Map<String, Value>, name: &str, value: Value) {
    if let Some(old) = key_ci(map, name)
        && old != name
    {
        map.remove(&old);
    }
    map.insert(name.to_owned(), value);
}

/// Whether a value counts as present for `pr` (RFC 7644 §3.4.2.2): not null, not an empty string, list or
/// object, and for a complex value at least one present sub-attribute.
pub(crate) fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(is_present),
        Value::Object(o) => o.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// `v` without `null` members in its objects (and in the objects of an array): a null is an unassigned value
/// (RFC 7643 §2.5), so `{"value": "x", "$ref": null}` is stored as `{"value": "x"}`.
pub(crate) fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
        other => other,
    }
}
