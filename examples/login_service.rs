//! The Gatehouse reference login service (code in `crates/service`).
//!
//! Run with: `cargo run --example login_service -- --demo` and open <http://127.0.0.1:8080/login>
//! (`-- --help` lists the flags and the admin subcommands).

#![allow(clippy::print_stderr)]

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match gatehouse_service::cli::main().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.admin_hint() {
                eprintln!("hint: {hint}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
