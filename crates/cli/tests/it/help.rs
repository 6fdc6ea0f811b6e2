//! `--help` says what every flag does, and usage errors exit 2.

use crate::support::run;

#[test]
fn every_flag_is_explained() {
    // (subcommand, flags its help must list) — each flag line must carry a description.
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["saml", "verify"],
            &[
                "--idp-cert",
                "--idp-metadata",
                "--idp-entity-id",
                "--sp-entity-id",
                "--acs-url",
                "--request-id",
                "--allow-unsolicited",
                "--require-signed-assertion",
                "--allow-sha1",
                "--decrypt-key",
                "--decrypt-cert",
                "--now",
                "--skew",
                "--json",
            ],
        ),
        (
            &["saml", "inspect"],
            &[
                "--sp-entity-id",
                "--acs-url",
                "--idp-entity-id",
                "--idp-cert",
                "--request-id",
                "--now",
                "--skew",
            ],
        ),
        (
            &["saml", "metadata"],
            &["--idp-entity-id", "--signed-by", "--now"],
        ),
        (
            &["saml", "sp-metadata"],
            &[
                "--sp-entity-id",
                "--acs-url",
                "--cert",
                "--key",
                "--encryption",
            ],
        ),
        (
            &["saml", "authn-request"],
            &[
                "--sp-entity-id",
                "--acs-url",
                "--idp-sso-url",
                "--sign-key",
                "--sign-cert",
                "--relay-state",
                "--force-authn",
                "--now",
            ],
        ),
        (
            &["jwt", "verify"],
            &[
                "--jwks",
                "--issuer",
                "--audience",
                "--nonce",
                "--now",
                "--leeway",
                "--hs-secret-file",
            ],
        ),
        (&["jwt", "inspect"], &["--now"]),
        (
            &["scim", "filter"],
            &["--resource", "--resource-type", "--strict"],
        ),
        (
            &["scim", "patch"],
            &["--resource", "--patch", "--resource-type", "--strict"],
        ),
        (
            &["scim", "sql"],
            &["--dialect", "--resource-type", "--first-param", "--strict"],
        ),
        (
            &["xml", "c14n"],
            &[
                "--exclusive",
                "--c14n11",
                "--with-comments",
                "--prefixes",
                "--id",
            ],
        ),
    ];
    for (cmd, flags) in cases {
        let mut args = cmd.to_vec();
        args.push("--help");
        let r = run(&args, None);
        assert_eq!(r.code, 0, "{cmd:?}: {r:?}");
        for flag in *flags {
            let line = r
                .stdout
                .lines()
                .position(|l| {
                    l.trim_start().starts_with(&format!("{flag} "))
                        || l.trim_start() == *flag
                        || l.trim_start().starts_with(&format!("{flag}="))
                })
                .unwrap_or_else(|| panic!("{cmd:?} --help lacks {flag}:\n{}", r.stdout));
            // Long help puts the description on the following indented lines.
            let described = r
                .stdout
                .lines()
                .nth(line + 1)
                .is_some_and(|l| l.trim().len() > 10);
            assert!(
                described,
                "{cmd:?}: {flag} has no description:\n{}",
                r.stdout
            );
        }
    }
    let r = run(&["saml", "verify", "--help"], None);
    assert!(r.stdout.contains("DANGEROUS"), "the weakening flag says so");
}

#[test]
fn usage_errors_exit_2() {
    let r = run(&["saml", "verify", "x.xml"], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--sp-entity-id"), "{r:?}");
    let r = run(&["saml", "frobnicate", "--json"], None);
    assert_eq!(r.code, 2);
    assert_eq!(r.json()["error"], "usage");
    let r = run(&["--version"], None);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("gatehouse "));
}

/// The README's walk-through shows real output: the text of step 2 must be what the binary prints.
#[test]
fn readme_walkthrough_output_is_current() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let r = run(
        &[
            "saml",
            "verify",
            &crate::support::testdata("saml/reject-wrong-audience/response.xml"),
            "--idp-cert",
            &crate::support::testdata("keys/idp.crt"),
            "--idp-entity-id",
            "http://www.okta.com/exk1abcdEXAMPLE",
            "--sp-entity-id",
            "urn:auth0:layer-stack-app:acme",
            "--acs-url",
            "https://auth.app.layer.ai/login/callback?connection=acme",
            "--request-id",
            "_req-7f3c2a",
            "--now",
            "2026-01-15T10:00:00Z",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(
        readme.contains(&r.stdout),
        "README step 2 is stale; the binary prints:\n{}",
        r.stdout
    );
}
