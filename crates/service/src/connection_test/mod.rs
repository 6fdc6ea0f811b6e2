//! "Test connection" and "Re-check the last failure": a report of what the libraries checked, for admins.
//!
//! **Test connection.** An admin starts a real login on a connection whose outstanding SAML request or pending
//! OIDC login carries the purpose `test:<connection_tests.id>`. When the IdP answers at the normal ACS or callback,
//! the response is validated exactly as a login would be (the request is consumed, the assertion recorded in the
//! replay cache so it can never be used for a real sign-in), and instead of signing anyone in the service seals a
//! [`Report`] into the `connection_tests` row and sends the browser to `/settings/sso/test/report?id=…`, which only
//! the admin who started the run can read. JIT is previewed ([`preview_jit`]: gatehouse-jit's `decide` on a
//! read-only snapshot), never applied: no user, link or session is written.
//!
//! **Captured failures.** When a real SAML login on a connection is refused after the `SAMLResponse` arrived, the
//! raw form value is sealed with the master key (purpose `captured-failure:<connection>`) into
//! `captured_failures`, one row per connection (the last failure wins), kept 24 hours ([`CAPTURE_TTL_SECS`]).
//! With it the service records what a re-check cannot recompute later: the outstanding request named by the
//! response's `InResponseTo` as it stood at capture, and whether the replay cache already held the assertion.
//! [`recheck`] validates that response again against the connection's *current* configuration, honestly:
//! the clock is the capture time, `InResponseTo` is matched against the request recorded at capture, replay is
//! looked up without recording anything, and nobody is signed in.
//!
//! OIDC: when the refusal came after the token exchange succeeded (a failed ID token check, UserInfo, a JIT
//! refusal), the ID token and the pending login (issuer, nonce — sealed, like `oidc_pending`) are kept, and the
//! re-check verifies the ID token again with the connection's current settings and the IdP's current keys at the
//! capture time. The state, the authorization code and the token exchange were single-use and are shown as "passed
//! at capture, not repeatable"; `at_hash`/`c_hash` and UserInfo need the access token and code, which are not kept
//! (secrets worth nothing to the re-check of a configuration), so they are said not re-checked and the JIT preview
//! uses the ID token's claims only. A refusal before the token exchange keeps only the error: nothing of it can be
//! repeated, and the page points to "Test connection".
//!
//! Anyone can post to an ACS, so the kept response is whatever was refused last on that connection; a re-check
//! never signs anyone in, so a planted response can only mislead the report, which says when it arrived.
//!
//! **Honest check lists.** The SAML library stops at the first failed check and returns one error. The report lists
//! the checks in the order `check_response` and `CheckedResponse::finish` run them ([`SamlStep`]); the failed one
//! is placed by the error ([`saml_step_of`]), the ones before it are marked passed, the ones after it "not
//! reached". Where an error can come from more than one place, it is placed at the earliest and the checks it may
//! have skipped are "not confirmed", never ✓. For OIDC the service runs the steps itself and marks a step passed
//! only after it returned ([`Steps`]).

mod capture;
mod jit;
mod oidc;
mod report;
mod runs;
mod saml;

pub use capture::{
    RecordedRequest, SamlAttempt, capture_oidc, capture_saml, last_failure, peek_in_response_to,
    recheck, row_buttons,
};
pub use jit::preview_jit;
pub use oidc::{OIDC_STEPS, Steps, oidc_report, start_failure};
pub use report::{Check, Failure, JitPreview, Mark, Report, Run};
pub use runs::{Stored, load_report, open_run, store_report, test_id};
pub use saml::{SamlContext, SamlStep, saml_checks, saml_claims, saml_report, saml_step_of};

/// How long a test run waits for the IdP's answer and how long its report can be read, in seconds.
pub const TEST_TTL_SECS: i64 = 3600;
/// How long a captured failed response is kept, in seconds.
pub const CAPTURE_TTL_SECS: i64 = 24 * 3600;
/// The `purpose` of an outstanding request or pending login of a test run is this prefix and the run's ID.
pub const TEST_PURPOSE_PREFIX: &str = "test:";
