//! Money in integer minor units (fen for CNY), as WeChat Pay counts it. Never floats.
//!
//! Arithmetic is checked: an overflow or a currency mismatch is an error, not a wrap.
//! [`Money::allocate`] splits an amount across lines by weight with the remainder handed out
//! exactly, so a discount spread over order lines sums back to the discount to the fen and a
//! partial refund of one line is exact.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// An ISO 4217 currency code (three upper-case letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Chinese yuan, the currency of every WeChat Pay amount.
    pub const CNY: Currency = Currency(*b"CNY");

    /// Parses a three-letter upper-case code.
    pub fn parse(code: &str) -> Result<Self, CoreError> {
        let bytes: [u8; 3] = code
            .as_bytes()
            .try_into()
            .map_err(|_| CoreError::InvalidCurrency)?;
        if bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Self(bytes))
        } else {
            Err(CoreError::InvalidCurrency)
        }
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        // The constructor only admits ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl TryFrom<String> for Currency {
    type Error = CoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money: integer minor units and a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (fen for CNY). May be negative for adjustments and reversals.
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// `minor` fen of CNY.
    pub const fn cny(minor: i64) -> Self {
        Self {
            minor,
            currency: Currency::CNY,
        }
    }

    /// An amount in the given currency.
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Zero in the given currency.
    pub const fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// True when the amount is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    /// True when the amount is above zero.
    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }

    fn same_currency(&self, other: &Money) -> Result<(), CoreError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(CoreError::CurrencyMismatch {
                left: self.currency.to_string(),
                right: other.currency.to_string(),
            })
        }
    }

    /// `self + other`, refusing overflow and mixed currencies.
    pub fn checked_add(self, other: Money) -> Result<Money, CoreError> {
        self.same_currency(&other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(CoreError::MoneyOverflow)?;
        Ok(Money { minor, ..self })
    }

    /// `self - other`, refusing overflow and mixed currencies.
    pub fn checked_sub(self, other: Money) -> Result<Money, CoreError> {
        self.same_currency(&other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(CoreError::MoneyOverflow)?;
        Ok(Money { minor, ..self })
    }

    /// `self × factor` (e.g. unit price × quantity), refusing overflow.
    pub fn checked_mul(self, factor: i64) -> Result<Money, CoreError> {
        let minor = self
            .minor
            .checked_mul(factor)
            .ok_or(CoreError::MoneyOverflow)?;
        Ok(Money { minor, ..self })
    }

    /// `self × bps / 10000`, rounded half away from zero: rates (discounts, multipliers,
    /// commission) are basis points so that no float ever touches money.
    pub fn checked_mul_bps(self, bps: i64) -> Result<Money, CoreError> {
        let product = i128::from(self.minor) * i128::from(bps);
        let half = if product >= 0 { 5_000 } else { -5_000 };
        let minor =
            i64::try_from((product + half) / 10_000).map_err(|_| CoreError::MoneyOverflow)?;
        Ok(Money { minor, ..self })
    }

    /// The smaller of two amounts of one currency.
    pub fn min(self, other: Money) -> Result<Money, CoreError> {
        self.same_currency(&other)?;
        Ok(if other.minor < self.minor {
            other
        } else {
            self
        })
    }

    /// Sums amounts of one currency; an empty list sums to zero of `currency`.
    pub fn sum(
        currency: Currency,
        items: impl IntoIterator<Item = Money>,
    ) -> Result<Money, CoreError> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), Money::checked_add)
    }

    /// Splits `self` across lines in proportion to `weights` (e.g. line subtotals).
    ///
    /// The parts sum to `self` exactly. Each part is the floor of its exact share; the fen left
    /// over go one each to the lines with the largest fractional remainders (ties to the
    /// earlier line), so the split is deterministic and never off by more than one fen per
    /// line. Weights must be non-negative with a positive sum; a zero-weight line gets nothing.
    pub fn allocate(self, weights: &[i64]) -> Result<Vec<Money>, CoreError> {
        if weights.is_empty() || weights.iter().any(|w| *w < 0) {
            return Err(CoreError::InvalidWeights);
        }
        let total_weight: i128 = weights.iter().map(|w| i128::from(*w)).sum();
        if total_weight <= 0 {
            return Err(CoreError::InvalidWeights);
        }
        let amount = i128::from(self.minor);
        let sign: i128 = if amount < 0 { -1 } else { 1 };
        let magnitude = amount.abs();

        let mut parts = Vec::with_capacity(weights.len());
        let mut remainders = Vec::with_capacity(weights.len());
        for (index, weight) in weights.iter().enumerate() {
            let exact = magnitude * i128::from(*weight);
            parts.push(exact / total_weight);
            remainders.push((exact % total_weight, index));
        }
        let mut left_over = magnitude - parts.iter().sum::<i128>();
        // Largest remainder first; among equals the earlier line wins (stable order).
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, index) in remainders {
            if left_over == 0 {
                break;
            }
            if weights[index] > 0 {
                parts[index] += 1;
                left_over -= 1;
            }
        }
        parts
            .into_iter()
            .map(|part| {
                i64::try_from(sign * part)
                    .map(|minor| Money { minor, ..self })
                    .map_err(|_| CoreError::MoneyOverflow)
            })
            .collect()
    }
}

impl fmt::Display for Money {
    /// Renders as `CNY 12.34`, for logs and humans; never parse it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{} {sign}{}.{:02}", self.currency, abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests;
