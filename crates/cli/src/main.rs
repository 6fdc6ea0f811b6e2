//! The `gatehouse` command line: verify SAML responses, JWTs, metadata and SCIM filters on your own machine.
//! A thin shell over the library crates, so its verdicts are exactly the libraries' verdicts.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "gatehouse {}: no subcommands yet (see issue 8 in the tracker)",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::from(2)
}
