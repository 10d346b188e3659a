//! JSON Schemas of proto messages in their proto3 JSON form.

use std::collections::BTreeMap;

use prost_reflect::{Cardinality, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};

/// Named schemas collected while the document is built, one per message.
#[derive(Debug, Default)]
pub struct Schemas {
    named: BTreeMap<String, Value>,
    /// Rendering the proto-name form (OAuth replies): proto field names, 64-bit integers as
    /// numbers; such schemas are named `<message>.ProtoNames`.
    proto_names: bool,
}

impl Schemas {
    /// A `$ref` to `message`'s schema (inline for well-known types), adding it and every
    /// message it reaches.
    pub fn reference(&mut self, message: &MessageDescriptor) -> Value {
        if let Some(inline) = well_known(message) {
            return inline;
        }
        let name = if self.proto_names {
            format!("{}.ProtoNames", message.full_name())
        } else {
            message.full_name().to_owned()
        };
        if !self.named.contains_key(&name) {
            // Placeholder first: recursive messages refer to themselves.
            self.named.insert(name.clone(), Value::Null);
            let schema = self.message(message);
            self.named.insert(name.clone(), schema);
        }
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    /// A `$ref` to the schema of `message` as the OAuth routes render it: proto field names
    /// (`access_token`) and 64-bit integers as numbers (RFC 6749 §5.1, RFC 7662).
    pub fn reference_proto_names(&mut self, message: &MessageDescriptor) -> Value {
        let previous = std::mem::replace(&mut self.proto_names, true);
        let reference = self.reference(message);
        self.proto_names = previous;
        reference
    }

    /// The schema of one field.
    pub fn field(&mut self, field: &FieldDescriptor) -> Value {
        if field.is_map()
            && let Kind::Message(entry) = field.kind()
        {
            let value = entry.map_entry_value_field();
            return json!({"type": "object", "additionalProperties": self.kind(&value.kind())});
        }
        let item = self.kind(&field.kind());
        if field.cardinality() == Cardinality::Repeated {
            json!({"type": "array", "items": item})
        } else {
            item
        }
    }

    /// The collected schemas, by full message name.
    pub fn into_map(self) -> Map<String, Value> {
        self.named.into_iter().collect()
    }

    fn message(&mut self, message: &MessageDescriptor) -> Value {
        let mut properties = Map::new();
        for field in message.fields() {
            let name = if self.proto_names {
                field.name()
            } else {
                field.json_name()
            };
            properties.insert(name.to_owned(), self.field(&field));
        }
        json!({"type": "object", "properties": properties, "additionalProperties": false})
    }

    fn kind(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Double | Kind::Float => json!({"type": "number"}),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                json!({"type": "integer", "format": "int32"})
            }
            Kind::Uint32 | Kind::Fixed32 => json!({"type": "integer", "minimum": 0}),
            // Proto3 JSON writes 64-bit integers as strings (JavaScript numbers lose digits).
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64
                if self.proto_names =>
            {
                json!({"type": "integer", "format": "int64"})
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
                json!({"type": "string", "format": "int64"})
            }
            Kind::Bool => json!({"type": "boolean"}),
            Kind::String => json!({"type": "string"}),
            Kind::Bytes => json!({"type": "string", "contentEncoding": "base64"}),
            Kind::Enum(e) => {
                let names: Vec<String> = e.values().map(|v| v.name().to_owned()).collect();
                json!({"type": "string", "enum": names})
            }
            Kind::Message(m) => self.reference(m),
        }
    }
}

/// Well-known types whose JSON form is a scalar (usable as a query parameter).
pub fn is_scalar_like(message: &MessageDescriptor) -> bool {
    well_known(message)
        .is_some_and(|schema| schema["type"] != "object" && schema["type"] != "array")
        && message.full_name() != "google.protobuf.Value"
}

fn well_known(message: &MessageDescriptor) -> Option<Value> {
    Some(match message.full_name() {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => json!({"type": "string", "examples": ["1.5s"]}),
        "google.protobuf.FieldMask" => {
            json!({"type": "string", "examples": ["name,profile.nickname"]})
        }
        "google.protobuf.Empty" => json!({"type": "object"}),
        "google.protobuf.Struct" | "google.protobuf.Any" => json!({"type": "object"}),
        "google.protobuf.ListValue" => json!({"type": "array"}),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.StringValue" | "google.protobuf.BytesValue" => {
            json!({"type": ["string", "null"]})
        }
        "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" => {
            json!({"type": ["string", "null"]})
        }
        "google.protobuf.Int32Value" | "google.protobuf.UInt32Value" => {
            json!({"type": ["integer", "null"]})
        }
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => {
            json!({"type": ["number", "null"]})
        }
        "google.protobuf.BoolValue" => json!({"type": ["boolean", "null"]}),
        _ => return None,
    })
}
