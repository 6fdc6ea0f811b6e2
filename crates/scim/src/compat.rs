//! How strictly requests are read: RFC 7644 to the letter, or tolerant of what Okta and Entra really send.
//!
//! Every leniency of the crate is decided by one of the methods below, so a reader can see all of them in one
//! place, and a server can switch them all off at once with [`Compatibility::Strict`].

/// Strict RFC 7643/7644 reading, or tolerant of the forms real identity providers send.
///
/// | Form (who sends it) | Strict | Tolerant |
/// | --- | --- | --- |
/// | PATCH `op` capitalised, `"Replace"` (Entra) | `invalidSyntax` | accepted |
/// | booleans as strings, `"False"` (Entra) | `invalidValue` | converted |
/// | pathless `replace`/`add` whose keys are paths, `"name.givenName"` (Entra) | `invalidPath` | applied as paths |
/// | `remove` of members with a `value` list (Entra) | `invalidSyntax` | removes the listed values |
/// | `manager` as a plain string (Entra) | `invalidValue` | read as `{"value": …}` |
/// | pathless `replace` carrying the resource's own `id`, `meta` or `schemas` (Okta) | `mutability` | ignored when unchanged |
/// | filter `not` without parentheses, `not userName eq "x"` | attribute named `not` | negation |
/// | PATCH `add`/`replace` at `emails[type eq "work"].value` when no value matches (Entra, for users without a work email) | `noTarget` | a value `{"type": "work", "value": …}` is added |
///
/// Things both modes do, because the RFC allows them: case-insensitive attribute names and filter keywords,
/// ignoring `id`/`meta` sent in a POST or PUT body (readOnly attributes "SHALL be ignored"), a missing
/// `Content-Type` (not this crate's concern: it reads bodies it is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compatibility {
    /// Exactly RFC 7643/7644.
    Strict,
    /// Also the Okta and Entra forms listed on the type. The default.
    #[default]
    Tolerant,
}

impl Compatibility {
    fn tolerant(self) -> bool {
        matches!(self, Self::Tolerant)
    }

    /// PATCH `op` values compared case-insensitively (`"Replace"`).
    #[must_use]
    pub fn case_insensitive_ops(self) -> bool {
        self.tolerant()
    }

    /// `"True"`/`"False"` strings accepted for boolean attributes.
    #[must_use]
    pub fn booleans_as_strings(self) -> bool {
        self.tolerant()
    }

    /// Keys of a pathless `add`/`replace` value read as attribute paths (`"name.givenName"`, URN-qualified).
    #[must_use]
    pub fn pathless_keys_as_paths(self) -> bool {
        self.tolerant()
    }

    /// `remove` carrying a `value`: removes those values from the multi-valued target.
    #[must_use]
    pub fn remove_with_value(self) -> bool {
        self.tolerant()
    }

    /// A complex attribute given as a plain string becomes `{"value": string}` (Entra's `manager`).
    #[must_use]
    pub fn string_as_complex_value(self) -> bool {
        self.tolerant()
    }

    /// A PATCH that sets a readOnly attribute (`id`, `meta`, `schemas`) to its current value is ignored.
    #[must_use]
    pub fn ignore_unchanged_read_only(self) -> bool {
        self.tolerant()
    }

    /// A PATCH `add`/`replace` whose value filter (made of `sub eq literal` conditions joined by `and`)
    /// matches nothing adds a value built from the filter instead of failing with `noTarget`.
    #[must_use]
    pub fn upsert_on_filter_miss(self) -> bool {
        self.tolerant()
    }

    /// `not` without parentheses in a filter negates the expression that follows.
    #[must_use]
    pub fn bare_not(self) -> bool {
        self.tolerant()
    }
}
