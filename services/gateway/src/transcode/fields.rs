//! Putting string values (query parameters, form fields, path parameters) into the JSON
//! object the request message is decoded from, typed by the field's descriptor.

use http::StatusCode;
use prost_reflect::{Cardinality, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value};

use crate::problem::Problem;

/// Sets the field at `key` (dotted, proto or JSON names) from a string; repeated fields
/// collect every occurrence.
pub(super) fn insert_string_field(
    desc: &MessageDescriptor,
    root: &mut Map<String, Value>,
    key: &str,
    value: String,
) -> Result<(), Problem> {
    let (field, slot) = locate(desc, root, key)?;
    let value = typed(&field, value);
    if field.cardinality() == Cardinality::Repeated && !field.is_map() {
        match slot
            .entry(field.json_name().to_owned())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(items) => items.push(value),
            _ => return Err(duplicate(key)),
        }
    } else if slot.insert(field.json_name().to_owned(), value).is_some() {
        return Err(duplicate(key));
    }
    Ok(())
}

/// Sets the field bound by a path segment; a body that sets it to something else is refused
/// rather than silently overridden.
pub(super) fn insert_path_param(
    desc: &MessageDescriptor,
    root: &mut Map<String, Value>,
    key: &str,
    value: &str,
) -> Result<(), Problem> {
    let (field, slot) = locate(desc, root, key)?;
    let wanted = typed(&field, value.to_owned());
    let existing = slot
        .remove(field.json_name())
        .or_else(|| slot.remove(field.name()));
    if let Some(existing) = existing
        && existing != wanted
        && existing.as_str() != Some(value)
    {
        return Err(Problem::bad_field(
            "PATH_BODY_MISMATCH",
            key,
            "the body sets this field to a different value than the path",
        ));
    }
    slot.insert(field.json_name().to_owned(), wanted);
    Ok(())
}

/// Finds the field at a dotted path and the JSON object that holds it, creating the
/// intermediate objects.
fn locate<'a>(
    desc: &MessageDescriptor,
    root: &'a mut Map<String, Value>,
    key: &str,
) -> Result<(FieldDescriptor, &'a mut Map<String, Value>), Problem> {
    let mut current = desc.clone();
    let mut slot = root;
    let mut parts = key.split('.').peekable();
    while let Some(name) = parts.next() {
        let field = current
            .get_field_by_name(name)
            .or_else(|| current.get_field_by_json_name(name))
            .ok_or_else(|| Problem::bad_field("UNKNOWN_FIELD", key, "unknown field"))?;
        if parts.peek().is_none() {
            if matches!(field.kind(), Kind::Message(ref m) if !is_string_like(m)) {
                return Err(Problem::bad_field(
                    "INVALID_FIELD_VALUE",
                    key,
                    "a message field cannot be set from a string; name its sub-fields",
                ));
            }
            return Ok((field, slot));
        }
        let Kind::Message(next) = field.kind() else {
            return Err(Problem::bad_field("UNKNOWN_FIELD", key, "unknown field"));
        };
        if field.cardinality() == Cardinality::Repeated {
            return Err(Problem::bad_field(
                "INVALID_FIELD_VALUE",
                key,
                "repeated messages cannot be set from the query string",
            ));
        }
        // The body may name the field by its proto name; keep one key per field.
        if let Some(value) = slot.remove(field.name()) {
            slot.insert(field.json_name().to_owned(), value);
        }
        let entry = slot
            .entry(field.json_name().to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(inner) = entry else {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD_VALUE",
                format!("{name} must be an object"),
            ));
        };
        slot = inner;
        current = next;
    }
    Err(Problem::bad_field("UNKNOWN_FIELD", key, "unknown field"))
}

/// Well-known types whose JSON form is a string (timestamps, durations, masks, wrappers).
fn is_string_like(message: &MessageDescriptor) -> bool {
    matches!(
        message.full_name(),
        "google.protobuf.Timestamp"
            | "google.protobuf.Duration"
            | "google.protobuf.FieldMask"
            | "google.protobuf.StringValue"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.BoolValue"
            | "google.protobuf.BytesValue"
            | "google.protobuf.DoubleValue"
            | "google.protobuf.FloatValue"
    )
}

/// Proto3 JSON accepts numbers as strings, so only booleans need converting; a bad value is
/// left as a string for the decoder to refuse with a precise message.
fn typed(field: &FieldDescriptor, value: String) -> Value {
    match (field.kind(), value.as_str()) {
        (Kind::Bool, "true") => Value::Bool(true),
        (Kind::Bool, "false") => Value::Bool(false),
        (Kind::Message(m), "true" | "false") if m.full_name() == "google.protobuf.BoolValue" => {
            Value::Bool(value == "true")
        }
        _ => Value::String(value),
    }
}

fn duplicate(key: &str) -> Problem {
    Problem::bad_field(
        "INVALID_FIELD_VALUE",
        key,
        "the field is given more than once",
    )
}
