//! `xml c14n`: hand-checked cases from the Canonical XML spec's rules, and ssoready's exclusive-c14n
//! input/output pairs from the third-party corpus (skipped with a message when it is absent).

use std::path::PathBuf;

use crate::support::{run, scratch, testdata};

#[test]
fn hand_checked_canonical_forms() {
    let dir = scratch("c14n");
    // (input, flags, expected) — expected written by hand from C14N 1.0 §2 and Exc-C14N §3.
    let cases: &[(&str, &[&str], &str)] = &[
        // Attributes sorted, empty element expanded, declaration dropped, whitespace in tags normalised.
        (
            "<?xml version=\"1.0\"?>\n<a   b='2' a=\"1\"/>",
            &[],
            "<a a=\"1\" b=\"2\"></a>",
        ),
        // Comments dropped unless asked for.
        ("<a><!-- c --><b/></a>", &[], "<a><b></b></a>"),
        (
            "<a><!-- c --><b/></a>",
            &["--with-comments"],
            "<a><!-- c --><b></b></a>",
        ),
        // Text escaping: & < > in text, " in attributes, CR as &#xD;.
        (
            "<a x='&quot;&lt;'>&amp;&lt;&gt;&#13;</a>",
            &[],
            "<a x=\"&quot;&lt;\">&amp;&lt;&gt;&#xD;</a>",
        ),
        // Inclusive keeps unused ancestor namespaces on the apex; exclusive drops them.
        (
            "<r xmlns:u=\"urn:u\"><e ID=\"x\"/></r>",
            &["--id", "x"],
            "<e xmlns:u=\"urn:u\" ID=\"x\"></e>",
        ),
        (
            "<r xmlns:u=\"urn:u\"><e ID=\"x\"/></r>",
            &["--id", "x", "--exclusive"],
            "<e ID=\"x\"></e>",
        ),
        // ...unless the prefix is in the InclusiveNamespaces PrefixList.
        (
            "<r xmlns:u=\"urn:u\"><e ID=\"x\"/></r>",
            &["--id", "x", "--exclusive", "--prefixes", "u"],
            "<e xmlns:u=\"urn:u\" ID=\"x\"></e>",
        ),
    ];
    for (i, (input, flags, want)) in cases.iter().enumerate() {
        let path = dir.join(format!("{i}.xml"));
        std::fs::write(&path, input).unwrap();
        let path = path.display().to_string();
        let mut args = vec!["xml", "c14n", path.as_str()];
        args.extend_from_slice(flags);
        let r = run(&args, None);
        assert_eq!(r.code, 0, "{input}: {r:?}");
        assert_eq!(r.stdout, *want, "{input} {flags:?}");
        args.push("--json");
        let out = run(&args, None).json();
        assert_eq!(out["canonical"], *want);
    }
    // Refusals and usage errors.
    let r = run(
        &["xml", "c14n", "--json", "-"],
        Some(b"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>"),
    );
    assert_eq!((r.code, r.json()["error"].as_str()), (1, Some("doctype")));
    let r = run(&["xml", "c14n", "--json", "-"], Some(b"<a><b></a>"));
    assert_eq!((r.code, r.json()["error"].as_str()), (2, Some("malformed")));
    let r = run(
        &["xml", "c14n", "--json", "-", "--prefixes", "xs"],
        Some(b"<a/>"),
    );
    assert_eq!(r.code, 2);
    let r = run(
        &["xml", "c14n", "--json", "-", "--id", "nope"],
        Some(b"<a/>"),
    );
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (2, Some("no_such_id"))
    );
    // A signed fixture canonicalizes without error with every method.
    let signed = testdata("dsig/rsa-sha256.xml");
    for flags in [
        &[][..],
        &["--exclusive"],
        &["--c14n11"],
        &["--exclusive", "--with-comments"],
    ] {
        let mut args = vec!["xml", "c14n", signed.as_str()];
        args.extend_from_slice(flags);
        assert_eq!(run(&args, None).code, 0, "{flags:?}");
    }
}

#[test]
fn ssoready_exclusive_c14n_pairs() {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/saml/ssoready/c14n"
    ));
    if !root.exists() {
        assert!(
            std::env::var("GATEHOUSE_INTEROP").as_deref() != Ok("1"),
            "third-party corpus missing at {} (GATEHOUSE_INTEROP=1)",
            root.display()
        );
        eprintln!(
            "skipping: third-party corpus not found at {}",
            root.display()
        );
        return;
    }
    let mut n = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let input = dir.join("in.xml");
        let Ok(want) = std::fs::read(dir.join("out.xml")) else {
            continue;
        };
        let r = run(
            &["xml", "c14n", "--exclusive", &input.display().to_string()],
            None,
        );
        assert_eq!(r.code, 0, "{}: {r:?}", dir.display());
        assert_eq!(r.stdout.as_bytes(), want.as_slice(), "{}", dir.display());
        n += 1;
    }
    assert!(n >= 5, "only {n} pairs");
}

/// The Exclusive C14N spec examples (§2.2), the Canonical XML spec example 3.2 and the Y1 interop outputs,
/// from Apache Santuario (third-party corpus; see its MANIFEST.md for what each output is).
#[test]
fn santuario_vectors() {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/c14n/santuario"
    ));
    if !root.exists() {
        assert!(
            std::env::var("GATEHOUSE_INTEROP").as_deref() != Ok("1"),
            "third-party corpus missing at {} (GATEHOUSE_INTEROP=1)",
            root.display()
        );
        eprintln!(
            "skipping: third-party corpus not found at {}",
            root.display()
        );
        return;
    }
    // (input, flags, expected output) — rows of the MANIFEST usable without DTDs or XPath node-sets.
    let cases: &[(&str, &[&str], &str)] = &[
        ("c14n-spec/32_input.xml", &[], "c14n-spec/32_c14n.xml"),
        (
            "c14n-spec/default_ns_redefinition_input.xml",
            &["--with-comments", "--id", "envelopedData"],
            "c14n-spec/default_ns_redefinition_c14n.xml",
        ),
        (
            "exclusive/example2_2_1.xml",
            &["--with-comments", "--element", "n1:elem2"],
            "exclusive/example2_2_1_c14nized.xml",
        ),
        (
            "exclusive/example2_2_2.xml",
            &["--with-comments", "--element", "n1:elem2"],
            "exclusive/example2_2_2_c14nized.xml",
        ),
        (
            "exclusive/example2_2_1.xml",
            &["--exclusive", "--with-comments", "--element", "n1:elem2"],
            "exclusive/example2_2_c14nized_exclusive.xml",
        ),
        (
            "exclusive/example2_2_2.xml",
            &["--exclusive", "--with-comments", "--element", "n1:elem2"],
            "exclusive/example2_2_c14nized_exclusive.xml",
        ),
        (
            "exclusive/example2_2_3.xml",
            &["--exclusive", "--with-comments", "--element", "p"],
            "exclusive/example2_2_3_c14nized_exclusive.xml",
        ),
        (
            "exclusive/example2_4.xml",
            &["--exclusive", "--with-comments", "--element", "etsi:elem2"],
            "exclusive/example2_4_c14nized.xml",
        ),
        (
            "interop-exc-c14n-Y1/exc-signature.xml",
            &["--exclusive", "--id", "to-be-signed"],
            "interop-exc-c14n-Y1/c14n-0.txt",
        ),
        (
            "interop-exc-c14n-Y1/exc-signature.xml",
            &[
                "--exclusive",
                "--id",
                "to-be-signed",
                "--prefixes",
                "bar #default",
            ],
            "interop-exc-c14n-Y1/c14n-1.txt",
        ),
        (
            "interop-exc-c14n-Y1/exc-signature.xml",
            &["--exclusive", "--with-comments", "--id", "to-be-signed"],
            "interop-exc-c14n-Y1/c14n-2.txt",
        ),
        (
            "interop-exc-c14n-Y1/exc-signature.xml",
            &[
                "--exclusive",
                "--with-comments",
                "--id",
                "to-be-signed",
                "--prefixes",
                "bar #default",
            ],
            "interop-exc-c14n-Y1/c14n-3.txt",
        ),
    ];
    let mut failures = Vec::new();
    for (input, flags, output) in cases {
        let path = root.join(input).display().to_string();
        let mut args = vec!["xml", "c14n", path.as_str()];
        args.extend_from_slice(flags);
        let r = run(&args, None);
        let want = std::fs::read(root.join(output)).unwrap();
        if r.code != 0 || r.stdout.as_bytes() != want.as_slice() {
            failures.push(format!(
                "{input} {flags:?} → {output}: exit {}\n got: {:?}\nwant: {:?}\n{}",
                r.code,
                r.stdout,
                String::from_utf8_lossy(&want),
                r.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
