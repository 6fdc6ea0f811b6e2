//! `application/x-www-form-urlencoded` parameters (query strings and POST bodies) with duplicates refused.

use std::collections::BTreeMap;

use crate::Error;

/// Largest query string or form body accepted.
pub(crate) const MAX_PARAMS_BYTES: usize = 64 * 1024;

/// Parameters of one request, each name at most once (a repeated parameter is an error, RFC 6749 §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params(BTreeMap<String, String>);

impl Params {
    /// Parses a query string (without `?`) or a form body.
    pub(crate) fn parse(input: &[u8]) -> Result<Self, Error> {
        if input.len() > MAX_PARAMS_BYTES {
            return Err(Error::TooLarge {
                what: "request parameters",
                limit: MAX_PARAMS_BYTES,
                got: input.len(),
            });
        }
        let mut map = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(input) {
            if map
                .insert(name.clone().into_owned(), value.into_owned())
                .is_some()
            {
                return Err(Error::DuplicateParameter {
                    name: name.chars().take(64).collect(),
                });
            }
        }
        Ok(Self(map))
    }

    /// One parameter; empty values count as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}
