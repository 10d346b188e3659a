//! Hostile gRPC payloads per method, from the contract: random bytes, and well-shaped messages
//! (every field of the input set once) mutated — bytes flipped, cut, spliced, strings laced
//! with control characters. Seeded, so a failure names a payload that replays.
//!
//! Shared by the servers' fuzz tests (`#[path]`-included): siyu-server's own layers, identity
//! and catalog.

use std::time::Duration;

use prost::bytes::{Buf as _, BufMut as _, Bytes};
use siyu_proto::contract::MethodContract;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Code, Status};

/// A small deterministic generator (xorshift64*): the same seed, the same payloads.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced: xorshift needs a non-zero state).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Strings that must never reach a database.
const HOSTILE: [&[u8]; 6] = [
    b"de\x00mo",
    b"\xc2\x85next",
    b"\xef\xbf\xbe",
    b"\x1b[31m",
    b"\xff\xfe",
    b"\xed\xa0\x80",
];

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn len_field(out: &mut Vec<u8>, number: u32, payload: &[u8]) {
    varint(out, u64::from(number) << 3 | 2);
    varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// A message with every field of the method's input set once: length-delimited text for
/// strings, bytes and messages (an empty message for message fields), a varint otherwise.
fn shaped(method: &MethodContract, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for field in method.descriptor.input().fields() {
        let number = field.number();
        if field.kind().as_message().is_some() {
            len_field(&mut out, number, &[]);
        } else if rng.below(2) == 0 {
            let text = if rng.below(3) == 0 {
                HOSTILE[rng.below(HOSTILE.len())]
            } else {
                b"0190b1c2-0000-7000-8000-000000000001"
            };
            len_field(&mut out, number, text);
        } else {
            varint(&mut out, u64::from(number) << 3);
            varint(&mut out, rng.next() >> rng.below(64));
        }
    }
    out
}

/// `count` hostile payloads for `method`.
pub fn payloads(method: &MethodContract, rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| match i % 4 {
            0 => (0..rng.below(48)).map(|_| rng.next() as u8).collect(),
            1 => shaped(method, rng),
            _ => {
                let mut bytes = shaped(method, rng);
                for _ in 0..=rng.below(4) {
                    if bytes.is_empty() {
                        break;
                    }
                    let at = rng.below(bytes.len());
                    match rng.below(3) {
                        0 => bytes[at] = rng.next() as u8,
                        1 => bytes.truncate(at),
                        _ => bytes.insert(at, rng.next() as u8),
                    }
                }
                bytes
            }
        })
        .collect()
}

/// Calls `path` with `payload` as the message bytes, optionally with a bearer token.
pub async fn call_raw(
    channel: Channel,
    path: &str,
    payload: Vec<u8>,
    token: Option<&str>,
) -> Result<Bytes, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = tonic::Request::new(Bytes::from(payload));
    request.set_timeout(Duration::from_secs(10));
    if let Some(token) = token {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::internal("bad token"))?;
        request.metadata_mut().insert("authorization", value);
    }
    let path = path.parse().map_err(|_| Status::internal("bad path"))?;
    grpc.unary(request, path, RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

/// The codes a hostile payload must never produce: the server's own failures.
pub fn is_server_fault(code: Code) -> bool {
    matches!(code, Code::Internal | Code::Unknown | Code::DataLoss)
}

/// Message bytes in and out, unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Self;
    type Decoder = Self;

    fn encoder(&mut self) -> Self {
        Self
    }

    fn decoder(&mut self) -> Self {
        Self
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
