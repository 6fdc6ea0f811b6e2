//! Email and domain normalisation: the comparison every link decision rests on.

use gatehouse_jit::{Domain, Email};
use proptest::prelude::*;

/// input → normal form (or `None`: refused). Hand-written from RFC 5321/5322/6531 and the module's rules.
const CASES: &[(&str, Option<&str>)] = &[
    ("jane@acme.example", Some("jane@acme.example")),
    ("Jane.Doe@Acme.EXAMPLE", Some("jane.doe@acme.example")),
    ("jane+sso@acme.example", Some("jane+sso@acme.example")),
    ("o'brien@acme.example", Some("o'brien@acme.example")),
    ("a@xn--bcher-kva.example", Some("a@xn--bcher-kva.example")),
    ("a@sub.acme.example", Some("a@sub.acme.example")),
    ("a@acme-corp.example", Some("a@acme-corp.example")),
    // Non-ASCII local parts are kept verbatim (ASCII letters around them are still lowercased).
    ("JÖRG@acme.example", Some("jÖrg@acme.example")),
    ("jörg@acme.example", Some("jörg@acme.example")),
    // Refused.
    ("", None),
    ("jane", None),
    ("@acme.example", None),
    ("jane@", None),
    ("a@b@acme.example", None),
    ("\"a@evil.example\"@acme.example", None),
    ("\"jane\"@acme.example", None),
    ("jane(comment)@acme.example", None),
    ("ja ne@acme.example", None),
    (" jane@acme.example", None),
    ("jane@acme.example\n", None),
    ("jane@acme.example.", None),
    ("jane@.acme.example", None),
    ("jane@acme..example", None),
    ("jane@-acme.example", None),
    ("jane@acme-.example", None),
    ("jane@localhost", None),
    ("jane@[127.0.0.1]", None),
    ("jane@acme.example:443", None),
    ("jane@acme_corp.example", None),
    ("jane@exämple.com", None),
    ("jane@ACME.EXAMPLE\u{200B}", None),
    (".jane@acme.example", None),
    ("jane.@acme.example", None),
    ("ja..ne@acme.example", None),
    ("ja\u{200B}ne@acme.example", None),
    ("admin\u{202E}@acme.example", None),
    ("ja\u{FEFF}ne@acme.example", None),
    ("ja\u{0000}ne@acme.example", None),
    ("ja\\ne@acme.example", None),
    ("ja,ne@acme.example", None),
    ("<jane@acme.example>", None),
];

#[test]
fn normal_forms() {
    for (input, want) in CASES {
        let got = Email::parse(input).ok();
        assert_eq!(
            got.as_ref().map(Email::as_str),
            *want,
            "Email::parse({input:?})"
        );
    }
}

#[test]
fn length_limits() {
    let local64 = "a".repeat(64);
    assert!(Email::parse(&format!("{local64}@acme.example")).is_ok());
    assert!(Email::parse(&format!("{local64}a@acme.example")).is_err());
    let label63 = "b".repeat(63);
    assert!(Email::parse(&format!("a@{label63}.example")).is_ok());
    assert!(Email::parse(&format!("a@{label63}b.example")).is_err());
    let long_domain = vec!["c".repeat(60); 5].join(".");
    assert!(Email::parse(&format!("a@{long_domain}")).is_err());
}

/// Unicode lookalikes and case-mapping collisions never compare equal to the ASCII address.
#[test]
fn unicode_never_folds_into_ascii() {
    let ascii = Email::parse("kim@acme.example").unwrap();
    for tricky in [
        "\u{212A}im@acme.example", // KELVIN SIGN, lowercases to 'k' under Unicode rules
        "k\u{0131}m@acme.example", // dotless i
        "k\u{0130}m@acme.example", // capital I with dot
        "\u{0138}im@acme.example", // kra
        "kim\u{0301}@acme.example", // combining accent
        "\u{FF4B}im@acme.example", // fullwidth k
        "\u{043A}im@acme.example", // Cyrillic ka
    ] {
        let other = Email::parse(tricky).unwrap();
        assert_ne!(other, ascii, "{tricky:?}");
    }
    let s = Email::parse("s@acme.example").unwrap();
    assert_ne!(Email::parse("\u{017F}@acme.example").unwrap(), s, "long s");
    // NFC and NFD spellings of the same name are different byte strings: no match, fail closed.
    let nfc = Email::parse("j\u{00F6}rg@acme.example").unwrap();
    let nfd = Email::parse("jo\u{0308}rg@acme.example").unwrap();
    assert_ne!(nfc, nfd);
}

#[test]
fn domains_compare_exactly() {
    let acme = Domain::parse("Acme.Example").unwrap();
    assert_eq!(acme.as_str(), "acme.example");
    for (address, inside) in [
        ("a@acme.example", true),
        ("a@ACME.EXAMPLE", true),
        ("a@evilacme.example", false),
        ("a@acme.example.evil.io", false),
        ("a@sub.acme.example", false),
        ("a@acme.examplex", false),
        ("a@cme.example", false),
    ] {
        assert_eq!(
            Email::parse(address).unwrap().is_in(&acme),
            inside,
            "{address}"
        );
    }
    for bad in [
        "*.acme.example",
        ".acme.example",
        "acme.example.",
        "acme",
        "",
        "acmé.example",
    ] {
        assert!(Domain::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn parts_and_serde() {
    let email = Email::parse("Jane@Acme.Example").unwrap();
    assert_eq!(email.local_part(), "jane");
    assert_eq!(email.domain().as_str(), "acme.example");
    let json = serde_json::to_string(&email).unwrap();
    assert_eq!(json, "\"jane@acme.example\"");
    let back: Email = serde_json::from_str("\"JANE@acme.EXAMPLE\"").unwrap();
    assert_eq!(back, email);
    assert!(serde_json::from_str::<Email>("\"jane@acme.example.\"").is_err());
    assert!(serde_json::from_str::<Domain>("\"evil..example\"").is_err());
}

proptest! {
    /// Normalising is idempotent and the domain comes out lowercase ASCII.
    #[test]
    fn normalising_is_idempotent(input in "[a-zA-Z0-9.+_ö\u{212A}-]{1,20}@[a-zA-Z0-9.-]{1,20}") {
        if let Ok(email) = Email::parse(&input) {
            prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
            let domain = email.domain();
            prop_assert!(domain.as_str().bytes().all(|b| !b.is_ascii_uppercase()));
            prop_assert!(email.is_in(&domain));
        }
    }

    /// Two inputs with the same normal form differ in ASCII case only: nothing else can merge accounts.
    #[test]
    fn equal_forms_mean_ascii_case_only(
        input in "[a-zA-Z0-9.+ö\u{212A}\u{0131}]{1,12}@[a-zA-Z]{1,8}\\.example",
        at in 0usize..30,
        replacement in any::<char>(),
    ) {
        let mut chars: Vec<char> = input.chars().collect();
        let index = at % chars.len();
        chars[index] = replacement;
        let other: String = chars.into_iter().collect();
        if let (Ok(a), Ok(b)) = (Email::parse(&input), Email::parse(&other)) {
            prop_assert_eq!(a == b, input.eq_ignore_ascii_case(&other));
        }
    }

    /// Flipping ASCII case never changes the normal form.
    #[test]
    fn ascii_case_is_ignored(input in "[a-z0-9.]{1,10}@[a-z]{1,8}\\.example") {
        if let Ok(email) = Email::parse(&input) {
            prop_assert_eq!(Email::parse(&input.to_ascii_uppercase()).unwrap(), email);
        }
    }
}
