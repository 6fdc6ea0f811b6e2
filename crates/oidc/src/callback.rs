//! The authorization response at the redirect URI (`/login/callback`): state, RFC 9207 `iss`, errors, code.

use crate::params::Params;
use crate::{AuthorizationCode, Error, PendingLogin, ProviderMetadata, ResponseMode};

/// The parameters of a callback, parsed but not yet checked. Use [`Callback::state`] to find the
/// [`PendingLogin`], then [`PendingLogin::accept_callback`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    params: Params,
    arrived_as: Option<ResponseMode>,
}

impl Callback {
    /// Parses the query string (without `?`) or the form body when the caller does not say which it was.
    pub fn parse(query_or_form: &[u8]) -> Result<Self, Error> {
        Ok(Self {
            params: Params::parse(query_or_form)?,
            arrived_as: None,
        })
    }

    /// Parses the query string of a `GET` to the redirect URI; a login that asked for `form_post` refuses it
    /// (a code in a URL where a POST was expected is an injected or downgraded response).
    pub fn from_query(query: &str) -> Result<Self, Error> {
        Ok(Self {
            params: Params::parse(query.as_bytes())?,
            arrived_as: Some(ResponseMode::Query),
        })
    }

    /// Parses the `application/x-www-form-urlencoded` body of a `POST` to the redirect URI (`form_post`).
    pub fn from_form_post(body: &[u8]) -> Result<Self, Error> {
        Ok(Self {
            params: Params::parse(body)?,
            arrived_as: Some(ResponseMode::FormPost),
        })
    }

    /// The `state` parameter, to look up the pending login.
    #[must_use]
    pub fn state(&self) -> Option<&str> {
        self.params.get("state")
    }

    /// The OAuth error, if the provider sent an error response.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.params.get("error")
    }

    fn idp_error(&self) -> Option<Error> {
        self.error().map(|error| Error::IdpError {
            endpoint: "authorization",
            error: error.chars().take(128).collect(),
            description: self
                .params
                .get("error_description")
                .map(|d| d.chars().take(512).collect()),
        })
    }
}

impl PendingLogin {
    /// Checks a callback against this pending login and returns the authorization code.
    ///
    /// Order: `state` must equal ours (constant-time compare; a missing state with an `error` still reports the
    /// IdP's error, which signs nobody in); RFC 9207 `iss`, when present, must equal the issuer, and is required
    /// when the provider advertises `authorization_response_iss_parameter_supported`; an `error` becomes
    /// [`Error::IdpError`]; otherwise `code` is required.
    pub fn accept_callback(
        &self,
        callback: &Callback,
        metadata: &ProviderMetadata,
    ) -> Result<AuthorizationCode, Error> {
        let Some(state) = callback.state() else {
            return Err(callback
                .idp_error()
                .unwrap_or(Error::MissingParameter { name: "state" }));
        };
        if !constant_time_eq(state.as_bytes(), self.state().as_bytes()) {
            return Err(Error::StateMismatch);
        }
        if let Some(arrived_as) = callback.arrived_as
            && arrived_as != self.response_mode()
        {
            return Err(Error::ResponseModeMismatch {
                expected: self.response_mode(),
                received: arrived_as,
            });
        }
        match callback.params.get("iss") {
            Some(iss) if iss != self.issuer().as_str() => {
                return Err(Error::IssuerMismatch {
                    what: "authorization response",
                    expected: self.issuer().as_str().to_owned(),
                    received: iss.to_owned(),
                });
            }
            None if metadata.authorization_response_iss_parameter_supported() => {
                return Err(Error::MissingParameter { name: "iss" });
            }
            _ => {}
        }
        if let Some(error) = callback.idp_error() {
            return Err(error);
        }
        let code = callback
            .params
            .get("code")
            .ok_or(Error::MissingParameter { name: "code" })?;
        Ok(AuthorizationCode::new(code))
    }
}

/// Compares without an early exit on the first differing byte.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
