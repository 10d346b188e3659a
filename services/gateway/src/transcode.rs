//! REST ↔ gRPC message transcoding with the embedded descriptors: the JSON body (or form, or
//! query string) plus path parameters become the request message; the response message
//! becomes canonical proto3 JSON.

mod fields;
mod range;

use bytes::Bytes;
use http::StatusCode;
use prost::Message as _;
use prost_reflect::{DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::{Map, Value};

use crate::problem::Problem;
use crate::routes::table::CompiledRoute;
use crate::routes::{Body, RawBinding};

use self::fields::{insert_path_param, insert_string_field};

/// What the request carried besides the path.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// No body (or an empty one).
    Empty,
    /// An `application/json` body.
    Json(&'a [u8]),
    /// An `application/x-www-form-urlencoded` body (OAuth routes only).
    Form(&'a [u8]),
}

/// Builds and encodes the request message of `route`.
///
/// Unknown fields are refused (a typo must not be silently dropped), as are query parameters
/// on body routes and bodies on query routes.
pub fn encode_request(
    route: &CompiledRoute,
    path_params: &[(&'static str, String)],
    query: Option<&str>,
    payload: Payload<'_>,
    extra_fields: &[(&str, String)],
) -> Result<Bytes, Problem> {
    let input = route.method.input();
    let mut root = Map::new();
    let query = query.filter(|q| !q.is_empty());
    match (route.route.body, payload) {
        (Body::All, Payload::Json(bytes)) => root = parse_json_object(bytes)?,
        (Body::All, Payload::Form(bytes)) => {
            for (key, value) in parse_pairs(bytes)? {
                insert_string_field(&input, &mut root, &key, value)?;
            }
        }
        (Body::All, Payload::Empty) | (Body::None, Payload::Empty) => {}
        (Body::None, Payload::Json(_) | Payload::Form(_)) => {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "BODY_NOT_ALLOWED",
                "this route takes no body; send fields as query parameters",
            ));
        }
        // Raw routes are built by `encode_raw`; the handler never sends them here.
        (Body::Raw(_), _) => return Err(Problem::internal()),
    }
    if let Some(query) = query {
        if route.route.body == Body::All {
            return Err(Problem::bad_field(
                "UNKNOWN_FIELD",
                query.split(['=', '&']).next().unwrap_or_default(),
                "query parameters are not accepted on this route; send fields in the body",
            ));
        }
        for (key, value) in parse_pairs(query.as_bytes())? {
            insert_string_field(&input, &mut root, &key, value)?;
        }
    }
    for (key, value) in extra_fields {
        insert_string_field(&input, &mut root, key, value.clone())?;
    }
    for (field, value) in path_params {
        insert_path_param(&input, &mut root, field, value)?;
    }
    let message = decode_json(input, Value::Object(root))?;
    Ok(Bytes::from(message.encode_to_vec()))
}

/// Builds and encodes the request message of a raw route: the path parameters, the named
/// headers (absent headers leave their fields empty) and the body bytes, untouched.
pub fn encode_raw(
    route: &CompiledRoute,
    raw: &RawBinding,
    path_params: &[(&'static str, String)],
    headers: &http::HeaderMap,
    body: Bytes,
) -> Result<Bytes, Problem> {
    let input = route.method.input();
    let mut message = DynamicMessage::new(input.clone());
    let mut set = |field: &str, value: prost_reflect::Value| {
        let Some(desc) = input.get_field_by_name(field) else {
            // The table was compiled against these descriptors; a miss is a bug.
            tracing::error!(field, "raw route names a field its message lacks");
            return Err(Problem::internal());
        };
        message.set_field(&desc, value);
        Ok(())
    };
    for (field, value) in path_params {
        set(field, prost_reflect::Value::String(value.clone()))?;
    }
    for (header, field) in raw.headers {
        if let Some(value) = headers.get(*header) {
            let value = value.to_str().map_err(|_| {
                Problem::bad_field("MALFORMED_HEADER", header, "must be visible ASCII")
            })?;
            set(field, prost_reflect::Value::String(value.to_owned()))?;
        }
    }
    set(raw.body_field, prost_reflect::Value::Bytes(body))?;
    Ok(Bytes::from(message.encode_to_vec()))
}

/// The response message as canonical proto3 JSON (lowerCamelCase names, 64-bit integers as
/// strings, default values omitted). `proto_names` keeps the proto field names instead, as
/// RFC 6749 and RFC 7662 require for the token endpoints (`access_token`, `expires_in`).
pub fn response_json(
    desc: MessageDescriptor,
    bytes: &[u8],
    proto_names: bool,
) -> Result<Vec<u8>, Problem> {
    let message = DynamicMessage::decode(desc, bytes).map_err(|err| {
        tracing::error!(error = %err, "upstream reply does not decode with its descriptor");
        bad_gateway()
    })?;
    let options = SerializeOptions::new()
        .use_proto_field_name(proto_names)
        .stringify_64_bit_integers(!proto_names);
    let rendering_failed = |err: serde_json::Error| {
        tracing::error!(error = %err, "upstream reply does not render as JSON");
        bad_gateway()
    };
    if proto_names {
        let mut value = message
            .serialize_with_options(serde_json::value::Serializer, &options)
            .map_err(rendering_failed)?;
        explicit_booleans(
            &prost_reflect::ReflectMessage::descriptor(&message),
            &mut value,
        );
        return serde_json::to_vec(&value).map_err(rendering_failed);
    }
    let mut out = serde_json::Serializer::new(Vec::with_capacity(bytes.len() * 2));
    message
        .serialize_with_options(&mut out, &options)
        .map_err(rendering_failed)?;
    Ok(out.into_inner())
}

/// Writes the message's top-level booleans even when false: proto3 JSON omits defaults, but
/// RFC 7662 requires `"active": false` for a token that is not active (an empty object is
/// not an introspection answer).
fn explicit_booleans(desc: &MessageDescriptor, value: &mut Value) {
    let Value::Object(object) = value else {
        return;
    };
    for field in desc.fields() {
        if field.kind() == prost_reflect::Kind::Bool && !field.is_list() {
            object
                .entry(field.name().to_owned())
                .or_insert(Value::Bool(false));
        }
    }
}

fn bad_gateway() -> Problem {
    Problem::new(
        StatusCode::BAD_GATEWAY,
        "UPSTREAM_BAD_RESPONSE",
        "the service answered something the gateway cannot read",
    )
}

fn parse_json_object(bytes: &[u8]) -> Result<Map<String, Value>, Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED_JSON",
            "the body must be a JSON object",
        )),
        Err(err) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED_JSON",
            format!("the body is not valid JSON: {err}"),
        )),
    }
}

fn parse_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, Problem> {
    serde_urlencoded::from_bytes(bytes).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED_QUERY",
            "the form or query string is not valid URL encoding",
        )
    })
}

fn decode_json(desc: MessageDescriptor, value: Value) -> Result<DynamicMessage, Problem> {
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    DynamicMessage::deserialize_with_options(desc.clone(), &value, &options).map_err(|err| {
        let text = err.to_string();
        if let Some(field) = text
            .strip_prefix("unrecognized field name '")
            .and_then(|rest| rest.split('\'').next())
        {
            return Problem::bad_field("UNKNOWN_FIELD", field, "unknown field");
        }
        // The decoder's range error names no field; find it.
        match range::out_of_range(&desc, &value) {
            Some((field, kind)) => Problem::bad_field(
                "INVALID_FIELD_VALUE",
                &field,
                format!("out of range for {kind}"),
            ),
            None => Problem::new(StatusCode::BAD_REQUEST, "INVALID_FIELD_VALUE", text),
        }
    })
}
