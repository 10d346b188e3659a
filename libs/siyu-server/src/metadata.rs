//! Request metadata services act on: the idempotency key and the request id.

use tonic::Request;

/// The metadata key carrying a mutating call's idempotency key (the gateway copies it from the
/// `Idempotency-Key` header).
pub const IDEMPOTENCY_KEY: &str = "x-idempotency-key";
/// The metadata key carrying the gateway's request id.
pub const REQUEST_ID: &str = "x-request-id";
/// The longest idempotency key accepted; longer keys are refused as invalid.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

/// The idempotency key of a call, if the caller sent a usable one.
///
/// Keys are 1..=128 visible ASCII characters; anything else is refused with
/// `INVALID_ARGUMENT` naming the metadata key, so a client learns of a broken key at once
/// rather than losing its retry safety silently.
pub fn idempotency_key<T>(request: &Request<T>) -> Result<Option<String>, tonic::Status> {
    let Some(value) = request.metadata().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default();
    let valid = !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(Some(key.to_owned()))
    } else {
        Err(crate::status::invalid_argument([(
            IDEMPOTENCY_KEY,
            "must be 1 to 128 visible ASCII characters",
        )]))
    }
}

/// Like [`idempotency_key`], for calls that refuse to run without one (checkout, payments).
pub fn required_idempotency_key<T>(request: &Request<T>) -> Result<String, tonic::Status> {
    idempotency_key(request)?.ok_or_else(|| {
        crate::status::invalid_argument([(IDEMPOTENCY_KEY, "is required for this call")])
    })
}

/// The request id the gateway assigned, for log correlation.
pub fn request_id<T>(request: &Request<T>) -> Option<&str> {
    request
        .metadata()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    fn with_key(key: &str) -> Request<()> {
        let mut request = Request::new(());
        request
            .metadata_mut()
            .insert(IDEMPOTENCY_KEY, key.parse().unwrap());
        request
    }

    #[test]
    fn absent_key_is_none_and_required_key_is_refused() {
        assert_eq!(idempotency_key(&Request::new(())).unwrap(), None);
        let status = required_idempotency_key(&Request::new(())).unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let violations = status.get_details_bad_request().unwrap().field_violations;
        assert_eq!(violations[0].field, IDEMPOTENCY_KEY);
    }

    #[test]
    fn keys_are_validated() {
        assert_eq!(
            idempotency_key(&with_key("order-1")).unwrap().as_deref(),
            Some("order-1")
        );
        assert!(idempotency_key(&with_key(&"k".repeat(129))).is_err());
        assert!(idempotency_key(&with_key("has space")).is_err());
    }
}
