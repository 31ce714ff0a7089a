//! The one error shape every adapter (server functions, REST) returns.
//!
//! Each error carries a stable machine code, so clients and tests match on the code and people
//! read the message. Codes are never renamed once released; add new ones instead.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable error codes. The string form (snake_case) is part of the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input failed validation; `field` names the offending field when there is one.
    InvalidInput,
    /// No such resource, or the actor may not know it exists.
    NotFound,
    /// The actor is known but the action is not allowed.
    Forbidden,
    /// No valid session or token.
    Unauthenticated,
    /// The action conflicts with the current state (wrong state, duplicate name, ...).
    Conflict,
    /// A component Pier depends on (database, libvirt, dockerd, nginx) is not reachable.
    Unavailable,
    /// A bug or an unexpected failure; the message never leaks internals.
    Internal,
    /// Signed in, but the role must use two-factor authentication and the user has not set it
    /// up yet: only enrolment is allowed.
    TwoFactorRequired,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::TwoFactorRequired => "two_factor_required",
        }
    }

    /// The HTTP status the REST adapter answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidInput => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden | ErrorCode::TwoFactorRequired => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

/// An error as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The input field the error is about, for forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: ErrorCode::InvalidInput, message: message.into(), field: Some(field.into()) }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, format!("{} not found", what.into()))
    }
}

#[cfg(feature = "server-fn")]
mod server_fn_impl {
    use super::{ApiError, ErrorCode};
    use server_fn::codec::JsonEncoding;
    use server_fn::error::{FromServerFnError, ServerFnErrorErr};

    impl FromServerFnError for ApiError {
        type Encoder = JsonEncoding;

        fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
            // Transport failures (network down, bad arguments) are reported in words a person can
            // act on; the detail stays in the message for the logs.
            let code = match value {
                ServerFnErrorErr::Request(_) => ErrorCode::Unavailable,
                ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => ErrorCode::InvalidInput,
                _ => ErrorCode::Internal,
            };
            let message = match &value {
                ServerFnErrorErr::Request(_) => "The panel did not answer. Check your connection and try again.".to_string(),
                other => other.to_string(),
            };
            ApiError { code, message, field: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_stable_names() {
        for code in [
            ErrorCode::InvalidInput,
            ErrorCode::NotFound,
            ErrorCode::Forbidden,
            ErrorCode::Unauthenticated,
            ErrorCode::Conflict,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
            ErrorCode::TwoFactorRequired,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn field_is_omitted_when_absent() {
        let e = ApiError::new(ErrorCode::Conflict, "busy");
        assert_eq!(serde_json::to_value(&e).unwrap(), serde_json::json!({"code":"conflict","message":"busy"}));
        let e = ApiError::invalid("seconds", "too long");
        assert_eq!(e.field.as_deref(), Some("seconds"));
        assert_eq!(e.code.http_status(), 400);
    }
}
