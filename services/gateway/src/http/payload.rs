//! Reading the request body within the size limit and telling JSON from form bodies.

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};

use crate::problem::Problem;
use crate::transcode::Payload;

/// Reads the whole body within `timeout` (408 `BODY_TIMEOUT` past it: a client trickling its
/// body must not hold a request slot), refusing more than `limit` bytes with 413 (by
/// `Content-Length` before reading, or while reading a chunked body).
pub async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, Problem> {
    tokio::time::timeout(timeout, read_all(body, headers, limit))
        .await
        .unwrap_or_else(|_| Err(body_timeout()))
}

/// 408 for a body not received in time.
pub fn body_timeout() -> Problem {
    Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "BODY_TIMEOUT",
        "the request body was not received in time",
    )
}

async fn read_all(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, Problem> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        // The only error a complete, in-limit body can give is none; a length error is the
        // client's, and so is a connection it dropped mid-body.
        if err.to_string().contains("length limit") {
            too_large(limit)
        } else {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "BODY_UNREADABLE",
                "the body could not be read",
            )
        }
    })
}

/// What the body is, from `Content-Type`: JSON everywhere, forms on OAuth routes only.
pub fn classify<'a>(
    headers: &HeaderMap,
    body: &'a [u8],
    oauth: bool,
) -> Result<Payload<'a>, Problem> {
    if body.is_empty() {
        return Ok(Payload::Empty);
    }
    let media = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    match media.as_deref() {
        Some("application/json") => Ok(Payload::Json(body)),
        Some("application/x-www-form-urlencoded") if oauth => Ok(Payload::Form(body)),
        _ => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            if oauth {
                "send application/json or application/x-www-form-urlencoded"
            } else {
                "send application/json"
            },
        )),
    }
}

fn too_large(limit: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "BODY_TOO_LARGE",
        format!("the body exceeds {limit} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn content_types_are_matched_without_parameters() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(matches!(
            classify(&headers, b"{}", false),
            Ok(Payload::Json(_))
        ));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert!(classify(&headers, b"a=b", false).is_err());
        assert!(matches!(
            classify(&headers, b"a=b", true),
            Ok(Payload::Form(_))
        ));
        assert!(matches!(classify(&headers, b"", false), Ok(Payload::Empty)));
    }
}
