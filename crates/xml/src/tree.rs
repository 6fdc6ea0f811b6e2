//! The document tree: one arena of nodes over the borrowed input, namespaces resolved per element.
//!
//! A [`Document`] is built once by [`Document::parse`] and never changes. Everything downstream —
//! canonicalization, signature checks, the SAML model — reads this one tree, so the bytes a signature
//! covers and the values an application reads cannot come from two different interpretations of the input.

use std::borrow::Cow;
use std::collections::HashSet;

use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Result};
use crate::limits::Limits;

/// The namespace bound to the `xml` prefix by definition.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
const NONE: u32 = u32::MAX;

/// Index of a node in its [`Document`]. Only meaningful for the document that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// An id that names no node of any document.
    pub(crate) const NONE: NodeId = NodeId(NONE);

    fn index(self) -> usize {
        self.0 as usize
    }
}

/// A parsed, immutable XML document borrowing its input.
#[derive(Debug)]
pub struct Document<'a> {
    src: &'a str,
    nodes: Vec<NodeData<'a>>,
    attrs: Vec<AttrData<'a>>,
    decls: Vec<NsDecl<'a>>,
    /// Top-level nodes in document order: the root element plus comments and PIs around it.
    top: Vec<NodeId>,
    root: NodeId,
}

#[derive(Debug)]
struct NodeData<'a> {
    kind: Kind<'a>,
    parent: u32,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
    start: u32,
    end: u32,
}

#[derive(Debug)]
enum Kind<'a> {
    Element(ElemData<'a>),
    Text(Cow<'a, str>),
    Comment(&'a str),
    Pi { target: &'a str, data: &'a str },
}

#[derive(Debug)]
struct ElemData<'a> {
    prefix: &'a str,
    local: &'a str,
    qname: &'a str,
    /// Index into `decls` of the binding of `prefix`, or `NONE` for no namespace.
    ns: u32,
    attrs: (u32, u32),
    decls: (u32, u32),
}

#[derive(Debug)]
struct AttrData<'a> {
    prefix: &'a str,
    local: &'a str,
    qname: &'a str,
    /// Index into `decls`, `NONE` for no namespace, `XML` for the `xml` prefix.
    ns: u32,
    value: Cow<'a, str>,
}

const XML: u32 = u32::MAX - 1;
/// Up to this many IDs are checked for duplicates by a linear scan; beyond it, by a hash set.
const SMALL_IDS: usize = 16;

#[derive(Debug)]
struct NsDecl<'a> {
    /// Empty for the default namespace.
    prefix: &'a str,
    /// Empty only for `xmlns=""` (undeclaring the default namespace).
    uri: Cow<'a, str>,
}

/// A namespace binding in scope on an element, as canonicalization renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Namespace<'d> {
    /// The prefix; empty for the default namespace.
    pub prefix: &'d str,
    /// The namespace URI; empty when the default namespace is undeclared (`xmlns=""`).
    pub uri: &'d str,
}

impl<'a> Document<'a> {
    /// Parses `input` with the default [`Limits`].
    ///
    /// # Errors
    /// Any of the parse variants of [`Error`]: a DTD, an unknown entity, non-UTF-8 input, an unbound prefix,
    /// a duplicate attribute or ID, a limit, or plain malformation. Never panics, whatever the input.
    pub fn parse(input: &'a [u8]) -> Result<Self> {
        Self::parse_with(input, &Limits::default())
    }

    /// Parses `input` with explicit `limits`.
    ///
    /// # Errors
    /// As [`Document::parse`].
    pub fn parse_with(input: &'a [u8], limits: &Limits) -> Result<Self> {
        if input.len() > limits.max_bytes {
            return Err(Error::TooLarge {
                limit: limits.max_bytes,
                actual: input.len(),
            });
        }
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        let src = std::str::from_utf8(input).map_err(|e| Error::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        check_chars(src)?;
        Builder::new(src, limits).run()
    }

    /// The input the document was parsed from.
    #[must_use]
    pub fn source(&self) -> &'a str {
        self.src
    }

    /// The document element.
    #[must_use]
    pub fn root(&self) -> Element<'_, 'a> {
        Element {
            doc: self,
            id: self.root,
        }
    }

    /// The element with this id, if `id` is an element of this document.
    #[must_use]
    pub fn element(&self, id: NodeId) -> Option<Element<'_, 'a>> {
        match self.nodes.get(id.index()).map(|n| &n.kind) {
            Some(Kind::Element(_)) => Some(Element { doc: self, id }),
            _ => None,
        }
    }

    /// Top-level nodes (the root element and any comments or PIs before and after it), in document order.
    pub fn top_level(&self) -> impl Iterator<Item = Node<'_, 'a>> + '_ {
        self.top.iter().map(move |&id| self.node(id))
    }

    pub(crate) fn node(&self, id: NodeId) -> Node<'_, 'a> {
        match self.nodes.get(id.index()).map(|n| &n.kind) {
            Some(Kind::Element(_)) => Node::Element(Element { doc: self, id }),
            Some(Kind::Text(t)) => Node::Text(t),
            Some(Kind::Comment(c)) => Node::Comment(c),
            Some(Kind::Pi { target, data }) => Node::Pi { target, data },
            // Ids only come from this document's own links, so this arm is never taken; an empty text
            // node is the harmless answer if it ever were.
            None => Node::Text(""),
        }
    }

    fn data(&self, id: NodeId) -> Option<&NodeData<'a>> {
        self.nodes.get(id.index())
    }

    fn elem(&self, id: NodeId) -> Option<&ElemData<'a>> {
        match self.nodes.get(id.index()).map(|n| &n.kind) {
            Some(Kind::Element(e)) => Some(e),
            _ => None,
        }
    }

    fn ns_uri(&self, ns: u32) -> &str {
        match ns {
            NONE => "",
            XML => XML_NS,
            i => self.decls.get(i as usize).map_or("", |d| d.uri.as_ref()),
        }
    }
}

/// A node of the tree.
#[derive(Debug, Clone, Copy)]
pub enum Node<'d, 'a> {
    /// An element.
    Element(Element<'d, 'a>),
    /// A run of character data: adjacent text, character references and CDATA sections joined, line
    /// endings normalized and references resolved.
    Text(&'d str),
    /// A comment's content (without `<!--` and `-->`).
    Comment(&'d str),
    /// A processing instruction.
    Pi {
        /// The target.
        target: &'d str,
        /// Everything after the target and the whitespace that follows it.
        data: &'d str,
    },
}

/// A handle to an element of a [`Document`]: cheap to copy, read-only.
#[derive(Clone, Copy)]
pub struct Element<'d, 'a> {
    doc: &'d Document<'a>,
    id: NodeId,
}

impl std::fmt::Debug for Element<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}> at byte {}", self.qname(), self.offset())
    }
}

impl<'d, 'a> Element<'d, 'a> {
    fn data(&self) -> &'d ElemData<'a> {
        // An `Element` is only ever made for an element node of its document.
        static EMPTY: ElemData<'static> = ElemData {
            prefix: "",
            local: "",
            qname: "",
            ns: NONE,
            attrs: (0, 0),
            decls: (0, 0),
        };
        self.doc.elem(self.id).unwrap_or(&EMPTY)
    }

    fn links(&self) -> Option<&'d NodeData<'a>> {
        self.doc.data(self.id)
    }

    /// This element's id in its document.
    #[must_use]
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The document this element belongs to.
    #[must_use]
    pub fn document(&self) -> &'d Document<'a> {
        self.doc
    }

    /// The local name (without prefix).
    #[must_use]
    pub fn name(&self) -> &'d str {
        self.data().local
    }

    /// The prefix as written; empty when there is none.
    #[must_use]
    pub fn prefix(&self) -> &'d str {
        self.data().prefix
    }

    /// The qualified name as written (`prefix:local` or `local`).
    #[must_use]
    pub fn qname(&self) -> &'d str {
        self.data().qname
    }

    /// The namespace URI; empty for no namespace.
    #[must_use]
    pub fn namespace(&self) -> &'d str {
        self.doc.ns_uri(self.data().ns)
    }

    /// Whether this element has namespace `ns` and local name `local`.
    #[must_use]
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.name() == local && self.namespace() == ns
    }

    /// Byte offset of the start tag in the input.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.links().map_or(0, |n| n.start as usize)
    }

    /// Byte range of the whole element (start tag to end of end tag) in the input.
    #[must_use]
    pub fn span(&self) -> std::ops::Range<usize> {
        self.links()
            .map_or(0..0, |n| n.start as usize..n.end as usize)
    }

    /// The value of the attribute with no namespace and this local name (`ID`, `Destination`, …).
    #[must_use]
    pub fn attr(&self, local: &str) -> Option<&'d str> {
        self.attr_ns("", local)
    }

    /// The value of the attribute with namespace `ns` (empty for none) and local name `local`.
    #[must_use]
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&'d str> {
        self.attributes()
            .find(|a| a.name == local && a.namespace == ns)
            .map(|a| a.value)
    }

    /// The attributes as written, namespace declarations excluded.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'d>> + use<'d, 'a> {
        let doc = self.doc;
        let (start, end) = self.data().attrs;
        doc.attrs
            .get(start as usize..end as usize)
            .unwrap_or(&[])
            .iter()
            .map(move |a| Attribute {
                prefix: a.prefix,
                name: a.local,
                qname: a.qname,
                namespace: doc.ns_uri(a.ns),
                value: a.value.as_ref(),
            })
    }

    /// The namespace declarations written on this element.
    pub fn declared_namespaces(&self) -> impl Iterator<Item = Namespace<'d>> + use<'d, 'a> {
        let (start, end) = self.data().decls;
        self.doc
            .decls
            .get(start as usize..end as usize)
            .unwrap_or(&[])
            .iter()
            .map(|d| Namespace {
                prefix: d.prefix,
                uri: d.uri.as_ref(),
            })
    }

    /// The value of this element's ID attribute (`ID`, `Id`, `id` without namespace, or `xml:id`).
    #[must_use]
    pub fn id_attr(&self) -> Option<&'d str> {
        self.attributes()
            .find(|a| is_id_attr(a.namespace, a.name))
            .map(|a| a.value)
    }

    /// The parent element; `None` for the document element.
    #[must_use]
    pub fn parent(&self) -> Option<Element<'d, 'a>> {
        let p = self.links()?.parent;
        (p != NONE).then_some(Element {
            doc: self.doc,
            id: NodeId(p),
        })
    }

    /// The child nodes in document order.
    pub fn children(&self) -> Children<'d, 'a> {
        Children {
            doc: self.doc,
            next: self.links().map_or(NONE, |n| n.first_child),
        }
    }

    /// The child elements in document order.
    pub fn child_elements(&self) -> impl Iterator<Item = Element<'d, 'a>> + use<'d, 'a> {
        self.children().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// All text of this element: every text child joined, in order. Comments and processing instructions
    /// between text runs are skipped (so `a<!---->b` reads `ab`, never `a`); text inside child elements is
    /// not included.
    #[must_use]
    pub fn text(&self) -> Cow<'d, str> {
        let mut texts = self.children().filter_map(|n| match n {
            Node::Text(t) => Some(t),
            _ => None,
        });
        let Some(first) = texts.next() else {
            return Cow::Borrowed("");
        };
        match texts.next() {
            None => Cow::Borrowed(first),
            Some(second) => {
                let mut s = String::with_capacity(first.len() + second.len());
                s.push_str(first);
                s.push_str(second);
                texts.for_each(|t| s.push_str(t));
                Cow::Owned(s)
            }
        }
    }

    /// Whether any child is an element.
    #[must_use]
    pub fn has_child_elements(&self) -> bool {
        self.child_elements().next().is_some()
    }

    /// Every namespace binding in scope on this element (declared here or on an ancestor), the nearest
    /// declaration of each prefix winning, sorted by prefix. The implicit `xml` binding is not listed; an
    /// undeclared default namespace (`xmlns=""`) is listed with an empty URI.
    #[must_use]
    pub fn namespaces_in_scope(&self) -> Vec<Namespace<'d>> {
        let mut out: Vec<Namespace<'d>> = Vec::new();
        let mut cur = Some(*self);
        while let Some(e) = cur {
            for ns in e.declared_namespaces() {
                if !out.iter().any(|o| o.prefix == ns.prefix) {
                    out.push(ns);
                }
            }
            cur = e.parent();
        }
        out.sort_by(|a, b| a.prefix.cmp(b.prefix));
        out
    }

    /// Descendant elements (not including this one) in document order.
    pub fn descendants(&self) -> Descendants<'d, 'a> {
        Descendants {
            doc: self.doc,
            root: self.id,
            next: self.links().map_or(NONE, |n| n.first_child),
        }
    }
}

/// An attribute as the tree holds it: value normalized as XML 1.0 requires for attributes without a DTD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'d> {
    /// Prefix as written; empty when there is none.
    pub prefix: &'d str,
    /// Local name.
    pub name: &'d str,
    /// Qualified name as written.
    pub qname: &'d str,
    /// Namespace URI; empty for none (unprefixed attributes never have one).
    pub namespace: &'d str,
    /// The normalized value (references resolved, literal whitespace characters turned into spaces).
    pub value: &'d str,
}

/// Iterator over an element's child nodes.
#[derive(Debug, Clone)]
pub struct Children<'d, 'a> {
    doc: &'d Document<'a>,
    next: u32,
}

impl<'d, 'a> Iterator for Children<'d, 'a> {
    type Item = Node<'d, 'a>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.next == NONE {
            return None;
        }
        let id = NodeId(self.next);
        self.next = self.doc.data(id).map_or(NONE, |n| n.next_sibling);
        Some(self.doc.node(id))
    }
}

/// Iterator over descendant elements in document order.
#[derive(Debug, Clone)]
pub struct Descendants<'d, 'a> {
    doc: &'d Document<'a>,
    root: NodeId,
    next: u32,
}

impl<'d, 'a> Iterator for Descendants<'d, 'a> {
    type Item = Element<'d, 'a>;
    fn next(&mut self) -> Option<Self::Item> {
        while self.next != NONE {
            let id = NodeId(self.next);
            let data = self.doc.data(id)?;
            // Advance: first child, else next sibling, else the nearest ancestor's next sibling below root.
            self.next = if data.first_child != NONE {
                data.first_child
            } else {
                let mut cur = data;
                let mut cur_id = id;
                loop {
                    if cur_id == self.root {
                        break NONE;
                    }
                    if cur.next_sibling != NONE {
                        break cur.next_sibling;
                    }
                    if cur.parent == NONE || NodeId(cur.parent) == self.root {
                        break NONE;
                    }
                    cur_id = NodeId(cur.parent);
                    cur = self.doc.data(cur_id)?;
                }
            };
            if matches!(data.kind, Kind::Element(_)) {
                return Some(Element { doc: self.doc, id });
            }
        }
        None
    }
}

pub(crate) fn is_id_attr(ns: &str, local: &str) -> bool {
    (ns.is_empty() && matches!(local, "ID" | "Id" | "id")) || (ns == XML_NS && local == "id")
}

/// Refuses characters XML 1.0 never allows anywhere: C0 controls other than tab, LF and CR, and
/// U+FFFE / U+FFFF. (Surrogates cannot occur in valid UTF-8.)
fn check_chars(src: &str) -> Result<()> {
    let bytes = src.as_bytes();
    // Fast path over fixed 32-byte chunks, branch-free so it vectorizes: most chunks hold no byte below
    // 0x20 other than whitespace and no 0xEF. A flagged chunk (and the short tail) is checked exactly.
    let suspicious = |b: u8| {
        u8::from(b < 0x20) & u8::from(b != 0x09) & u8::from(b != 0x0A) & u8::from(b != 0x0D)
            | u8::from(b == 0xEF)
    };
    let mut chunks = bytes.chunks_exact(32);
    let mut start = 0;
    for chunk in chunks.by_ref() {
        if chunk.iter().fold(0u8, |acc, &b| acc | suspicious(b)) != 0 {
            check_chars_exact(bytes, start, chunk.len())?;
        }
        start += chunk.len();
    }
    check_chars_exact(bytes, start, chunks.remainder().len())
}

/// The exact check of `check_chars` over `bytes[start..start + len]` (looking past the end for U+FFFE/F).
fn check_chars_exact(bytes: &[u8], start: usize, len: usize) -> Result<()> {
    for (j, &b) in bytes.iter().skip(start).take(len).enumerate() {
        let i = start + j;
        let bad = match b {
            0x09 | 0x0A | 0x0D => false,
            0x00..=0x1F => true,
            // U+FFFE and U+FFFF are EF BF BE / EF BF BF.
            0xEF => matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])),
            _ => false,
        };
        if bad {
            return Err(Error::InvalidChar { offset: i });
        }
    }
    Ok(())
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | 'a'..='z' | '_'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// `ASCII_NAME[b]`: `NAME_START` for ASCII letters and `_`, `NAME_CHAR` for digits, `-` and `.`, 0 otherwise
/// (including `:` and every non-ASCII byte, which take the slow path).
const NAME_START: u8 = 2;
const NAME_CHAR: u8 = 1;
const ASCII_NAME: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut rest: &mut [u8] = &mut t;
    let mut c = 0u8;
    while let [slot, tail @ ..] = rest {
        *slot = if c.is_ascii_alphabetic() || c == b'_' {
            NAME_START
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            NAME_CHAR
        } else {
            0
        };
        rest = tail;
        c = c.wrapping_add(1);
    }
    t
};

fn ascii_class(b: u8) -> u8 {
    ASCII_NAME.get(usize::from(b)).copied().unwrap_or(0)
}

/// An XML namespaces NCName: a Name without colons.
pub(crate) fn is_ncname(s: &str) -> bool {
    if let [first, rest @ ..] = s.as_bytes()
        && ascii_class(*first) == NAME_START
        && rest.iter().all(|&b| ascii_class(b) != 0)
    {
        return true;
    }
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// Splits a QName into (prefix, local), checking both parts are NCNames.
fn split_qname(q: &str) -> Option<(&str, &str)> {
    // Common case in one pass: ASCII, at most one colon, each part starting with a name-start character.
    let bytes = q.as_bytes();
    let mut colon = None;
    let mut ok = bytes.first().is_some_and(|&b| ascii_class(b) == NAME_START);
    for (i, &b) in bytes.iter().enumerate().skip(1) {
        match ascii_class(b) {
            0 if b == b':' && colon.is_none() => colon = Some(i),
            0 => {
                ok = false;
                break;
            }
            NAME_START => {}
            _ if colon == Some(i - 1) => {
                ok = false;
                break;
            }
            _ => {}
        }
    }
    if ok {
        match colon {
            None => return Some(("", q)),
            Some(i) if i + 1 < bytes.len() => {
                return Some((q.get(..i).unwrap_or(""), q.get(i + 1..).unwrap_or("")));
            }
            Some(_) => {}
        }
    }
    match q.split_once(':') {
        Some((p, l)) if is_ncname(p) && is_ncname(l) => Some((p, l)),
        None if is_ncname(q) => Some(("", q)),
        _ => None,
    }
}

/// Re-borrows `part` from `src` when it lies inside it (quick-xml hands out slices of the input with a
/// shorter lifetime); `None` if it does not.
fn reslice<'a>(src: &'a str, part: &str) -> Option<&'a str> {
    let start = (part.as_ptr() as usize).checked_sub(src.as_ptr() as usize)?;
    src.get(start..start.checked_add(part.len())?)
}

fn offset_in(src: &str, part: &str) -> usize {
    (part.as_ptr() as usize)
        .saturating_sub(src.as_ptr() as usize)
        .min(src.len())
}

struct Builder<'a, 'l> {
    src: &'a str,
    limits: &'l Limits,
    nodes: Vec<NodeData<'a>>,
    attrs: Vec<AttrData<'a>>,
    decls: Vec<NsDecl<'a>>,
    top: Vec<NodeId>,
    root: Option<NodeId>,
    /// Open elements.
    stack: Vec<u32>,
    /// Bindings in scope as (prefix, index into `decls`), innermost last. At most `max_namespaces` long,
    /// which bounds every lookup.
    scope: Vec<(&'a str, u32)>,
    /// ID values seen so far: indices into `attrs` while there are few (a linear scan beats hashing),
    /// then a set with randomized hashing, so many IDs cannot make the check quadratic.
    ids: Vec<u32>,
    id_set: Option<HashSet<Cow<'a, str>>>,
    /// Pending character data: start offset, end offset and content.
    text: Option<(usize, usize, Cow<'a, str>)>,
}

impl<'a, 'l> Builder<'a, 'l> {
    fn new(src: &'a str, limits: &'l Limits) -> Self {
        Self {
            src,
            limits,
            // Every element, comment and PI starts with `<` and text runs sit between them: sizing from a
            // (vectorized) count of `<` and `=` avoids regrowing the arenas.
            // Capped by the node limit, so hostile input cannot make the estimate itself large.
            nodes: Vec::with_capacity(
                (2 * memchr::memchr_iter(b'<', src.as_bytes()).count() + 1).min(limits.max_nodes),
            ),
            attrs: Vec::with_capacity(
                memchr::memchr_iter(b'=', src.as_bytes())
                    .count()
                    .min(limits.max_nodes),
            ),
            // Small fixed starting sizes: typical SAML nests a dozen deep and declares a dozen namespaces.
            decls: Vec::with_capacity(16.min(limits.max_namespaces)),
            top: Vec::with_capacity(2),
            root: None,
            stack: Vec::with_capacity(16.min(limits.max_depth)),
            scope: Vec::with_capacity(16.min(limits.max_namespaces)),
            ids: Vec::new(),
            id_set: None,
            text: None,
        }
    }

    fn run(mut self) -> Result<Document<'a>> {
        let mut reader = quick_xml::Reader::from_str(self.src);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        let mut first = true;
        loop {
            let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let event = reader.read_event().map_err(|e| Error::Malformed {
                message: e.to_string(),
                offset: usize::try_from(reader.error_position()).unwrap_or(0),
            })?;
            let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            match event {
                Event::Decl(d) => {
                    if !first {
                        return Err(malformed("XML declaration not at the start", pos));
                    }
                    self.check_decl(&d, pos)?;
                }
                Event::DocType(_) => return Err(Error::Doctype { offset: pos }),
                Event::Start(e) => self.start(&e, pos, end, false)?,
                Event::Empty(e) => self.start(&e, pos, end, true)?,
                Event::End(_) => {
                    self.flush_text()?;
                    self.close(end);
                }
                Event::Text(t) => {
                    let raw = t.into_inner();
                    self.push_text(raw, pos, end)?;
                }
                Event::CData(c) => {
                    let raw = c.into_inner();
                    if self.stack.is_empty() {
                        return Err(malformed("CDATA outside the document element", pos));
                    }
                    self.append_text(pos, end, normalize_newlines(raw));
                }
                Event::GeneralRef(r) => {
                    if self.stack.is_empty() {
                        return Err(malformed("reference outside the document element", pos));
                    }
                    let c = resolve_ref(&r.into_inner(), pos)?;
                    let mut buf = [0u8; 4];
                    self.append_text(pos, end, Cow::Owned(c.encode_utf8(&mut buf).to_owned()));
                }
                Event::Comment(c) => {
                    self.flush_text()?;
                    let raw = c.into_inner();
                    let content = match raw {
                        Cow::Borrowed(s) => s,
                        Cow::Owned(_) => {
                            return Err(malformed("comment not borrowed from input", pos));
                        }
                    };
                    if content.ends_with('-') {
                        return Err(malformed("comment ends with '-'", pos));
                    }
                    self.leaf(Kind::Comment(content), pos, end)?;
                }
                Event::PI(p) => {
                    self.flush_text()?;
                    let target = reslice(self.src, p.target())
                        .ok_or_else(|| malformed("processing instruction", pos))?;
                    if target.eq_ignore_ascii_case("xml") || !is_ncname(target) {
                        return Err(malformed("invalid processing instruction target", pos));
                    }
                    let data = reslice(
                        self.src,
                        p.content().trim_start_matches([' ', '\t', '\n', '\r']),
                    )
                    .unwrap_or("");
                    self.leaf(Kind::Pi { target, data }, pos, end)?;
                }
                Event::Eof => break,
            }
            first = false;
        }
        self.flush_text()?;
        if !self.stack.is_empty() {
            return Err(malformed("document ends inside an element", self.src.len()));
        }
        let root = self
            .root
            .ok_or_else(|| malformed("no document element", self.src.len()))?;
        Ok(Document {
            src: self.src,
            nodes: self.nodes,
            attrs: self.attrs,
            decls: self.decls,
            top: self.top,
            root,
        })
    }

    fn check_decl(&self, d: &quick_xml::events::BytesDecl<'_>, pos: usize) -> Result<()> {
        let version = d.version().map_err(|e| malformed(&e.to_string(), pos))?;
        if version.as_ref() != "1.0" {
            return Err(malformed("only XML 1.0 is accepted", pos));
        }
        if let Some(enc) = d.encoding() {
            let enc = enc.map_err(|e| malformed(&e.to_string(), pos))?;
            // A document declaring an ASCII-compatible single-byte encoding reads the same in UTF-8 as long
            // as every byte is ASCII; anything else would be decoded differently by a conforming parser.
            let ascii_alias = ["us-ascii", "ascii", "iso-8859-1", "latin1"]
                .iter()
                .any(|a| enc.eq_ignore_ascii_case(a));
            let same = enc.eq_ignore_ascii_case("utf-8") || (ascii_alias && self.src.is_ascii());
            if !same {
                return Err(Error::NotUtf8 { offset: pos });
            }
        }
        Ok(())
    }

    fn push_text(&mut self, raw: Cow<'a, str>, pos: usize, end: usize) -> Result<()> {
        if self.stack.is_empty() {
            if raw.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
                return Ok(());
            }
            return Err(malformed("text outside the document element", pos));
        }
        // `]]>` needs a `>`, rare in text: look for those (one vectorized scan) rather than building a
        // substring searcher for every text run.
        let bytes = raw.as_bytes();
        if memchr::memchr_iter(b'>', bytes)
            .any(|i| i >= 2 && bytes.get(i - 2..i) == Some(b"]]".as_slice()))
        {
            return Err(malformed("']]>' in character data", pos));
        }
        self.append_text(pos, end, normalize_newlines(raw));
        Ok(())
    }

    fn append_text(&mut self, pos: usize, end: usize, t: Cow<'a, str>) {
        match &mut self.text {
            None => self.text = Some((pos, end, t)),
            Some((_, e, acc)) => {
                *e = end;
                acc.to_mut().push_str(&t);
            }
        }
    }

    fn flush_text(&mut self) -> Result<()> {
        if let Some((pos, end, t)) = self.text.take() {
            self.leaf(Kind::Text(t), pos, end)?;
        }
        Ok(())
    }

    fn new_node(&mut self, kind: Kind<'a>, start: usize, end: usize) -> Result<u32> {
        if self.nodes.len() >= self.limits.max_nodes {
            return Err(Error::LimitExceeded {
                what: "nodes",
                limit: self.limits.max_nodes,
                offset: start,
            });
        }
        let id = u32::try_from(self.nodes.len()).map_err(|_| malformed("too many nodes", start))?;
        let parent = self.stack.last().copied().unwrap_or(NONE);
        self.nodes.push(NodeData {
            kind,
            parent,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        });
        if parent == NONE {
            self.top.push(NodeId(id));
        } else if let Some(p) = self.nodes.get(parent as usize) {
            let prev = p.last_child;
            if let Some(p) = self.nodes.get_mut(parent as usize) {
                if p.first_child == NONE {
                    p.first_child = id;
                }
                p.last_child = id;
            }
            if let Some(prev) = self.nodes.get_mut(prev as usize) {
                prev.next_sibling = id;
            }
        }
        Ok(id)
    }

    fn leaf(&mut self, kind: Kind<'a>, start: usize, end: usize) -> Result<()> {
        self.new_node(kind, start, end).map(|_| ())
    }

    fn start(&mut self, e: &BytesStart<'_>, pos: usize, end: usize, empty: bool) -> Result<()> {
        self.flush_text()?;
        if self.stack.is_empty() && self.root.is_some() {
            return Err(malformed("more than one document element", pos));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(Error::LimitExceeded {
                what: "depth",
                limit: self.limits.max_depth,
                offset: pos,
            });
        }
        let qname =
            reslice(self.src, e.name().as_ref()).ok_or_else(|| malformed("element name", pos))?;
        self.check_name(qname, pos)?;
        let (prefix, local) =
            split_qname(qname).ok_or_else(|| malformed("invalid element name", pos))?;

        // Attributes and namespace declarations, in the order written.
        let decl_start = self.decls.len();
        let attr_start = self.attrs.len();
        let mut count = 0usize;
        let raw =
            reslice(self.src, e.attributes_raw()).ok_or_else(|| malformed("start tag", pos))?;
        let mut attrs = RawAttributes {
            rest: raw,
            offset: offset_in(self.src, raw),
        };
        while let Some((key, raw_value)) = attrs.next_attr()? {
            count += 1;
            if count > self.limits.max_attributes {
                return Err(Error::LimitExceeded {
                    what: "attributes",
                    limit: self.limits.max_attributes,
                    offset: pos,
                });
            }
            self.check_name(key, pos)?;
            let value = normalize_attr(raw_value, offset_in(self.src, raw_value))?;
            if key == "xmlns" {
                self.declare("", value, pos)?;
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                if !is_ncname(p) {
                    return Err(malformed("invalid namespace prefix", pos));
                }
                if value.is_empty() {
                    return Err(malformed(
                        "a prefixed namespace cannot be undeclared in XML 1.0",
                        pos,
                    ));
                }
                self.declare(p, value, pos)?;
            } else {
                let (ap, al) =
                    split_qname(key).ok_or_else(|| malformed("invalid attribute name", pos))?;
                self.attrs.push(AttrData {
                    prefix: ap,
                    local: al,
                    qname: key,
                    ns: NONE,
                    value,
                });
            }
        }

        // Bind the new declarations, then resolve names against the scope.
        for i in decl_start..self.decls.len() {
            if let Some(d) = self.decls.get(i) {
                self.scope.push((d.prefix, i as u32));
            }
        }
        let ns = self.resolve(prefix, pos, true)?;
        for i in attr_start..self.attrs.len() {
            let ap = self.attrs.get(i).map_or("", |a| a.prefix);
            let ans = if ap.is_empty() {
                NONE
            } else {
                self.resolve(ap, pos, false)?
            };
            if let Some(a) = self.attrs.get_mut(i) {
                a.ns = ans;
            }
        }
        self.check_duplicates(attr_start, decl_start, pos)?;
        self.record_ids(attr_start, pos)?;

        let data = ElemData {
            prefix,
            local,
            qname,
            ns,
            attrs: (attr_start as u32, self.attrs.len() as u32),
            decls: (decl_start as u32, self.decls.len() as u32),
        };
        let id = self.new_node(Kind::Element(data), pos, end)?;
        if self.stack.is_empty() {
            self.root = Some(NodeId(id));
        }
        self.stack.push(id);
        if empty {
            self.close(end);
        }
        Ok(())
    }

    fn check_name(&self, name: &str, pos: usize) -> Result<()> {
        if name.len() > self.limits.max_name_len {
            return Err(Error::LimitExceeded {
                what: "name length",
                limit: self.limits.max_name_len,
                offset: pos,
            });
        }
        Ok(())
    }

    fn declare(&mut self, prefix: &'a str, uri: Cow<'a, str>, pos: usize) -> Result<()> {
        // The reserved prefixes and namespaces of Namespaces in XML 1.0 §3.
        let bad = match prefix {
            "xml" => uri != XML_NS,
            "xmlns" => true,
            _ => uri == XML_NS || uri == XMLNS_NS,
        };
        if bad {
            return Err(malformed("reserved namespace prefix or URI misused", pos));
        }
        if self.decls.len() >= self.limits.max_namespaces {
            return Err(Error::LimitExceeded {
                what: "namespace declarations",
                limit: self.limits.max_namespaces,
                offset: pos,
            });
        }
        self.decls.push(NsDecl { prefix, uri });
        Ok(())
    }

    fn resolve(&self, prefix: &str, pos: usize, element: bool) -> Result<u32> {
        if prefix == "xml" {
            return Ok(XML);
        }
        match self
            .scope
            .iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map(|(_, i)| *i)
        {
            Some(i) => {
                let empty = self.decls.get(i as usize).is_some_and(|d| d.uri.is_empty());
                Ok(if empty { NONE } else { i })
            }
            None if prefix.is_empty() && element => Ok(NONE),
            None => Err(Error::UnboundPrefix {
                prefix: prefix.to_owned(),
                offset: pos,
            }),
        }
    }

    /// XML 1.0 §3.1 and Namespaces in XML §6.3: no attribute name twice, no two attributes with the same
    /// namespace and local name, no prefix declared twice on one element.
    fn check_duplicates(&self, attr_start: usize, decl_start: usize, pos: usize) -> Result<()> {
        let attrs = self.attrs.get(attr_start..).unwrap_or(&[]);
        let decls = self.decls.get(decl_start..).unwrap_or(&[]);
        if attrs.len() < 2 && decls.len() < 2 {
            return Ok(());
        }
        let uri = |ns: u32| match ns {
            NONE => "",
            XML => XML_NS,
            i => self.decls.get(i as usize).map_or("", |d| d.uri.as_ref()),
        };
        for (i, a) in attrs.iter().enumerate() {
            let dup = attrs
                .iter()
                .skip(i + 1)
                // Equal qnames have equal local names, so comparing locals first rejects most pairs.
                .any(|b| {
                    b.local == a.local
                        && (b.qname == a.qname || b.ns == a.ns || uri(b.ns) == uri(a.ns))
                });
            if dup {
                return Err(Error::DuplicateAttribute {
                    name: a.qname.to_owned(),
                    offset: pos,
                });
            }
        }
        for (i, d) in decls.iter().enumerate() {
            if decls.iter().skip(i + 1).any(|o| o.prefix == d.prefix) {
                let name = if d.prefix.is_empty() {
                    "xmlns".to_owned()
                } else {
                    format!("xmlns:{}", d.prefix)
                };
                return Err(Error::DuplicateAttribute { name, offset: pos });
            }
        }
        Ok(())
    }

    fn record_ids(&mut self, attr_start: usize, pos: usize) -> Result<()> {
        for i in attr_start..self.attrs.len() {
            let Some(a) = self.attrs.get(i) else { continue };
            let ns = match a.ns {
                NONE => "",
                XML => XML_NS,
                _ => continue,
            };
            if !is_id_attr(ns, a.local) {
                continue;
            }
            let value = a.value.as_ref();
            let dup = match &mut self.id_set {
                Some(set) => !set.insert(a.value.clone()),
                None => {
                    let attrs = &self.attrs;
                    let seen = self.ids.iter().any(|&j| {
                        attrs
                            .get(j as usize)
                            .is_some_and(|b| b.value.as_ref() == value)
                    });
                    if !seen {
                        self.ids.push(i as u32);
                        if self.ids.len() > SMALL_IDS {
                            let set = self
                                .ids
                                .iter()
                                .filter_map(|&j| self.attrs.get(j as usize))
                                .map(|b| b.value.clone())
                                .collect();
                            self.id_set = Some(set);
                        }
                    }
                    seen
                }
            };
            if dup {
                return Err(Error::DuplicateId {
                    id: value.to_owned(),
                    offset: pos,
                });
            }
        }
        Ok(())
    }

    fn close(&mut self, end: usize) {
        let Some(id) = self.stack.pop() else { return };
        if let Some(n) = self.nodes.get_mut(id as usize) {
            n.end = u32::try_from(end).unwrap_or(u32::MAX);
            if let Kind::Element(e) = &n.kind {
                let declared = (e.decls.1 - e.decls.0) as usize;
                self.scope
                    .truncate(self.scope.len().saturating_sub(declared));
            }
        }
    }
}

/// The attributes of a start tag, read straight from the input: `name = "value"` pairs separated by
/// whitespace. Names are checked by the caller; values are returned raw (normalized by the caller).
struct RawAttributes<'a> {
    rest: &'a str,
    offset: usize,
}

impl<'a> RawAttributes<'a> {
    fn next_attr(&mut self) -> Result<Option<(&'a str, &'a str)>> {
        let trimmed = skip_space(self.rest);
        let had_space = trimmed.len() != self.rest.len();
        self.offset += self.rest.len() - trimmed.len();
        self.rest = trimmed;
        if trimmed.is_empty() {
            return Ok(None);
        }
        if !had_space {
            return Err(malformed(
                "attributes must be separated by whitespace",
                self.offset,
            ));
        }
        let bytes = trimmed.as_bytes();
        let name_end = bytes
            .iter()
            .position(|b| matches!(b, b'=' | b' ' | b'\t' | b'\n' | b'\r'))
            .ok_or_else(|| malformed("attribute without a value", self.offset))?;
        let name = trimmed.get(..name_end).unwrap_or("");
        let after = skip_space(trimmed.get(name_end..).unwrap_or(""));
        let after = after
            .strip_prefix('=')
            .ok_or_else(|| malformed("expected '=' after attribute name", self.offset))?;
        let after = skip_space(after);
        let quote = match after.as_bytes().first() {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => return Err(malformed("attribute value must be quoted", self.offset)),
        };
        let body = after.get(1..).unwrap_or("");
        let close = memchr::memchr(quote, body.as_bytes())
            .ok_or_else(|| malformed("unterminated attribute value", self.offset))?;
        let value = body.get(..close).unwrap_or("");
        let consumed = trimmed.len() - body.len() + close + 1;
        self.rest = trimmed.get(consumed..).unwrap_or("");
        self.offset += consumed;
        if name.is_empty() {
            return Err(malformed("empty attribute name", self.offset));
        }
        Ok(Some((name, value)))
    }
}

/// `s` without its leading XML whitespace (space, tab, LF, CR), by a byte loop.
fn skip_space(s: &str) -> &str {
    let n = s
        .bytes()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .count();
    // The skipped bytes are ASCII, so `n` is a char boundary.
    s.get(n..).unwrap_or("")
}

fn malformed(message: &str, offset: usize) -> Error {
    Error::Malformed {
        message: message.to_owned(),
        offset,
    }
}

/// XML 1.0 §2.11: `\r\n` and lone `\r` become `\n`.
fn normalize_newlines(raw: Cow<'_, str>) -> Cow<'_, str> {
    if memchr::memchr(b'\r', raw.as_bytes()).is_none() {
        return raw;
    }
    Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Resolves the content of a reference (between `&` and `;`): the five predefined entities and
/// character references; everything else is refused.
fn resolve_ref(name: &str, offset: usize) -> Result<char> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(hex, 16).ok())
                    .flatten()
            } else if let Some(dec) = name.strip_prefix('#') {
                (!dec.is_empty() && dec.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| dec.parse().ok())
                    .flatten()
            } else {
                return Err(Error::EntityReference {
                    name: name.to_owned(),
                    offset,
                });
            };
            match code.and_then(char::from_u32) {
                Some(c) if is_xml_char(c) => c,
                _ => {
                    return Err(malformed(
                        "character reference to a character XML does not allow",
                        offset,
                    ));
                }
            }
        }
    };
    Ok(c)
}

/// Attribute-value normalization for CDATA attributes (XML 1.0 §3.3.3): references resolved, each
/// literal whitespace character (after line-end normalization) becomes a space. `<` is refused.
fn normalize_attr(raw: &str, offset: usize) -> Result<Cow<'_, str>> {
    // One branch-free, vectorizable pass for the common case of nothing to normalize.
    let special = raw.bytes().fold(false, |acc, b| {
        acc | matches!(b, b'&' | b'<' | b'\t' | b'\n' | b'\r')
    });
    if !special {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '<', '\t', '\n', '\r']) {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let here = offset + (raw.len() - rest.len()) + i;
        let mut chars = tail.chars();
        match chars.next() {
            Some('<') => return Err(malformed("'<' in attribute value", here)),
            Some('&') => {
                let body = chars.as_str();
                let semi = body
                    .find(';')
                    .ok_or_else(|| malformed("unterminated reference", here))?;
                let name = body.get(..semi).unwrap_or("");
                out.push(resolve_ref(name, here)?);
                rest = body.get(semi + 1..).unwrap_or("");
                continue;
            }
            Some('\r') => {
                out.push(' ');
                let after = chars.as_str();
                rest = after.strip_prefix('\n').unwrap_or(after);
                continue;
            }
            Some(_) => out.push(' '),
            None => break,
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition of a QName (Namespaces in XML 1.0 §4) spelled out char by char, as the reference the
    /// one-pass fast path of `split_qname` must agree with.
    fn reference_split(q: &str) -> Option<(&str, &str)> {
        let ncname = |s: &str| {
            let mut c = s.chars();
            c.next().is_some_and(is_name_start) && c.all(is_name_char)
        };
        match q.split_once(':') {
            Some((p, l)) if ncname(p) && ncname(l) => Some((p, l)),
            None if ncname(q) => Some(("", q)),
            _ => None,
        }
    }

    #[test]
    fn split_qname_agrees_with_the_definition() {
        let cases = [
            "a",
            "_",
            "ab-c.d_9",
            "p:l",
            "saml2p:Response",
            "xmlns",
            "a:b:c",
            ":a",
            "a:",
            ":",
            "",
            "1a",
            "-a",
            ".a",
            "p:1l",
            "p:-l",
            "p:.l",
            "p:_l",
            "p1:l1",
            "a b",
            "a\tb",
            "é",
            "p:é",
            "é:l",
            "a·b",
            "p:a\u{300}",
            "\u{300}a",
            "a\u{37E}",
            "A:Z",
            "a=b",
            "a>",
            "a/",
        ];
        for q in cases {
            assert_eq!(split_qname(q), reference_split(q), "qname {q:?}");
        }
        // Every one- and two-byte ASCII string, with and without a colon around it.
        for a in 0u8..128 {
            for b in 0u8..128 {
                for s in [
                    format!("{}{}", a as char, b as char),
                    format!("{}:{}", a as char, b as char),
                    format!("x{}:{}y", a as char, b as char),
                ] {
                    assert_eq!(split_qname(&s), reference_split(&s), "qname {s:?}");
                    assert_eq!(
                        is_ncname(&s),
                        reference_split(&s).is_some_and(|(p, _)| p.is_empty()),
                        "ncname {s:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn duplicate_ids_are_found_below_and_above_the_linear_scan_size() {
        for n in [
            1,
            2,
            SMALL_IDS - 1,
            SMALL_IDS,
            SMALL_IDS + 1,
            SMALL_IDS + 2,
            100,
        ] {
            let distinct: String = (0..n).map(|i| format!("<a ID='i{i}'/>")).collect();
            let doc = format!("<r>{distinct}</r>");
            assert!(Document::parse(doc.as_bytes()).is_ok(), "{n} distinct IDs");
            // A repeat of the first, the middle and the last ID, placed after all of them.
            for dup in [0, n / 2, n - 1] {
                let doc = format!("<r>{distinct}<b Id='i{dup}'/></r>");
                assert!(
                    matches!(
                        Document::parse(doc.as_bytes()),
                        Err(Error::DuplicateId { ref id, .. }) if *id == format!("i{dup}")
                    ),
                    "{n} IDs, repeat of i{dup}"
                );
            }
        }
    }

    #[test]
    fn forbidden_characters_are_found_at_every_offset() {
        // Around and across the 32-byte chunks of the fast path, including a U+FFFE split over two chunks.
        for len in 0..100 {
            let pad = "x".repeat(len);
            for bad in ["\u{1}", "\u{1F}", "\u{FFFE}", "\u{FFFF}"] {
                let doc = format!("<r>{pad}{bad}</r>");
                assert_eq!(
                    Document::parse(doc.as_bytes()).unwrap_err(),
                    Error::InvalidChar { offset: 3 + len },
                    "{bad:?} after {len} bytes"
                );
            }
            for fine in ["\t", "\n", "\r", "\u{FFFD}", "\u{EFFF}", "\u{10000}"] {
                let doc = format!("<r>{pad}{fine}</r>");
                assert!(
                    Document::parse(doc.as_bytes()).is_ok(),
                    "{fine:?} after {len}"
                );
            }
        }
    }

    #[test]
    fn cdata_end_in_text_is_refused_wherever_it_sits() {
        let cases: &[(&str, bool)] = &[
            ("<r>]]></r>", false),
            ("<r>a]]></r>", false),
            ("<r>a > b ]]> c</r>", false),
            ("<r>x<e/>]]]></r>", false),
            ("<r>></r>", true),
            ("<r>]></r>", true),
            ("<r>] ]></r>", true),
            ("<r>]]</r>", true),
            ("<r>a > b ] > ]]</r>", true),
            ("<r>]]&gt;</r>", true),
        ];
        for (doc, ok) in cases {
            let got = Document::parse(doc.as_bytes());
            assert_eq!(got.is_ok(), *ok, "{doc}: {got:?}");
        }
    }

    #[test]
    fn attribute_duplicates_by_name_and_by_expanded_name() {
        let cases: &[(&str, bool)] = &[
            ("<r a='1' b='2' c='3' d='4'/>", true),
            ("<r a='1' b='2' c='3' a='4'/>", false),
            ("<r xmlns:p='urn:x' a='1' p:a='2'/>", true),
            ("<r xmlns:p='urn:x' xmlns:q='urn:y' p:a='1' q:a='2'/>", true),
            (
                "<r xmlns:p='urn:x' xmlns:q='urn:x' p:a='1' q:a='2'/>",
                false,
            ),
            ("<r xmlns:p='urn:x' p:a='1' p:a='2'/>", false),
            ("<r xmlns:p='urn:x' p:a='1' p:ab='2'/>", true),
            ("<r xml:lang='en' xml:lang='fr'/>", false),
            ("<r xmlns='urn:a' xmlns='urn:b'/>", false),
            ("<r xmlns='urn:a' xmlns:a='urn:a'/>", true),
        ];
        for (doc, ok) in cases {
            let got = Document::parse(doc.as_bytes());
            assert_eq!(got.is_ok(), *ok, "{doc}: {got:?}");
            if !ok {
                assert!(
                    matches!(got, Err(Error::DuplicateAttribute { .. })),
                    "{doc}: {got:?}"
                );
            }
        }
    }
}
