//! Gatehouse: the service-provider side of enterprise single sign-on, in Rust.
//!
//! This facade re-exports the Gatehouse crates behind features so that an app depends on one crate:
//!
//! | feature | module | crate |
//! | --- | --- | --- |
//! | `saml` | [`saml`], [`xml`] | `gatehouse-saml`, `gatehouse-xml` |
//! | `oidc` | [`oidc`] | `gatehouse-oidc` |
//! | `scim` | [`scim`] | `gatehouse-scim` |
//! | `jit` | [`jit`] | `gatehouse-jit` |
//!
//! Start with the [`manual`]: how the pieces fit, what "verified" means, what the host must store, and the
//! attacks these crates are built against with the design answer to each.
//!
//! All four are on by default, with the `aws-lc` crypto backend; `rust-crypto` selects the pure-Rust one
//! (`default-features = false, features = ["saml", "rust-crypto"]`).

/// The date-time library every API's `now: DateTime<Utc>` comes from.
pub use chrono;
#[cfg(feature = "jit")]
#[doc(inline)]
pub use gatehouse_jit as jit;
#[cfg(feature = "oidc")]
#[doc(inline)]
pub use gatehouse_oidc as oidc;
#[cfg(feature = "saml")]
#[doc(inline)]
pub use gatehouse_saml as saml;
#[cfg(feature = "scim")]
#[doc(inline)]
pub use gatehouse_scim as scim;
#[cfg(feature = "saml")]
#[doc(inline)]
pub use gatehouse_xml as xml;

#[cfg(all(feature = "jit", any(feature = "saml", feature = "oidc")))]
pub mod claims;
#[cfg(all(feature = "saml", feature = "oidc", feature = "jit"))]
pub mod manual;
