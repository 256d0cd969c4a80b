//! The one error type of the service: each variant knows its status, `errorCode` and
//! `errorType`, and renders the reference's body (`{"message", "errorCode", "errorType"}` for 400
//! and 500, `{"message"}` for 403 and 404).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use necid_wire::{ErrorBody, ErrorCode};

use crate::engine::FaceError;
use crate::sigv4::AuthError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    Duplicate(String),
    #[error("{0}")]
    Timeout(String),
    #[error("No face was found in the provided image.")]
    NoFace,
    #[error(
        "The face quality score {score:.4} is below the application's faceMinimumQualityScore {minimum:.4}."
    )]
    PoorQuality { score: f64, minimum: f64 },
    #[error("{count} faces were found in the image; exactly one is permitted for this request.")]
    MultipleFaces { count: usize },
    #[error("{0}")]
    NotFound(String),
    /// A missing or unknown `x-api-key`.
    #[error("Forbidden")]
    Forbidden,
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Logged once where it is turned into a response; the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_)
            | Self::Duplicate(_)
            | Self::NoFace
            | Self::PoorQuality { .. }
            | Self::MultipleFaces { .. } => StatusCode::BAD_REQUEST,
            Self::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::Auth(_) => StatusCode::FORBIDDEN,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::InvalidRequest(_) => Some(ErrorCode::InvalidRequest),
            Self::Duplicate(_) => Some(ErrorCode::Duplicate),
            Self::Timeout(_) => Some(ErrorCode::Timeout),
            Self::NoFace => Some(ErrorCode::NoFace),
            Self::PoorQuality { .. } => Some(ErrorCode::PoorQuality),
            Self::MultipleFaces { .. } => Some(ErrorCode::MultipleFaces),
            Self::NotFound(_) | Self::Forbidden | Self::Auth(_) => None,
            // The reference's table has no code for a server fault; 1001 with a 500 status is
            // the closest honest pairing (docs/api.md).
            Self::Internal(_) => Some(ErrorCode::InvalidRequest),
        }
    }

    pub fn body(&self) -> ErrorBody {
        let message = match self {
            Self::Internal(_) => "Internal server error.".to_owned(),
            other => other.to_string(),
        };
        match self.code() {
            Some(code) => ErrorBody::new(code, message),
            None => ErrorBody::message(message),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidRequest(message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        (self.status(), axum::Json(self.body())).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(format!("{what} not found.")),
            StoreError::Duplicate(m) => Self::Duplicate(m),
            StoreError::Invalid(m) => Self::InvalidRequest(m),
            other => Self::Internal(format!("{other:?}")),
        }
    }
}

impl From<FaceError> for ApiError {
    fn from(e: FaceError) -> Self {
        match e {
            FaceError::Image(m) => Self::InvalidRequest(m),
            FaceError::NoFace => Self::NoFace,
            FaceError::MultipleFaces(count) => Self::MultipleFaces { count },
            FaceError::Engine(m) => Self::Internal(m),
        }
    }
}

/// A piece of client input made safe to quote in a message: at most 64 characters, and only
/// letters, digits, space and `-_.:/@`; anything else becomes `?`. Nothing the client sent comes
/// back unescaped.
pub fn quote_for_message(input: &str) -> String {
    let mut out: String = input
        .chars()
        .take(64)
        .map(|c| {
            if c.is_alphanumeric() || " -_.:/@".contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect();
    if input.chars().count() > 64 {
        out.push('…');
    }
    format!("'{out}'")
}
