//! The service's error type: configuration, storage and internal failures. Login refusals are not errors of
//! this type: they are [`crate::web::Refusal`] pages with the protocol library's admin hint.

/// What went wrong outside a login decision.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad flags, files or settings.
    #[error("configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Something that should not happen (no randomness, a key that does not encode).
    #[error("internal: {0}")]
    Internal(String),
    /// An object named in a request or command does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A request or command was refused (duplicate name, plan gate, bad input).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// What an operator can do about it, when there is something to do.
    #[must_use]
    pub fn admin_hint(&self) -> Option<&'static str> {
        match self {
            Self::Config(_) => Some("check the command-line flags and the files they name"),
            Self::Database(_) => {
                Some("check that the database file is writable and not used by another version")
            }
            Self::NotFound(_) | Self::Invalid(_) | Self::Internal(_) => None,
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
