//! The error of the platform services (compute, containers): invalid input with the field named,
//! forbidden, not found, conflict with the current state, a component unavailable, or the
//! database. Each engine's own error converts into it where the service calls the engine.

use pier_proto::{ApiError, ErrorCode};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(ApiError),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(api) => api,
            ServiceError::Forbidden(m) => ApiError::new(ErrorCode::Forbidden, m),
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::Conflict(m) => ApiError::new(ErrorCode::Conflict, m),
            ServiceError::Unavailable(m) => ApiError::new(ErrorCode::Unavailable, m),
            ServiceError::Db(e) => {
                tracing::error!(error = %e, "service database failure");
                ApiError::new(ErrorCode::Unavailable, "The database did not answer; try again.")
            }
        }
    }
}

