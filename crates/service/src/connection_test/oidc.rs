//! OIDC: the callback's steps, each marked passed only after it returned.

use chrono::{DateTime, Utc};

use crate::model::{Connection, Kind};

use super::report::{Check, Failure, Mark, Report, Run, check, fmt_time};

/// The OIDC callback's steps, in order.
pub const OIDC_STEPS: &[&str] = &[
    "State (pending login found)",
    "Browser binding",
    "Issuer of the pending login",
    "Login not expired",
    "Discovery",
    "Authorization response (state, iss, error)",
    "Token exchange",
    "ID token: signature",
    "ID token: claims (iss, aud, exp, iat, nonce, at_hash, c_hash)",
    "UserInfo",
    "Claims for JIT",
];

/// Records which OIDC steps returned; the first one not recorded is the one that failed.
#[derive(Debug, Default)]
pub struct Steps {
    done: Vec<(usize, Mark, String)>,
    /// Expected and received values of the last library error seen.
    values: (Option<String>, Option<String>),
}

impl Steps {
    /// Step `index` of [`OIDC_STEPS`] returned successfully; `detail` says what it found.
    pub fn pass(&mut self, index: usize, detail: impl Into<String>) {
        self.done.push((index, Mark::Pass, detail.into()));
    }

    /// Step `index` does not apply.
    pub fn skip(&mut self, index: usize, detail: impl Into<String>) {
        self.done.push((index, Mark::NotApplicable, detail.into()));
    }

    /// Notes the expected and received values an OIDC error carries (for the failed line) and hands it back.
    pub fn error(&mut self, e: gatehouse_oidc::Error) -> gatehouse_oidc::Error {
        self.values = oidc_expected_received(&e);
        e
    }

    /// The check lines, with `error` at the first step that did not return. `id_token_error_code` is the OIDC
    /// error code when the failure may be the ID token's (its signature is checked before its claims).
    #[must_use]
    pub fn checks(&self, error: Option<&Failure>, id_token_error_code: Option<&str>) -> Vec<Check> {
        let mut out = Vec::new();
        let mut failed = false;
        for (i, name) in OIDC_STEPS.iter().enumerate() {
            if let Some((_, mark, d)) = self.done.iter().find(|(j, _, _)| *j == i) {
                out.push(check(name, *mark, d.clone()));
                continue;
            }
            match error {
                Some(f) if !failed => {
                    // The ID token is checked in one call: signature first, then the claims.
                    if i == 7 && id_token_error_code.is_some_and(|c| !is_signature_code(c)) {
                        out.push(check(
                            name,
                            Mark::Pass,
                            "the signature verifies with the IdP's key",
                        ));
                        continue;
                    }
                    failed = true;
                    let mut c = check(name, Mark::Fail, f.message.clone());
                    c.expected.clone_from(&self.values.0);
                    c.received.clone_from(&self.values.1);
                    out.push(c);
                }
                _ => out.push(check(
                    name,
                    Mark::NotReached,
                    "the flow stops at the first failed step",
                )),
            }
        }
        out
    }
}

fn oidc_expected_received(e: &gatehouse_oidc::Error) -> (Option<String>, Option<String>) {
    use gatehouse_oidc::Error as E;
    let unix = |t: i64| DateTime::from_timestamp(t, 0).map_or_else(|| t.to_string(), fmt_time);
    match e {
        E::IssuerMismatch {
            expected, received, ..
        }
        | E::DiscoveryIssuerMismatch { expected, received }
        | E::AzpMismatch { expected, received } => (Some(expected.clone()), Some(received.clone())),
        E::AudienceMismatch { expected, received } => {
            (Some(expected.clone()), Some(received.join(", ")))
        }
        E::UntrustedAudience { audience } => (None, Some(audience.clone())),
        E::LoginExpired {
            created_at,
            now,
            ttl_secs,
        } => (
            Some(format!("started at most {ttl_secs} s ago")),
            Some(format!(
                "started {}, clock {}",
                fmt_time(*created_at),
                fmt_time(*now)
            )),
        ),
        E::Expired {
            exp,
            now,
            leeway_secs,
        } => (
            Some(format!(
                "before {} (with {leeway_secs} s leeway)",
                unix(*exp)
            )),
            Some(format!("clock {}", unix(*now))),
        ),
        E::NotYetValid { nbf, now } => (
            Some(format!("not before {}", unix(*nbf))),
            Some(format!("clock {}", unix(*now))),
        ),
        E::IssuedInFuture { iat, now } => (
            Some(format!("issued before {}", unix(*now))),
            Some(format!("iat {}", unix(*iat))),
        ),
        E::IssuedTooLongAgo {
            iat,
            now,
            max_age_secs,
        } => (
            Some(format!(
                "issued at most {max_age_secs} s before {}",
                unix(*now)
            )),
            Some(format!("iat {}", unix(*iat))),
        ),
        E::ResponseModeMismatch { expected, received } => {
            (Some(format!("{expected:?}")), Some(format!("{received:?}")))
        }
        E::UnexpectedTokenType { received } => (Some("Bearer".into()), Some(received.clone())),
        E::IdpError {
            error, description, ..
        } => (
            None,
            Some(match description {
                Some(d) => format!("{error}: {d}"),
                None => error.clone(),
            }),
        ),
        E::HttpStatus { status, .. } => (Some("200".into()), Some(status.to_string())),
        _ => (None, None),
    }
}

fn is_signature_code(code: &str) -> bool {
    matches!(
        code,
        "too_large"
            | "malformed"
            | "alg_none"
            | "unsupported_algorithm"
            | "algorithm_mismatch"
            | "symmetric_not_enabled"
            | "weak_symmetric_key"
            | "unknown_key_id"
            | "no_key_for_algorithm"
            | "ambiguous_key"
            | "bad_signature"
            | "no_usable_keys"
    )
}

/// An OIDC report from the recorded steps and the outcome.
#[must_use]
pub fn oidc_report(
    conn: &Connection,
    now: DateTime<Utc>,
    steps: &Steps,
    failure: Option<Failure>,
    claims: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Report {
    let mut report = Report::new(conn, Run::Test, now);
    let code = failure
        .as_ref()
        .and_then(|f| f.code.strip_prefix("oidc:"))
        .map(str::to_owned);
    report.checks = steps.checks(failure.as_ref(), code.as_deref());
    report.failure = failure;
    if let Some(claims) = claims {
        for (k, v) in claims {
            let values = match v {
                serde_json::Value::Array(items) => items.iter().map(json_text).collect(),
                other => vec![json_text(other)],
            };
            report.attributes.push((k.clone(), values));
        }
    }
    report
}

/// The report of a test run whose login could not even start (settings unreadable, OIDC discovery failed).
#[must_use]
pub fn start_failure(conn: &Connection, now: DateTime<Utc>, failure: Failure) -> Report {
    let mut report = Report::new(conn, Run::Test, now);
    let what = match conn.kind {
        Kind::Saml => "Build the AuthnRequest from the connection's settings",
        Kind::Oidc => "Discovery and the authorization request",
    };
    let mut c = check(what, Mark::Fail, failure.message.clone());
    c.received = Some(failure.code.clone());
    report.checks.push(c);
    report.checks.push(check(
        "The identity provider's response",
        Mark::NotReached,
        "the login did not start",
    ));
    report.failure = Some(failure);
    report
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oidc_steps_mark_only_what_returned() {
        let mut s = Steps::default();
        s.pass(0, "found");
        s.pass(1, "same browser");
        let f = Failure {
            code: "oidc:x".into(),
            message: "boom".into(),
            admin_hint: None,
            fix: None,
        };
        let checks = s.checks(Some(&f), None);
        let marks: Vec<Mark> = checks.iter().map(|c| c.mark).collect();
        assert_eq!(marks[0..3], [Mark::Pass, Mark::Pass, Mark::Fail]);
        assert!(marks[3..].iter().all(|m| *m == Mark::NotReached));
    }
}
