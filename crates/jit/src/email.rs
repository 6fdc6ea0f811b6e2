//! Email addresses and domains in the one normal form every comparison uses.
//!
//! Account linking compares emails, so the normal form decides who can reach whose account. The rules:
//!
//! * **Domain**: ASCII only, lowercased, compared for exact equality. Each label is 1–63 characters of
//!   `a-z`, `0-9` and `-`, not starting or ending with `-`; at least two labels; no trailing dot (so
//!   `example.com.` is refused rather than treated as `example.com`). Internationalised domains must arrive in
//!   A-label form (`xn--…`): this crate does no IDNA mapping, so a Unicode domain is refused instead of being
//!   mapped by rules that could differ from the mail system's. There is no suffix matching anywhere:
//!   `evilexample.com`, `sub.example.com` and `example.com.evil.io` are all different from `example.com`.
//! * **Local part**: ASCII letters are lowercased (`John.Doe` = `john.doe`, as every major mail provider and
//!   SCIM's case-insensitive `userName` treat them). Non-ASCII characters are kept exactly as received: no Unicode
//!   case folding and no normalisation (NFC/NFKC). Equality is then byte equality, so two addresses can only
//!   compare equal if they differ in ASCII case alone; a confusable or differently-normalised address never
//!   matches another account (it fails closed, to "no match"), which rules out the case-mapping collisions behind
//!   past password-reset takeovers (`ı`/`I`, `ſ`/`S`, `K`/`k`). Sub-addresses (`+tag`) and dots are kept:
//!   `a+x@` and `a@` are different addresses, because stripping them is a per-provider convention.
//! * Refused outright: quoted local parts, comments, IP-literal domains, more or fewer than one `@`,
//!   whitespace, control and invisible formatting characters (zero-width, bidi overrides), leading, trailing or
//!   doubled dots in the local part, a local part over 64 bytes or an address over 254 bytes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{JitError, shown};

/// A normalised email address (see the module documentation for the rules).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email {
    address: String,
    at: usize,
}

/// A normalised DNS domain: ASCII, lowercase, compared exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

const MAX_ADDRESS: usize = 254;
const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;

impl Email {
    /// Parses and normalises an address; the error says which rule it broke.
    pub fn parse(input: &str) -> Result<Self, JitError> {
        let bad = |problem: &'static str| JitError::InvalidEmail {
            problem,
            got: shown(input),
        };
        if input.len() > MAX_ADDRESS {
            return Err(bad("longer than 254 bytes"));
        }
        let mut parts = input.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("must contain exactly one `@`"));
        };
        let local = normalise_local(local).map_err(bad)?;
        let domain = Domain::normalise(domain).map_err(bad)?;
        let at = local.len();
        Ok(Self {
            address: format!("{local}@{domain}"),
            at,
        })
    }

    /// The whole normalised address.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The normalised local part (before the `@`).
    pub fn local_part(&self) -> &str {
        self.address.get(..self.at).unwrap_or_default()
    }

    /// The domain, for exact comparison with allowed or verified domains.
    pub fn domain(&self) -> Domain {
        Domain(
            self.address
                .get(self.at + 1..)
                .unwrap_or_default()
                .to_owned(),
        )
    }

    /// Whether the address is in exactly this domain (no suffix or subdomain matching).
    pub fn is_in(&self, domain: &Domain) -> bool {
        self.address.get(self.at + 1..) == Some(domain.as_str())
    }
}

impl Domain {
    /// Parses and normalises a domain name (see the module documentation).
    pub fn parse(input: &str) -> Result<Self, JitError> {
        Self::normalise(input).map_err(|problem| JitError::InvalidEmail {
            problem,
            got: shown(input),
        })
    }

    /// The normalised domain.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn normalise(input: &str) -> Result<Self, &'static str> {
        if input.is_empty() {
            return Err("empty domain");
        }
        if input.len() > MAX_DOMAIN {
            return Err("domain longer than 253 bytes");
        }
        if !input.is_ascii() {
            return Err("domain must be ASCII (send internationalised domains as xn-- A-labels)");
        }
        let lower = input.to_ascii_lowercase();
        let mut labels = 0usize;
        for label in lower.split('.') {
            labels += 1;
            if label.is_empty() {
                return Err("domain has an empty label (leading, trailing or doubled dot)");
            }
            if label.len() > 63 {
                return Err("domain label longer than 63 characters");
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err("domain may only contain letters, digits, `-` and `.`");
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err("domain label starts or ends with `-`");
            }
        }
        if labels < 2 {
            return Err("domain must have at least two labels");
        }
        Ok(Self(lower))
    }
}

fn normalise_local(local: &str) -> Result<String, &'static str> {
    if local.is_empty() {
        return Err("empty local part");
    }
    if local.len() > MAX_LOCAL {
        return Err("local part longer than 64 bytes");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("local part has a leading, trailing or doubled dot");
    }
    let mut out = String::with_capacity(local.len());
    for c in local.chars() {
        let allowed = if c.is_ascii() {
            c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
        } else {
            !c.is_control() && !c.is_whitespace() && !is_invisible(c)
        };
        if !allowed {
            return Err("local part contains a character outside RFC 5322/6531 dot-atom text");
        }
        out.push(c.to_ascii_lowercase());
    }
    Ok(out)
}

/// Zero-width and bidirectional formatting characters, which make two addresses look alike.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E0FFF}')
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = JitError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.address
    }
}

impl TryFrom<String> for Domain {
    type Error = JitError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Domain> for String {
    fn from(value: Domain) -> Self {
        value.0
    }
}
