//! A walk over a message's protobuf wire bytes, guided by its descriptor, that checks every
//! string field (nested, repeated, map keys and values) without building the message.
//!
//! Allocation-free on the happy path: it only reads tags and lengths and looks at string
//! payloads, so screening costs a fraction of decoding (see the figures in the [`super`]
//! module documentation). It is deliberately lenient where the decoder is strict in ways that
//! do not matter here (a known field sent with another wire type is skipped like an unknown
//! one): what it refuses, the generated decoder refuses too, and what it lets through the
//! decoder still checks.

use std::collections::HashMap;

use prost_reflect::{Kind, MessageDescriptor};

use super::text::{self, TextFault};

/// How deep messages (and groups) may nest, as in prost.
const MAX_DEPTH: u32 = 100;

/// What the walk found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Finding {
    /// The bytes are not a well-formed message of this type.
    Malformed,
    /// A string field holds a refused character; `path` names the field (`lines[2].title`).
    Forbidden {
        /// The field path, proto names, repeated indexes in brackets.
        path: String,
        /// The refused character.
        character: char,
    },
}

/// The string and message fields of every message type a screen may meet, prepared once so
/// that the walk does no descriptor lookups (prost-reflect's are a SipHash map and reference
/// counting per field, which cost more than the walk itself).
#[derive(Debug, Default)]
pub(super) struct Plans {
    messages: Vec<MessagePlan>,
    by_name: HashMap<String, usize>,
}

/// One message type: its string and message fields, by number.
#[derive(Debug, Default)]
struct MessagePlan {
    fields: Vec<(u32, FieldPlan)>,
}

#[derive(Debug)]
struct FieldPlan {
    name: Box<str>,
    what: What,
    list: bool,
    map: bool,
}

#[derive(Debug, Clone, Copy)]
enum What {
    Text { identifier: bool },
    Message(usize),
}

impl Plans {
    /// The plan of `desc` (and of every message it reaches), added if new.
    pub(super) fn plan(&mut self, desc: &MessageDescriptor) -> usize {
        if let Some(id) = self.by_name.get(desc.full_name()) {
            return *id;
        }
        let id = self.messages.len();
        // Registered before its fields: recursive messages refer to themselves.
        self.messages.push(MessagePlan::default());
        self.by_name.insert(desc.full_name().to_owned(), id);
        let mut fields = Vec::new();
        for field in desc.fields() {
            let what = match field.kind() {
                Kind::String => What::Text {
                    identifier: text::is_identifier(field.name()),
                },
                Kind::Message(inner) => What::Message(self.plan(&inner)),
                _ => continue,
            };
            let plan = FieldPlan {
                name: field.name().into(),
                what,
                list: field.is_list(),
                map: field.is_map(),
            };
            fields.push((field.number(), plan));
        }
        fields.sort_by_key(|(number, _)| *number);
        self.messages[id].fields = fields;
        id
    }

    fn field(&self, message: usize, number: u32) -> Option<&FieldPlan> {
        let fields = &self.messages.get(message)?.fields;
        fields
            .binary_search_by_key(&number, |(n, _)| *n)
            .ok()
            .map(|i| &fields[i].1)
    }

    /// Checks the message of plan `id` encoded in `bytes`.
    pub(super) fn walk(&self, id: usize, bytes: &[u8]) -> Result<(), Finding> {
        self.walk_message(id, bytes, 0).map_err(Fault::into_finding)
    }

    fn walk_message(&self, id: usize, mut buf: &[u8], depth: u32) -> Result<(), Fault> {
        if depth > MAX_DEPTH {
            return Err(Fault::Malformed);
        }
        let whole = buf;
        while !buf.is_empty() {
            let (number, wire) = read_key(&mut buf)?;
            let WireType::Len = wire else {
                skip(&mut buf, wire, number, depth)?;
                continue;
            };
            let payload = read_len(&mut buf)?;
            let Some(field) = self.field(id, number) else {
                continue;
            };
            let result = match field.what {
                What::Text { identifier } => {
                    text::check(payload, identifier).map_err(|fault| match fault {
                        TextFault::NotUtf8 => Fault::Malformed,
                        TextFault::Forbidden(character) => Fault::Forbidden {
                            segments: Vec::new(),
                            character,
                        },
                    })
                }
                What::Message(inner) => self.walk_message(inner, payload, depth + 1),
            };
            if let Err(Fault::Forbidden {
                mut segments,
                character,
            }) = result
            {
                // A map entry's own `key`/`value` names add nothing a client could use.
                if field.map {
                    segments.clear();
                }
                let name = if field.list && !field.map {
                    let consumed = whole.len() - buf.len();
                    format!("{}[{}]", field.name, occurrences(whole, consumed, number))
                } else {
                    field.name.to_string()
                };
                segments.push(name);
                return Err(Fault::Forbidden {
                    segments,
                    character,
                });
            }
            result?;
        }
        Ok(())
    }
}

/// Checks the message of type `desc` encoded in `bytes` (planning it on the spot).
#[cfg(test)]
pub(super) fn walk(desc: &MessageDescriptor, bytes: &[u8]) -> Result<(), Finding> {
    let mut plans = Plans::default();
    let id = plans.plan(desc);
    plans.walk(id, bytes)
}

/// A finding on its way up: the path is collected innermost first, only on failure.
#[derive(Debug)]
enum Fault {
    Malformed,
    Forbidden {
        segments: Vec<String>,
        character: char,
    },
}

impl Fault {
    fn into_finding(self) -> Finding {
        match self {
            Self::Malformed => Finding::Malformed,
            Self::Forbidden {
                mut segments,
                character,
            } => {
                segments.reverse();
                Finding::Forbidden {
                    path: segments.join("."),
                    character,
                }
            }
        }
    }
}

/// How many length-delimited occurrences of field `number` precede the one ending at `end`
/// (the index of a repeated element; only computed on the error path).
fn occurrences(whole: &[u8], end: usize, number: u32) -> usize {
    let mut buf = &whole[..end];
    let mut seen: usize = 0;
    while !buf.is_empty() {
        let Ok((n, wire)) = read_key(&mut buf) else {
            break;
        };
        let step = match wire {
            WireType::Len => read_len(&mut buf).map(|_| ()),
            other => skip(&mut buf, other, n, 0),
        };
        if step.is_err() {
            break;
        }
        if n == number && matches!(wire, WireType::Len) {
            seen += 1;
        }
    }
    seen.saturating_sub(1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WireType {
    Varint,
    Fixed64,
    Len,
    StartGroup,
    EndGroup,
    Fixed32,
}

fn read_key(buf: &mut &[u8]) -> Result<(u32, WireType), Fault> {
    let key = read_varint(buf)?;
    let number = u32::try_from(key >> 3).map_err(|_| Fault::Malformed)?;
    if number == 0 || number > 0x1FFF_FFFF {
        return Err(Fault::Malformed);
    }
    let wire = match key & 7 {
        0 => WireType::Varint,
        1 => WireType::Fixed64,
        2 => WireType::Len,
        3 => WireType::StartGroup,
        4 => WireType::EndGroup,
        5 => WireType::Fixed32,
        _ => return Err(Fault::Malformed),
    };
    Ok((number, wire))
}

fn read_varint(buf: &mut &[u8]) -> Result<u64, Fault> {
    let mut value: u64 = 0;
    for (i, byte) in buf.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            // The tenth byte may only carry the top bit of a u64.
            if i == 9 && *byte > 1 {
                return Err(Fault::Malformed);
            }
            *buf = &buf[i + 1..];
            return Ok(value);
        }
    }
    Err(Fault::Malformed)
}

fn read_len<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], Fault> {
    let len = usize::try_from(read_varint(buf)?).map_err(|_| Fault::Malformed)?;
    if len > buf.len() {
        return Err(Fault::Malformed);
    }
    let (payload, rest) = buf.split_at(len);
    *buf = rest;
    Ok(payload)
}

fn advance(buf: &mut &[u8], n: usize) -> Result<(), Fault> {
    if n > buf.len() {
        return Err(Fault::Malformed);
    }
    *buf = &buf[n..];
    Ok(())
}

/// Skips one value of `wire` type (a whole group up to its matching end).
fn skip(buf: &mut &[u8], wire: WireType, number: u32, depth: u32) -> Result<(), Fault> {
    match wire {
        WireType::Varint => read_varint(buf).map(|_| ()),
        WireType::Fixed64 => advance(buf, 8),
        WireType::Fixed32 => advance(buf, 4),
        WireType::Len => read_len(buf).map(|_| ()),
        WireType::StartGroup => {
            if depth >= MAX_DEPTH {
                return Err(Fault::Malformed);
            }
            loop {
                let (inner, inner_wire) = read_key(buf)?;
                if inner_wire == WireType::EndGroup {
                    return if inner == number {
                        Ok(())
                    } else {
                        Err(Fault::Malformed)
                    };
                }
                skip(buf, inner_wire, inner, depth + 1)?;
            }
        }
        // An end without its start.
        WireType::EndGroup => Err(Fault::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;
    use siyu_proto::catalog::v1 as catalog;
    use siyu_proto::contract::Contract;

    use super::*;

    fn input(path: &str) -> MessageDescriptor {
        Contract::global()
            .unwrap()
            .method(path)
            .unwrap()
            .descriptor
            .input()
    }

    fn search() -> MessageDescriptor {
        input("/siyu.catalog.v1.StorefrontService/SearchProducts")
    }

    #[test]
    fn clean_messages_pass() {
        let request = catalog::SearchProductsRequest {
            query: "连衣裙 summer\tdress".into(),
            ..Default::default()
        };
        assert_eq!(walk(&search(), &request.encode_to_vec()), Ok(()));
        assert_eq!(walk(&search(), &[]), Ok(()));
    }

    #[test]
    fn a_nul_is_found_and_named() {
        let request = catalog::SearchProductsRequest {
            query: "a\u{0}b".into(),
            ..Default::default()
        };
        assert_eq!(
            walk(&search(), &request.encode_to_vec()),
            Err(Finding::Forbidden {
                path: "query".into(),
                character: '\u{0}'
            })
        );
    }

    #[test]
    fn nested_and_repeated_fields_are_named_with_their_index() {
        let desc = input("/siyu.catalog.v1.CatalogService/CreateProduct");
        let product = catalog::Product {
            title: "dress".into(),
            skus: vec![
                catalog::Sku {
                    sku_code: "ok-1".into(),
                    ..Default::default()
                },
                catalog::Sku {
                    sku_code: "bad\u{85}".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let request = catalog::CreateProductRequest {
            product: Some(product),
        };
        assert_eq!(
            walk(&desc, &request.encode_to_vec()),
            Err(Finding::Forbidden {
                path: "product.skus[1].sku_code".into(),
                character: '\u{85}'
            })
        );
    }

    #[test]
    fn broken_wire_bytes_are_malformed() {
        let desc = search();
        for bytes in [
            &[0x0a, 0x05, b'a'][..],       // length beyond the end
            &[0x0a, 0x02, 0xff, 0xfe][..], // a string that is not UTF-8
            &[0x0f][..],                   // wire type 7
            &[0x00][..],                   // field number 0
            &[0x08, 0x80][..],             // truncated varint
            &[0x0c][..],                   // end of a group never started
            &[0x0b, 0x10, 0x01][..],       // a group never ended
        ] {
            assert_eq!(walk(&desc, bytes), Err(Finding::Malformed), "{bytes:?}");
        }
        // Unknown fields of any wire type are skipped, as the decoder does.
        assert_eq!(
            walk(&desc, &[0xf8, 0x3f, 0x01, 0xfd, 0x3f, 0, 0, 0, 0]),
            Ok(())
        );
    }

    #[test]
    fn nesting_is_bounded() {
        // Field 1 of a group nested 200 deep.
        let mut bytes = Vec::new();
        for _ in 0..200 {
            bytes.push(0xfb); // field 127, start group
            bytes.push(0x07);
        }
        assert_eq!(walk(&search(), &bytes), Err(Finding::Malformed));
    }
}
