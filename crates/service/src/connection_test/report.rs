//! The report: checks with their marks, the failure, attributes, the JIT preview; rendered as HTML.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Connection;
use crate::web::esc;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mark {
    /// The library ran the check and it passed.
    Pass,
    /// The check failed (the first failure: the library stopped here).
    Fail,
    /// The library stopped before this check.
    NotReached,
    /// The failure may have come from this check or a later one; not known to have passed.
    NotConfirmed,
    /// The check does not apply to this response or connection.
    NotApplicable,
}

impl Mark {
    fn symbol(self) -> &'static str {
        match self {
            Self::Pass => "✓",
            Self::Fail => "✗",
            Self::NotReached => "– not reached",
            Self::NotConfirmed => "? not confirmed",
            Self::NotApplicable => "n/a",
        }
    }
}

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// The outcome.
    pub mark: Mark,
    /// What the check found, or the error.
    pub detail: String,
    /// The expected value, where the library gives it.
    pub expected: Option<String>,
    /// The received value, where the library gives it.
    pub received: Option<String>,
}

/// The error that stopped the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `saml:<code>`, `oidc:<code>`, `jit:<code>`.
    pub code: String,
    /// The library's message.
    pub message: String,
    /// The library's admin hint.
    pub admin_hint: Option<String>,
    /// Where the fix belongs, when the library says.
    pub fix: Option<String>,
}

/// What JIT would do with this login (not applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JitPreview {
    /// `Create`, `Update`, `Link`, `SignIn`, `Deny` (or `Refused` when the claims do not map).
    pub decision: String,
    /// The rule's code (`create.first_login`, …).
    pub rule: String,
    /// The rule's description.
    pub description: String,
    /// The rule's admin hint.
    pub admin_hint: Option<String>,
    /// What would be written: fields of a new user, changes, the link.
    pub details: Vec<String>,
}

/// A test run or a re-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Run {
    /// A test login started by the admin.
    Test,
    /// A re-check of the failure captured at `captured_at`, originally refused with `captured_code`.
    Recheck {
        /// When the response arrived.
        captured_at: DateTime<Utc>,
        /// The code the real login was refused with.
        captured_code: String,
    },
}

/// A test or re-check report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The connection.
    pub connection: String,
    /// `SAML` or `OIDC`.
    pub kind: String,
    /// Test or re-check.
    pub run: Run,
    /// The clock the time checks used.
    pub checked_at: DateTime<Utc>,
    /// The checks, in the order they run.
    pub checks: Vec<Check>,
    /// The error that stopped the run, if any.
    pub failure: Option<Failure>,
    /// The attributes (SAML) or claims (OIDC) that arrived, when the library released them.
    pub attributes: Vec<(String, Vec<String>)>,
    /// What JIT would do.
    pub jit: Option<JitPreview>,
    /// Remarks (what was not re-checkable, what was not applied).
    pub notes: Vec<String>,
}

impl Report {
    pub(super) fn new(conn: &Connection, run: Run, checked_at: DateTime<Utc>) -> Self {
        Self {
            connection: conn.name.clone(),
            kind: conn.kind_str().to_uppercase(),
            run,
            checked_at,
            checks: Vec::new(),
            failure: None,
            attributes: Vec::new(),
            jit: None,
            notes: Vec::new(),
        }
    }

    /// Did every check pass and would JIT let the user in?
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failure.is_none()
            && self.checks.iter().all(|c| c.mark != Mark::Fail)
            && self.jit.as_ref().is_some_and(|j| j.decision != "Deny")
    }

    /// The report as an HTML fragment.
    #[must_use]
    pub fn render(&self) -> String {
        let mut h = String::new();
        let verdict = if self.passed() {
            "<p><strong>✓ Passed</strong>: a login through this connection would be accepted.</p>"
        } else {
            "<p><strong>✗ Failed</strong>: a login through this connection would be refused.</p>"
        };
        let _ = write!(
            h,
            "<p>Connection <strong>{}</strong> ({})</p>",
            esc(&self.connection),
            esc(&self.kind)
        );
        match &self.run {
            Run::Test => {
                let _ = write!(
                    h,
                    "<p>Test login checked at {}. Nobody was signed in and no account was created or changed.</p>",
                    esc(&fmt_time(self.checked_at))
                );
            }
            Run::Recheck {
                captured_at,
                captured_code,
            } => {
                let how = if self.kind == "SAML" {
                    "InResponseTo is matched against the request recorded at capture; the replay cache is only read."
                } else {
                    "The ID token is verified again with the IdP's current keys; what was single-use is marked n/a."
                };
                let _ = write!(
                    h,
                    "<p>Re-check of the response captured at {} (refused then with <code>{}</code>) against the \
                     connection's <em>current</em> settings. Time checks use the capture time {}, not now. {} \
                     Nobody was signed in.</p>",
                    esc(&fmt_time(*captured_at)),
                    esc(captured_code),
                    esc(&fmt_time(self.checked_at)),
                    esc(how)
                );
            }
        }
        h.push_str(verdict);
        if let Some(f) = &self.failure {
            let _ = write!(
                h,
                "<div class=\"hint\"><p><strong>{}</strong> <code>{}</code></p>",
                esc(&f.message),
                esc(&f.code)
            );
            if let Some(hint) = &f.admin_hint {
                let _ = write!(h, "<p>What to change: {}</p>", esc(hint));
            }
            if let Some(fix) = &f.fix {
                let _ = write!(h, "<p>{}</p>", esc(fix));
            }
            h.push_str("</div>");
        }
        h.push_str("<h2>Checks</h2><table><tr><th></th><th>Check</th><th>Result</th><th>Expected</th><th>Received</th></tr>");
        for c in &self.checks {
            let _ = write!(
                h,
                "<tr class=\"check-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                match c.mark {
                    Mark::Pass => "pass",
                    Mark::Fail => "fail",
                    Mark::NotReached => "not-reached",
                    Mark::NotConfirmed => "not-confirmed",
                    Mark::NotApplicable => "na",
                },
                esc(c.mark.symbol()),
                esc(&c.name),
                esc(&c.detail),
                c.expected
                    .as_deref()
                    .map_or_else(String::new, |v| format!("<code>{}</code>", esc(v))),
                c.received
                    .as_deref()
                    .map_or_else(String::new, |v| format!("<code>{}</code>", esc(v))),
            );
        }
        h.push_str("</table>");
        h.push_str("<h2>Attributes received</h2>");
        if self.attributes.is_empty() {
            h.push_str("<p>None shown: the library releases attributes only from a response that passed.</p>");
        } else {
            h.push_str("<table><tr><th>Name</th><th>Values</th></tr>");
            for (name, values) in &self.attributes {
                let _ = write!(
                    h,
                    "<tr><td><code>{}</code></td><td>{}</td></tr>",
                    esc(name),
                    values
                        .iter()
                        .map(|v| format!("<code>{}</code>", esc(v)))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            h.push_str("</table>");
        }
        h.push_str("<h2>Just-in-time provisioning (preview, not applied)</h2>");
        match &self.jit {
            Some(j) => {
                let _ = write!(
                    h,
                    "<p>Decision: <strong>{}</strong> — rule <code>{}</code>: {}</p>",
                    esc(&j.decision),
                    esc(&j.rule),
                    esc(&j.description)
                );
                if let Some(hint) = &j.admin_hint {
                    let _ = write!(h, "<p class=\"hint\">What to change: {}</p>", esc(hint));
                }
                if !j.details.is_empty() {
                    h.push_str("<ul>");
                    for d in &j.details {
                        let _ = write!(h, "<li>{}</li>", esc(d));
                    }
                    h.push_str("</ul>");
                }
            }
            None => h.push_str("<p>Not evaluated: the response did not pass validation.</p>"),
        }
        if !self.notes.is_empty() {
            h.push_str("<h2>Notes</h2><ul>");
            for n in &self.notes {
                let _ = write!(h, "<li>{}</li>", esc(n));
            }
            h.push_str("</ul>");
        }
        h
    }
}

pub(super) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub(super) fn check(name: &str, mark: Mark, detail: impl Into<String>) -> Check {
    Check {
        name: name.to_owned(),
        mark,
        detail: detail.into(),
        expected: None,
        received: None,
    }
}
