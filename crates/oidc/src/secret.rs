//! Newtypes for secrets and bearer values: their `Debug` prints `[redacted]`; read them with `secret()`.

use serde::{Deserialize, Serialize};

macro_rules! secret_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            #[must_use]
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value; do not log it.
            #[must_use]
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_newtype!(
    /// The OAuth client secret (`client_secret_basic`/`client_secret_post`, and the HMAC key of HS* ID tokens).
    ClientSecret
);
secret_newtype!(
    /// An OAuth access token (bearer credential for userinfo).
    AccessToken
);
secret_newtype!(
    /// An OAuth refresh token.
    RefreshToken
);
secret_newtype!(
    /// A compact-serialized ID token as received (used again as `id_token_hint` at logout).
    IdToken
);
secret_newtype!(
    /// A single-use authorization code from the callback.
    AuthorizationCode
);
secret_newtype!(
    /// The PKCE `code_verifier` kept in the pending login until the code exchange.
    PkceVerifier
);
