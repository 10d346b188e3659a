//! Which field of a JSON request holds an integer its type cannot hold: the descriptor-driven
//! decoder only says "out of range integral type conversion attempted", which a client cannot
//! act on.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::Value;

/// The proto path (`page.page_size`, `lines[2].quantity`) of the first integer field whose
/// value is out of its type's range, and that type.
pub(super) fn out_of_range(
    desc: &MessageDescriptor,
    value: &Value,
) -> Option<(String, &'static str)> {
    let Value::Object(object) = value else {
        return None;
    };
    for (key, value) in object {
        let Some(field) = desc
            .get_field_by_json_name(key)
            .or_else(|| desc.get_field_by_name(key))
        else {
            continue;
        };
        let found = match value {
            Value::Array(items) if field.is_list() => {
                items.iter().enumerate().find_map(|(i, item)| {
                    check(&field, item).map(|(path, kind)| (indexed(&field, i, &path), kind))
                })
            }
            _ if field.is_map() => None,
            _ => check(&field, value).map(|(path, kind)| (joined(field.name(), &path), kind)),
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The offending sub-path ("" for the value itself) of one value of `field`.
fn check(field: &FieldDescriptor, value: &Value) -> Option<(String, &'static str)> {
    let (min, max, name): (i128, i128, &'static str) = match field.kind() {
        Kind::Message(inner) => return out_of_range(&inner, value),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => (i32::MIN.into(), i32::MAX.into(), "int32"),
        Kind::Uint32 | Kind::Fixed32 => (0, u32::MAX.into(), "uint32"),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => (i64::MIN.into(), i64::MAX.into(), "int64"),
        Kind::Uint64 | Kind::Fixed64 => (0, u64::MAX.into(), "uint64"),
        _ => return None,
    };
    let number = match value {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| n.as_f64().map(|f| f as i128)),
        Value::String(s) => s.trim().parse::<i128>().ok(),
        _ => None,
    }?;
    (number < min || number > max).then(|| (String::new(), name))
}

fn joined(name: &str, rest: &str) -> String {
    if rest.is_empty() {
        name.to_owned()
    } else {
        format!("{name}.{rest}")
    }
}

fn indexed(field: &FieldDescriptor, index: usize, rest: &str) -> String {
    joined(&format!("{}[{index}]", field.name()), rest)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn desc(name: &str) -> MessageDescriptor {
        siyu_proto::contract::Contract::global()
            .unwrap()
            .pool()
            .get_message_by_name(name)
            .unwrap()
    }

    #[test]
    fn the_field_out_of_range_is_named() {
        let list = desc("siyu.identity.v1.ListOrgChildrenRequest");
        let value = json!({"page": {"pageSize": 4_294_967_296_u64}});
        assert_eq!(
            out_of_range(&list, &value),
            Some(("page.page_size".to_owned(), "int32"))
        );
        assert_eq!(
            out_of_range(&list, &json!({"page": {"pageSize": 20}})),
            None
        );
        let stores = desc("siyu.identity.v1.ListStoresRequest");
        assert_eq!(
            out_of_range(&stores, &json!({"radius_meters": "-2147483649"})),
            Some(("radius_meters".to_owned(), "int32"))
        );
    }
}
