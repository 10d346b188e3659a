//! Conversions between `google.protobuf.Timestamp` and the times services keep: UTC
//! date-times (`chrono`) and epoch milliseconds.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;

/// The timestamp of a UTC date-time (nanosecond precision).
pub fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// The timestamp of epoch milliseconds (negative values are before 1970).
pub fn timestamp_ms(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// The UTC date-time of a timestamp; `None` when it is out of range or its nanos are invalid.
pub fn datetime(ts: &Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(ts.nanos)
        .ok()
        .filter(|n| *n < 1_000_000_000)?;
    DateTime::from_timestamp(ts.seconds, nanos)
}

/// Epoch milliseconds of a timestamp (sub-millisecond digits dropped, saturating).
pub fn millis(ts: &Timestamp) -> i64 {
    ts.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(ts.nanos / 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_round_trip_including_before_the_epoch() {
        for ms in [0, 1, 999, 1_700_000_000_123, -1, -1001] {
            assert_eq!(millis(&timestamp_ms(ms)), ms);
        }
        assert_eq!(timestamp_ms(-1).seconds, -1);
        assert_eq!(timestamp_ms(-1).nanos, 999_000_000);
    }

    #[test]
    fn date_times_round_trip_and_bad_nanos_are_refused() {
        let at = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(datetime(&timestamp(at)), Some(at));
        let bad = Timestamp {
            seconds: 0,
            nanos: -5,
        };
        assert_eq!(datetime(&bad), None);
    }
}
