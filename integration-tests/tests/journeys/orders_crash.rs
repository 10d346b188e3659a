//! Orders killed in the middle of checkout. A second orders process — this test binary started
//! again as `child_orders_server`, on the suite's orders database and peers — takes checkouts
//! and is killed with SIGKILL a few milliseconds into each, at whatever step it reached. The
//! suite's own orders (the same database) runs the jobs: checkouts left running are found and
//! what they took is given back. Afterwards every order that exists is consistent with what is
//! held for it (stock reserved, points held), nothing is held for an order that does not exist,
//! and every order then ends paid or cancelled with everything given back.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use siyu_platform::seed::authed;
use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::checkout_service_client::CheckoutServiceClient;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tonic::transport::Channel;

use crate::catalog::product_with_stock;
use crate::member_fixtures::{balances, enrol};
use crate::orders_checkout::{available, fen, input_at, quote, shop};
use crate::support::{World, json_ok};

/// Set in the child's environment: run the orders server instead of skipping.
const CHILD: &str = "SIYU_JOURNEY_ORDERS_CHILD";

/// The child: an orders server configured from `SIYU_ORDERS__…`, printing its address, until
/// it is killed. Skipped unless started by the test below.
#[tokio::test]
#[ignore = "started as a child process by a_checkout_killed_mid_saga_leaves_nothing_held"]
async fn child_orders_server() {
    // Only the process this journey starts runs the server (its own switch, not a setting).
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let options = siyu_config::LoadOptions {
        service: "orders",
        config_dir: std::path::PathBuf::from("/nonexistent"),
        env: Some(String::new()),
        env_source: None,
    };
    let settings: siyu_orders::settings::Settings = siyu_config::load(options).unwrap();
    let app = siyu_orders::Application::build(settings).await.unwrap();
    println!("LISTENING http://{}", app.grpc_addr());
    std::future::pending::<()>().await;
}

/// Starts the child orders server on the world's database and peers; answers it and its URL.
async fn child(world: &World) -> (tokio::process::Child, String) {
    let wiring = world.suite.wiring();
    let env = [
        ("DATABASE__URL", world.databases["orders"].clone()),
        ("DATABASE__MAX_CONNECTIONS", "4".to_owned()),
        ("BUS__URL", siyu_testkit::env::nats_url()),
        ("BUS__SUBJECT_PREFIX", world.bus.subject_prefix.clone()),
        ("BUS__STREAM", world.bus.stream.clone()),
        ("CACHE__URL", "memory://".to_owned()),
        ("AUTH__JWKS_URL", wiring.jwks_url.clone()),
        ("SERVER__GRPC_ADDR", "127.0.0.1:0".to_owned()),
        ("SERVER__ADMIN_ADDR", "127.0.0.1:0".to_owned()),
        ("ORDERS__RUN_JOBS", "false".to_owned()),
        (
            "PEERS__IDENTITY_URL",
            wiring.url("identity").unwrap().to_owned(),
        ),
        (
            "PEERS__CATALOG_URL",
            wiring.url("catalog").unwrap().to_owned(),
        ),
        (
            "PEERS__MEMBERSHIP_URL",
            wiring.url("membership").unwrap().to_owned(),
        ),
        (
            "PEERS__CREDENTIAL",
            wiring.service_credential("orders").unwrap().to_owned(),
        ),
        ("WECHATPAY__API_BASE", world.sandbox.clone()),
        ("WECHATPAY__NOTIFY_BASE", world.gateway.clone()),
    ];
    let mut command = tokio::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "orders_crash::child_orders_server",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(std::env::temp_dir().join("siyu-orders-child.log")).unwrap(),
        ))
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(format!("SIYU_ORDERS__{key}"), value);
    }
    let mut process = command.spawn().unwrap();
    let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let url = tokio::time::timeout(Duration::from_secs(90), async move {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("LISTENING ") {
                return url.to_owned();
            }
            log.lock().unwrap().push(line);
        }
        panic!("the child orders server ended without listening");
    })
    .await
    .unwrap_or_else(|_| panic!("the child did not listen: {:?}", seen.lock().unwrap()));
    (process, url)
}

/// The checkout request of one unit of `sku` from `store`, points used, as gRPC.
fn checkout_request(sku: &str, store: &str, payable: i64) -> pb::CheckoutRequest {
    pb::CheckoutRequest {
        input: Some(pb::QuoteInput {
            source: Some(pb::quote_input::Source::Lines(pb::DirectLines {
                lines: vec![pb::LineInput {
                    sku_id: sku.into(),
                    quantity: 1,
                    ..Default::default()
                }],
            })),
            fulfilment: Some(pb::FulfilmentChoice {
                mode: pb::FulfilmentMode::Delivery as i32,
                store_id: store.into(),
                address: Some(siyu_proto::common::v1::Address {
                    province: "上海市".into(),
                    city: "上海市".into(),
                    detail: "南京西路1号".into(),
                    contact_name: "王小明".into(),
                    contact_phone: "13800138000".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            channel: siyu_proto::common::v1::Channel::MiniProgram as i32,
            points_to_use: 100,
            ..Default::default()
        }),
        expected_payable: Some(siyu_proto::common::v1::Money {
            minor_units: payable,
            currency_code: "CNY".into(),
        }),
        ..Default::default()
    }
}

/// (orders pending payment, units reserved for the SKU, points held) as the member sees them.
async fn state(
    world: &World,
    staff: &str,
    token: &str,
    member: &str,
    sku: &str,
    at: &str,
) -> (usize, i64, i64) {
    let mine = json_ok(world.get("/api/v1/me/orders", Some(token)).await).await;
    let pending = mine["orders"].as_array().map_or(0, |o| {
        o.iter()
            .filter(|o| o["status"] == "ORDER_STATUS_PENDING_PAYMENT")
            .count()
    });
    let reserved = 7 - available(world, staff, sku, at).await;
    let held: i64 = balances(world, staff, member).await["pointsHeld"]
        .as_str()
        .unwrap_or("0")
        .parse()
        .unwrap();
    (pending, reserved, held)
}

#[tokio::test]
async fn a_checkout_killed_mid_saga_leaves_nothing_held() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, warehouse) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let me = enrol(&world, &tenant, "crash-1").await;
    let path = format!("/admin/v1/members/{}/adjustments", me.member_id);
    let gift = json!({"points": "1000", "reason": "开业礼", "idempotencyKey": "gift-crash"});
    json_ok(world.post_json(&path, &staff, &gift).await).await;
    let want = input_at(&store, &sku, 1, &json!({"pointsToUse": "100"}));
    let payable = fen(&quote(&world, &me.token, &want).await["amounts"]["payable"]);

    // Five checkouts, each cut off by SIGKILL a little later than the one before.
    for i in 0..5u64 {
        let (mut process, url) = child(&world).await;
        let channel = Channel::from_shared(url).unwrap().connect_lazy();
        let request = authed(
            checkout_request(&sku, &store, payable),
            &me.token,
            Some(&format!("crash-{i}")),
        );
        let call =
            tokio::spawn(
                async move { CheckoutServiceClient::new(channel).checkout(request).await },
            );
        tokio::time::sleep(Duration::from_millis(5 + 25 * i)).await;
        process.start_kill().unwrap();
        process.wait().await.unwrap();
        let _ = call.await;
    }

    // The suite's orders recovers the cut-off checkouts: what is held matches the orders that
    // exist (each holds one unit and 100 points), and nothing else stays held.
    let mut last = (usize::MAX, -1, -1);
    for _ in 0..300 {
        last = state(&world, &staff, &me.token, &me.member_id, &sku, &warehouse).await;
        let (pending, reserved, held) = last;
        let settled = i64::try_from(pending).unwrap();
        if reserved == settled && held == 100 * settled {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (pending, reserved, held) = last;
    let n = i64::try_from(pending).unwrap();
    assert_eq!(
        (reserved, held),
        (n, 100 * n),
        "pending {pending}: {last:?}"
    );

    // Every order then ends: the member cancels what is unpaid, and everything is back.
    let mine = json_ok(world.get("/api/v1/me/orders", Some(&me.token)).await).await;
    for order in mine["orders"].as_array().into_iter().flatten() {
        let id = order["orderId"].as_str().unwrap();
        let path = format!("/api/v1/me/orders/{id}/cancel");
        let cancelled: Value = json_ok(world.post_json(&path, &me.token, &json!({})).await).await;
        assert_eq!(cancelled["order"]["status"], "ORDER_STATUS_CANCELLED");
    }
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 7);
    let after = balances(&world, &staff, &me.member_id).await;
    assert_eq!(after["pointsAvailable"], "1000", "{after}");
    world.stop().await;
}
