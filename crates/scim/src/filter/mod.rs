//! The SCIM filter language (RFC 7644 §3.4.2.2): syntax tree, parser, printer, evaluation and SQL translation.
//!
//! ```
//! use gatehouse_scim::filter::{Filter, parse_filter};
//! use gatehouse_scim::schema::ResourceSchema;
//!
//! let f = parse_filter(r#"userName Eq "BJensen" and emails co "example.com""#)?;
//! assert_eq!(f.to_string(), r#"userName eq "BJensen" and emails co "example.com""#);
//! let user = serde_json::json!({
//!     "userName": "bjensen",
//!     "emails": [{"value": "bjensen@example.com", "type": "work"}],
//! });
//! assert!(f.matches(&user, ResourceSchema::user()));
//! # Ok::<(), gatehouse_scim::Error>(())
//! ```

mod ast;
mod eval;
mod parse;
mod print;
pub mod sql;

pub use ast::{AttrPath, CompValue, CompareOp, Filter};
pub(crate) use eval::{compare_str, matches_element};
pub use parse::{MAX_DEPTH, MAX_FILTER_LEN, parse_filter, parse_filter_for, parse_filter_with};
pub(crate) use parse::{Parser, parse_with_positions};
