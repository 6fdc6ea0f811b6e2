//! Hardened XML for SSO: one parser into one tree, canonicalization, XML-DSig verification and signing, XML-Enc decryption.
//! Signature checks hand back a handle to exactly the element they covered, so nothing unverified can be read by mistake.

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the cargo-fuzz targets in `fuzz/` and the corpus replay test.

    /// Runs the XML tokenizer over `data` until it ends or errors; must never panic.
    pub fn parse(data: &[u8]) {
        let mut reader = quick_xml::Reader::from_reader(data);
        let mut buf = Vec::new();
        while let Ok(event) = reader.read_event_into(&mut buf) {
            if matches!(event, quick_xml::events::Event::Eof) {
                break;
            }
            buf.clear();
        }
    }
}
