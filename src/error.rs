//! The one error type of request handlers. It is its own HTTP response: not-found becomes the
//! Vietnamese 404 page, anything else is logged once with its cause chain and becomes the
//! Vietnamese 500 page, with no details for the visitor.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::db::DbError;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("không tìm thấy")]
    NotFound,
    /// Signed in, but the role does not allow it.
    #[error("không có quyền")]
    Forbidden,
    /// A state-changing request without a valid CSRF token or from another origin.
    #[error("yêu cầu không hợp lệ")]
    Csrf,
    /// Not signed in: go to the sign-in page, then come back to `next` (a local path).
    #[error("cần đăng nhập")]
    SignInRequired { next: String },
    /// The request body is larger than allowed.
    #[error("dữ liệu gửi lên quá lớn")]
    TooLarge,
    /// A body of a type this route does not take (multipart outside the upload routes).
    #[error("kiểu dữ liệu không được chấp nhận")]
    UnsupportedMediaType,
    /// Too many requests of this kind at once (every argon2 slot busy).
    #[error("máy chủ đang bận")]
    Busy,
    #[error("lỗi cơ sở dữ liệu")]
    Db(#[from] DbError),
    #[error("lỗi dựng trang")]
    Template(#[from] tera::Error),
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// Marks a response whose body the error-page layer must draw (see `http::error_pages`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorPage(pub StatusCode);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Busy => StatusCode::TOO_MANY_REQUESTS,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::SignInRequired { next } => {
                let location = format!("/dang-nhap?next={}", url_encode(next));
                return (
                    StatusCode::SEE_OTHER,
                    [(axum::http::header::LOCATION, location)],
                )
                    .into_response();
            }
            other => {
                tracing::error!(error = %error_chain(other), "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage(status));
        response
    }
}

/// "outer: inner: root cause", on one line.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl From<anyhow::Error> for AppError {
    /// A saturated argon2 pool stays a 429 when it comes wrapped (`account::hash_password`
    /// returns `anyhow`): the password change, a reset and the staff import answer "busy", not 500.
    fn from(e: anyhow::Error) -> Self {
        if e.is::<crate::account::Busy>() {
            AppError::Busy
        } else {
            AppError::Internal(e)
        }
    }
}

impl From<crate::account::Busy> for AppError {
    fn from(_: crate::account::Busy) -> Self {
        AppError::Busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_busy_argon2_pool_is_429_and_other_failures_500() {
        let busy = AppError::from(anyhow::Error::from(crate::account::Busy));
        assert_eq!(busy.into_response().status(), StatusCode::TOO_MANY_REQUESTS);
        let other = AppError::from(anyhow::anyhow!("đĩa đầy"));
        assert_eq!(
            other.into_response().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
