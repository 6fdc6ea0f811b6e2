//! SAML timestamps (`xs:dateTime`, UTC).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// Parses an `xs:dateTime`. SAML requires UTC with a `Z`; an explicit offset is converted, and a value
/// without any zone (seen from some IdPs) is read as UTC, as SAML core §1.3.3 intends.
#[must_use]
pub fn parse_instant(value: &str) -> Option<DateTime<Utc>> {
    let v = value.trim();
    // xs:dateTime always separates date and time with `T` (RFC 3339 parsers also take a space).
    if v.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// Formats an instant as SAML writes them: UTC, `Z`, no fraction.
#[must_use]
pub fn format_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_seen_in_the_wild() {
        let cases = [
            ("2026-01-15T09:59:59.512Z", "2026-01-15T09:59:59Z"),
            ("2026-01-15T09:59:59Z", "2026-01-15T09:59:59Z"),
            ("2026-01-15T10:59:59+01:00", "2026-01-15T09:59:59Z"),
            ("2026-01-15T09:59:59", "2026-01-15T09:59:59Z"),
            (" 2026-01-15T09:59:59.1234567Z ", "2026-01-15T09:59:59Z"),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_instant(input).map(format_instant).as_deref(),
                Some(want),
                "{input}"
            );
        }
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-01-15 09:59:59Z",
        ] {
            assert!(parse_instant(bad).is_none(), "{bad}");
        }
    }
}
