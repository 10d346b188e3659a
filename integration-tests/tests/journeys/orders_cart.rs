//! The consumer's cart over orders' gRPC API with the consumer's access token: lines priced by
//! catalog for the member's tier, every RPC's bad input, concurrent adds, tenant isolation.

use serde_json::json;
use siyu_platform::seed::authed;
use siyu_proto::common::v1 as common;
use siyu_proto::identity::v1 as identity;
use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::cart_service_client::CartServiceClient;
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::member_fixtures::{cny, enrol, tier_ladder};
use crate::support::{Tenant, World, json_ok};

type Cart = CartServiceClient<Channel>;

fn carts(world: &World) -> Cart {
    CartServiceClient::new(
        Channel::from_shared(world.suite.grpc_url("orders").unwrap())
            .unwrap()
            .connect_lazy(),
    )
}

/// `message` with the bearer token and a fresh idempotency key.
fn call<T>(message: T, token: &str) -> tonic::Request<T> {
    authed(message, token, Some(&siyu_core::id::new_string()))
}

/// Asserts the code and that the status' details carry `reason` (and `field`, when given).
#[track_caller]
fn refused(status: &Status, code: Code, reason: &str, field: Option<&str>) {
    let details = String::from_utf8_lossy(status.details()).into_owned();
    assert_eq!(status.code(), code, "{status:?}");
    assert!(details.contains(reason), "{reason} not in {status:?}");
    if let Some(field) = field {
        assert!(details.contains(field), "{field} not in {status:?}");
    }
}

/// A published product with `a` × `b` SKUs at 99.00 (list 129.00); answers its SKU ids.
async fn product(world: &World, staff: &str, title: &str, a: usize, b: usize) -> Vec<String> {
    let category = json_ok(
        world
            .post_json(
                "/admin/v1/categories",
                staff,
                &json!({"category": {"name": format!("{title}类")}}),
            )
            .await,
    )
    .await;
    let category_id = category["category"]["categoryId"].as_str().unwrap();
    let values = |n: usize, p: &str| (0..n).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
    let (va, vb) = (values(a, "A"), values(b, "B"));
    let mut skus = Vec::new();
    for x in &va {
        for y in &vb {
            skus.push(json!({
                "specs": [{"dimension": "甲", "value": x}, {"dimension": "乙", "value": y}],
                "listPrice": cny(12900), "salePrice": cny(9900), "enabled": true
            }));
        }
    }
    let body = json!({"product": {
        "title": title,
        "categoryId": category_id,
        "media": [{"kind": "MEDIA_KIND_IMAGE", "url": "https://cdn.example/p.jpg"}],
        "specDimensions": [{"name": "甲", "values": va}, {"name": "乙", "values": vb}],
        "skus": skus
    }});
    let created = json_ok(world.post_json("/admin/v1/products", staff, &body).await).await;
    let product_id = created["product"]["productId"].as_str().unwrap().to_owned();
    let path = format!("/admin/v1/products/{product_id}/publish");
    json_ok(world.post_json(&path, staff, &json!({})).await).await;
    created["product"]["skus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["skuId"].as_str().unwrap().to_owned())
        .collect()
}

/// A draft (never published) one-SKU product: its SKU is not sellable.
async fn draft_sku(world: &World, staff: &str) -> String {
    let category = json_ok(
        world
            .post_json(
                "/admin/v1/categories",
                staff,
                &json!({"category": {"name": "草稿"}}),
            )
            .await,
    )
    .await;
    let body = json!({"product": {
        "title": "未上架",
        "categoryId": category["category"]["categoryId"],
        "specDimensions": [{"name": "规格", "values": ["默认"]}],
        "skus": [{"specs": [{"dimension": "规格", "value": "默认"}], "salePrice": cny(500), "enabled": true}]
    }});
    let created = json_ok(world.post_json("/admin/v1/products", staff, &body).await).await;
    created["product"]["skus"][0]["skuId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A store of the tenant offering pickup and same-city delivery, at 31.23 N 121.47 E.
async fn store(world: &World, tenant: &Tenant, admin: &str, code: &str, pickup: bool) -> String {
    let request = identity::CreateOrgUnitRequest {
        parent_id: tenant.root.clone(),
        r#type: identity::OrgUnitType::Store as i32,
        name: format!("门店{code}"),
        code: code.into(),
        store: Some(identity::StoreProfile {
            address: Some(common::Address {
                city: "上海".into(),
                detail: "南京西路 1 号".into(),
                ..Default::default()
            }),
            geo: Some(common::GeoPoint {
                latitude: 31.23,
                longitude: 121.47,
            }),
            pickup_enabled: pickup,
            same_city_delivery_enabled: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    identity::org_service_client::OrgServiceClient::new(world.identity_channel())
        .create_org_unit(authed(request, admin, Some(code)))
        .await
        .unwrap()
        .into_inner()
        .org_unit
        .unwrap()
        .org_unit_id
}

fn address(location: Option<(f64, f64)>) -> common::Address {
    common::Address {
        province: "上海市".into(),
        city: "上海市".into(),
        district: "静安区".into(),
        detail: "南京西路 100 号".into(),
        contact_name: "张三".into(),
        contact_phone: "13800138000".into(),
        location: location.map(|(latitude, longitude)| common::GeoPoint {
            latitude,
            longitude,
        }),
        ..Default::default()
    }
}

async fn add(
    cart: &mut Cart,
    token: &str,
    sku: &str,
    quantity: i32,
) -> Result<pb::AddCartLineResponse, Status> {
    cart.add_cart_line(call(
        pb::AddCartLineRequest {
            sku_id: sku.into(),
            quantity,
        },
        token,
    ))
    .await
    .map(tonic::Response::into_inner)
}

async fn get(cart: &mut Cart, token: &str) -> pb::Cart {
    cart.get_cart(call(pb::GetCartRequest::default(), token))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap()
}

fn fen(m: Option<&common::Money>) -> Option<i64> {
    m.map(|m| m.minor_units)
}

#[tokio::test]
async fn a_member_fills_a_cart_priced_by_catalog_for_their_tier() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    tier_ladder(&world, &staff).await;
    let skus = product(&world, &staff, "纯棉T恤", 2, 1).await;
    // SILVER members pay 88.00 for the first SKU.
    let prices = json!({
        "skuId": skus[0], "listPrice": cny(12900), "salePrice": cny(9900),
        "memberPrices": [{"tierCode": "SILVER", "price": cny(8800)}]
    });
    json_ok(world.post_json("/admin/v1/prices", &staff, &prices).await).await;
    let member = enrol(&world, &tenant, "o_member").await;
    let token = member.token.as_str();
    let mut cart = carts(&world);

    let empty = get(&mut cart, token).await;
    assert!(empty.lines.is_empty());
    assert_eq!(empty.user_id, member.user_id);

    let added = add(&mut cart, token, &skus[0], 2).await.unwrap();
    let first_line = added.line_id.clone();
    let again = add(&mut cart, token, &skus[0], 3).await.unwrap();
    assert_eq!(again.line_id, first_line, "the SKU's line is increased");
    let c = again.cart.unwrap();
    assert_eq!(c.member_id, member.member_id);
    assert_eq!(c.lines.len(), 1);
    let line = &c.lines[0];
    assert_eq!(
        (line.quantity, line.selected, line.sellable),
        (5, true, true)
    );
    assert_eq!(
        fen(line.unit_price.as_ref()),
        Some(8800),
        "the SILVER price"
    );
    assert_eq!(fen(line.list_price.as_ref()), Some(12900));
    assert!(line.title.contains("纯棉T恤"), "{line:?}");
    assert_eq!(fen(c.selected_subtotal.as_ref()), Some(5 * 8800));

    let c = add(&mut cart, token, &skus[1], 1)
        .await
        .unwrap()
        .cart
        .unwrap();
    assert_eq!(c.lines.len(), 2);
    assert_eq!(c.lines[0].sku_id, skus[1], "most recently added first");
    assert_eq!(
        fen(c.lines[0].unit_price.as_ref()),
        Some(9900),
        "no member price"
    );
    assert_eq!((c.selected_line_count, c.selected_quantity), (2, 6));
    assert_eq!(fen(c.selected_subtotal.as_ref()), Some(5 * 8800 + 9900));
    let second_line = c.lines[0].line_id.clone();

    // Update, select, remove.
    let update = |line: &str, quantity| {
        call(
            pb::UpdateCartLineRequest {
                line_id: line.into(),
                quantity,
            },
            token,
        )
    };
    let c = cart
        .update_cart_line(update(&first_line, 7))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap();
    assert_eq!(c.lines[1].quantity, 7);
    let select = |ids: Vec<String>, all, selected| {
        call(
            pb::SelectCartLinesRequest {
                line_ids: ids,
                all,
                selected,
            },
            token,
        )
    };
    let c = cart
        .select_cart_lines(select(vec![first_line.clone()], false, false))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap();
    assert_eq!((c.selected_line_count, c.selected_quantity), (1, 1));
    assert_eq!(fen(c.selected_subtotal.as_ref()), Some(9900));
    let c = cart
        .select_cart_lines(select(vec![], true, true))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap();
    assert_eq!((c.selected_line_count, c.selected_quantity), (2, 8));
    let remove =
        |ids: Vec<String>, all| call(pb::RemoveCartLinesRequest { line_ids: ids, all }, token);
    let unknown = siyu_core::id::new_string();
    let c = cart
        .remove_cart_lines(remove(vec![second_line, unknown], false))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap();
    assert_eq!(c.lines.len(), 1);
    assert_eq!(c.lines[0].line_id, first_line);

    // A pickup store: the choice is kept and the lines are priced for the store.
    let admin = staff.as_str();
    let shop = store(&world, &tenant, admin, "S1", true).await;
    let c = cart
        .set_cart_fulfilment(call(
            pb::SetCartFulfilmentRequest {
                fulfilment: Some(pb::FulfilmentChoice {
                    mode: pb::FulfilmentMode::StorePickup as i32,
                    store_id: shop.clone(),
                    pickup_contact_name: "张三".into(),
                    ..Default::default()
                }),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap();
    let f = c.fulfilment.unwrap();
    assert_eq!(
        (f.mode, f.store_id.as_str()),
        (pb::FulfilmentMode::StorePickup as i32, shop.as_str())
    );
    assert_eq!(fen(c.lines[0].unit_price.as_ref()), Some(8800));
    // Same-city within range of the store.
    let near = pb::FulfilmentChoice {
        mode: pb::FulfilmentMode::SameCity as i32,
        store_id: shop.clone(),
        address: Some(address(Some((31.24, 121.48)))),
        ..Default::default()
    };
    cart.set_cart_fulfilment(call(
        pb::SetCartFulfilmentRequest {
            fulfilment: Some(near),
        },
        token,
    ))
    .await
    .unwrap();
    let read = get(&mut cart, token).await;
    assert_eq!(
        read.fulfilment.unwrap().mode,
        pb::FulfilmentMode::SameCity as i32
    );
    assert_eq!(read.lines.len(), 1);

    // Everything out.
    let c = cart
        .remove_cart_lines(remove(vec![], true))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap();
    assert!(c.lines.is_empty());
    world.stop().await;
}

#[tokio::test]
async fn every_cart_rpc_refuses_bad_input_with_its_reason() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let skus = product(&world, &staff, "帆布包", 1, 1).await;
    let draft = draft_sku(&world, &staff).await;
    let tokens = world.consumer_login(&tenant, "o_bad").await;
    let token = tokens["accessToken"].as_str().unwrap();
    let mut cart = carts(&world);
    let bad = Code::InvalidArgument;

    for q in [0, -1, 1000, 1_000_000_000] {
        let e = add(&mut cart, token, &skus[0], q).await.unwrap_err();
        refused(&e, bad, "INVALID_ARGUMENT", Some("quantity"));
    }
    for sku in ["", "not-a-uuid"] {
        let e = add(&mut cart, token, sku, 1).await.unwrap_err();
        refused(&e, bad, "INVALID_ARGUMENT", Some("sku_id"));
    }
    let e = add(&mut cart, token, &siyu_core::id::new_string(), 1)
        .await
        .unwrap_err();
    refused(&e, Code::NotFound, "SKU_NOT_FOUND", None);
    let e = add(&mut cart, token, &draft, 1).await.unwrap_err();
    refused(&e, Code::FailedPrecondition, "SKU_NOT_SELLABLE", None);
    add(&mut cart, token, &skus[0], 999).await.unwrap();
    let e = add(&mut cart, token, &skus[0], 1).await.unwrap_err();
    refused(
        &e,
        Code::FailedPrecondition,
        "CART_QUANTITY_LIMIT_EXCEEDED",
        None,
    );
    let line = get(&mut cart, token).await.lines[0].line_id.clone();
    assert_eq!(
        get(&mut cart, token).await.lines[0].quantity,
        999,
        "nothing added"
    );

    // UpdateCartLine.
    for q in [0, 1000, 1_000_000_000] {
        let e = cart
            .update_cart_line(call(
                pb::UpdateCartLineRequest {
                    line_id: line.clone(),
                    quantity: q,
                },
                token,
            ))
            .await
            .unwrap_err();
        refused(&e, bad, "INVALID_ARGUMENT", Some("quantity"));
    }
    for id in ["", "nope"] {
        let e = cart
            .update_cart_line(call(
                pb::UpdateCartLineRequest {
                    line_id: id.into(),
                    quantity: 1,
                },
                token,
            ))
            .await
            .unwrap_err();
        refused(&e, bad, "INVALID_ARGUMENT", Some("line_id"));
    }
    let e = cart
        .update_cart_line(call(
            pb::UpdateCartLineRequest {
                line_id: siyu_core::id::new_string(),
                quantity: 1,
            },
            token,
        ))
        .await
        .unwrap_err();
    refused(&e, Code::NotFound, "CART_LINE_NOT_FOUND", None);

    // RemoveCartLines and SelectCartLines: neither ids nor all, both, malformed ids.
    let e = cart
        .remove_cart_lines(call(pb::RemoveCartLinesRequest::default(), token))
        .await
        .unwrap_err();
    refused(&e, bad, "INVALID_ARGUMENT", Some("line_ids"));
    let e = cart
        .remove_cart_lines(call(
            pb::RemoveCartLinesRequest {
                line_ids: vec![line.clone()],
                all: true,
            },
            token,
        ))
        .await
        .unwrap_err();
    refused(&e, bad, "INVALID_ARGUMENT", Some("line_ids"));
    let e = cart
        .select_cart_lines(call(pb::SelectCartLinesRequest::default(), token))
        .await
        .unwrap_err();
    refused(&e, bad, "INVALID_ARGUMENT", Some("line_ids"));
    let e = cart
        .select_cart_lines(call(
            pb::SelectCartLinesRequest {
                line_ids: vec!["x".into()],
                all: false,
                selected: true,
            },
            token,
        ))
        .await
        .unwrap_err();
    refused(&e, bad, "INVALID_ARGUMENT", Some("line_ids[0]"));
    let e = cart
        .select_cart_lines(call(
            pb::SelectCartLinesRequest {
                line_ids: vec![line.clone(), siyu_core::id::new_string()],
                all: false,
                selected: false,
            },
            token,
        ))
        .await
        .unwrap_err();
    refused(&e, Code::NotFound, "CART_LINE_NOT_FOUND", None);
    assert!(
        get(&mut cart, token).await.lines[0].selected,
        "nothing changed"
    );

    // SetCartFulfilment.
    let shop = store(&world, &tenant, &staff, "S1", false).await;
    let set = |f: Option<pb::FulfilmentChoice>| {
        call(pb::SetCartFulfilmentRequest { fulfilment: f }, token)
    };
    let choice = |mode: pb::FulfilmentMode, store: &str, address: Option<common::Address>| {
        pb::FulfilmentChoice {
            mode: mode as i32,
            store_id: store.into(),
            address,
            ..Default::default()
        }
    };
    let e = cart.set_cart_fulfilment(set(None)).await.unwrap_err();
    refused(&e, bad, "INVALID_ARGUMENT", Some("fulfilment"));
    let e = cart
        .set_cart_fulfilment(set(Some(choice(pb::FulfilmentMode::Delivery, &shop, None))))
        .await
        .unwrap_err();
    refused(&e, bad, "INVALID_ARGUMENT", Some("fulfilment.address"));
    let mut phone = address(None);
    phone.contact_phone = "12345".into();
    let e = cart
        .set_cart_fulfilment(set(Some(choice(
            pb::FulfilmentMode::Delivery,
            &shop,
            Some(phone),
        ))))
        .await
        .unwrap_err();
    refused(
        &e,
        bad,
        "INVALID_ARGUMENT",
        Some("fulfilment.address.contact_phone"),
    );
    let e = cart
        .set_cart_fulfilment(set(Some(choice(
            pb::FulfilmentMode::SameCity,
            &shop,
            Some(address(None)),
        ))))
        .await
        .unwrap_err();
    refused(
        &e,
        bad,
        "INVALID_ARGUMENT",
        Some("fulfilment.address.location"),
    );
    let e = cart
        .set_cart_fulfilment(set(Some(choice(
            pb::FulfilmentMode::Delivery,
            "",
            Some(address(None)),
        ))))
        .await
        .unwrap_err();
    refused(&e, bad, "INVALID_ARGUMENT", Some("fulfilment.store_id"));
    // Unknown store; a store without pickup; an address 50 km away.
    let e = cart
        .set_cart_fulfilment(set(Some(choice(
            pb::FulfilmentMode::Delivery,
            &siyu_core::id::new_string(),
            Some(address(None)),
        ))))
        .await
        .unwrap_err();
    refused(&e, Code::FailedPrecondition, "STORE_UNAVAILABLE", None);
    let e = cart
        .set_cart_fulfilment(set(Some(choice(
            pb::FulfilmentMode::StorePickup,
            &shop,
            None,
        ))))
        .await
        .unwrap_err();
    refused(&e, Code::FailedPrecondition, "STORE_UNAVAILABLE", None);
    let e = cart
        .set_cart_fulfilment(set(Some(choice(
            pb::FulfilmentMode::SameCity,
            &shop,
            Some(address(Some((31.68, 121.47)))),
        ))))
        .await
        .unwrap_err();
    refused(&e, Code::FailedPrecondition, "SAME_CITY_OUT_OF_RANGE", None);
    // Delivery from an active store with a full address is accepted.
    cart.set_cart_fulfilment(set(Some(choice(
        pb::FulfilmentMode::Delivery,
        &shop,
        Some(address(None)),
    ))))
    .await
    .unwrap();

    // GetCart: a consumer may name only themselves.
    let e = cart
        .get_cart(call(
            pb::GetCartRequest {
                user_id: siyu_core::id::new_string(),
            },
            token,
        ))
        .await
        .unwrap_err();
    refused(&e, bad, "INVALID_ARGUMENT", Some("user_id"));
    // A service reads a named user's cart and must name one.
    let service = world.service_token(&tenant).await;
    let e = cart
        .get_cart(call(pb::GetCartRequest::default(), &service))
        .await
        .unwrap_err();
    refused(&e, bad, "INVALID_ARGUMENT", Some("user_id"));
    let me = crate::support::claims(token)["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    let exported = cart
        .get_cart(call(pb::GetCartRequest { user_id: me }, &service))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap();
    assert_eq!(exported.lines.len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn concurrent_adds_sum_into_one_line_and_never_pass_100_lines() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let skus = product(&world, &staff, "袜子", 11, 10).await;
    assert_eq!(skus.len(), 110);
    let tokens = world.consumer_login(&tenant, "o_rush").await;
    let token = tokens["accessToken"].as_str().unwrap().to_owned();
    let cart = carts(&world);

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let (mut cart, token, sku) = (cart.clone(), token.clone(), skus[0].clone());
        tasks.spawn(async move { add(&mut cart, &token, &sku, (i % 3) + 1).await });
    }
    let mut lines = std::collections::BTreeSet::new();
    while let Some(done) = tasks.join_next().await {
        lines.insert(done.unwrap().unwrap().line_id);
    }
    assert_eq!(lines.len(), 1, "one line for the SKU");
    let expected: i32 = (0..16).map(|i| (i % 3) + 1).sum();
    let c = get(&mut cart.clone(), &token).await;
    assert_eq!((c.lines.len(), c.lines[0].quantity), (1, expected));

    // 109 other SKUs at once: the cart stops at 100 lines.
    let mut tasks = tokio::task::JoinSet::new();
    for sku in &skus[1..] {
        let (mut cart, token, sku) = (cart.clone(), token.clone(), sku.clone());
        tasks.spawn(async move { add(&mut cart, &token, &sku, 1).await });
    }
    let (mut ok, mut limited) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                refused(
                    &e,
                    Code::FailedPrecondition,
                    "CART_LINE_LIMIT_EXCEEDED",
                    None,
                );
                limited += 1;
            }
        }
    }
    assert_eq!((ok, limited), (99, 10));
    assert_eq!(get(&mut cart.clone(), &token).await.lines.len(), 100);
    world.stop().await;
}

#[tokio::test]
async fn another_tenants_consumer_sees_an_empty_cart_and_cannot_touch_lines() {
    let world = World::start().await;
    let a = world.tenant("brand-a").await;
    let b = world.tenant("brand-b").await;
    let staff = world.staff_login(&a).await;
    let skus = product(&world, &staff, "水杯", 1, 1).await;
    let alice = world.consumer_login(&a, "o_same").await;
    let alice = alice["accessToken"].as_str().unwrap();
    let bob = world.consumer_login(&b, "o_same").await;
    let bob = bob["accessToken"].as_str().unwrap();
    let mut cart = carts(&world);
    let line = add(&mut cart, alice, &skus[0], 2).await.unwrap().line_id;

    assert!(get(&mut cart, bob).await.lines.is_empty());
    let e = cart
        .update_cart_line(call(
            pb::UpdateCartLineRequest {
                line_id: line.clone(),
                quantity: 5,
            },
            bob,
        ))
        .await
        .unwrap_err();
    refused(&e, Code::NotFound, "CART_LINE_NOT_FOUND", None);
    let e = add(&mut cart, bob, &skus[0], 1).await.unwrap_err();
    refused(&e, Code::NotFound, "SKU_NOT_FOUND", None);
    cart.remove_cart_lines(call(
        pb::RemoveCartLinesRequest {
            line_ids: vec![line],
            all: false,
        },
        bob,
    ))
    .await
    .unwrap();
    let mine = get(&mut cart, alice).await;
    assert_eq!((mine.lines.len(), mine.lines[0].quantity), (1, 2));
    world.stop().await;
}
