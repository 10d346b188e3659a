//! Secrets inside stored idempotent replies: a reply that shows a secret once (a partner
//! secret, a TOTP secret, recovery codes, a generated password) is stored with the secret
//! sealed (AES-256-GCM, the tenant-secret key) and opened on the way out, so a retry with the
//! same key returns it again without it ever resting in clear.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::app::App;
use crate::error::AppError;

/// `secret` sealed for a stored reply (base64 of the AES-256-GCM box).
pub(crate) fn seal(app: &App, secret: &str) -> Result<String, AppError> {
    Ok(STANDARD.encode(app.sealer.seal(secret.as_bytes())?))
}

/// The secret of a reply field [`seal`] wrote.
pub(crate) fn open(app: &App, sealed: &str) -> Result<String, AppError> {
    let bytes = STANDARD
        .decode(sealed)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    String::from_utf8(app.sealer.open(&bytes)?).map_err(|e| AppError::Internal(e.to_string()))
}
