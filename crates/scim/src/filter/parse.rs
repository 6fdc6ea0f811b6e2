//! Recursive-descent parser for the RFC 7644 §3.4.2.2 filter grammar.
//!
//! Precedence, loosest first: `or`, `and`, `not`, then attribute expressions and parenthesised groups; `and` and
//! `or` associate to the left. Keywords, operators and `true`/`false`/`null` are case-insensitive (ABNF literal
//! strings are). Strings and numbers are JSON's. Limits: [`MAX_FILTER_LEN`] bytes and [`MAX_DEPTH`] nesting
//! levels, so hostile input cannot exhaust the stack.
//!
//! Deliberate choices: values must be quoted strings, numbers, `true`, `false` or `null` (no bare words);
//! attribute names start with a letter, or are `$ref`; `attr[...]` may be followed by `.sub op value` (the PATCH
//! path form that Entra also uses in filters), not by an operator on the whole value path.

use serde_json::Number;

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::compat::Compatibility;
use crate::error::{Error, Result};
use crate::schema::ResourceSchema;

/// Longest filter text accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 16 * 1024;
/// Deepest nesting of parentheses, brackets and `not` accepted.
pub const MAX_DEPTH: usize = 64;

/// Parses a filter with the default [`Compatibility::Tolerant`].
///
/// # Errors
/// [`Error::InvalidFilter`] with the byte position, what was expected and what was found.
pub fn parse_filter(text: &str) -> Result<Filter> {
    parse_filter_with(text, Compatibility::default())
}

/// Parses a filter under the given compatibility.
///
/// # Errors
/// [`Error::InvalidFilter`] with the byte position, what was expected and what was found.
pub fn parse_filter_with(text: &str, compat: Compatibility) -> Result<Filter> {
    if text.len() > MAX_FILTER_LEN {
        return Err(Error::InvalidFilter {
            position: MAX_FILTER_LEN,
            expected: format!("at most {MAX_FILTER_LEN} bytes"),
            found: format!("{} bytes", text.len()),
        });
    }
    let mut p = Parser::new(text, compat);
    p.skip_ws();
    let f = p.or_expr()?;
    p.skip_ws();
    if !p.at_end() {
        return Err(p.error("\"and\", \"or\" or the end of the filter"));
    }
    Ok(f)
}

/// Parses a filter and checks it against `schema` ([`Filter::check`]), reporting the byte position of an
/// expression that does not fit its attribute (`active gt true`), not only of syntax errors.
///
/// # Errors
/// [`Error::InvalidFilter`] with the position of the problem.
pub fn parse_filter_for(
    text: &str,
    schema: &ResourceSchema,
    compat: Compatibility,
) -> Result<Filter> {
    let (f, positions) = parse_with_positions(text, compat)?;
    f.check_at(schema, &positions)?;
    Ok(f)
}

/// Parses a filter and returns the start of every attribute expression, in source order.
pub(crate) fn parse_with_positions(
    text: &str,
    compat: Compatibility,
) -> Result<(Filter, Vec<usize>)> {
    if text.len() > MAX_FILTER_LEN {
        return parse_filter_with(text, compat).map(|f| (f, Vec::new()));
    }
    let mut p = Parser::new(text, compat);
    p.skip_ws();
    let f = p.or_expr()?;
    p.skip_ws();
    if !p.at_end() {
        return Err(p.error("\"and\", \"or\" or the end of the filter"));
    }
    Ok((f, p.leaves))
}

pub(crate) fn parse_attr_path_only(text: &str) -> Result<AttrPath> {
    let mut p = Parser::new(text, Compatibility::Strict);
    let path = p.attr_path().map_err(|e| p.path_error(e))?;
    if !p.at_end() {
        let e = p.error("the end of the attribute path");
        return Err(p.path_error(e));
    }
    Ok(path)
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    pub(crate) pos: usize,
    depth: usize,
    compat: Compatibility,
    /// Start of every attribute expression, in source order.
    leaves: Vec<usize>,
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'$')
}

/// Characters that can appear in `[URI ":"] ATTRNAME ["." ATTRNAME]` (URNs have dots and colons).
fn is_path_char(b: u8) -> bool {
    is_name_char(b) || matches!(b, b':' | b'.')
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str, compat: Compatibility) -> Self {
        Self {
            src,
            pos: 0,
            depth: 0,
            compat,
            leaves: Vec::new(),
        }
    }

    pub(crate) fn peek_byte(&self) -> Option<u8> {
        self.peek()
    }

    pub(crate) fn attr_name_pub(&mut self) -> Result<String> {
        self.attr_name()
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn found(&self) -> String {
        let rest = self.src.get(self.pos..).unwrap_or("");
        if rest.is_empty() {
            return "the end of the filter".to_owned();
        }
        let word: String = rest.chars().take(16).collect();
        format!("{word:?}")
    }

    pub(crate) fn error(&self, expected: &str) -> Error {
        Error::InvalidFilter {
            position: self.pos,
            expected: expected.to_owned(),
            found: self.found(),
        }
    }

    pub(crate) fn path_error(&self, e: Error) -> Error {
        match e {
            Error::InvalidFilter {
                position, expected, ..
            } => Error::InvalidPath {
                path: self.src.to_owned(),
                position,
                expected,
            },
            other => other,
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::InvalidFilter {
                position: self.pos,
                expected: format!("at most {MAX_DEPTH} levels of nesting"),
                found: "deeper nesting".into(),
            });
        }
        Ok(())
    }

    /// The word (run of path characters) at the cursor, without consuming it.
    fn word(&self) -> &'a str {
        let bytes = self.bytes();
        let mut end = self.pos;
        while bytes.get(end).copied().is_some_and(is_path_char) {
            end += 1;
        }
        self.src.get(self.pos..end).unwrap_or("")
    }

    /// Consumes the keyword `kw` if it is the whole next word.
    fn keyword(&mut self, kw: &str) -> bool {
        let end = self.pos + kw.len();
        let matches = self
            .bytes()
            .get(self.pos..end)
            .is_some_and(|w| w.eq_ignore_ascii_case(kw.as_bytes()))
            && !self.bytes().get(end).copied().is_some_and(is_path_char);
        if matches {
            self.pos = end;
        }
        matches
    }

    pub(crate) fn or_expr(&mut self) -> Result<Filter> {
        let mut left = self.and_expr()?;
        loop {
            let save = self.pos;
            if self.skip_ws() && self.keyword("or") && self.space_or_paren() {
                self.skip_ws();
                let right = self.and_expr()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn and_expr(&mut self) -> Result<Filter> {
        let mut left = self.unary()?;
        loop {
            let save = self.pos;
            if self.skip_ws() && self.keyword("and") && self.space_or_paren() {
                self.skip_ws();
                let right = self.unary()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    /// After `and`/`or`/`not`: whitespace or an opening parenthesis must follow.
    fn space_or_paren(&self) -> bool {
        matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r' | b'('))
    }

    fn unary(&mut self) -> Result<Filter> {
        let save = self.pos;
        if self.keyword("not") {
            let after_kw = self.pos;
            self.skip_ws();
            if self.peek() == Some(b'(') {
                self.enter()?;
                let inner = self.group()?;
                self.depth -= 1;
                return Ok(Filter::Not(Box::new(inner)));
            }
            if self.compat.bare_not() && after_kw < self.pos {
                // `not userName eq "x"`: try negating the next term; if that does not parse, `not` was an
                // attribute name after all (`not pr`).
                let (depth, leaves) = (self.depth, self.leaves.len());
                self.enter()?;
                let attempt = self.unary();
                // A failed attempt may have returned from deeper levels without unwinding their count.
                self.depth = depth;
                if let Ok(inner) = attempt {
                    return Ok(Filter::Not(Box::new(inner)));
                }
                self.leaves.truncate(leaves);
            }
            self.pos = save;
        }
        self.atom()
    }

    /// `"(" FILTER ")"`, cursor on the parenthesis.
    fn group(&mut self) -> Result<Filter> {
        self.pos += 1;
        self.skip_ws();
        let inner = self.or_expr()?;
        self.skip_ws();
        if self.peek() != Some(b')') {
            return Err(self.error("\")\""));
        }
        self.pos += 1;
        Ok(inner)
    }

    fn atom(&mut self) -> Result<Filter> {
        if self.peek() == Some(b'(') {
            self.enter()?;
            let inner = self.group()?;
            self.depth -= 1;
            return Ok(inner);
        }
        let start = self.pos;
        let path = self.attr_path()?;
        if self.peek() == Some(b'[') {
            if path.sub.is_some() {
                return Err(self.error("an attribute without sub-attribute before \"[\""));
            }
            self.enter()?;
            let filter = self.bracket()?;
            self.depth -= 1;
            let then = if self.peek() == Some(b'.') {
                self.pos += 1;
                let then_start = self.pos;
                let name = self.attr_name()?;
                let sub_path = AttrPath {
                    uri: None,
                    name,
                    sub: None,
                };
                let test = self.attr_test(sub_path)?;
                self.leaves.push(then_start);
                Some(Box::new(test))
            } else {
                None
            };
            return Ok(Filter::ValuePath {
                attr: path,
                filter: Box::new(filter),
                then,
            });
        }
        let test = self.attr_test(path)?;
        self.leaves.push(start);
        Ok(test)
    }

    /// `"[" valFilter "]"`, cursor on the bracket.
    pub(crate) fn bracket(&mut self) -> Result<Filter> {
        self.pos += 1;
        self.skip_ws();
        let inner = self.or_expr()?;
        self.skip_ws();
        if self.peek() != Some(b']') {
            return Err(self.error("\"]\""));
        }
        self.pos += 1;
        Ok(inner)
    }

    /// `SP "pr"` or `SP compareOp SP compValue` after an attribute path.
    fn attr_test(&mut self, path: AttrPath) -> Result<Filter> {
        if !self.skip_ws() {
            return Err(self.error("a space and an operator"));
        }
        let word = self.word();
        if word.eq_ignore_ascii_case("pr") {
            self.pos += word.len();
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_keyword(word) else {
            return Err(self.error("an operator (eq ne co sw ew gt ge lt le pr)"));
        };
        self.pos += word.len();
        if !self.skip_ws() {
            return Err(self.error("a space and a value"));
        }
        let value = self.comp_value()?;
        Ok(Filter::Compare(path, op, value))
    }

    fn comp_value(&mut self) -> Result<CompValue> {
        match self.peek() {
            Some(b'"') => self.string().map(CompValue::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(CompValue::Number),
            _ => {
                let w = self.word();
                let v = if w.eq_ignore_ascii_case("true") {
                    CompValue::Bool(true)
                } else if w.eq_ignore_ascii_case("false") {
                    CompValue::Bool(false)
                } else if w.eq_ignore_ascii_case("null") {
                    CompValue::Null
                } else {
                    return Err(self.error("a quoted string, number, true, false or null"));
                };
                self.pos += w.len();
                Ok(v)
            }
        }
    }

    fn string(&mut self) -> Result<String> {
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start + 1;
        loop {
            match bytes.get(i) {
                None => return Err(self.error("a closing quote")),
                Some(b'\\') => i += 2,
                Some(b'"') => break,
                Some(_) => i += 1,
            }
        }
        let text = self.src.get(start..=i).unwrap_or("");
        let inner = text.get(1..text.len() - 1).unwrap_or("");
        // Fast path: nothing to unescape.
        if !inner.bytes().any(|b| b == b'\\' || b < 0x20) {
            self.pos = i + 1;
            return Ok(inner.to_owned());
        }
        match serde_json::from_str::<String>(text) {
            Ok(s) => {
                self.pos = i + 1;
                Ok(s)
            }
            Err(_) => {
                Err(self.error("a JSON string (escape quotes, backslashes and control characters)"))
            }
        }
    }

    /// A JSON number (RFC 8259 §6 grammar), parsed exactly: integers as integers, others correctly rounded.
    fn number(&mut self) -> Result<Number> {
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        let int_len = digits(&mut i);
        let leading_zero = int_len > 1 && bytes.get(int_start) == Some(&b'0');
        let mut ok = int_len > 0 && !leading_zero;
        let mut integral = true;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            integral = false;
            ok &= digits(&mut i) > 0;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            integral = false;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            ok &= digits(&mut i) > 0;
        }
        // A number is a whole token: `123abc` is not a number followed by a name.
        if !ok
            || bytes
                .get(i)
                .copied()
                .is_some_and(|b| is_path_char(b) || b == b'+')
        {
            return Err(self.error("a JSON number"));
        }
        let text = self.src.get(start..i).unwrap_or("");
        let n = if integral {
            text.parse::<i64>()
                .map(Number::from)
                .or_else(|_| text.parse::<u64>().map(Number::from))
                .ok()
                .or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64))
        } else {
            text.parse::<f64>().ok().and_then(Number::from_f64)
        };
        match n {
            Some(n) => {
                self.pos = i;
                Ok(n)
            }
            None => Err(self.error("a finite JSON number")),
        }
    }

    /// `ATTRNAME`: a letter then letters, digits, `-`, `_`; or `$ref`.
    fn attr_name(&mut self) -> Result<String> {
        let bytes = self.bytes();
        let start = self.pos;
        let first = bytes.get(start).copied();
        if !(first.is_some_and(|b| b.is_ascii_alphabetic()) || first == Some(b'$')) {
            return Err(self.error("an attribute name"));
        }
        let mut end = start + 1;
        while bytes
            .get(end)
            .copied()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        {
            end += 1;
        }
        let name = self.src.get(start..end).unwrap_or("");
        if first == Some(b'$') && !name.eq_ignore_ascii_case("$ref") {
            return Err(self.error("an attribute name (\"$\" only in \"$ref\")"));
        }
        self.pos = end;
        Ok(name.to_owned())
    }

    /// `[URI ":"] ATTRNAME ["." ATTRNAME]`.
    pub(crate) fn attr_path(&mut self) -> Result<AttrPath> {
        let mut uri = None;
        let urn = self
            .bytes()
            .get(self.pos..self.pos + 4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"urn:"));
        let word = if urn { self.word() } else { "" };
        if word.len() > 4 {
            // The attribute starts after the last colon; URNs may contain dots ("2.0").
            let Some(colon) = word.rfind(':') else {
                return Err(self.error("a schema URN followed by \":\" and an attribute name"));
            };
            uri = Some(word.get(..colon).unwrap_or("").to_owned());
            self.pos += colon + 1;
        }
        let name = self.attr_name()?;
        let sub = if self.peek() == Some(b'.') {
            self.pos += 1;
            Some(self.attr_name()?)
        } else {
            None
        };
        Ok(AttrPath { uri, name, sub })
    }
}
