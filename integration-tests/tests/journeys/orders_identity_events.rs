//! Identity's merges and erasures as orders sees them, through the real flows: staff merge two
//! accounts of one person (the merged account's order and cart lines become the kept one's),
//! reverse the merge (exactly those go back), and erase an account (its cart is dropped). The
//! reads identity's export and erasure check make with a service token answer by user.

use std::time::Duration;

use serde_json::{Value, json};
use siyu_platform::seed::authed;
use siyu_proto::identity::v1 as id;
use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::cart_service_client::CartServiceClient;
use siyu_proto::orders::v1::order_service_client::OrderServiceClient;
use tonic::transport::Channel;

use crate::catalog::product_with_stock;
use crate::orders_checkout::{checkout, fen, input_at, quote, shop};
use crate::support::{Tenant, World, claims, json_ok};

fn orders_channel(world: &World) -> Channel {
    Channel::from_shared(world.suite.grpc_url("orders").unwrap())
        .unwrap()
        .connect_lazy()
}

/// Registers another sandbox app and adds it to the admin's tenant; returns its app id.
async fn second_app(world: &World, admin: &str) -> String {
    let app: Value = world
        .http
        .post(format!("{}/sandbox/apps", world.sandbox))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app_id = app["appid"].as_str().unwrap().to_owned();
    id::tenant_service_client::TenantServiceClient::new(world.identity_channel())
        .upsert_app(authed(
            id::UpsertAppRequest {
                app: Some(id::WeChatApp {
                    app_id: app_id.clone(),
                    kind: id::AppKind::MiniProgram as i32,
                    name: "Second store".into(),
                    app_secret: app["secret"].as_str().unwrap().into(),
                    enabled: true,
                    ..Default::default()
                }),
            },
            admin,
            None,
        ))
        .await
        .unwrap();
    app_id
}

fn sub(tokens: &Value) -> String {
    claims(tokens["accessToken"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The ids of `user`'s orders, as identity's export reads them (service token).
async fn orders_of(world: &World, service: &str, user: &str) -> Vec<String> {
    let mut ids: Vec<String> = OrderServiceClient::new(orders_channel(world))
        .list_store_orders(authed(
            pb::ListStoreOrdersRequest {
                user_id: user.into(),
                ..Default::default()
            },
            service,
            None,
        ))
        .await
        .unwrap()
        .into_inner()
        .orders
        .into_iter()
        .map(|o| o.order_id)
        .collect();
    ids.sort();
    ids
}

/// The SKUs in `user`'s cart, as identity's export reads it (service token).
async fn cart_of(world: &World, service: &str, user: &str) -> Vec<String> {
    let mut skus: Vec<String> = CartServiceClient::new(orders_channel(world))
        .get_cart(authed(
            pb::GetCartRequest {
                user_id: user.into(),
            },
            service,
            None,
        ))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap_or_default()
        .lines
        .into_iter()
        .map(|l| l.sku_id)
        .collect();
    skus.sort();
    skus
}

async fn add_line(world: &World, token: &str, sku: &str, quantity: i32) {
    json_ok(
        world
            .post_json(
                "/api/v1/me/cart/lines",
                token,
                &json!({"skuId": sku, "quantity": quantity}),
            )
            .await,
    )
    .await;
}

/// Waits (up to 20 s) until `check` holds.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    siyu_testkit::wait_until(Duration::from_secs(20), check)
        .await
        .unwrap_or_else(|_| panic!("never: {what}"));
}

#[tokio::test]
async fn a_merge_shows_the_merged_orders_to_the_kept_user_and_its_reversal_gives_them_back() {
    let world = World::start().await;
    let tenant = world.tenant("brand-merge").await;
    let admin = world.staff_login(&tenant).await;
    let (product, sku, _) = product_with_stock(&world, &tenant, &admin).await;
    let read = json_ok(
        world
            .get(&format!("/admin/v1/products/{product}"), Some(&admin))
            .await,
    )
    .await;
    let other_sku = read["product"]["skus"][1]["skuId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(other_sku, sku);
    let store = shop(&world, &tenant, &admin).await;
    let service = world.service_token(&tenant).await;

    // Two accounts of one person, one per mini-program of the tenant.
    let older = world.consumer_login(&tenant, "o_ord_older").await;
    let second = Tenant {
        app_id: second_app(&world, &admin).await,
        ..tenant.clone()
    };
    let younger = world.consumer_login(&second, "o_ord_younger").await;
    let (kept, merged) = (sub(&older), sub(&younger));
    let (older_token, younger_token) = (
        older["accessToken"].as_str().unwrap().to_owned(),
        younger["accessToken"].as_str().unwrap().to_owned(),
    );

    // The younger account buys (the order waits for payment) and leaves two SKUs in its cart;
    // the older one has one of them in its own cart.
    let want = input_at(&store, &sku, 1, &json!({}));
    let payable = fen(&quote(&world, &younger_token, &want).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &younger_token, "merge-buy", &want, payable).await).await;
    let order = placed["order"]["orderId"].as_str().unwrap().to_owned();
    add_line(&world, &younger_token, &sku, 3).await;
    add_line(&world, &younger_token, &other_sku, 2).await;
    add_line(&world, &older_token, &sku, 1).await;
    assert_eq!(
        orders_of(&world, &service, &merged).await,
        vec![order.clone()]
    );
    assert!(orders_of(&world, &service, &kept).await.is_empty());

    // Staff merge them: identity publishes UsersMerged, orders moves the order and the cart.
    let merge = id::user_service_client::UserServiceClient::new(world.identity_channel())
        .merge_users(authed(
            id::MergeUsersRequest {
                user_id_a: merged.clone(),
                user_id_b: kept.clone(),
                reason: "one person, two accounts".into(),
            },
            &admin,
            None,
        ))
        .await
        .unwrap()
        .into_inner()
        .merge
        .unwrap();
    assert_eq!(merge.kept_user_id, kept);
    eventually("the merged order shown to the kept user", || async {
        orders_of(&world, &service, &kept).await == vec![order.clone()]
    })
    .await;
    // The kept user reads it with its own token, and its cart kept its line of the shared SKU.
    json_ok(
        world
            .get(&format!("/api/v1/me/orders/{order}"), Some(&older_token))
            .await,
    )
    .await;
    let mut both = vec![sku.clone(), other_sku.clone()];
    both.sort();
    assert_eq!(cart_of(&world, &service, &kept).await, both);
    assert!(cart_of(&world, &service, &merged).await.is_empty());
    assert!(orders_of(&world, &service, &merged).await.is_empty());

    // Reversed: exactly what moved goes back.
    id::user_service_client::UserServiceClient::new(world.identity_channel())
        .reverse_user_merge(authed(
            id::ReverseUserMergeRequest {
                merge_id: merge.merge_id.clone(),
                reason: "two people after all".into(),
            },
            &admin,
            None,
        ))
        .await
        .unwrap();
    eventually("the order back with the restored user", || async {
        orders_of(&world, &service, &merged).await == vec![order.clone()]
    })
    .await;
    assert!(orders_of(&world, &service, &kept).await.is_empty());
    assert_eq!(cart_of(&world, &service, &kept).await, vec![sku.clone()]);
    assert_eq!(cart_of(&world, &service, &merged).await, both);
    world.stop().await;
}

#[tokio::test]
async fn an_erased_user_loses_the_cart_and_the_erasure_check_finds_open_orders() {
    let world = World::start().await;
    let tenant = world.tenant("brand-erase").await;
    let admin = world.staff_login(&tenant).await;
    let (_, sku, _) = product_with_stock(&world, &tenant, &admin).await;
    let store = shop(&world, &tenant, &admin).await;
    let service = world.service_token(&tenant).await;
    let tokens = world.consumer_login(&tenant, "o_ord_erased").await;
    let user = sub(&tokens);
    let token = tokens["accessToken"].as_str().unwrap().to_owned();

    let want = input_at(&store, &sku, 1, &json!({}));
    let payable = fen(&quote(&world, &token, &want).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &token, "erase-buy", &want, payable).await).await;
    let order = placed["order"]["orderId"].as_str().unwrap().to_owned();
    add_line(&world, &token, &sku, 2).await;

    // The erasure check: an order waiting for payment blocks erasure.
    let blocking = |world: &World| {
        let service = service.clone();
        let user = user.clone();
        let channel = orders_channel(world);
        async move {
            OrderServiceClient::new(channel)
                .list_store_orders(authed(
                    pb::ListStoreOrdersRequest {
                        user_id: user,
                        statuses: vec![1, 2, 3, 4, 5],
                        ..Default::default()
                    },
                    &service,
                    None,
                ))
                .await
                .unwrap()
                .into_inner()
                .orders
                .len()
        }
    };
    assert_eq!(blocking(&world).await, 1);
    json_ok(
        world
            .post_json(
                &format!("/api/v1/me/orders/{order}/cancel"),
                &token,
                &json!({}),
            )
            .await,
    )
    .await;
    assert_eq!(blocking(&world).await, 0);

    // Erased by the tenant's admin: identity publishes UserErased, orders drops the cart; the
    // cancelled order stays (inside its retention) for the export to read.
    json_ok(
        world
            .post_json(
                &format!("/admin/v1/users/{user}/erase"),
                &admin,
                &json!({"reason": "verified request"}),
            )
            .await,
    )
    .await;
    eventually("the erased user's cart dropped", || async {
        cart_of(&world, &service, &user).await.is_empty()
    })
    .await;
    assert_eq!(orders_of(&world, &service, &user).await, vec![order]);
    world.stop().await;
}
