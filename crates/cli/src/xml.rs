//! `gatehouse xml c14n`: canonical bytes from gatehouse-xml's canonicalizer.

use std::path::PathBuf;

use gatehouse_xml::Document;
use gatehouse_xml::c14n::{self, Method};
use serde_json::json;

use crate::input;
use crate::output::{Failure, Output};
use crate::saml::xml_failure;

/// Arguments of `xml c14n`.
#[derive(Debug)]
pub(crate) struct C14nArgs {
    pub(crate) file: PathBuf,
    pub(crate) exclusive: bool,
    pub(crate) c14n11: bool,
    pub(crate) with_comments: bool,
    pub(crate) prefixes: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) element: Option<String>,
}

/// `xml c14n`.
pub(crate) fn c14n_cmd(args: &C14nArgs) -> Result<Output, Failure> {
    let uri = match (args.exclusive, args.c14n11) {
        (true, true) => {
            return Err(Failure::usage(
                "usage",
                "--exclusive and --c14n11 name different algorithms: pick one",
            ));
        }
        (true, false) => c14n::EXC,
        (false, true) => c14n::C14N11,
        (false, false) => c14n::C14N10,
    };
    let mut method = Method::from_uri(uri)
        .ok_or_else(|| Failure::usage("usage", "unknown canonicalization"))?
        .comments(args.with_comments);
    if let Some(list) = &args.prefixes {
        if !args.exclusive {
            return Err(Failure::usage(
                "usage",
                "--prefixes is the InclusiveNamespaces PrefixList of exclusive c14n: add --exclusive",
            ));
        }
        method = method
            .with_prefix_list(list)
            .map_err(|e| xml_failure(&e).with_exit(crate::output::USAGE))?;
    }
    let bytes = input::read(&args.file)?;
    let doc = Document::parse(&bytes).map_err(|e| xml_failure(&e))?;
    let mut out = Vec::with_capacity(bytes.len());
    let all = || std::iter::once(doc.root()).chain(doc.root().descendants());
    let apex = match (&args.id, &args.element) {
        (Some(id), _) => Some(
            all()
                .find(|e| e.id_attr() == Some(id.as_str()))
                .ok_or_else(|| {
                    Failure::usage("no_such_id", format!("no element has the ID {id:?}"))
                })?,
        ),
        (None, Some(qname)) => Some(all().find(|e| e.qname() == qname).ok_or_else(|| {
            Failure::usage("no_such_element", format!("no element is named {qname:?}"))
        })?),
        (None, None) => None,
    };
    match apex {
        None => method.canonicalize_document(&doc, None, &mut out),
        Some(element) => method.canonicalize(element, None, &mut out),
    }
    .map_err(|e| xml_failure(&e))?;
    let json = json!({
        "method": method.uri(),
        "prefixes": args.prefixes,
        "id": args.id,
        "element": args.element,
        "canonical": String::from_utf8_lossy(&out),
    });
    Ok(Output::new(json, out))
}
