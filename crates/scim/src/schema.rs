//! Attribute definitions as data (RFC 7643 §2, §7): the core User, Group and EnterpriseUser schemas, and the
//! lookups that validation, filtering, PATCH and projection are driven by.
//!
//! Names are matched case-insensitively everywhere, as RFC 7643 §2.1 requires; the definition keeps the
//! canonical spelling, which is what this crate writes back into resources.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::compat::Compatibility;
use crate::error::{Error, Result};

/// URN of the core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// URN of the core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// URN of the Enterprise User extension.
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// URN of the schema describing schemas (RFC 7643 §7).
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// URN of the ResourceType schema (RFC 7643 §6).
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

/// The data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeType {
    /// Unicode text.
    String,
    /// `true` / `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An `xsd:dateTime` instant, compared as an instant.
    DateTime,
    /// Base64 data, compared exactly.
    Binary,
    /// A URI reference.
    Reference,
    /// A set of sub-attributes.
    Complex,
}

impl AttributeType {
    /// The RFC 7643 keyword (`"string"`, `"dateTime"`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Decimal => "decimal",
            Self::Integer => "integer",
            Self::DateTime => "dateTime",
            Self::Binary => "binary",
            Self::Reference => "reference",
            Self::Complex => "complex",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => Self::String,
            "boolean" => Self::Boolean,
            "decimal" => Self::Decimal,
            "integer" => Self::Integer,
            "dateTime" => Self::DateTime,
            "binary" => Self::Binary,
            "reference" => Self::Reference,
            "complex" => Self::Complex,
            _ => return None,
        })
    }
}

/// Who may change an attribute (RFC 7643 §7 `mutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Set by the service only; values from clients are ignored (POST/PUT) or refused (PATCH).
    ReadOnly,
    /// Freely changed.
    ReadWrite,
    /// Set once, then never changed.
    Immutable,
    /// Written but never returned (passwords).
    WriteOnly,
}

impl Mutability {
    /// The RFC keyword.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "readOnly",
            Self::ReadWrite => "readWrite",
            Self::Immutable => "immutable",
            Self::WriteOnly => "writeOnly",
        }
    }
}

/// When an attribute appears in responses (RFC 7643 §7 `returned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Always, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never (passwords).
    Never,
    /// Unless excluded, or unless `attributes` lists others.
    Default,
    /// Only when named in `attributes`.
    Request,
}

impl Returned {
    /// The RFC keyword.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Never => "never",
            Self::Default => "default",
            Self::Request => "request",
        }
    }
}

/// Uniqueness of an attribute's value (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// No constraint.
    None,
    /// Unique within the service provider (for `userName`: per workspace, case-insensitively).
    Server,
    /// Globally unique.
    Global,
}

impl Uniqueness {
    /// The RFC keyword.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Server => "server",
            Self::Global => "global",
        }
    }
}

/// One attribute definition.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    /// Canonical name.
    pub name: String,
    /// Data type.
    pub kind: AttributeType,
    /// Whether values are lists.
    pub multi_valued: bool,
    /// Human description.
    pub description: String,
    /// Whether the attribute must be present.
    pub required: bool,
    /// Whether string comparison is case-sensitive.
    pub case_exact: bool,
    /// Who may change it.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Uniqueness constraint.
    pub uniqueness: Uniqueness,
    /// Suggested values (`work`, `home`, ...).
    pub canonical_values: Vec<String>,
    /// Resource types a reference may point at.
    pub reference_types: Vec<String>,
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: Vec<AttributeDef>,
}

impl AttributeDef {
    /// A single-valued, optional, case-insensitive, readWrite string: the RFC 7643 §2.2 defaults.
    #[must_use]
    pub fn new(name: &str, kind: AttributeType) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            multi_valued: false,
            description: String::new(),
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// The sub-attribute `name`, matched case-insensitively.
    #[must_use]
    pub fn sub(&self, name: &str) -> Option<&AttributeDef> {
        find(&self.sub_attributes, name)
    }

    /// The RFC 7643 §7 representation of this definition.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.kind.as_str(),
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability.as_str(),
            "returned": self.returned.as_str(),
            "uniqueness": self.uniqueness.as_str(),
        });
        if let Some(obj) = v.as_object_mut() {
            if !self.canonical_values.is_empty() {
                obj.insert("canonicalValues".into(), json!(self.canonical_values));
            }
            if !self.reference_types.is_empty() {
                obj.insert("referenceTypes".into(), json!(self.reference_types));
            }
            if !self.sub_attributes.is_empty() {
                let subs: Vec<Value> = self.sub_attributes.iter().map(Self::to_json).collect();
                obj.insert("subAttributes".into(), Value::Array(subs));
            }
        }
        v
    }

    /// Reads a definition from its RFC 7643 §7 representation (for custom extension schemas).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when a field is missing or not one of the RFC keywords.
    pub fn from_json(v: &Value) -> Result<Self> {
        let bad = |field: &str, got: &Value| Error::InvalidValue {
            attribute: format!("attribute definition {field}"),
            expected: "an RFC 7643 section 7 keyword".into(),
            received: short(got),
        };
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("name", v))?;
        let ty = v.get("type").unwrap_or(&Value::Null);
        let kind = ty
            .as_str()
            .and_then(AttributeType::parse)
            .ok_or_else(|| bad("type", ty))?;
        let mut def = Self::new(name, kind);
        let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        def.multi_valued = flag("multiValued");
        def.required = flag("required");
        def.case_exact = flag("caseExact");
        def.description = v
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if let Some(m) = v.get("mutability") {
            def.mutability = match m.as_str() {
                Some("readOnly") => Mutability::ReadOnly,
                Some("readWrite") => Mutability::ReadWrite,
                Some("immutable") => Mutability::Immutable,
                Some("writeOnly") => Mutability::WriteOnly,
                _ => return Err(bad("mutability", m)),
            };
        }
        if let Some(r) = v.get("returned") {
            def.returned = match r.as_str() {
                Some("always") => Returned::Always,
                Some("never") => Returned::Never,
                Some("default") => Returned::Default,
                Some("request") => Returned::Request,
                _ => return Err(bad("returned", r)),
            };
        }
        if let Some(u) = v.get("uniqueness") {
            def.uniqueness = match u.as_str() {
                Some("none") => Uniqueness::None,
                Some("server") => Uniqueness::Server,
                Some("global") => Uniqueness::Global,
                _ => return Err(bad("uniqueness", u)),
            };
        }
        let strings = |k: &str| -> Vec<String> {
            v.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        def.canonical_values = strings("canonicalValues");
        def.reference_types = strings("referenceTypes");
        if let Some(subs) = v.get("subAttributes").and_then(Value::as_array) {
            def.sub_attributes = subs.iter().map(Self::from_json).collect::<Result<_>>()?;
        }
        Ok(def)
    }

    /// Checks `value` against this definition and returns it in canonical form: known sub-attribute names
    /// respelled canonically, a single value wrapped into a list for a multi-valued attribute, and the
    /// [`Compatibility`] conversions (`"False"` → `false`, a string for a complex attribute → `{"value": …}`).
    /// Unknown sub-attributes are kept. `null` passes (it means "unassigned").
    ///
    /// # Errors
    /// [`Error::InvalidValue`] naming the attribute, the expected type and what came.
    pub fn coerce(&self, value: Value, compat: Compatibility) -> Result<Value> {
        if value.is_null() {
            return Ok(value);
        }
        if self.multi_valued {
            let items = match value {
                Value::Array(items) => items,
                single => vec![single],
            };
            let out = items
                .into_iter()
                .map(|item| self.coerce_single(item, compat))
                .collect::<Result<Vec<_>>>()?;
            return Ok(Value::Array(out));
        }
        self.coerce_single(value, compat)
    }

    /// Like [`AttributeDef::coerce`] for one value of the attribute (an element, for multi-valued ones).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when the value does not fit the type.
    pub fn coerce_single(&self, value: Value, compat: Compatibility) -> Result<Value> {
        let wrong = |v: &Value| Error::InvalidValue {
            attribute: self.name.clone(),
            expected: self.kind.as_str().to_owned(),
            received: if self.mutability == Mutability::WriteOnly {
                "[redacted]".into()
            } else {
                short(v)
            },
        };
        match (self.kind, value) {
            (_, Value::Null) => Ok(Value::Null),
            (
                AttributeType::String | AttributeType::Reference | AttributeType::Binary,
                Value::String(s),
            ) => Ok(Value::String(s)),
            (AttributeType::DateTime, Value::String(s)) => {
                if chrono::DateTime::parse_from_rfc3339(&s).is_ok() {
                    Ok(Value::String(s))
                } else {
                    Err(wrong(&Value::String(s)))
                }
            }
            (AttributeType::Boolean, Value::Bool(b)) => Ok(Value::Bool(b)),
            (AttributeType::Boolean, Value::String(s)) if compat.booleans_as_strings() => {
                tracing::debug!(attribute = %self.name, "tolerant: boolean given as a string");
                if s.eq_ignore_ascii_case("true") {
                    Ok(Value::Bool(true))
                } else if s.eq_ignore_ascii_case("false") {
                    Ok(Value::Bool(false))
                } else {
                    Err(wrong(&Value::String(s)))
                }
            }
            (AttributeType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {
                Ok(Value::Number(n))
            }
            (AttributeType::Decimal, Value::Number(n)) => Ok(Value::Number(n)),
            (AttributeType::Complex, Value::Object(map)) => {
                let mut out = Map::new();
                for (k, v) in map {
                    match self.sub(&k) {
                        Some(def) => {
                            let v = def.coerce(v, compat)?;
                            out.insert(def.name.clone(), v);
                        }
                        None => {
                            out.insert(k, v);
                        }
                    }
                }
                Ok(Value::Object(out))
            }
            (AttributeType::Complex, Value::String(s)) if compat.string_as_complex_value() => {
                tracing::debug!(attribute = %self.name, "tolerant: complex attribute given as a plain string");
                let mut out = Map::new();
                out.insert("value".into(), Value::String(s));
                Ok(Value::Object(out))
            }
            (_, other) => Err(wrong(&other)),
        }
    }
}

pub(crate) fn find<'a>(defs: &'a [AttributeDef], name: &str) -> Option<&'a AttributeDef> {
    defs.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// A short, single-line rendering of a received value for error messages.
pub(crate) fn short(v: &Value) -> String {
    let mut s = redacted(v).to_string();
    if s.len() > 80 {
        let mut cut = 77;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// A copy of `v` with the value of every `password` member (any depth, any spelling) replaced by
/// `"[redacted]"`, for errors and `Debug` output.
pub(crate) fn redacted(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    if k.eq_ignore_ascii_case("password") {
                        (k.clone(), Value::String("[redacted]".into()))
                    } else {
                        (k.clone(), redacted(v))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

/// A schema: a URN and its attributes (RFC 7643 §7).
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The schema URN.
    pub id: String,
    /// Human name (`User`).
    pub name: String,
    /// Human description.
    pub description: String,
    /// Top-level attribute definitions.
    pub attributes: Vec<AttributeDef>,
}

impl Schema {
    /// The attribute `name`, matched case-insensitively.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        find(&self.attributes, name)
    }

    /// The RFC 7643 §7 representation, as served at `/Schemas/{id}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(AttributeDef::to_json).collect::<Vec<_>>(),
            "meta": { "resourceType": "Schema", "location": format!("/Schemas/{}", self.id) },
        })
    }

    /// Reads a schema from its RFC 7643 §7 representation.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when `id` or an attribute definition is malformed.
    pub fn from_json(v: &Value) -> Result<Self> {
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidValue {
                attribute: "schema id".into(),
                expected: "a URN string".into(),
                received: short(v.get("id").unwrap_or(&Value::Null)),
            })?;
        let attributes = v
            .get("attributes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(AttributeDef::from_json)
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Self {
            id: id.to_owned(),
            name: v
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            description: v
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            attributes,
        })
    }
}

/// A schema extension attached to a resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    /// The extension schema.
    pub schema: Schema,
    /// Whether resources must carry it.
    pub required: bool,
}

/// A resource type (RFC 7643 §6): its endpoint, core schema, extensions, and the common attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSchema {
    /// Resource type name (`User`), also `meta.resourceType`.
    pub name: String,
    /// Endpoint relative to the base URL (`/Users`).
    pub endpoint: String,
    /// The core schema.
    pub core: Schema,
    /// Extensions, in the order they are served.
    pub extensions: Vec<Extension>,
    /// The common attributes of RFC 7643 §3.1 (`id`, `externalId`, `meta`).
    pub common: Vec<AttributeDef>,
}

/// Where an attribute definition was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Located<'a> {
    /// A common or core attribute: a top-level key of the resource.
    Core(&'a AttributeDef),
    /// An extension attribute: a key inside the object named by the extension URN.
    Extension(&'a Schema, &'a AttributeDef),
}

impl<'a> Located<'a> {
    /// The definition wherever it lives.
    #[must_use]
    pub fn def(self) -> &'a AttributeDef {
        match self {
            Self::Core(d) | Self::Extension(_, d) => d,
        }
    }
}

impl ResourceSchema {
    /// The built-in User resource type: core User plus the (optional) Enterprise User extension.
    #[must_use]
    pub fn user() -> &'static ResourceSchema {
        static USER: LazyLock<ResourceSchema> = LazyLock::new(|| ResourceSchema {
            name: "User".into(),
            endpoint: "/Users".into(),
            core: user_schema(),
            extensions: vec![Extension {
                schema: enterprise_user_schema(),
                required: false,
            }],
            common: common_attributes(),
        });
        &USER
    }

    /// The built-in Group resource type.
    #[must_use]
    pub fn group() -> &'static ResourceSchema {
        static GROUP: LazyLock<ResourceSchema> = LazyLock::new(|| ResourceSchema {
            name: "Group".into(),
            endpoint: "/Groups".into(),
            core: group_schema(),
            extensions: Vec::new(),
            common: common_attributes(),
        });
        &GROUP
    }

    /// The extension schema with this URN (case-insensitive).
    #[must_use]
    pub fn extension(&self, uri: &str) -> Option<&Schema> {
        self.extensions
            .iter()
            .map(|e| &e.schema)
            .find(|s| s.id.eq_ignore_ascii_case(uri))
    }

    /// Whether `uri` names the core schema.
    #[must_use]
    pub fn is_core(&self, uri: &str) -> bool {
        self.core.id.eq_ignore_ascii_case(uri)
    }

    /// Finds a top-level attribute: `uri` is the schema URN prefix of the path if it had one.
    /// Without a URN, common and core attributes are searched, then extensions in order.
    #[must_use]
    pub fn locate(&self, uri: Option<&str>, name: &str) -> Option<Located<'_>> {
        match uri {
            Some(u) if !self.is_core(u) => {
                let ext = self.extension(u)?;
                ext.attribute(name).map(|d| Located::Extension(ext, d))
            }
            _ => find(&self.common, name)
                .or_else(|| self.core.attribute(name))
                .map(Located::Core)
                .or_else(|| {
                    if uri.is_some() {
                        return None;
                    }
                    self.extensions.iter().find_map(|e| {
                        e.schema
                            .attribute(name)
                            .map(|d| Located::Extension(&e.schema, d))
                    })
                }),
        }
    }

    /// All schema URNs of this resource type (core first).
    pub fn schema_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.core.id.as_str())
            .chain(self.extensions.iter().map(|e| e.schema.id.as_str()))
    }

    /// The RFC 7643 §6 ResourceType representation.
    #[must_use]
    pub fn resource_type_json(&self) -> Value {
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.core.description,
            "schema": self.core.id,
            "schemaExtensions": self.extensions.iter()
                .map(|e| json!({"schema": e.schema.id, "required": e.required}))
                .collect::<Vec<_>>(),
            "meta": { "resourceType": "ResourceType", "location": format!("/ResourceTypes/{}", self.name) },
        })
    }
}

// ---- the built-in schemas, RFC 7643 §4 and §8.7.1 ----

fn attr(name: &str, kind: AttributeType) -> AttributeDef {
    AttributeDef::new(name, kind)
}

fn s(name: &str) -> AttributeDef {
    attr(name, AttributeType::String)
}

impl AttributeDef {
    fn exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn mutable(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    fn unique(mut self) -> Self {
        self.uniqueness = Uniqueness::Server;
        self
    }
    fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }
    fn refs(mut self, types: &[&str]) -> Self {
        self.reference_types = types.iter().map(|v| (*v).to_owned()).collect();
        self
    }
    fn subs(mut self, subs: Vec<AttributeDef>) -> Self {
        self.sub_attributes = subs;
        self
    }
    fn doc(mut self, d: &str) -> Self {
        self.description = d.to_owned();
        self
    }
}

fn common_attributes() -> Vec<AttributeDef> {
    use Mutability::ReadOnly;
    vec![
        s("id")
            .exact()
            .mutable(ReadOnly)
            .returned(Returned::Always)
            .unique()
            .doc("Service-issued identifier."),
        s("externalId")
            .exact()
            .doc("Identifier issued by the provisioning client."),
        s("schemas")
            .multi()
            .mutable(ReadOnly)
            .returned(Returned::Always)
            .doc("URNs of the resource's schemas."),
        attr("meta", AttributeType::Complex)
            .mutable(ReadOnly)
            .doc("Resource metadata.")
            .subs(vec![
                s("resourceType")
                    .exact()
                    .mutable(ReadOnly)
                    .returned(Returned::Always),
                attr("created", AttributeType::DateTime).mutable(ReadOnly),
                attr("lastModified", AttributeType::DateTime).mutable(ReadOnly),
                attr("location", AttributeType::Reference)
                    .exact()
                    .mutable(ReadOnly)
                    .refs(&["uri"]),
                s("version").exact().mutable(ReadOnly),
            ]),
    ]
}

/// A multi-valued complex attribute with the usual `value`, `display`, `type`, `primary` sub-attributes.
fn plural(name: &str, value_type: AttributeType, types: &[&str]) -> AttributeDef {
    attr(name, AttributeType::Complex).multi().subs(vec![
        attr("value", value_type),
        s("display"),
        s("type").canonical(types),
        attr("primary", AttributeType::Boolean),
    ])
}

fn user_schema() -> Schema {
    use AttributeType::{Boolean, Complex, Reference};
    use Mutability::{ReadOnly, WriteOnly};
    let name = attr("name", Complex)
        .doc("The components of the user's name.")
        .subs(vec![
            s("formatted"),
            s("familyName"),
            s("givenName"),
            s("middleName"),
            s("honorificPrefix"),
            s("honorificSuffix"),
        ]);
    let addresses = attr("addresses", Complex).multi().subs(vec![
        s("formatted"),
        s("streetAddress"),
        s("locality"),
        s("region"),
        s("postalCode"),
        s("country"),
        s("type").canonical(&["work", "home", "other"]),
        attr("primary", Boolean),
    ]);
    let groups = attr("groups", Complex).multi().mutable(ReadOnly).subs(vec![
        s("value").mutable(ReadOnly),
        attr("$ref", Reference)
            .mutable(ReadOnly)
            .refs(&["User", "Group"]),
        s("display").mutable(ReadOnly),
        s("type")
            .mutable(ReadOnly)
            .canonical(&["direct", "indirect"]),
    ]);
    let mut photos = plural("photos", Reference, &["photo", "thumbnail"]);
    if let Some(v) = photos.sub_attributes.first_mut() {
        v.reference_types = vec!["external".into()];
    }
    Schema {
        id: USER_SCHEMA.into(),
        name: "User".into(),
        description: "User Account".into(),
        attributes: vec![
            s("userName")
                .required()
                .unique()
                .doc("Unique identifier for the user, compared case-insensitively."),
            name,
            s("displayName"),
            s("nickName"),
            attr("profileUrl", Reference).refs(&["external"]),
            s("title"),
            s("userType"),
            s("preferredLanguage"),
            s("locale"),
            s("timezone"),
            attr("active", Boolean),
            s("password").mutable(WriteOnly).returned(Returned::Never),
            plural("emails", AttributeType::String, &["work", "home", "other"]),
            plural(
                "phoneNumbers",
                AttributeType::String,
                &["work", "home", "mobile", "fax", "pager", "other"],
            ),
            plural(
                "ims",
                AttributeType::String,
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
            ),
            photos,
            addresses,
            groups,
            plural("entitlements", AttributeType::String, &[]),
            plural("roles", AttributeType::String, &[]),
            plural("x509Certificates", AttributeType::Binary, &[]),
        ],
    }
}

fn enterprise_user_schema() -> Schema {
    use AttributeType::{Complex, Reference};
    Schema {
        id: ENTERPRISE_USER_SCHEMA.into(),
        name: "EnterpriseUser".into(),
        description: "Enterprise User".into(),
        attributes: vec![
            s("employeeNumber"),
            s("costCenter"),
            s("organization"),
            s("division"),
            s("department"),
            attr("manager", Complex).subs(vec![
                s("value"),
                attr("$ref", Reference).refs(&["User"]),
                s("displayName").mutable(Mutability::ReadOnly),
            ]),
        ],
    }
}

fn group_schema() -> Schema {
    use AttributeType::{Complex, Reference};
    use Mutability::Immutable;
    Schema {
        id: GROUP_SCHEMA.into(),
        name: "Group".into(),
        description: "Group".into(),
        attributes: vec![
            s("displayName").doc("Human-readable group name."),
            attr("members", Complex).multi().subs(vec![
                s("value").mutable(Immutable),
                attr("$ref", Reference)
                    .mutable(Immutable)
                    .refs(&["User", "Group"]),
                s("display"),
                s("type").mutable(Immutable).canonical(&["User", "Group"]),
            ]),
        ],
    }
}
