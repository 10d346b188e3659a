//! Embedded mode end to end: `siyu dev` started in-process on SQLite files and `memory://`,
//! the three logins through the gateway's HTTP API, a purchase paid at the sandbox's cashier,
//! and a restart that seeds nothing twice.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers of a test binary: a panic is a failed test with its location"
)]

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Value, json};
use siyu_platform::dev::{self, DevOptions, config::Ports};
use siyu_platform::seed::Step;

fn options(data_dir: PathBuf) -> DevOptions {
    // The environment layer of the embedded settings, as `SIYU_…` variables would be: cheap
    // argon2 (debug builds) and a short drain.
    let env: HashMap<String, String> = [
        ("SIYU_IDENTITY__STAFF_AUTH__ARGON2_MEMORY_KIB", "64"),
        ("SIYU_IDENTITY__STAFF_AUTH__ARGON2_ITERATIONS", "1"),
        ("SIYU_GATEWAY__SERVER__SHUTDOWN_GRACE_SECS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    DevOptions {
        data_dir,
        ports: Ports::ephemeral(),
        env,
    }
}

async fn post(http: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    let response = http.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Consumer (sandbox code → wechat-login), staff (password) and partner (client credentials,
/// when seeded) logins through the gateway; returns the consumer's user id.
async fn three_logins(running: &dev::Dev) -> String {
    let http = reqwest::Client::new();
    let gw = running.suite().gateway_url();
    let record = running.record();
    let app_id = &record.app.as_ref().unwrap().app_id;

    let (status, minted) = post(
        &http,
        &format!("{}/sandbox/login-codes", running.suite().sandbox_url()),
        json!({"appid": app_id, "openid": "o_smoke"}),
    )
    .await;
    assert_eq!(status, 200, "{minted}");
    let login = json!({"appId": app_id, "code": minted["code"]});
    let (status, consumer) = post(&http, &format!("{gw}/api/v1/auth/wechat-login"), login).await;
    assert_eq!(status, 200, "{consumer}");
    let access = consumer["tokens"]["accessToken"].as_str().unwrap();
    let sessions = http
        .get(format!("{gw}/api/v1/sessions"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(sessions.status(), 200);

    let tenant = record.tenant.as_ref().unwrap();
    let staff = json!({
        "tenantCode": tenant.code,
        "loginName": tenant.admin.login,
        "password": tenant.admin.password,
    });
    let (status, staff) = post(&http, &format!("{gw}/admin/v1/auth/login"), staff).await;
    assert_eq!(status, 200, "{staff}");
    let staff_token = staff["result"]["tokens"]["accessToken"].as_str().unwrap();
    let locations = http
        .get(format!("{gw}/admin/v1/locations"))
        .bearer_auth(staff_token)
        .send()
        .await
        .unwrap();
    assert_eq!(locations.status(), 200);

    // Partner clients exist in identity: the seeding must have made one.
    match &record.partner {
        Some(partner) => {
            let token: Value = http
                .post(format!("{gw}/oauth/token"))
                .basic_auth(&partner.client_id, Some(&partner.client_secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(token["token_type"], "Bearer", "{token}");
        }
        None => {
            // Not seeded because identity has no partner clients yet: said so, not faked.
            let pending: Vec<_> = running.seed_report().pending().collect();
            assert!(
                pending.iter().any(|(step, why)| *step == "partner client"
                    && why.contains("not implemented")),
                "{pending:?}"
            );
        }
    }
    consumer["user"]["userId"].as_str().unwrap().to_owned()
}

/// A consumer of the demo tenant enrols, checks in and claims the seeded coupon through the
/// gateway, as the start-up report's "Try it" lines show: the seeded programme is in force.
async fn membership_journey(running: &dev::Dev) {
    let http = reqwest::Client::new();
    let gw = running.suite().gateway_url();
    let record = running.record();
    let app_id = &record.app.as_ref().unwrap().app_id;
    let (_, minted) = post(
        &http,
        &format!("{}/sandbox/login-codes", running.suite().sandbox_url()),
        json!({"appid": app_id, "openid": "o_member"}),
    )
    .await;
    let login = json!({"appId": app_id, "code": minted["code"]});
    let (_, consumer) = post(&http, &format!("{gw}/api/v1/auth/wechat-login"), login).await;
    let access = consumer["tokens"]["accessToken"].as_str().unwrap();
    let call = |path: &str, body: Value| {
        http.post(format!("{gw}{path}"))
            .bearer_auth(access)
            .header("idempotency-key", siyu_core::id::new_string())
            .json(&body)
            .send()
    };
    let enrolled: Value = call("/api/v1/me/member", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(enrolled["member"]["cardNumber"].is_string(), "{enrolled}");
    let checked_in: Value = call("/api/v1/me/check-ins", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(checked_in["points"], "5", "{checked_in}");
    let template = record
        .services
        .get("membership")
        .and_then(|m| m["example_template_id"].as_str())
        .unwrap()
        .to_owned();
    let claimed: Value = call("/api/v1/me/coupons", json!({"templateId": template}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        claimed["coupon"]["templateId"],
        template.as_str(),
        "{claimed}"
    );
    let balances: Value = http
        .get(format!("{gw}/api/v1/me/balances"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // 100 for enrolling, 5 for the check-in.
    assert_eq!(balances["balances"]["pointsAvailable"], "105", "{balances}");
}

/// What the "Try it" lines do: a consumer buys the example SKU — quote, checkout, the sandbox's
/// cashier pays, and WeChat's callback through the gateway makes the order paid.
async fn purchase_journey(running: &dev::Dev) {
    let http = reqwest::Client::new();
    let gw = running.suite().gateway_url();
    let sandbox = running.suite().sandbox_url();
    let record = running.record();
    let app_id = &record.app.as_ref().unwrap().app_id;
    let seeded = &record.services["orders"];
    let (_, minted) = post(
        &http,
        &format!("{sandbox}/sandbox/login-codes"),
        json!({"appid": app_id, "openid": "o_buyer"}),
    )
    .await;
    let login = json!({"appId": app_id, "code": minted["code"]});
    let (_, consumer) = post(&http, &format!("{gw}/api/v1/auth/wechat-login"), login).await;
    let access = consumer["tokens"]["accessToken"].as_str().unwrap();
    let input = json!({
        "lines": {"lines": [{"skuId": seeded["example_sku_id"], "quantity": 1}]},
        "channel": "CHANNEL_MINI_PROGRAM",
        "fulfilment": {"mode": "FULFILMENT_MODE_DELIVERY", "storeId": seeded["example_store_id"],
            "address": {"province": "上海市", "city": "上海市", "detail": "南京西路1号",
                        "contactName": "王小明", "contactPhone": "13800138000"}}
    });
    let call = |path: &str, body: Value| {
        http.post(format!("{gw}{path}"))
            .bearer_auth(access)
            .header("idempotency-key", siyu_core::id::new_string())
            .json(&body)
            .send()
    };
    let quote: Value = call("/api/v1/checkout/quote", json!({ "input": input }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let payable = quote["quote"]["amounts"]["payable"].clone();
    assert!(payable["minorUnits"].is_string(), "{quote}");
    let placed: Value = call(
        "/api/v1/checkout",
        json!({"input": input, "expectedPayable": payable}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        placed["nextAction"], "CHECKOUT_NEXT_ACTION_REQUEST_PAYMENT",
        "{placed}"
    );
    let package = placed["wechatPayParams"]["package"].as_str().unwrap();
    let prepay = package.strip_prefix("prepay_id=").unwrap();
    let (status, paid) = post(
        &http,
        &format!("{sandbox}/sandbox/pay/transactions/pay"),
        json!({ "prepay_id": prepay }),
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    let order_id = placed["order"]["orderId"].as_str().unwrap();
    let mut order = Value::Null;
    for _ in 0..100 {
        order = http
            .get(format!("{gw}/api/v1/me/orders/{order_id}"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if order["order"]["status"] == "ORDER_STATUS_PAID" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the order was never paid: {order}");
}

#[tokio::test]
async fn siyu_dev_seeds_once_and_the_three_logins_work_across_a_restart() {
    let data_dir = std::env::temp_dir().join(format!("siyu-smoke-{}", siyu_core::id::new_string()));

    let first = dev::start(options(data_dir.clone())).await.unwrap();
    let report: Vec<_> = first.seed_report().steps.clone();
    for done in [
        "tenant",
        "store tree",
        "partner client",
        "locations",
        "catalog",
        "membership",
        "orders",
    ] {
        assert!(report.contains(&(done, Step::Done)), "{done}: {report:?}");
    }
    let products = first.record().products.clone().unwrap();
    assert_eq!(products.products.len(), 50);
    assert_eq!(first.record().org.as_ref().unwrap().stores.len(), 4);
    assert!(first.banner().contains("/api/v1/auth/wechat-login"));
    let user = three_logins(&first).await;
    membership_journey(&first).await;
    purchase_journey(&first).await;
    let tenant = first.record().tenant.clone().unwrap();
    first.stop().await.unwrap();

    #[cfg(unix)]
    for file in ["secrets.json", "seed.json"] {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data_dir.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }

    // A restart keeps the data and seeds nothing again; the sandbox (in memory) gets the app
    // back, so the same WeChat user logs in as the same user.
    let second = dev::start(options(data_dir.clone())).await.unwrap();
    let again = second.record().tenant.clone().unwrap();
    assert_eq!(again.tenant_id, tenant.tenant_id);
    assert_eq!(
        second.record().products.as_ref().unwrap().products,
        products.products
    );
    assert_eq!(three_logins(&second).await, user);
    // The sandbox forgot the merchant with its memory; it is registered again, so paying works.
    purchase_journey(&second).await;
    second.stop().await.unwrap();
    std::fs::remove_dir_all(&data_dir).unwrap();
}
