//! What a command hands back — a result or a refusal — and how it is printed: one JSON object with `--json`,
//! readable text otherwise, with colour only when the stream is a terminal.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use serde_json::{Map, Value, json};

/// Exit status: the input was understood and rejected.
pub(crate) const REFUSED: u8 = 1;
/// Exit status: usage error or input that could not be read or parsed.
pub(crate) const USAGE: u8 = 2;

/// ANSI styling, switched off when the output is not a terminal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    colour: bool,
}

impl Style {
    /// Colour only when `stdout` is a terminal and `NO_COLOR` is unset.
    pub(crate) fn detect() -> Self {
        Self {
            colour: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Green bold: a pass.
    pub(crate) fn good(self, text: &str) -> String {
        self.paint("1;32", text)
    }

    /// Red bold: a failure.
    pub(crate) fn bad(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    /// Yellow bold: a warning.
    pub(crate) fn warn(self, text: &str) -> String {
        self.paint("1;33", text)
    }

    /// Bold.
    pub(crate) fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Dim: secondary information.
    pub(crate) fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// A successful command's output in both forms.
#[derive(Debug)]
pub(crate) struct Output {
    /// The one JSON object printed with `--json`.
    pub(crate) json: Value,
    /// What is printed without `--json` (may be raw bytes, e.g. canonical XML).
    pub(crate) text: Vec<u8>,
}

impl Output {
    pub(crate) fn new(json: Value, text: impl Into<Vec<u8>>) -> Self {
        Self {
            json,
            text: text.into(),
        }
    }
}

/// Why a command did not produce its result.
#[derive(Debug)]
pub(crate) struct Failure {
    /// 1 (refused) or 2 (usage or unparseable input).
    pub(crate) exit: u8,
    /// Stable snake_case code.
    pub(crate) code: String,
    /// What went wrong, with expected and received values.
    pub(crate) message: String,
    /// Which setting to change, when an admin can fix it.
    pub(crate) admin_hint: Option<String>,
    /// Further members of the JSON object (e.g. `fix_side`).
    pub(crate) extra: Map<String, Value>,
}

impl Failure {
    /// A usage or input error (exit 2).
    pub(crate) fn usage(code: &str, message: impl Into<String>) -> Self {
        Self::new(USAGE, code, message, None)
    }

    pub(crate) fn new(
        exit: u8,
        code: &str,
        message: impl Into<String>,
        hint: Option<&str>,
    ) -> Self {
        Self {
            exit,
            code: code.to_owned(),
            message: message.into(),
            admin_hint: hint.map(str::to_owned),
            extra: Map::new(),
        }
    }

    /// The same failure with another exit status.
    pub(crate) fn with_exit(mut self, exit: u8) -> Self {
        self.exit = exit;
        self
    }

    /// Adds a member to the JSON object.
    pub(crate) fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// The JSON object for `--json`.
    pub(crate) fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("error".into(), json!(self.code));
        obj.insert("message".into(), json!(self.message));
        obj.insert("admin_hint".into(), json!(self.admin_hint));
        for (k, v) in &self.extra {
            obj.insert(k.clone(), v.clone());
        }
        Value::Object(obj)
    }

    fn to_text(&self, style: Style) -> String {
        let head = if self.exit == REFUSED {
            style.bad("✘ REFUSED")
        } else {
            style.bad("error")
        };
        let mut out = format!("{head} ({}): {}\n", self.code, self.message);
        for (k, v) in &self.extra {
            let v = match (k.as_str(), v) {
                ("fix_side", Value::String(s)) => match s.as_str() {
                    "identity_provider" => "the IdP's settings".to_owned(),
                    "service_provider" => {
                        "this SP's connection settings (the flags you passed)".to_owned()
                    }
                    "clock" => "the clocks (or --now / --skew)".to_owned(),
                    "either" => {
                        "the IdP's signing certificate or the certificates you pinned".to_owned()
                    }
                    _ => continue,
                },
                (_, Value::String(s)) => s.clone(),
                (_, Value::Number(n)) => n.to_string(),
                // Structured context (e.g. the settings checked with) is for --json.
                _ => continue,
            };
            let label = if k == "fix_side" {
                "fix in"
            } else {
                k.as_str()
            };
            out.push_str(&format!("  {}: {v}\n", label.replace('_', " ")));
        }
        if let Some(hint) = &self.admin_hint {
            out.push_str(&format!("  {} {hint}\n", style.bold("What to change:")));
        }
        out
    }
}

/// Prints the outcome and turns it into the process exit status.
pub(crate) fn emit(result: Result<Output, Failure>, json_mode: bool, style: Style) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match result {
        Ok(out) => {
            let written = if json_mode {
                writeln!(stdout, "{}", pretty(&out.json))
            } else {
                stdout.write_all(&out.text)
            };
            if written.and_then(|()| stdout.flush()).is_err() {
                return ExitCode::from(USAGE);
            }
            ExitCode::SUCCESS
        }
        Err(f) => {
            if json_mode {
                let _ = writeln!(stdout, "{}", pretty(&f.to_json()));
            } else if f.exit == REFUSED {
                let _ = stdout.write_all(f.to_text(style).as_bytes());
            } else {
                let _ = std::io::stderr().write_all(f.to_text(Style { colour: false }).as_bytes());
            }
            ExitCode::from(f.exit)
        }
    }
}

/// Pretty JSON (serialization of a `Value` cannot fail).
pub(crate) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// A snake_case code from an error's `Debug` text: its variant name (`AudienceMismatch { .. }` →
/// `audience_mismatch`), for crates whose errors have no `code()`.
pub(crate) fn variant_code(debug: &str) -> String {
    let name: String = debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let mut code = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                code.push('_');
            }
            code.push(c.to_ascii_lowercase());
        } else {
            code.push(c);
        }
    }
    code
}
