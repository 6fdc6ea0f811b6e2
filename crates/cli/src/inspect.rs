//! `gatehouse saml inspect`: the decoded message, pretty-printed, and the checks that can be made without
//! trusting it — under a loud UNVERIFIED banner. Nothing here feeds a decision: `saml verify` does that.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use gatehouse_saml::response::{ASSERTION_NS, PROTOCOL_NS};
use gatehouse_saml::time::{format_instant, parse_instant};
use gatehouse_xml::dsig::DSIG_NS;
use gatehouse_xml::{Document, Element, Node, PinnedKey};
use serde_json::{Value, json};

use crate::input;
use crate::output::{Failure, Output, Style};
use crate::saml::{now_or_clock, pinned, xml_failure};

const BANNER: &str = "UNVERIFIED: nothing below is trusted. Signatures were NOT checked; \
                      run `gatehouse saml verify` for a verdict.";

/// Arguments of `saml inspect`.
#[derive(Debug)]
pub(crate) struct InspectArgs {
    pub(crate) message: PathBuf,
    pub(crate) sp_entity_id: Option<String>,
    pub(crate) acs_url: Option<String>,
    pub(crate) idp_entity_id: Option<String>,
    pub(crate) idp_cert: Vec<PathBuf>,
    pub(crate) request_id: Vec<String>,
    pub(crate) now: Option<String>,
    pub(crate) skew: i64,
}

/// One check made on untrusted data.
struct Check {
    name: &'static str,
    /// "pass", "fail", "warn" or "info".
    status: &'static str,
    detail: String,
}

impl Check {
    fn new(name: &'static str, status: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status,
            detail: detail.into(),
        }
    }

    /// Compares a value with what a flag asked for; "info" when the flag was not given.
    fn compare(
        name: &'static str,
        what: &str,
        found: Option<&str>,
        want: Option<&str>,
        flag: &str,
    ) -> Self {
        match (found, want) {
            (found, Some(want)) if found == Some(want) => {
                Self::new(name, "pass", format!("{what} is {want:?}"))
            }
            (found, Some(want)) => Self::new(
                name,
                "fail",
                format!("{what} is {}, expected {want:?}", shown(found)),
            ),
            (found, None) => Self::new(
                name,
                "info",
                format!("{what} is {} (pass {flag} to compare)", shown(found)),
            ),
        }
    }
}

fn shown(v: Option<&str>) -> String {
    v.map_or_else(|| "absent".to_owned(), |v| format!("{v:?}"))
}

/// The response's `Issuer`, read without trust (for error messages only).
pub(crate) fn response_issuer(xml: &[u8]) -> Option<String> {
    let doc = Document::parse(xml).ok()?;
    let root = doc.root();
    let issuer = root
        .child_elements()
        .find(|e| e.is(ASSERTION_NS, "Issuer"))
        .or_else(|| {
            root.child_elements()
                .find(|e| e.is(ASSERTION_NS, "Assertion"))?
                .child_elements()
                .find(|e| e.is(ASSERTION_NS, "Issuer"))
        })?;
    Some(issuer.text().trim().to_owned())
}

fn child<'d, 'a>(e: Element<'d, 'a>, ns: &str, local: &str) -> Option<Element<'d, 'a>> {
    e.child_elements().find(|c| c.is(ns, local))
}

fn path_of(e: Element<'_, '_>) -> String {
    let mut parts = vec![e.qname().to_owned()];
    let mut cur = e.parent();
    while let Some(p) = cur {
        parts.push(p.qname().to_owned());
        cur = p.parent();
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

/// `saml inspect`.
pub(crate) fn inspect(args: &InspectArgs, style: Style) -> Result<Output, Failure> {
    let now = now_or_clock(args.now.as_deref())?;
    let xml = input::saml_xml(&input::read(&args.message)?)?;
    let doc = Document::parse(&xml).map_err(|e| xml_failure(&e))?;
    let root = doc.root();
    let pinned_keys = pinned(&args.idp_cert)?;
    let mut checks = Vec::new();
    let skew = Duration::seconds(args.skew);

    let window = |checks: &mut Vec<Check>, name: &'static str, e: Element<'_, '_>, what: &str| {
        let nb = e.attr("NotBefore");
        let noa = e.attr("NotOnOrAfter");
        let mut problems = Vec::new();
        if let Some((raw, t)) = nb.map(|v| (v, parse_instant(v))) {
            match t {
                None => problems.push(format!("NotBefore {raw:?} is not a valid time")),
                Some(t) if now + skew < t => {
                    problems.push(format!(
                        "not valid before {} (now {})",
                        format_instant(t),
                        format_instant(now)
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some((raw, t)) = noa.map(|v| (v, parse_instant(v))) {
            match t {
                None => problems.push(format!("NotOnOrAfter {raw:?} is not a valid time")),
                Some(t) if now >= t + skew => {
                    problems.push(format!(
                        "expired at {} (now {})",
                        format_instant(t),
                        format_instant(now)
                    ));
                }
                Some(_) => {}
            }
        }
        let span = format!(
            "{what} NotBefore {} NotOnOrAfter {} (now {}, skew {} s)",
            nb.unwrap_or("-"),
            noa.unwrap_or("-"),
            format_instant(now),
            args.skew
        );
        if problems.is_empty() {
            checks.push(Check::new(name, "pass", span));
        } else {
            checks.push(Check::new(
                name,
                "fail",
                format!("{span}: {}", problems.join("; ")),
            ));
        }
    };

    let is_response = root.is(PROTOCOL_NS, "Response");
    let mut summary = serde_json::Map::new();
    summary.insert("message".into(), json!(root.qname()));
    summary.insert("id".into(), json!(root.id_attr()));
    summary.insert("issue_instant".into(), json!(root.attr("IssueInstant")));
    if is_response {
        checks.push(Check::compare(
            "destination",
            "Response Destination",
            root.attr("Destination"),
            args.acs_url.as_deref(),
            "--acs-url",
        ));
        let irt = root.attr("InResponseTo");
        checks.push(match irt {
            None => Check::new(
                "in_response_to",
                "info",
                "no InResponseTo: an IdP-initiated (unsolicited) response; verify needs --allow-unsolicited",
            ),
            Some(id) if args.request_id.iter().any(|r| r == id) => {
                Check::new("in_response_to", "pass", format!("InResponseTo {id:?} is one of --request-id"))
            }
            Some(id) if args.request_id.is_empty() => Check::new(
                "in_response_to",
                "info",
                format!("InResponseTo is {id:?} (verify needs --request-id {id} if you sent that request)"),
            ),
            Some(id) => Check::new(
                "in_response_to",
                "fail",
                format!("InResponseTo {id:?} is none of --request-id {:?}", args.request_id),
            ),
        });
        let status = child(root, PROTOCOL_NS, "Status")
            .and_then(|s| child(s, PROTOCOL_NS, "StatusCode"))
            .and_then(|c| c.attr("Value"));
        let success = status == Some("urn:oasis:names:tc:SAML:2.0:status:Success");
        let status_message = child(root, PROTOCOL_NS, "Status")
            .and_then(|s| child(s, PROTOCOL_NS, "StatusMessage"))
            .map(|m| m.text().trim().to_owned());
        checks.push(Check::new(
            "status",
            if success { "pass" } else { "fail" },
            format!(
                "StatusCode {}{}",
                shown(status),
                status_message.map(|m| format!(": {m}")).unwrap_or_default()
            ),
        ));
        summary.insert("destination".into(), json!(root.attr("Destination")));
        summary.insert("in_response_to".into(), json!(irt));
        summary.insert("status".into(), json!(status));
        if let Some(issuer) = child(root, ASSERTION_NS, "Issuer") {
            let text = issuer.text().trim().to_owned();
            checks.push(Check::compare(
                "response_issuer",
                "Response Issuer",
                Some(&text),
                args.idp_entity_id.as_deref(),
                "--idp-entity-id",
            ));
        }
    }

    // Assertions anywhere in the document: more than one, or one not directly in the Response, is how
    // signature wrapping looks.
    let assertions: Vec<Element<'_, '_>> = root
        .descendants()
        .filter(|e| {
            e.namespace() == ASSERTION_NS && matches!(e.name(), "Assertion" | "EncryptedAssertion")
        })
        .collect();
    if is_response {
        let direct = assertions
            .iter()
            .filter(|a| a.parent().map(|p| p.id()) == Some(root.id()))
            .count();
        let ok = assertions.len() == 1 && direct == 1;
        checks.push(Check::new(
            "assertion_count",
            if ok { "pass" } else { "fail" },
            format!(
                "{} Assertion/EncryptedAssertion element(s), {direct} directly inside the Response{}",
                assertions.len(),
                if ok { "" } else { " (exactly one, directly inside, is required; more looks like signature wrapping)" }
            ),
        ));
    }
    let mut assertion_json = Vec::new();
    for a in &assertions {
        if a.name() == "EncryptedAssertion" {
            checks.push(Check::new(
                "encrypted_assertion",
                "info",
                format!(
                    "{} is encrypted: its content is only visible to `saml verify --decrypt-key`",
                    path_of(*a)
                ),
            ));
            assertion_json.push(json!({"path": path_of(*a), "encrypted": true}));
            continue;
        }
        let issuer = child(*a, ASSERTION_NS, "Issuer").map(|i| i.text().trim().to_owned());
        checks.push(Check::compare(
            "assertion_issuer",
            "Assertion Issuer",
            issuer.as_deref(),
            args.idp_entity_id.as_deref(),
            "--idp-entity-id",
        ));
        let subject = child(*a, ASSERTION_NS, "Subject");
        let name_id = subject.and_then(|s| child(s, ASSERTION_NS, "NameID"));
        let scd: Vec<Element<'_, '_>> = subject
            .into_iter()
            .flat_map(|s| s.child_elements())
            .filter(|c| c.is(ASSERTION_NS, "SubjectConfirmation"))
            .filter_map(|c| child(c, ASSERTION_NS, "SubjectConfirmationData"))
            .collect();
        for d in &scd {
            checks.push(Check::compare(
                "recipient",
                "SubjectConfirmationData Recipient",
                d.attr("Recipient"),
                args.acs_url.as_deref(),
                "--acs-url",
            ));
            window(
                &mut checks,
                "confirmation_time",
                *d,
                "SubjectConfirmationData",
            );
        }
        let conditions = child(*a, ASSERTION_NS, "Conditions");
        if let Some(c) = conditions {
            window(&mut checks, "conditions_time", c, "Conditions");
        }
        let audiences: Vec<String> = conditions
            .into_iter()
            .flat_map(|c| c.child_elements())
            .filter(|r| r.is(ASSERTION_NS, "AudienceRestriction"))
            .flat_map(|r| r.child_elements())
            .filter(|x| x.is(ASSERTION_NS, "Audience"))
            .map(|x| x.text().trim().to_owned())
            .collect();
        checks.push(match (&args.sp_entity_id, audiences.is_empty()) {
            (_, true) => Check::new(
                "audience",
                "fail",
                "no AudienceRestriction/Audience: the assertion names no SP",
            ),
            (Some(sp), false) if audiences.contains(sp) => Check::new(
                "audience",
                "pass",
                format!("Audience {audiences:?} includes {sp:?}"),
            ),
            (Some(sp), false) => Check::new(
                "audience",
                "fail",
                format!("Audience is {audiences:?}, expected {sp:?}"),
            ),
            (None, false) => Check::new(
                "audience",
                "info",
                format!("Audience is {audiences:?} (pass --sp-entity-id to compare)"),
            ),
        });
        let authn = child(*a, ASSERTION_NS, "AuthnStatement");
        let attributes: Vec<Value> = a
            .child_elements()
            .filter(|s| s.is(ASSERTION_NS, "AttributeStatement"))
            .flat_map(|s| s.child_elements())
            .filter(|x| x.is(ASSERTION_NS, "Attribute"))
            .map(|x| {
                let values: Vec<String> = x
                    .child_elements()
                    .filter(|v| v.is(ASSERTION_NS, "AttributeValue"))
                    .map(|v| v.text().into_owned())
                    .collect();
                json!({"name": x.attr("Name"), "values": values})
            })
            .collect();
        assertion_json.push(json!({
            "path": path_of(*a),
            "id": a.id_attr(),
            "issuer": issuer,
            "name_id": name_id.map(|n| n.text().into_owned()),
            "name_id_format": name_id.and_then(|n| n.attr("Format")),
            "recipients": scd.iter().map(|d| d.attr("Recipient")).collect::<Vec<_>>(),
            "audiences": audiences,
            "not_before": conditions.and_then(|c| c.attr("NotBefore")),
            "not_on_or_after": conditions.and_then(|c| c.attr("NotOnOrAfter")),
            "session_index": authn.and_then(|s| s.attr("SessionIndex")),
            "authn_instant": authn.and_then(|s| s.attr("AuthnInstant")),
            "attributes": attributes,
        }));
    }

    // Signatures: where they sit, what they reference, which algorithms and which certificate.
    let mut signatures = Vec::new();
    for sig in root.descendants().filter(|e| e.is(DSIG_NS, "Signature")) {
        let parent = sig.parent();
        let signed_info = child(sig, DSIG_NS, "SignedInfo");
        let alg = |local: &str| {
            signed_info
                .and_then(|si| child(si, DSIG_NS, local))
                .and_then(|m| m.attr("Algorithm"))
        };
        let references: Vec<Element<'_, '_>> = signed_info
            .into_iter()
            .flat_map(|si| si.child_elements())
            .filter(|r| r.is(DSIG_NS, "Reference"))
            .collect();
        let reference = references.first().and_then(|r| r.attr("URI"));
        let digest = references
            .first()
            .and_then(|r| child(*r, DSIG_NS, "DigestMethod"))
            .and_then(|m| m.attr("Algorithm"));
        let transforms: Vec<&str> = references
            .first()
            .and_then(|r| child(*r, DSIG_NS, "Transforms"))
            .into_iter()
            .flat_map(|t| t.child_elements())
            .filter_map(|t| t.attr("Algorithm"))
            .collect();
        let parent_id = parent.and_then(|p| p.id_attr());
        let covers_parent = match (reference, parent_id) {
            (Some(""), _) => parent.is_some_and(|p| p.parent().is_none()),
            (Some(r), Some(id)) => r.strip_prefix('#') == Some(id),
            _ => false,
        };
        let cert = sig
            .descendants()
            .find(|e| e.is(DSIG_NS, "X509Certificate"))
            .map(|c| PinnedKey::from_pem_or_base64(&c.text()));
        let cert_json = match &cert {
            None => json!(null),
            Some(Err(e)) => json!({"error": e.to_string()}),
            Some(Ok(k)) => json!({
                "sha256_fingerprint": k.fingerprint_hex(),
                "subject": k.subject(),
                "pinned": if pinned_keys.is_empty() {
                    Value::Null
                } else {
                    json!(pinned_keys.keys().iter().any(|p| p.fingerprint() == k.fingerprint()))
                },
            }),
        };
        let on = parent.map_or_else(String::new, |p| p.qname().to_owned());
        checks.push(Check::new(
            "signature",
            if covers_parent && references.len() == 1 {
                "info"
            } else {
                "fail"
            },
            format!(
                "{} signed: Reference {} {}; {}, digest {}",
                path_of(parent.unwrap_or(sig)),
                shown(reference),
                if references.len() != 1 {
                    format!("({} References: exactly one is accepted)", references.len())
                } else if covers_parent {
                    "covers the element holding the signature".to_owned()
                } else {
                    "does NOT cover the element holding the signature (wrapping?)".to_owned()
                },
                alg("SignatureMethod").unwrap_or("no SignatureMethod"),
                digest.unwrap_or("none"),
            ),
        ));
        if let Some(Ok(k)) = &cert
            && !pinned_keys.is_empty()
        {
            let ok = pinned_keys
                .keys()
                .iter()
                .any(|p| p.fingerprint() == k.fingerprint());
            checks.push(Check::new(
                "certificate",
                if ok { "pass" } else { "fail" },
                format!(
                    "KeyInfo certificate {} ({}) {} --idp-cert",
                    k.fingerprint_hex(),
                    k.subject(),
                    if ok { "is one of" } else { "is NOT among" }
                ),
            ));
        }
        signatures.push(json!({
            "on": on,
            "path": path_of(sig),
            "reference": reference,
            "references": references.len(),
            "covers_parent": covers_parent,
            "signature_algorithm": alg("SignatureMethod"),
            "canonicalization": alg("CanonicalizationMethod"),
            "digest_algorithm": digest,
            "transforms": transforms,
            "keyinfo_certificate": cert_json,
        }));
    }
    if is_response && signatures.is_empty() {
        checks.push(Check::new(
            "signature",
            "fail",
            "no ds:Signature anywhere (unless the assertion is encrypted and signed inside)",
        ));
    }

    let mut pretty_xml = String::new();
    pretty(root, 0, &mut pretty_xml);
    let checks_json: Vec<Value> = checks
        .iter()
        .map(|c| json!({"check": c.name, "status": c.status, "detail": c.detail}))
        .collect();
    let json = json!({
        "verified": false,
        "warning": BANNER,
        "summary": summary,
        "assertions": assertion_json,
        "signatures": signatures,
        "checks": checks_json,
        "xml": pretty_xml,
    });

    let rule = "!".repeat(78);
    let mut t = format!(
        "{}\n{}\n{}\n\n",
        style.warn(&rule),
        style.warn(&format!("!! {BANNER}")),
        style.warn(&rule)
    );
    t.push_str(&pretty_xml);
    t.push_str(&format!(
        "\n{}\n",
        style.bold("Checks possible without trust:")
    ));
    for c in &checks {
        let mark = match c.status {
            "pass" => style.good("pass"),
            "fail" => style.bad("FAIL"),
            "warn" => style.warn("warn"),
            _ => style.dim("info"),
        };
        t.push_str(&format!("  [{mark}] {:<18} {}\n", c.name, c.detail));
    }
    t.push_str(&format!("\n{}\n", style.warn(&rule)));
    Ok(Output::new(json, t))
}

fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Indented XML for reading (not canonical; whitespace-only text is dropped).
pub(crate) fn pretty(e: Element<'_, '_>, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    out.push_str(&indent);
    out.push('<');
    out.push_str(e.qname());
    for ns in e.declared_namespaces() {
        if ns.prefix.is_empty() {
            out.push_str(&format!(" xmlns=\"{}\"", escape(ns.uri, true)));
        } else {
            out.push_str(&format!(
                " xmlns:{}=\"{}\"",
                ns.prefix,
                escape(ns.uri, true)
            ));
        }
    }
    for a in e.attributes() {
        out.push_str(&format!(" {}=\"{}\"", a.qname, escape(a.value, true)));
    }
    let children: Vec<Node<'_, '_>> = e
        .children()
        .filter(|n| !matches!(n, Node::Text(t) if t.trim().is_empty()))
        .collect();
    match children.as_slice() {
        [] => out.push_str("/>\n"),
        [Node::Text(t)] => out.push_str(&format!(">{}</{}>\n", escape(t, false), e.qname())),
        nodes => {
            out.push_str(">\n");
            for n in nodes {
                match n {
                    Node::Element(c) => pretty(*c, depth + 1, out),
                    Node::Text(t) => {
                        out.push_str(&format!("{indent}  {}\n", escape(t.trim(), false)))
                    }
                    Node::Comment(c) => out.push_str(&format!("{indent}  <!--{c}-->\n")),
                    Node::Pi { target, data } => {
                        out.push_str(&format!("{indent}  <?{target} {data}?>\n"))
                    }
                }
            }
            out.push_str(&format!("{indent}</{}>\n", e.qname()));
        }
    }
}

/// Parse a time for display (used by JWT inspect too).
pub(crate) fn unix_to_rfc3339(secs: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp(secs, 0).map(format_instant)
}
