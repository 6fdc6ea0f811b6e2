//! Resource limits applied while parsing untrusted XML.

/// Upper bounds the parser enforces before it allocates; exceeding one is [`Error::LimitExceeded`].
///
/// The defaults fit every real SAML message seen from Okta, Entra, Google, PingOne, ADFS and Keycloak with
/// a wide margin (a large Entra response with 150 group claims is about 40 KB, depth 8, 12 attributes per
/// element), while keeping the worst-case work per message small.
///
/// [`Error::LimitExceeded`]: crate::Error::LimitExceeded
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub(crate) max_bytes: usize,
    pub(crate) max_depth: usize,
    pub(crate) max_attributes: usize,
    pub(crate) max_nodes: usize,
    pub(crate) max_name_len: usize,
    pub(crate) max_namespaces: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 64,
            max_attributes: 64,
            max_nodes: 100_000,
            max_name_len: 256,
            max_namespaces: 256,
        }
    }
}

impl Limits {
    /// Largest input accepted, in bytes (default 1 MiB).
    #[must_use]
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    /// Deepest element nesting accepted (default 64).
    #[must_use]
    pub fn max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }

    /// Most attributes on one element, namespace declarations included (default 64).
    #[must_use]
    pub fn max_attributes(mut self, n: usize) -> Self {
        self.max_attributes = n;
        self
    }

    /// Most nodes (elements, text runs, comments, processing instructions) in one document (default 100 000).
    #[must_use]
    pub fn max_nodes(mut self, n: usize) -> Self {
        self.max_nodes = n;
        self
    }

    /// Longest element or attribute name, prefix included, in bytes (default 256).
    #[must_use]
    pub fn max_name_len(mut self, n: usize) -> Self {
        self.max_name_len = n;
        self
    }

    /// Most namespace declarations in one document (default 256). Canonicalization's per-element work is
    /// proportional to the bindings in scope, so this bounds it.
    #[must_use]
    pub fn max_namespaces(mut self, n: usize) -> Self {
        self.max_namespaces = n;
        self
    }
}
