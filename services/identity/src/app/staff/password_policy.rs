//! The staff password policy, checked wherever a password is set: the first tenant_admin of a
//! tenant, CreateStaff, ResetStaffPassword and ChangeStaffPassword.

use crate::error::AppError;

/// Password policy: at least 12 characters, not all of one class.
pub fn check_password(password: &str, field: &str) -> Result<(), AppError> {
    let long = password.chars().count() >= 12 && password.len() <= 256;
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if long && classes >= 2 {
        Ok(())
    } else {
        Err(AppError::invalid_with(
            "PASSWORD_TOO_WEAK",
            field,
            "needs at least 12 characters of at least two kinds (lower, upper, digit, symbol)",
        ))
    }
}
