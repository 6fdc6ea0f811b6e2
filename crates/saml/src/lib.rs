//! SAML 2.0 service provider: builds AuthnRequests, turns a posted `SAMLResponse` into a
//! [`VerifiedAssertion`], reads IdP metadata and writes the SP's.
//!
//! Sans-IO: the caller passes the clock, the stores and the configuration; every refusal is an
//! [`Error`] with what was expected, what arrived, and an [`Error::admin_hint`] in the IdP admin's words.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use gatehouse_saml::{
//!     Binding, ConnectionPolicy, IdentityProvider, InMemoryReplayCache, InMemoryRequestStore, PendingRequest,
//!     RequestStore, ServiceProvider, validate_response,
//! };
//! use gatehouse_xml::PinnedKeys;
//! use base64::Engine as _;
//!
//! // The connection from the Okta guide: ACS with ?connection=, audience urn:auth0:…:<connection>.
//! let sp = ServiceProvider::new(
//!     "urn:auth0:layer-stack-app:acme",
//!     "https://auth.app.layer.ai/login/callback?connection=acme",
//! );
//! let idp = IdentityProvider {
//!     entity_id: "http://www.okta.com/exk1abcdEXAMPLE".into(),
//!     sso_url: "https://acme.okta.com/app/acme/exk1abcdEXAMPLE/sso/saml".into(),
//!     sso_binding: Binding::HttpRedirect,
//!     certificates: PinnedKeys::from_pem(include_str!("../../../testdata/keys/idp.crt"))?,
//!     want_authn_requests_signed: false,
//!     policy: ConnectionPolicy::default(),
//! };
//!
//! // The request this response answers was stored when the user was sent to Okta.
//! let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
//! let requests = InMemoryRequestStore::default();
//! requests.insert(PendingRequest {
//!     id: "_req-7f3c2a".into(),
//!     connection: "acme".into(),
//!     issued_at: now,
//!     expires_at: now + chrono::Duration::minutes(10),
//! });
//! let replay = InMemoryReplayCache::default();
//!
//! // What the browser posted (an xmlsec1-signed Okta-shaped response from testdata/).
//! let posted = base64::engine::general_purpose::STANDARD
//!     .encode(include_bytes!("../../../testdata/saml/accept-assertion-signed/response.xml"));
//! let assertion = validate_response(&sp, &idp, "acme", &posted, now, &requests, &replay)?;
//! assert_eq!(assertion.name_id().value, "jane.doe@acme.com");
//! assert_eq!(
//!     assertion.attribute("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"),
//!     ["Jane"]
//! );
//!
//! // The same response again is a replay.
//! let again = validate_response(&sp, &idp, "acme", &posted, now, &requests, &replay);
//! assert!(again.is_err());
//! # Ok::<(), gatehouse_saml::Error>(())
//! ```
//!
//! See [`response`] for how the checks are ordered and what each one defends against.

mod assertion;
mod config;
mod error;
pub mod incoming;
pub mod metadata;
pub mod request;
pub mod response;
mod store;
pub mod time;

pub use assertion::{Attribute, NameId, VerifiedAssertion};
pub use config::{
    Binding, ConnectionPolicy, IdentityProvider, ServiceProvider, SpKey, check_connection,
};
pub use error::{Error, FixSide, Result};
pub use incoming::{ReceivedRequest, receive_post, receive_redirect};
pub use metadata::{IdpMetadata, parse_idp_metadata, sp_metadata};
pub use request::{AuthnRequest, Outgoing, RequestOptions, authn_request};
pub use response::{CheckedResponse, check_response, decode_form_value, validate_response};
pub use store::{
    InMemoryReplayCache, InMemoryRequestStore, PendingRequest, ReplayCache, RequestStore,
};

#[doc(hidden)]
pub mod fuzzing {
    //! Entry point for the cargo-fuzz target and the corpus replay test.

    use std::sync::OnceLock;

    use chrono::{TimeZone, Utc};

    use crate::{Binding, ConnectionPolicy, IdentityProvider, ServiceProvider, SpKey};

    fn connection() -> Option<&'static (ServiceProvider, IdentityProvider)> {
        static CONN: OnceLock<Option<(ServiceProvider, IdentityProvider)>> = OnceLock::new();
        CONN.get_or_init(|| {
            let mut sp = ServiceProvider::new(
                "urn:auth0:layer-stack-app:acme",
                "https://auth.app.layer.ai/login/callback?connection=acme",
            );
            // Test fixtures from testdata/keys (they protect nothing).
            let key = SpKey::from_pem(
                include_str!("../../../testdata/keys/sp.key"),
                include_str!("../../../testdata/keys/sp.crt"),
            )
            .ok()?;
            sp.decryption_key = Some(std::sync::Arc::new(key));
            let idp = IdentityProvider {
                entity_id: "http://www.okta.com/exk1abcdEXAMPLE".into(),
                sso_url: "https://acme.okta.com/sso".into(),
                sso_binding: Binding::HttpRedirect,
                certificates: gatehouse_xml::PinnedKeys::from_pem(include_str!(
                    "../../../testdata/keys/idp.crt"
                ))
                .ok()?,
                want_authn_requests_signed: false,
                policy: ConnectionPolicy {
                    allow_unsolicited: true,
                    ..ConnectionPolicy::default()
                },
            };
            Some((sp, idp))
        })
        .as_ref()
    }

    /// Runs the whole response check on `data` as XML and as a base64 form value.
    pub fn response(data: &[u8]) {
        let Some((sp, idp)) = connection() else {
            return;
        };
        let now = Utc
            .with_ymd_and_hms(2026, 1, 15, 10, 0, 0)
            .single()
            .unwrap_or_default();
        let _ = crate::check_response(sp, idp, data, now);
        if let Ok(text) = std::str::from_utf8(data)
            && let Ok(xml) = crate::decode_form_value(text)
        {
            let _ = crate::check_response(sp, idp, &xml, now);
        }
    }
}
