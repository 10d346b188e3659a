//! What screening a request message costs next to decoding it: the descriptor-guided walk of
//! [`siyu_server::ScreenLayer`], `DynamicMessage::decode` (what a naive screen would do) and
//! the generated prost decode every handler does anyway.
//!
//! `cargo run --release -p siyu-server --example screen_cost`

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a measurement program"
)]

use std::hint::black_box;
use std::time::Instant;

use prost::Message as _;
use prost_reflect::DynamicMessage;
use siyu_proto::catalog::v1 as catalog;
use siyu_proto::contract::Contract;
use siyu_server::ScreenLayer;

const PATH: &str = "/siyu.catalog.v1.CatalogService/CreateProduct";
const ROUNDS: u32 = 500_000;

fn main() {
    let contract = Contract::global().unwrap();
    let screen = ScreenLayer::new(contract);
    let input = contract.method(PATH).unwrap().descriptor.input();
    let sku = |code: &str| catalog::Sku {
        sku_code: code.into(),
        barcode: "6901234567892".into(),
        title: "连衣裙 红色 M".into(),
        image_url: "https://img.example.com/sku/red-m.jpg".into(),
        ..Default::default()
    };
    let product = catalog::Product {
        title: "夏季新款 碎花连衣裙 收腰显瘦".into(),
        subtitle: "清凉透气 真丝面料".into(),
        category_id: "0190b1c2-0000-7000-8000-000000000001".into(),
        brand: "Siyu".into(),
        description: "面料：真丝\n洗涤：手洗\n".repeat(20),
        keywords: vec!["连衣裙".into(), "夏季".into(), "dress".into()],
        skus: vec![sku("DRESS-RED-M"), sku("DRESS-RED-L")],
        ..Default::default()
    };
    let bytes = catalog::CreateProductRequest {
        product: Some(product),
    }
    .encode_to_vec();
    let time = |name: &str, f: &dyn Fn()| {
        for _ in 0..ROUNDS / 10 {
            f();
        }
        let started = Instant::now();
        for _ in 0..ROUNDS {
            f();
        }
        let per = started.elapsed() / ROUNDS;
        println!("{name:<28} {:>8.2} µs", per.as_secs_f64() * 1e6);
    };
    println!("message: {} bytes", bytes.len());
    for _ in 0..2 {
        time("screen walk", &|| {
            screen.check(PATH, black_box(&bytes)).unwrap();
        });
        time("DynamicMessage::decode", &|| {
            black_box(DynamicMessage::decode(input.clone(), black_box(&bytes[..])).unwrap());
        });
        time("generated prost decode", &|| {
            black_box(catalog::CreateProductRequest::decode(black_box(&bytes[..])).unwrap());
        });
    }
}
