//! Hardened XML for SSO: one parser into one tree, canonicalization, XML-DSig verification and signing, XML-Enc decryption.
//! Signature checks hand back a handle to exactly the element they covered, so nothing unverified can be read by mistake.

pub mod c14n;
mod error;
mod limits;
mod tree;

pub use error::{Error, Result};
pub use limits::Limits;
pub use tree::{
    Attribute, Children, Descendants, Document, Element, Namespace, Node, NodeId, XML_NS,
};

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the cargo-fuzz targets in `fuzz/` and the corpus replay test.

    /// Parses `data`; must return `Ok` or a typed error and never panic.
    pub fn parse(data: &[u8]) {
        if let Ok(doc) = crate::Document::parse(data) {
            for e in doc.root().descendants() {
                let _ = e.text();
                let _ = e.namespaces_in_scope();
            }
        }
    }
}
