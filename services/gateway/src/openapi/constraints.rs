//! Constraints of a field as its contract comment states them and the service enforces them:
//! lengths (`1..60 chars`, `up to 200 chars`), ranges (`1..200`, `>= 0`, `at most 200`), list
//! sizes (`up to 100 ids`), output-only fields (`Output only.`, `computed`), required request
//! fields (`required;`) and secrets sent but never shown (passwords, one-time codes).
//!
//! The comments are the contract every service's `TryFrom` parsing follows; reading them
//! keeps one source for people and tools (see the README for why not `buf.validate`).

use prost_reflect::{Cardinality, FieldDescriptor, Kind};
use serde_json::{Map, Value, json};

/// Field names whose values a caller sends and the services never answer with.
const SECRETS: &[&str] = &[
    "password",
    "current_password",
    "new_password",
    "initial_password",
    "admin_initial_password",
    "otp",
    "app_secret",
    "api_v3_key",
    "private_key_pem",
];

/// Entities whose ids are UUIDv7 strings (`siyu_core::id`): a field named `<entity>_id(s)`,
/// possibly with a role before it (`home_store_id`, `verified_by_staff_id`), holds one.
const UUID_ENTITIES: &[&str] = &[
    "tenant",
    "org_unit",
    "user",
    "member",
    "staff",
    "guide",
    "store",
    "location",
    "category",
    "product",
    "sku",
    "order",
    "refund",
    "payment",
    "coupon",
    "template",
    "pack",
    "segment",
    "tag",
    "campaign",
    "content",
    "plan",
    "transfer",
    "flash_sale",
    "reservation",
    "rule",
    "client",
    "merge",
    "snapshot",
    "lot",
    "hold",
    "after_sale",
    "notification",
    "grant",
    "share_link",
    "withdrawal",
    "export",
];

/// Prefixes of ids that belong to another system (WeChat, WeCom, the PSP), not UUIDs.
const FOREIGN_PREFIXES: &[&str] = &["wechat", "wecom", "psp", "provider", "external"];

/// Whether a string field holds one of the suite's UUIDv7 ids.
fn is_uuid_field(name: &str) -> bool {
    let stem = name
        .strip_suffix("_ids")
        .or_else(|| name.strip_suffix("_id"))
        .unwrap_or_default();
    !stem.is_empty()
        && !FOREIGN_PREFIXES.iter().any(|p| name.starts_with(p))
        && UUID_ENTITIES
            .iter()
            .any(|e| stem == *e || stem.ends_with(&format!("_{e}")))
}

/// Adds what `comment` states about `field` to its `schema` (an object; a `$ref` schema only
/// gets the annotations). `request_only`: the message is never part of a reply, so secrets
/// are `writeOnly`.
pub fn apply(field: &FieldDescriptor, comment: &str, request_only: bool, schema: &mut Value) {
    let Value::Object(target) = schema else {
        return;
    };
    let text = comment.replace('\n', " ");
    if is_output_only(&text) {
        target.insert("readOnly".into(), Value::Bool(true));
    }
    if request_only && SECRETS.contains(&field.name()) {
        target.insert("writeOnly".into(), Value::Bool(true));
    }
    if field.is_map() {
        return;
    }
    let repeated = field.cardinality() == Cardinality::Repeated;
    if field.kind() == Kind::String && is_uuid_field(field.name()) {
        let target = match target.get_mut("items") {
            Some(Value::Object(items)) if repeated => items,
            _ => &mut *target,
        };
        target.insert("format".into(), Value::String("uuid".into()));
        // An example a generator can copy: ids are UUIDs, v7 as `siyu_core::id` makes them.
        target.insert(
            "examples".into(),
            json!(["0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"]),
        );
    }
    if repeated {
        if let Some(max) = count_after(&text, &["up to", "at most"], &["ids", "items", "entries"]) {
            target.insert("maxItems".into(), json!(max));
        }
        if let Some(Value::Object(items)) = target.get_mut("items") {
            bounds(&field.kind(), &text, items);
        }
    } else {
        bounds(&field.kind(), &text, target);
    }
}

/// Whether the field comment makes it required (`Why; required; recorded …`), as opposed to
/// required only sometimes (`required for STORE`, `Required on create`).
pub fn is_required(comment: &str) -> bool {
    let text = comment.replace('\n', " ");
    ["required", "Required"].iter().any(|word| {
        text.match_indices(word).any(|(at, _)| {
            let before = text[..at].chars().last();
            let after = text[at + word.len()..].chars().next();
            before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '`'))
                && matches!(after, None | Some(';' | ',' | '.'))
        })
    })
}

fn is_output_only(text: &str) -> bool {
    text.starts_with("Output only")
        || text.contains("(computed)")
        || text.contains(", computed")
        || text.contains("output only")
}

fn bounds(kind: &Kind, text: &str, target: &mut Map<String, Value>) {
    match kind {
        Kind::String => {
            let units = ["chars", "characters"];
            if let Some((min, max)) = range_before(text, &units) {
                target.insert("minLength".into(), json!(min));
                target.insert("maxLength".into(), json!(max));
            } else if let Some(max) = count_after(text, &["up to", "at most"], &units) {
                target.insert("maxLength".into(), json!(max));
            }
        }
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => {
            if let Some((min, max)) = range_before(text, &[]) {
                target.insert("minimum".into(), json!(min));
                target.insert("maximum".into(), json!(max));
                return;
            }
            if text.contains(">= 0") {
                target.insert("minimum".into(), json!(0));
            } else if text.contains("> 0") || text.contains(">= 1") {
                target.insert("minimum".into(), json!(1));
            }
            if let Some(max) = count_after(text, &["at most"], &[]) {
                target.insert("maximum".into(), json!(max));
            }
        }
        _ => {}
    }
}

/// `N..M` followed by one of `units` (or, with no units, by anything but a letter).
fn range_before(text: &str, units: &[&str]) -> Option<(u64, u64)> {
    for (at, _) in text.match_indices("..") {
        let min = digits_before(&text[..at])?;
        let rest = &text[at + 2..];
        let (max, end) = number_at(rest);
        let Some(max) = max else {
            continue;
        };
        let tail = rest[end..].trim_start();
        let unit_ok = if units.is_empty() {
            let after = &rest[end..];
            !after.starts_with(|c: char| c.is_alphanumeric())
                && !after
                    .strip_prefix('.')
                    .is_some_and(|a| a.starts_with(|c: char| c.is_ascii_digit()))
                && !units_follow(tail)
        } else {
            units.iter().any(|u| tail.starts_with(u))
        };
        if unit_ok && min <= max {
            return Some((min, max));
        }
    }
    None
}

/// The number `text` starts with, thousands separators allowed (`86,400`; `30, default` is 30),
/// and where it ends.
fn number_at(text: &str) -> (Option<u64>, usize) {
    let bytes = text.as_bytes();
    let mut digits = String::new();
    let mut end = 0;
    while let Some(&c) = bytes.get(end) {
        let separator =
            c == b',' && !digits.is_empty() && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
        if c.is_ascii_digit() {
            digits.push(char::from(c));
        } else if !separator {
            break;
        }
        end += 1;
    }
    (digits.parse().ok(), end)
}

fn units_follow(tail: &str) -> bool {
    [
        "chars",
        "characters",
        "bytes",
        "items",
        "ids",
        "entries",
        "days",
        "%",
    ]
    .iter()
    .any(|u| tail.starts_with(u))
}

fn digits_before(text: &str) -> Option<u64> {
    let start = text
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    text[start..].parse().ok()
}

/// `<lead> N <unit>` (or, with no units, `<lead> N` not followed by a unit).
fn count_after(text: &str, leads: &[&str], units: &[&str]) -> Option<u64> {
    for lead in leads {
        for (at, _) in text.match_indices(lead) {
            let rest = text[at + lead.len()..].trim_start();
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let Ok(n) = rest[..end].parse::<u64>() else {
                continue;
            };
            let tail = rest[end..].trim_start();
            let unit_ok = if units.is_empty() {
                !units_follow(tail)
            } else {
                units.iter().any(|u| tail.starts_with(u))
            };
            if unit_ok {
                return Some(n);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_ranges_come_from_the_comment() {
        assert_eq!(
            range_before("Title, 1..60 chars (searched).", &["chars"]),
            Some((1, 60))
        );
        assert_eq!(range_before("Quantity, 1..999.", &[]), Some((1, 999)));
        assert_eq!(
            range_before("Seconds, 60..86,400. Default 900.", &[]),
            Some((60, 86_400))
        );
        assert_eq!(range_before("Days, 1..30, default 7.", &[]), Some((1, 30)));
        assert_eq!(range_before("Title, 1..60 chars.", &[]), None);
        assert_eq!(
            count_after("Note, up to 200 chars.", &["up to"], &["chars"]),
            Some(200)
        );
        assert_eq!(
            count_after("0 means 20; at most 200.", &["at most"], &[]),
            Some(200)
        );
        assert_eq!(count_after("at most 200 chars", &["at most"], &[]), None);
    }

    #[test]
    fn suite_ids_are_uuids_and_foreign_ids_are_not() {
        for name in [
            "member_id",
            "home_store_id",
            "verified_by_staff_id",
            "sku_ids",
            "client_id",
        ] {
            assert!(is_uuid_field(name), "{name}");
        }
        for name in [
            "app_id",
            "wechat_template_id",
            "external_user_id",
            "psp_refund_id",
            "trace_id",
            "id",
        ] {
            assert!(!is_uuid_field(name), "{name}");
        }
    }

    #[test]
    fn required_means_always_required() {
        assert!(is_required("Why; required; recorded in the audit log."));
        assert!(is_required(
            "Why the full number is needed; required, 4..200 chars."
        ));
        assert!(!is_required("Note (required for OTHER)."));
        assert!(!is_required("Required on create; immutable."));
        assert!(!is_required(
            "Whether the next login must change the password (`password_change_required`)."
        ));
    }
}
