//! The one error type that reaches API clients.
//!
//! Domain code returns `ApiError`; resolvers turn it into a GraphQL error with the
//! `extensions.code` the DataPM clients match. `ApiError` deliberately has no `Display`: that
//! keeps async-graphql's blanket conversion (message only, no code) from ever applying to it.

use async_graphql::ErrorExtensions;

/// What went wrong, as a client of the original server would see it.
#[derive(Clone)]
pub enum ApiError {
    /// Anonymous caller where a signed-in one is needed (`NOT_AUTHENTICATED`).
    NotAuthenticated,
    /// Signed in but not permitted (`NOT_AUTHORIZED`).
    NotAuthorized,
    /// A value failed its validation rule; the message is the rule's code.
    Invalid(String),
    /// A request the caller can fix (code `BAD_USER_INPUT`).
    BadInput(String),
    /// Credentials were wrong or unusable (code `UNAUTHENTICATED`).
    Unauthenticated(String),
    /// Refused for the caller (code `FORBIDDEN`) with a specific message.
    Forbidden(String),
    /// A named failure such as `USER_NOT_FOUND` that the original reported as a plain error.
    Failed(String),
    /// A failure with its own code and extra extension values.
    Coded {
        code: &'static str,
        message: String,
        extra: Vec<(&'static str, async_graphql::Value)>,
    },
    /// Anything the caller cannot fix; the detail goes to the log only.
    Internal(std::sync::Arc<anyhow::Error>),
}

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Internal(e) => write!(f, "Internal({e:#})"),
            other => write!(f, "{}: {}", other.code(), other.message()),
        }
    }
}

impl ApiError {
    /// The `extensions.code` value.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotAuthenticated | ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::NotAuthorized | ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::Invalid(_) => "GRAPHQL_VALIDATION_FAILED",
            ApiError::BadInput(_) => "BAD_USER_INPUT",
            ApiError::Coded { code, .. } => code,
            ApiError::Failed(_) | ApiError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message clients see.
    pub fn message(&self) -> String {
        match self {
            ApiError::NotAuthenticated => "NOT_AUTHENTICATED".into(),
            ApiError::NotAuthorized => "NOT_AUTHORIZED".into(),
            ApiError::Invalid(m)
            | ApiError::BadInput(m)
            | ApiError::Unauthenticated(m)
            | ApiError::Forbidden(m)
            | ApiError::Failed(m) => m.clone(),
            ApiError::Coded { message, .. } => message.clone(),
            ApiError::Internal(_) => "Internal server error".into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::Invalid(message.into())
    }

    pub fn failed(message: impl Into<String>) -> Self {
        ApiError::Failed(message.into())
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(std::sync::Arc::new(error.into()))
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        ApiError::internal(anyhow::Error::new(error).context("database"))
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(error: crate::storage::StorageError) -> Self {
        ApiError::internal(anyhow::Error::new(error).context("storage"))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        if let ApiError::Internal(detail) = &error {
            // The client gets an opaque message; the operator gets the whole chain.
            tracing::error!(error = format!("{detail:#}"), "request failed");
        }
        let code = error.code();
        let extra = match &error {
            ApiError::Coded { extra, .. } => extra.clone(),
            _ => Vec::new(),
        };
        async_graphql::Error::new(error.message()).extend_with(|_, ext| {
            ext.set("code", code);
            for (key, value) in &extra {
                ext.set(*key, value.clone());
            }
        })
    }
}

/// Shorthand for resolver and domain results.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<crate::domain::values::ValueError> for ApiError {
    fn from(error: crate::domain::values::ValueError) -> Self {
        ApiError::Invalid(error.code().to_owned())
    }
}
