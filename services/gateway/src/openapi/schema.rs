//! JSON Schemas of proto messages in their proto3 JSON form, described by the contract's
//! comments and constrained as the comments state (see `constraints`).

use std::collections::{BTreeMap, HashSet};

use prost_reflect::{Cardinality, EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};

use super::comments::Comments;
use super::constraints;

/// Named schemas collected while the document is built, one per message and enum.
#[derive(Debug)]
pub struct Schemas<'a> {
    named: BTreeMap<String, Value>,
    /// Rendering the proto-name form (OAuth replies): proto field names, 64-bit integers as
    /// numbers; such schemas are named `<message>.ProtoNames`.
    proto_names: bool,
    comments: &'a Comments,
    /// Messages no reply contains: their `required` fields and secrets are marked as such
    /// (a reply omits proto3 defaults, so `required` there would be false).
    request_only: &'a HashSet<String>,
}

impl<'a> Schemas<'a> {
    /// Schemas described by `comments`; `request_only` names the messages no reply contains.
    pub fn new(comments: &'a Comments, request_only: &'a HashSet<String>) -> Self {
        Self {
            named: BTreeMap::new(),
            proto_names: false,
            comments,
            request_only,
        }
    }

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

    /// The schema of one field, with its comment as description and its constraints.
    pub fn field(&mut self, field: &FieldDescriptor) -> Value {
        let mut schema = self.bare_field(field);
        let comment = self.comments.field(field).unwrap_or_default();
        let request_only = self
            .request_only
            .contains(field.parent_message().full_name());
        constraints::apply(field, comment, request_only, &mut schema);
        if !comment.is_empty()
            && let Value::Object(map) = &mut schema
        {
            map.insert("description".into(), Value::String(comment.to_owned()));
        }
        schema
    }

    fn bare_field(&mut self, field: &FieldDescriptor) -> Value {
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
        let request_only = self.request_only.contains(message.full_name());
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in message.fields() {
            let name = self.name_of(&field);
            if request_only
                && field.containing_oneof().is_none()
                && constraints::is_required(self.comments.field(&field).unwrap_or_default())
            {
                required.push(Value::String(name.clone()));
            }
            properties.insert(name, self.field(&field));
        }
        let mut schema =
            json!({"type": "object", "properties": properties, "additionalProperties": false});
        if let Some(comment) = self.comments.message(message) {
            schema["description"] = Value::String(comment.to_owned());
        }
        if !required.is_empty() {
            schema["required"] = Value::Array(required);
        }
        // A oneof: at most one member present (proto3 JSON writes the one that is set).
        let mut all_of = Vec::new();
        for oneof in message.oneofs().filter(|o| !o.is_synthetic()) {
            let members: Vec<Value> = oneof
                .fields()
                .map(|f| json!({"required": [self.name_of(&f)]}))
                .collect();
            let mut branches = members.clone();
            branches.push(json!({"not": {"anyOf": members}}));
            all_of.push(json!({"oneOf": branches, "description": format!("`{}`: at most one of these fields.", oneof.name())}));
        }
        if !all_of.is_empty() {
            schema["allOf"] = Value::Array(all_of);
        }
        schema
    }

    fn name_of(&self, field: &FieldDescriptor) -> String {
        if self.proto_names {
            field.name().to_owned()
        } else {
            field.json_name().to_owned()
        }
    }

    /// A `$ref` to an enum's schema: its value names, each described.
    fn enumeration(&mut self, e: &EnumDescriptor) -> Value {
        let name = e.full_name().to_owned();
        if !self.named.contains_key(&name) {
            let names: Vec<String> = e.values().map(|v| v.name().to_owned()).collect();
            let mut description = self
                .comments
                .enumeration(e)
                .map(|c| format!("{c}\n\n"))
                .unwrap_or_default();
            for value in e.values() {
                let text = self.comments.enum_value(&value).unwrap_or_default();
                description.push_str(&format!(
                    "- `{}`: {}\n",
                    value.name(),
                    text.replace('\n', " ")
                ));
            }
            self.named.insert(
                name.clone(),
                json!({"type": "string", "enum": names, "description": description.trim_end()}),
            );
        }
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    fn kind(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Double | Kind::Float => json!({"type": "number"}),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                json!({"type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX})
            }
            Kind::Uint32 | Kind::Fixed32 => {
                json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": u32::MAX})
            }
            // Proto3 JSON writes 64-bit integers as strings (JavaScript numbers lose digits).
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64
                if self.proto_names =>
            {
                json!({"type": "integer", "format": "int64"})
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                json!({"type": "string", "format": "int64", "pattern": "^-?[0-9]{1,19}$", "examples": ["1000"]})
            }
            Kind::Uint64 | Kind::Fixed64 => {
                json!({"type": "string", "format": "uint64", "pattern": "^[0-9]{1,20}$", "examples": ["1000"]})
            }
            Kind::Bool => json!({"type": "boolean"}),
            Kind::String => json!({"type": "string"}),
            Kind::Bytes => json!({"type": "string", "contentEncoding": "base64"}),
            Kind::Enum(e) => self.enumeration(e),
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
        "google.protobuf.Timestamp" => {
            json!({"type": "string", "format": "date-time", "examples": ["2026-12-07T08:00:00Z"]})
        }
        "google.protobuf.Duration" => {
            json!({"type": "string", "pattern": "^-?[0-9]{1,12}(\\.[0-9]{1,9})?s$", "examples": ["1.5s"]})
        }
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
