//! Interop against node `oidc-provider` (filled in below).
