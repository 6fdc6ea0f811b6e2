//! PATCH paths (RFC 7644 §3.5.2): `PATH = attrPath / valuePath [subAttr]`.
//!
//! ```
//! use gatehouse_scim::path::PatchPath;
//! let p = PatchPath::parse(r#"emails[type eq "work"].value"#)?;
//! assert_eq!(p.attr.name, "emails");
//! assert_eq!(p.sub.as_deref(), Some("value"));
//! assert_eq!(p.to_string(), r#"emails[type eq "work"].value"#);
//! # Ok::<(), gatehouse_scim::Error>(())
//! ```

use std::fmt::{self, Display, Formatter};

use crate::compat::Compatibility;
use crate::error::{Error, Result};
use crate::filter::{AttrPath, Filter, MAX_FILTER_LEN, Parser};

/// A parsed PATCH path.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (with its own `.sub` when there is no filter: `name.givenName`).
    pub attr: AttrPath,
    /// The value selection filter of `attr[...]`.
    pub filter: Option<Filter>,
    /// The sub-attribute after the filter: `emails[type eq "work"].value`.
    pub sub: Option<String>,
}

impl PatchPath {
    /// Parses a path under the default compatibility.
    ///
    /// # Errors
    /// [`Error::InvalidPath`] with the position of the problem.
    pub fn parse(text: &str) -> Result<Self> {
        Self::parse_with(text, Compatibility::default())
    }

    /// Parses a path.
    ///
    /// # Errors
    /// [`Error::InvalidPath`] with the position of the problem.
    pub fn parse_with(text: &str, compat: Compatibility) -> Result<Self> {
        if text.len() > MAX_FILTER_LEN {
            return Err(Error::InvalidPath {
                path: text.chars().take(64).collect(),
                position: MAX_FILTER_LEN,
                expected: format!("at most {MAX_FILTER_LEN} bytes"),
            });
        }
        let mut p = Parser::new(text.trim(), compat);
        let result = (|| {
            let attr = p.attr_path()?;
            let mut filter = None;
            let mut sub = None;
            if p.peek_byte() == Some(b'[') {
                if attr.sub.is_some() {
                    return Err(
                        p.error("\"[\" directly after an attribute name, not a sub-attribute")
                    );
                }
                filter = Some(p.bracket()?);
                if p.peek_byte() == Some(b'.') {
                    p.pos += 1;
                    sub = Some(p.attr_name_pub()?);
                }
            }
            if !p.at_end() {
                return Err(p.error("the end of the path"));
            }
            Ok(PatchPath { attr, filter, sub })
        })();
        result.map_err(|e| p.path_error(e))
    }
}

impl Display for PatchPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}
