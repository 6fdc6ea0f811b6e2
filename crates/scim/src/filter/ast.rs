//! The filter syntax tree (RFC 7644 §3.4.2.2).

use serde_json::Number;

/// An attribute path: optional schema URN, attribute name, optional sub-attribute.
///
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value` has `uri` = the extension URN,
/// `name` = `manager`, `sub` = `value`. Names keep the spelling they were written with; every comparison of
/// names is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// Schema URN prefix, without the final `:`.
    pub uri: Option<String>,
    /// Attribute name.
    pub name: String,
    /// Sub-attribute name.
    pub sub: Option<String>,
}

impl AttrPath {
    /// A path to a top-level attribute without URN.
    #[must_use]
    pub fn name(name: &str) -> Self {
        Self {
            uri: None,
            name: name.to_owned(),
            sub: None,
        }
    }

    /// A path to a sub-attribute without URN.
    #[must_use]
    pub fn sub(name: &str, sub: &str) -> Self {
        Self {
            uri: None,
            name: name.to_owned(),
            sub: Some(sub.to_owned()),
        }
    }

    /// Parses `[URI ":"] ATTRNAME ["." ATTRNAME]`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidPath`] with the position of the first offending byte.
    pub fn parse(text: &str) -> crate::Result<Self> {
        crate::filter::parse::parse_attr_path_only(text)
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    /// All operators, for tables and generators.
    pub const ALL: [CompareOp; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Co,
        Self::Sw,
        Self::Ew,
        Self::Gt,
        Self::Ge,
        Self::Lt,
        Self::Le,
    ];

    /// The lower-case keyword.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// The operator for a keyword, compared case-insensitively.
    #[must_use]
    pub fn from_keyword(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// Whether this is an ordering operator (`gt ge lt le`).
    #[must_use]
    pub fn is_ordering(self) -> bool {
        matches!(self, Self::Gt | Self::Ge | Self::Lt | Self::Le)
    }
}

/// A literal on the right of a comparison. DateTime literals are strings; the attribute's type decides.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A JSON number.
    Number(Number),
    /// A JSON string.
    String(String),
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath pr`.
    Present(AttrPath),
    /// `attrPath op value`.
    Compare(AttrPath, CompareOp, CompValue),
    /// `attr[filter]`, optionally followed by `.sub op value` or `.sub pr` (`then`), whose path is the
    /// sub-attribute alone. Inside the brackets, paths are relative to one value of `attr`.
    ValuePath {
        /// The multi-valued (or complex) attribute; never has a `sub`.
        attr: AttrPath,
        /// The condition on one value.
        filter: Box<Filter>,
        /// The test on a sub-attribute of the values that pass `filter`: a `Present` or `Compare` whose path
        /// has only a `name`.
        then: Option<Box<Filter>>,
    },
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`.
    Not(Box<Filter>),
}

impl Filter {
    /// `a and b`.
    #[must_use]
    pub fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }

    /// `a or b`.
    #[must_use]
    pub fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }

    /// `not (a)`.
    #[must_use]
    #[allow(clippy::should_implement_trait)]
    pub fn not(a: Filter) -> Filter {
        Filter::Not(Box::new(a))
    }

    /// `path eq "value"`.
    #[must_use]
    pub fn eq_str(path: AttrPath, value: &str) -> Filter {
        Filter::Compare(path, CompareOp::Eq, CompValue::String(value.to_owned()))
    }
}
