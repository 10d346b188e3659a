//! Parsing the wire's shared shapes at the edge (ids, keys, text, points, money, dates,
//! timestamps, update masks): each failure is an [`AppError`] naming the proto field. Text over
//! its limit is refused, never cut.

use chrono::NaiveDate;
use prost_types::{FieldMask, Timestamp};
use siyu_proto::common::v1 as common;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{Attribution, MemberId};

/// Most points one call moves: no earn, redeem or hold is ten million points.
pub const MAX_POINTS: i64 = 10_000_000;
/// Most fen one call moves: ¥100,000,000.
pub const MAX_FEN: i64 = 10_000_000_000;

/// A required UUID field.
pub fn id(field: &str, value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    Uuid::parse_str(value).map_err(|_| AppError::invalid(field, "must be a UUID"))
}

/// An optional UUID field (empty = none).
pub fn opt_id(field: &str, value: &str) -> Result<Option<Uuid>, AppError> {
    if value.is_empty() {
        Ok(None)
    } else {
        id(field, value).map(Some)
    }
}

/// A list of at most `max` ids, each named `field[i]` when malformed.
pub fn each_id(field: &str, values: &[String], max: usize) -> Result<Vec<Uuid>, AppError> {
    if values.len() > max {
        return Err(AppError::invalid(field, format!("at most {max} ids")));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| id(&format!("{field}[{i}]"), v))
        .collect()
}

/// An optional member id (consumers leave it empty).
pub fn member(field: &str, value: &str) -> Result<Option<MemberId>, AppError> {
    opt_id(field, value).map(|m| m.map(MemberId))
}

/// A required member id.
pub fn required_member(field: &str, value: &str) -> Result<MemberId, AppError> {
    id(field, value).map(MemberId)
}

/// Text of at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A business idempotency key: 1..128 characters.
pub fn key(field: &str, value: &str) -> Result<String, AppError> {
    if value.trim().is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    text(field, value, 128)
}

/// Points in 1..=MAX_POINTS.
pub fn points(field: &str, value: i64) -> Result<i64, AppError> {
    if value < 1 {
        Err(AppError::invalid(field, "must be at least 1"))
    } else if value > MAX_POINTS {
        Err(AppError::invalid(
            field,
            format!("must be at most {MAX_POINTS}"),
        ))
    } else {
        Ok(value)
    }
}

/// An amount of CNY fen: required, in CNY (else CURRENCY_NOT_SUPPORTED), in `min..=MAX_FEN`.
pub fn money(field: &str, value: Option<&common::Money>, min: i64) -> Result<i64, AppError> {
    let Some(m) = value else {
        return Err(AppError::invalid(field, "required"));
    };
    if m.currency_code != "CNY" {
        return Err(AppError::CurrencyNotSupported {
            field: format!("{field}.currency_code"),
        });
    }
    if m.minor_units < min || m.minor_units > MAX_FEN {
        return Err(AppError::invalid(
            format!("{field}.minor_units"),
            format!("must be within {min}..={MAX_FEN}"),
        ));
    }
    Ok(m.minor_units)
}

/// CNY fen on the wire.
pub fn cny(fen: i64) -> Option<common::Money> {
    Some(common::Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

/// A birthday: empty, or a real date "YYYY-MM-DD" not after `today`.
pub fn birthday(field: &str, value: &str, today: NaiveDate) -> Result<String, AppError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    let bad = || AppError::InvalidBirthday {
        field: field.to_owned(),
    };
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| bad())?;
    if value.len() != 10 || date > today {
        return Err(bad());
    }
    Ok(value.to_owned())
}

/// A card number a caller supplies: 8 to 20 digits.
pub fn card_number(value: &str) -> Result<String, AppError> {
    if (8..=20).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(AppError::InvalidCardNumber("must be 8 to 20 digits".into()))
    }
}

/// An optional timestamp as epoch ms; malformed nanos are refused.
pub fn opt_time(field: &str, value: Option<&Timestamp>) -> Result<Option<i64>, AppError> {
    value
        .map(|ts| {
            siyu_proto::time::datetime(ts)
                .map(|d| d.timestamp_millis())
                .ok_or_else(|| AppError::invalid(field, "not a valid timestamp"))
        })
        .transpose()
}

/// The paths of a required, non-empty update mask.
pub fn mask(value: Option<&FieldMask>) -> Result<Vec<String>, AppError> {
    match value {
        Some(m) if !m.paths.is_empty() => Ok(m.paths.clone()),
        _ => Err(AppError::invalid("update_mask", "required")),
    }
}

/// An attribution from the wire: ids of identity entities are UUIDs, the others short text.
pub fn attribution(field: &str, a: Option<&common::Attribution>) -> Result<Attribution, AppError> {
    let Some(a) = a else {
        return Ok(Attribution::default());
    };
    let at = |name: &str| format!("{field}.{name}");
    Ok(Attribution {
        channel: a.channel,
        scene_code: text(&at("scene_code"), &a.scene_code, 64)?,
        store_id: opt_id(&at("store_id"), &a.store_id)?,
        guide_id: opt_id(&at("guide_id"), &a.guide_id)?,
        campaign_id: text(&at("campaign_id"), &a.campaign_id, 64)?,
        referrer_user_id: opt_id(&at("referrer_user_id"), &a.referrer_user_id)?,
        content_id: text(&at("content_id"), &a.content_id, 64)?,
        share_link_id: text(&at("share_link_id"), &a.share_link_id, 64)?,
    })
}

/// An attribution on the wire.
pub fn attribution_to_wire(a: &Attribution) -> common::Attribution {
    let s = |id: Option<Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
    common::Attribution {
        channel: a.channel,
        scene_code: a.scene_code.clone(),
        store_id: s(a.store_id),
        guide_id: s(a.guide_id),
        campaign_id: a.campaign_id.clone(),
        referrer_user_id: s(a.referrer_user_id),
        content_id: a.content_id.clone(),
        share_link_id: a.share_link_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays_are_real_past_dates() {
        let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        assert!(birthday("birthday", "1990-02-28", today).is_ok());
        assert!(birthday("birthday", "1990-02-30", today).is_err());
        assert!(birthday("birthday", "2030-01-01", today).is_err());
        assert!(birthday("birthday", "1990-2-3", today).is_err());
        assert_eq!(birthday("birthday", "", today).unwrap(), "");
    }

    #[test]
    fn amounts_must_be_cny_and_positive() {
        let m = |fen: i64, cur: &str| common::Money {
            minor_units: fen,
            currency_code: cur.into(),
        };
        assert_eq!(money("amount", Some(&m(100, "CNY")), 1).unwrap(), 100);
        assert!(matches!(
            money("amount", Some(&m(100, "USD")), 1),
            Err(AppError::CurrencyNotSupported { .. })
        ));
        assert!(money("amount", Some(&m(0, "CNY")), 1).is_err());
        assert!(money("amount", None, 1).is_err());
    }
}
