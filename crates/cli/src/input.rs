//! Reading inputs: a file path or `-` for standard input; SAML messages as raw XML or as the base64 form
//! value copied from a browser (URL-encoded or not, with or without `SAMLResponse=`).

use std::io::Read as _;
use std::path::Path;

use crate::output::Failure;

/// Largest input read (SAML aggregates of metadata can reach a few MB; the parsers have their own limits).
const MAX_INPUT: u64 = 32 * 1024 * 1024;

/// Reads `path`, or standard input for `-`.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    let what = path.display().to_string();
    let result = if path.as_os_str() == "-" {
        std::io::stdin().take(MAX_INPUT).read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT).read_to_end(&mut buf))
    };
    result.map_err(|e| Failure::usage("io", format!("cannot read {what}: {e}")))?;
    Ok(buf)
}

/// Reads `path` as UTF-8 text.
pub(crate) fn read_text(path: &Path) -> Result<String, Failure> {
    String::from_utf8(read(path)?)
        .map_err(|_| Failure::usage("not_utf8", format!("{} is not UTF-8 text", path.display())))
}

/// Reads a JSON document.
pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value, Failure> {
    serde_json::from_slice(&read(path)?).map_err(|e| {
        Failure::usage(
            "invalid_json",
            format!("{} is not JSON: {e}", path.display()),
        )
    })
}

/// Largest inflated HTTP-Redirect message accepted (the XML parser's own limit is 1 MiB).
const MAX_INFLATED: u64 = 2 * 1024 * 1024;

/// Turns what the user pasted into XML bytes: XML as is; otherwise base64 (whitespace ignored), after
/// URL-decoding when it contains `%`. A form body or query string (`SAMLResponse=…&RelayState=…`) or a whole
/// HTTP-Redirect URL is reduced to its `SAMLResponse`/`SAMLRequest` value, and a raw-DEFLATEd message (the
/// HTTP-Redirect binding's encoding) is inflated.
pub(crate) fn saml_xml(raw: &[u8]) -> Result<Vec<u8>, Failure> {
    let trimmed = raw.trim_ascii();
    let without_bom = trimmed.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(trimmed);
    if without_bom.first() == Some(&b'<') {
        return Ok(trimmed.to_vec());
    }
    let text = std::str::from_utf8(trimmed).map_err(|_| {
        Failure::usage(
            "encoding",
            "the input is neither XML nor base64 text (it is not UTF-8)",
        )
    })?;
    let mut value = text;
    if value.starts_with("http://") || value.starts_with("https://") {
        value = value.split_once('?').map_or("", |(_, q)| q);
    }
    if let Some(v) = value.split('&').find_map(|part| {
        part.strip_prefix("SAMLResponse=")
            .or_else(|| part.strip_prefix("SAMLRequest="))
    }) {
        value = v;
    }
    let decoded;
    if value.contains('%') {
        decoded = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| Failure::usage("encoding", "URL-decoding gave bytes that are not UTF-8"))?
            .into_owned();
        value = &decoded;
    }
    let bytes = gatehouse_saml::decode_form_value(value).map_err(|e| {
        Failure::usage(
            e.code(),
            format!("the input is neither XML nor base64: {e}"),
        )
    })?;
    if bytes.trim_ascii_start().first() == Some(&b'<') {
        return Ok(bytes);
    }
    let mut inflated = Vec::new();
    let ok = flate2::read::DeflateDecoder::new(bytes.as_slice())
        .take(MAX_INFLATED)
        .read_to_end(&mut inflated)
        .is_ok();
    if ok && inflated.trim_ascii_start().first() == Some(&b'<') {
        return Ok(inflated);
    }
    Err(Failure::usage(
        "encoding",
        "the input decodes from base64, but neither the result nor its DEFLATE inflation is XML",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saml_input_forms() {
        let xml = b"<samlp:Response/>";
        // base64 of the XML above, with and without URL-encoding and form framing.
        let b64 = "PHNhbWxwOlJlc3BvbnNlLz4=";
        let cases: &[&[u8]] = &[
            xml,
            b"  \n<samlp:Response/>\n",
            b64.as_bytes(),
            b"PHNhbWxwOlJlc3Bv\nbnNlLz4=\n",
            b"PHNhbWxwOlJlc3BvbnNlLz4%3D",
            b"SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%3D&RelayState=x",
        ];
        for case in cases {
            assert_eq!(
                saml_xml(case).unwrap(),
                xml,
                "{:?}",
                String::from_utf8_lossy(case)
            );
        }
        assert_eq!(saml_xml(b"hello world!").unwrap_err().code, "encoding");
        assert_eq!(saml_xml(b"aGVsbG8=").unwrap_err().code, "encoding");
    }

    proptest::proptest! {
        /// Whatever XML a browser posted, every way of pasting it decodes to the same bytes.
        #[test]
        fn every_paste_form_decodes_to_the_xml(
            body in "[ -~\\n]{0,300}",
            width in 1usize..120,
            url_encode: bool,
            framed: bool,
        ) {
            use base64::Engine as _;
            let xml = format!("<r>{body}</r>");
            let b64 = base64::engine::general_purpose::STANDARD.encode(&xml);
            let wrapped: Vec<String> = b64
                .as_bytes()
                .chunks(width)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let mut pasted = wrapped.join("\n");
            if url_encode {
                pasted = pasted.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D").replace('\n', "%0A");
            }
            if framed {
                pasted = format!("SAMLResponse={pasted}&RelayState=%2Fhome");
            }
            let decoded = saml_xml(format!("  {pasted}\n").as_bytes()).unwrap();
            proptest::prop_assert_eq!(decoded, xml.trim_ascii().as_bytes().to_vec());
        }

        /// No input makes the decoder panic.
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = saml_xml(&data);
        }
    }
}
