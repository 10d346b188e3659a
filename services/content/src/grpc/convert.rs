//! Content items, versions, slots and placements on the wire, both ways (`contents`, `slots`).
//! Decoding validates every field against the contract's limits and collects all violations of
//! a request at once; the markdown body is checked last, with its own reasons
//! (CONTENT_TOO_LARGE, CONTENT_REJECTED).

use siyu_proto::content::v1 as pb;
use siyu_proto::time::{millis, timestamp_ms};
use uuid::Uuid;

use crate::AppError;
use crate::app::contents::markdown;
use crate::app::contents::model::Audience;

mod contents;
mod slots;

pub use contents::*;
pub use slots::*;

/// Field violations collected while decoding one request.
#[derive(Debug, Default)]
pub struct Check(Vec<(String, String)>);

impl Check {
    /// Records a violation.
    pub fn bad(&mut self, field: impl Into<String>, why: impl Into<String>) {
        self.0.push((field.into(), why.into()));
    }

    /// A string of `min..=max` characters (trimmed for the minimum).
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let n = value.chars().count();
        if min > 0 && value.trim().is_empty() {
            self.bad(field, "required");
        } else if n > max {
            self.bad(field, format!("at most {max} characters"));
        } else if n < min {
            self.bad(field, format!("at least {min} characters"));
        }
        value.to_owned()
    }

    /// An https URL (`required` or empty) of at most 1024 characters.
    pub fn https(&mut self, field: &str, value: &str, required: bool) -> String {
        if value.is_empty() {
            if required {
                self.bad(field, "required");
            }
        } else if value.len() > 1024 {
            self.bad(field, "at most 1024 characters");
        } else if !markdown::is_https(value) {
            self.bad(field, "must be an https URL");
        }
        value.to_owned()
    }

    /// Ids of at most `max`, each a UUID, duplicates dropped.
    pub fn ids(&mut self, field: &str, values: &[String], max: usize) -> Vec<Uuid> {
        if values.len() > max {
            self.bad(field, format!("at most {max}"));
            return Vec::new();
        }
        let mut out = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            match Uuid::parse_str(v) {
                Ok(id) if !out.contains(&id) => out.push(id),
                Ok(_) => {}
                Err(_) => self.bad(format!("{field}[{i}]"), "must be a UUID"),
            }
        }
        out
    }

    /// An optional id (empty: none).
    pub fn opt_id(&mut self, field: &str, value: &str) -> Option<Uuid> {
        if value.is_empty() {
            return None;
        }
        Uuid::parse_str(value)
            .map_err(|_| self.bad(field, "must be a UUID"))
            .ok()
    }

    /// The violations, as an error when there are any.
    pub fn done(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::InvalidInput(self.0))
        }
    }
}

pub(super) fn ts(ms: Option<i64>) -> Option<prost_types::Timestamp> {
    ms.map(timestamp_ms)
}

/// Milliseconds of an optional timestamp.
pub fn opt_millis(t: Option<&prost_types::Timestamp>) -> Option<i64> {
    t.map(millis)
}

/// An audience (`field` its path).
pub fn audience(c: &mut Check, field: &str, a: Option<&pb::Audience>) -> Audience {
    let Some(a) = a else {
        return Audience::default();
    };
    Audience {
        org_unit_ids: c.ids(&format!("{field}.org_unit_ids"), &a.org_unit_ids, 100),
        segment_ids: c.ids(&format!("{field}.segment_ids"), &a.segment_ids, 20),
    }
}

/// An audience on the wire.
pub(super) fn wire_audience(a: &Audience) -> pb::Audience {
    pb::Audience {
        org_unit_ids: a.org_unit_ids.iter().map(ToString::to_string).collect(),
        segment_ids: a.segment_ids.iter().map(ToString::to_string).collect(),
    }
}
