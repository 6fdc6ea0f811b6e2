//! The parser: what it refuses (with typed errors and offsets), what it reads, and how it treats limits.

use gatehouse_xml::c14n::{self, Method};
use gatehouse_xml::{Document, Error, Limits, Node};
use proptest::prelude::*;

fn code(input: &[u8]) -> &'static str {
    match Document::parse(input) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn hostile_and_malformed_inputs_are_refused_with_the_right_error() {
    let billion_laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>"#;
    let cases: &[(&[u8], &str)] = &[
        (billion_laughs, "doctype"),
        (br#"<!DOCTYPE r SYSTEM "http://evil/x.dtd"><r/>"#, "doctype"),
        (
            br#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#,
            "doctype",
        ),
        (b"<r>&x;</r>", "entity_reference"),
        (b"<r a='&x;'/>", "entity_reference"),
        (b"<r>&#0;</r>", "malformed"),
        (b"<r>&#xD800;</r>", "malformed"),
        (b"<r>\x01</r>", "invalid_char"),
        (b"<r>\xEF\xBF\xBE</r>", "invalid_char"),
        (b"<r>\xFF</r>", "not_utf8"),
        (
            br#"<?xml version="1.0" encoding="UTF-16"?><r/>"#,
            "not_utf8",
        ),
        (
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>\xC3\xA9</r>",
            "not_utf8",
        ),
        (b"<p:r/>", "unbound_prefix"),
        (b"<r p:a='1'/>", "unbound_prefix"),
        (b"<r a='1' a='2'/>", "duplicate_attribute"),
        (
            br#"<r xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2"/>"#,
            "duplicate_attribute",
        ),
        (
            br#"<r xmlns:p="urn:x" xmlns:p="urn:y"/>"#,
            "duplicate_attribute",
        ),
        (br#"<r><a ID="x"/><b ID="x"/></r>"#, "duplicate_id"),
        (br#"<r><a ID="x"/><b Id="x"/></r>"#, "duplicate_id"),
        (br#"<r ID="x"><a xml:id="x"/></r>"#, "duplicate_id"),
        (b"<r><a></r>", "malformed"),
        (b"<r></r><r2/>", "malformed"),
        (b"text<r/>", "malformed"),
        (b"<r/>text", "malformed"),
        (b"", "malformed"),
        (b"<r a='<'/>", "malformed"),
        (b"<r a='&amp'/>", "malformed"),
        (b"<r>]]></r>", "malformed"),
        (b"<r><!-- a -- b --></r>", "malformed"),
        (br#"<r xmlns:p=""/>"#, "malformed"),
        (br#"<r xmlns:xml="urn:x"/>"#, "malformed"),
        (br#"<r xmlns:xmlns="urn:x"/>"#, "malformed"),
        (b"<1r/>", "malformed"),
        (b"<r:/>", "malformed"),
        (b" <?xml version=\"1.0\"?><r/>", "malformed"),
        (br#"<?xml version="1.1"?><r/>"#, "malformed"),
        (b"<r><?xml x?></r>", "malformed"),
    ];
    for (input, want) in cases {
        assert_eq!(
            code(input),
            *want,
            "input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn errors_carry_the_byte_offset() {
    match Document::parse(b"<r><a/><!DOCTYPE x></r>") {
        Err(Error::Doctype { offset }) | Err(Error::Malformed { offset, .. }) => {
            assert!(offset >= 7, "offset {offset}")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        Document::parse(b"<r>ab\xFF</r>").unwrap_err(),
        Error::NotUtf8 { offset: 5 }
    );
    assert_eq!(
        Document::parse(b"<r><x ID='1'/><y ID='1'/></r>").unwrap_err(),
        Error::DuplicateId {
            id: "1".into(),
            offset: 14
        }
    );
}

#[test]
fn accepted_documents_read_as_written() {
    let doc = Document::parse(
        "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!--top--><s:r xmlns:s=\"urn:s\" xmlns=\"urn:d\" ID=\"_1\" s:k=\"a&#10;b\">\
         <n>admin@acme.com<!---->.evil.io</n><e/><![CDATA[x<y]]>&#233;</s:r>"
            .as_bytes(),
    )
    .unwrap();
    let r = doc.root();
    assert!(r.is("urn:s", "r"));
    assert_eq!((r.prefix(), r.qname()), ("s", "s:r"));
    assert_eq!(r.id_attr(), Some("_1"));
    assert_eq!(r.attr_ns("urn:s", "k"), Some("a\nb"));
    assert_eq!(
        r.attr("k"),
        None,
        "a prefixed attribute is not the unqualified one"
    );
    let n = r.child_elements().next().unwrap();
    assert!(
        n.is("urn:d", "n"),
        "default namespace applies to unprefixed elements"
    );
    // A comment cannot split the text: all text nodes are joined.
    assert_eq!(n.text(), "admin@acme.com.evil.io");
    assert_eq!(r.text(), "x<y\u{e9}");
    assert_eq!(
        doc.top_level()
            .filter(|n| matches!(n, Node::Comment("top")))
            .count(),
        1
    );
    assert_eq!(&doc.source()[r.span()][..5], "<s:r ");
}

#[test]
fn limits_are_enforced_with_typed_errors() {
    let deep = format!("{}{}", "<a>".repeat(65), "</a>".repeat(65));
    assert!(matches!(
        Document::parse(deep.as_bytes()),
        Err(Error::LimitExceeded { what: "depth", .. })
    ));
    assert!(Document::parse_with(deep.as_bytes(), &Limits::default().max_depth(65)).is_ok());

    let wide = format!(
        "<r {}/>",
        (0..65)
            .map(|i| format!("a{i}=''"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert!(matches!(
        Document::parse(wide.as_bytes()),
        Err(Error::LimitExceeded {
            what: "attributes",
            ..
        })
    ));

    let many = format!("<r>{}</r>", "<a/>".repeat(200));
    assert!(matches!(
        Document::parse_with(many.as_bytes(), &Limits::default().max_nodes(100)),
        Err(Error::LimitExceeded { what: "nodes", .. })
    ));

    let long = format!("<{}/>", "n".repeat(257));
    assert!(matches!(
        Document::parse(long.as_bytes()),
        Err(Error::LimitExceeded {
            what: "name length",
            ..
        })
    ));

    let big = vec![b' '; 1024 * 1024 + 1];
    assert!(matches!(Document::parse(&big), Err(Error::TooLarge { .. })));

    let decls = format!(
        "<r {}/>",
        (0..40)
            .map(|i| format!("xmlns:p{i}='urn:{i}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert!(matches!(
        Document::parse_with(decls.as_bytes(), &Limits::default().max_namespaces(39)),
        Err(Error::LimitExceeded {
            what: "namespace declarations",
            ..
        })
    ));
}

/// Deep nesting with many namespaces, at the limits: parse and every canonicalization stay linear.
#[test]
fn namespace_heavy_document_at_the_limits() {
    // 64 levels, each redeclaring four prefixes (256 declarations in all), then many leaves using them.
    let mut s = String::new();
    for d in 0..63 {
        s.push_str(&format!(
            "<p0:e{d} xmlns:p0='urn:{d}a' xmlns:p1='urn:{d}b' xmlns:p2='urn:{d}c' xmlns='urn:{d}d'>"
        ));
    }
    for i in 0..20_000 {
        s.push_str(&format!("<x p{}:a='{i}'/>", i % 3));
    }
    for d in (0..63).rev() {
        s.push_str(&format!("</p0:e{d}>"));
    }
    let limits = Limits::default().max_namespaces(256);
    let doc = Document::parse_with(s.as_bytes(), &limits).unwrap();
    for alg in [c14n::EXC, c14n::C14N10, c14n::C14N11] {
        let mut out = Vec::new();
        Method::from_uri(alg)
            .unwrap()
            .canonicalize(doc.root(), None, &mut out)
            .unwrap();
        assert!(out.len() > s.len() / 2);
    }
}

proptest! {
    /// Any bytes: Ok or a typed error, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Document::parse(&data);
    }

    /// Mutated well-formed documents: still never a panic, and accepted ones canonicalize.
    #[test]
    fn mutated_documents_never_panic(pos in 0usize..120, byte in any::<u8>()) {
        let mut doc = br#"<s:r xmlns:s="urn:s" ID="_a"><s:n a="1&amp;2">t<!--c-->u</s:n><e xmlns=""/></s:r>"#.to_vec();
        let i = pos % doc.len();
        doc[i] = byte;
        if let Ok(d) = Document::parse(&doc) {
            let mut out = Vec::new();
            Method::exclusive().canonicalize(d.root(), None, &mut out).unwrap();
        }
    }
}
