//! The SMS seam: how one-time passwords reach a phone. Production plugs an SMS provider in
//! here; the in-memory sender keeps what it would have sent, for tests and local runs.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

/// The SMS provider refused or could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("sms unavailable: {0}")]
pub struct OtpSendError(pub String);

/// Delivers an OTP to a phone. Implementations must never log the code or the full number.
pub trait OtpSender: std::fmt::Debug + Send + Sync + 'static {
    /// Sends `code` to `phone` (E.164).
    fn send<'a>(
        &'a self,
        phone: &'a str,
        code: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), OtpSendError>> + Send + 'a>>;

    /// For tests: the concrete sender.
    fn as_any(&self) -> &dyn Any;
}

/// Keeps every OTP "sent" in memory (the default until an SMS provider is configured).
#[derive(Debug, Clone, Default)]
pub struct MemoryOtpSender {
    sent: Arc<Mutex<Vec<(String, String)>>>,
}

impl MemoryOtpSender {
    /// The last code sent to `phone` (E.164).
    pub fn last_code(&self, phone: &str) -> Option<String> {
        let sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        sent.iter()
            .rev()
            .find(|(p, _)| p == phone)
            .map(|(_, c)| c.clone())
    }

    /// How many codes were sent to `phone`.
    pub fn sent_to(&self, phone: &str) -> usize {
        let sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        sent.iter().filter(|(p, _)| p == phone).count()
    }
}

impl OtpSender for MemoryOtpSender {
    fn send<'a>(
        &'a self,
        phone: &'a str,
        code: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), OtpSendError>> + Send + 'a>> {
        Box::pin(async move {
            let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
            sent.push((phone.to_owned(), code.to_owned()));
            tracing::info!(phone = %mask_phone(phone), "otp kept in memory");
            Ok(())
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `+8613812345678` → `138****5678` (never log a full number).
pub fn mask_phone(phone: &str) -> String {
    let national = phone.strip_prefix("+86").unwrap_or(phone);
    let chars: Vec<char> = national.chars().collect();
    if chars.len() < 7 {
        return "****".into();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A mainland mobile number (11 digits starting 1[3-9], optionally "+86") in E.164.
pub fn normalize_phone(input: &str) -> Option<String> {
    let national = input.trim().strip_prefix("+86").unwrap_or(input.trim());
    is_mainland_mobile(national).then(|| format!("+86{national}"))
}

/// True for an 11-digit mainland mobile number in national form (1[3-9] and 9 more digits).
pub fn is_mainland_mobile(national: &str) -> bool {
    let bytes = national.as_bytes();
    bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1])
}
