//! Printing a filter back to text that parses to the same tree.
//!
//! Operators and keywords are printed in lower case, strings as JSON strings, `not` always with parentheses,
//! and parentheses only where precedence or left-associativity needs them.

use std::fmt::{self, Display, Formatter, Write as _};

use super::ast::{AttrPath, CompValue, Filter};

impl Display for AttrPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            f.write_str(uri)?;
            f.write_char(':')?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            f.write_char('.')?;
            f.write_str(sub)?;
        }
        Ok(())
    }
}

impl Display for CompValue {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
        }
    }
}

/// Binding strength: `or` < `and` < everything else.
fn level(f: &Filter) -> u8 {
    match f {
        Filter::Or(..) => 0,
        Filter::And(..) => 1,
        _ => 2,
    }
}

fn child(f: &mut Formatter<'_>, node: &Filter, parenthesise: bool) -> fmt::Result {
    if parenthesise {
        write!(f, "({node})")
    } else {
        write!(f, "{node}")
    }
}

impl Display for Filter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Present(p) => write!(f, "{p} pr"),
            Filter::Compare(p, op, v) => write!(f, "{p} {} {v}", op.as_str()),
            Filter::ValuePath { attr, filter, then } => {
                write!(f, "{attr}[{filter}]")?;
                if let Some(t) = then {
                    write!(f, ".{t}")?;
                }
                Ok(())
            }
            Filter::And(a, b) => {
                child(f, a, level(a) < 1)?;
                f.write_str(" and ")?;
                child(f, b, level(b) <= 1)
            }
            Filter::Or(a, b) => {
                child(f, a, false)?;
                f.write_str(" or ")?;
                child(f, b, level(b) == 0)
            }
            Filter::Not(a) => write!(f, "not ({a})"),
        }
    }
}
