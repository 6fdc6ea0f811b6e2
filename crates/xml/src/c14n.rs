//! Canonical XML: exclusive c14n 1.0 and inclusive c14n 1.0 / 1.1, with or without comments, over an
//! element's subtree (optionally with one descendant — the enveloped `Signature` — left out) or over the
//! whole document.
//!
//! Only whole subtrees are canonicalized: there is no XPath node-set, so none of the node-set pitfalls
//! (namespace nodes without their element, attributes without their parent) can arise.

use crate::error::{Error, Result};
use crate::tree::{Attribute, Document, Element, Namespace, Node, NodeId, XML_NS};

/// Which canonicalization family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Exclusive XML Canonicalization 1.0 (what SAML IdPs use).
    Exclusive,
    /// Canonical XML 1.0.
    Inclusive10,
    /// Canonical XML 1.1.
    Inclusive11,
}

/// A canonicalization method: family, comments, and (exclusive only) the `InclusiveNamespaces PrefixList`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Method {
    family: Family,
    with_comments: bool,
    /// Prefixes treated as in inclusive c14n; `""` stands for `#default`.
    inclusive_prefixes: Vec<String>,
}

impl Method {
    /// Exclusive c14n 1.0 without comments, empty prefix list.
    #[must_use]
    pub fn exclusive() -> Self {
        Self {
            family: Family::Exclusive,
            with_comments: false,
            inclusive_prefixes: Vec::new(),
        }
    }

    /// Looks up an algorithm URI from `CanonicalizationMethod` or a `Transform`.
    #[must_use]
    pub fn from_uri(uri: &str) -> Option<Self> {
        let (family, with_comments) = match uri {
            EXC => (Family::Exclusive, false),
            EXC_COMMENTS => (Family::Exclusive, true),
            C14N10 => (Family::Inclusive10, false),
            C14N10_COMMENTS => (Family::Inclusive10, true),
            C14N11 => (Family::Inclusive11, false),
            C14N11_COMMENTS => (Family::Inclusive11, true),
            _ => return None,
        };
        Some(Self {
            family,
            with_comments,
            inclusive_prefixes: Vec::new(),
        })
    }

    /// The algorithm URI.
    #[must_use]
    pub fn uri(&self) -> &'static str {
        match (self.family, self.with_comments) {
            (Family::Exclusive, false) => EXC,
            (Family::Exclusive, true) => EXC_COMMENTS,
            (Family::Inclusive10, false) => C14N10,
            (Family::Inclusive10, true) => C14N10_COMMENTS,
            (Family::Inclusive11, false) => C14N11,
            (Family::Inclusive11, true) => C14N11_COMMENTS,
        }
    }

    /// The family.
    #[must_use]
    pub fn family(&self) -> Family {
        self.family
    }

    /// Whether comments are kept.
    #[must_use]
    pub fn with_comments(&self) -> bool {
        self.with_comments
    }

    /// The same method with comments kept or dropped.
    #[must_use]
    pub fn comments(mut self, keep: bool) -> Self {
        self.with_comments = keep;
        self
    }

    /// Sets the exclusive `InclusiveNamespaces PrefixList` (whitespace-separated; `#default` for the default
    /// namespace).
    ///
    /// # Errors
    /// [`Error::Canonicalization`] for an inclusive method (the list only exists for exclusive c14n) or a
    /// token that is not a prefix.
    pub fn with_prefix_list(mut self, list: &str) -> Result<Self> {
        if list.trim_ascii().is_empty() {
            self.inclusive_prefixes.clear();
            return Ok(self);
        }
        if self.family != Family::Exclusive {
            return Err(Error::Canonicalization {
                reason: "InclusiveNamespaces is only defined for exclusive c14n",
            });
        }
        if list.split_ascii_whitespace().count() > MAX_PREFIX_LIST {
            return Err(Error::Canonicalization {
                reason: "InclusiveNamespaces PrefixList is too long",
            });
        }
        self.inclusive_prefixes = list
            .split_ascii_whitespace()
            .map(|p| match p {
                "#default" => Ok(String::new()),
                p if crate::tree::is_ncname(p) => Ok(p.to_owned()),
                _ => Err(Error::Canonicalization {
                    reason: "invalid prefix in InclusiveNamespaces PrefixList",
                }),
            })
            .collect::<Result<_>>()?;
        Ok(self)
    }

    /// Canonicalizes `element` and its subtree into `out`, leaving out the subtree of `exclude` (the
    /// enveloped signature) if given. Comments are output only if the method keeps them.
    ///
    /// # Errors
    /// [`Error::Canonicalization`] where the output could not be faithful (C14N 1.1 with an inherited
    /// `xml:base`). Never produces partial output on success paths only: on error `out` may hold a prefix.
    pub fn canonicalize(
        &self,
        element: Element<'_, '_>,
        exclude: Option<NodeId>,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let mut c = Canonicalizer::new(self, element, exclude);
        c.apex(element, out)
    }

    /// Canonicalizes the whole document (the root element and the comments — if kept — and processing
    /// instructions around it), leaving out `exclude`'s subtree if given.
    ///
    /// # Errors
    /// As [`Method::canonicalize`].
    pub fn canonicalize_document(
        &self,
        doc: &Document<'_>,
        exclude: Option<NodeId>,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let mut seen_root = false;
        for node in doc.top_level() {
            match node {
                Node::Element(e) => {
                    let mut c = Canonicalizer::new(self, e, exclude);
                    c.apex(e, out)?;
                    seen_root = true;
                }
                Node::Comment(text) if self.with_comments => {
                    if seen_root {
                        out.push(b'\n');
                    }
                    write_comment(text, out);
                    if !seen_root {
                        out.push(b'\n');
                    }
                }
                Node::Pi { target, data } => {
                    if seen_root {
                        out.push(b'\n');
                    }
                    write_pi(target, data, out);
                    if !seen_root {
                        out.push(b'\n');
                    }
                }
                Node::Comment(_) | Node::Text(_) => {}
            }
        }
        Ok(())
    }
}

impl Default for Method {
    fn default() -> Self {
        Self::exclusive()
    }
}

/// More prefixes than any IdP sends (ADFS sends six); bounds the per-element work.
const MAX_PREFIX_LIST: usize = 32;

/// `http://www.w3.org/2001/10/xml-exc-c14n#`
pub const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// `http://www.w3.org/2001/10/xml-exc-c14n#WithComments`
pub const EXC_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
/// `http://www.w3.org/TR/2001/REC-xml-c14n-20010315`
pub const C14N10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// `http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments`
pub const C14N10_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
/// `http://www.w3.org/2006/12/xml-c14n11`
pub const C14N11: &str = "http://www.w3.org/2006/12/xml-c14n11";
/// `http://www.w3.org/2006/12/xml-c14n11#WithComments`
pub const C14N11_COMMENTS: &str = "http://www.w3.org/2006/12/xml-c14n11#WithComments";

struct Canonicalizer<'m, 'd> {
    method: &'m Method,
    exclude: Option<NodeId>,
    /// Namespace bindings in scope, innermost last (prefix may repeat; the last one wins).
    in_scope: Vec<Namespace<'d>>,
    /// Namespace declarations already output by output ancestors, innermost last.
    rendered: Vec<Namespace<'d>>,
    /// Scratch buffers reused across elements.
    ns_out: Vec<Namespace<'d>>,
    attrs: Vec<Attribute<'d>>,
}

impl<'m, 'd> Canonicalizer<'m, 'd> {
    fn new(method: &'m Method, apex: Element<'d, '_>, exclude: Option<NodeId>) -> Self {
        let in_scope = apex
            .parent()
            .map(|p| p.namespaces_in_scope())
            .unwrap_or_default();
        Self {
            method,
            exclude,
            in_scope,
            rendered: Vec::new(),
            ns_out: Vec::new(),
            attrs: Vec::new(),
        }
    }

    fn apex(&mut self, e: Element<'d, '_>, out: &mut Vec<u8>) -> Result<()> {
        out.reserve(e.span().len());
        let inherited = self.inherited_xml_attrs(e)?;
        self.element(e, true, &inherited, out);
        Ok(())
    }

    /// Inclusive c14n of a subtree takes `xml:*` attributes from ancestors (C14N 1.0 §2.4: all of them;
    /// C14N 1.1 §2.4: `xml:lang` and `xml:space`, with `xml:base` fixed up — refused here).
    fn inherited_xml_attrs(&self, apex: Element<'d, '_>) -> Result<Vec<Attribute<'d>>> {
        let mut found: Vec<Attribute<'d>> = Vec::new();
        if self.method.family == Family::Exclusive {
            return Ok(found);
        }
        let own = |name: &str| {
            apex.attributes()
                .any(|a| a.namespace == XML_NS && a.name == name)
        };
        let mut cur = apex.parent();
        while let Some(p) = cur {
            for a in p.attributes().filter(|a| a.namespace == XML_NS) {
                if own(a.name) || found.iter().any(|f| f.name == a.name) {
                    continue;
                }
                match (self.method.family, a.name) {
                    (Family::Inclusive11, "lang" | "space") | (Family::Inclusive10, _) => {
                        found.push(a)
                    }
                    (Family::Inclusive11, "base") => {
                        return Err(Error::Canonicalization {
                            reason: "C14N 1.1 xml:base fix-up from ancestors is not supported",
                        });
                    }
                    _ => {}
                }
            }
            cur = p.parent();
        }
        Ok(found)
    }

    fn lookup(stack: &[Namespace<'d>], prefix: &str) -> Option<&'d str> {
        stack
            .iter()
            .rev()
            .find(|n| n.prefix == prefix)
            .map(|n| n.uri)
    }

    fn element(
        &mut self,
        e: Element<'d, '_>,
        is_apex: bool,
        extra_attrs: &[Attribute<'d>],
        out: &mut Vec<u8>,
    ) {
        let scope_mark = self.in_scope.len();
        let rendered_mark = self.rendered.len();
        self.in_scope.extend(e.declared_namespaces());

        // Which namespace declarations to output here. Every lookup below is bounded by the parser's
        // namespace-declaration limit, so hostile namespace nesting stays linear in the input.
        self.ns_out.clear();
        match self.method.family {
            Family::Exclusive => {
                // Visibly utilized: the element's own prefix and its attributes' prefixes, with the URIs
                // the parser resolved for them.
                self.consider(e.prefix(), e.namespace());
                for a in e.attributes() {
                    if !a.prefix.is_empty() && a.prefix != "xml" {
                        self.consider(a.prefix, a.namespace);
                    }
                }
                for p in &self.method.inclusive_prefixes {
                    if let Some(ns) = self
                        .in_scope
                        .iter()
                        .rev()
                        .find(|n| n.prefix == p.as_str())
                        .copied()
                    {
                        self.consider(ns.prefix, ns.uri);
                    }
                }
            }
            Family::Inclusive10 | Family::Inclusive11 => {
                if is_apex {
                    // The apex renders every binding in scope (its ancestors are not output).
                    for ns in e.namespaces_in_scope() {
                        self.consider(ns.prefix, ns.uri);
                    }
                } else {
                    // Below the apex only a declaration on this element can change a binding.
                    for ns in e.declared_namespaces() {
                        self.consider(ns.prefix, ns.uri);
                    }
                }
            }
        }
        self.ns_out.sort_by(|a, b| a.prefix.cmp(b.prefix));

        out.push(b'<');
        out.extend_from_slice(e.qname().as_bytes());
        for ns in &self.ns_out {
            if ns.prefix.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(ns.prefix.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attr(ns.uri, out);
            out.push(b'"');
        }
        self.rendered.append(&mut self.ns_out);

        self.attrs.clear();
        self.attrs.extend(e.attributes());
        self.attrs.extend_from_slice(extra_attrs);
        self.attrs
            .sort_by(|a, b| (a.namespace, a.name).cmp(&(b.namespace, b.name)));
        for a in &self.attrs {
            out.push(b' ');
            out.extend_from_slice(a.qname.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attr(a.value, out);
            out.push(b'"');
        }
        out.push(b'>');

        for child in e.children() {
            match child {
                Node::Element(c) => {
                    if Some(c.id()) != self.exclude {
                        self.element(c, false, &[], out);
                    }
                }
                Node::Text(t) => escape_text(t, out),
                Node::Comment(t) => {
                    if self.method.with_comments {
                        write_comment(t, out);
                    }
                }
                Node::Pi { target, data } => write_pi(target, data, out),
            }
        }

        out.extend_from_slice(b"</");
        out.extend_from_slice(e.qname().as_bytes());
        out.push(b'>');
        self.in_scope.truncate(scope_mark);
        self.rendered.truncate(rendered_mark);
    }

    /// Queues the binding of `prefix` (in scope here) for output unless an output ancestor already rendered
    /// the same binding (or, for the default namespace, unless it is empty and nothing non-empty was
    /// rendered above).
    fn consider(&mut self, prefix: &'d str, uri: &'d str) {
        if prefix == "xml" || self.ns_out.iter().any(|o| o.prefix == prefix) {
            return;
        }
        let rendered = Self::lookup(&self.rendered, prefix);
        let emit = if uri.is_empty() {
            // Only the default namespace can be empty here (prefixes are always bound by the parser):
            // output xmlns="" only to cancel a non-empty default rendered above.
            prefix.is_empty() && rendered.is_some_and(|r| !r.is_empty())
        } else {
            rendered != Some(uri)
        };
        if emit {
            self.ns_out.push(Namespace { prefix, uri });
        }
    }
}

fn write_comment(text: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<!--");
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"-->");
}

fn write_pi(target: &str, data: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<?");
    out.extend_from_slice(target.as_bytes());
    if !data.is_empty() {
        out.push(b' ');
        out.extend_from_slice(data.as_bytes());
    }
    out.extend_from_slice(b"?>");
}

/// Text node escaping of C14N §2.3: `&` `<` `>` and CR.
fn escape_text(s: &str, out: &mut Vec<u8>) {
    escape(s, out, |b| match b {
        b'&' => Some(b"&amp;".as_slice()),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

/// Attribute value escaping of C14N §2.3: `&` `<` `"` tab, LF and CR.
fn escape_attr(s: &str, out: &mut Vec<u8>) {
    escape(s, out, |b| match b {
        b'&' => Some(b"&amp;".as_slice()),
        b'<' => Some(b"&lt;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

fn escape(s: &str, out: &mut Vec<u8>, table: impl Fn(u8) -> Option<&'static [u8]>) {
    let bytes = s.as_bytes();
    // Most values need no escaping: one vectorizable scan, then a single copy.
    if !bytes.iter().fold(false, |acc, &b| acc | table(b).is_some()) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(rep) = table(b) {
            out.extend_from_slice(bytes.get(last..i).unwrap_or(&[]));
            out.extend_from_slice(rep);
            last = i + 1;
        }
    }
    out.extend_from_slice(bytes.get(last..).unwrap_or(&[]));
}
