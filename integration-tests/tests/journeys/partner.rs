//! A partner: client-credentials token at `/oauth/token`, then a call through `/open/v1`.

use serde_json::Value;
use siyu_proto::identity::v1 as pb;

use crate::support::{ADMIN_PASSWORD, World, json_ok};

#[tokio::test]
async fn client_credentials_token_then_an_open_api_call() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let channel = world.identity_channel();
    let admin = siyu_platform::seed::identity::staff_token(
        &channel,
        &tenant.code,
        "admin",
        ADMIN_PASSWORD,
        ADMIN_PASSWORD,
    )
    .await
    .unwrap();
    let created = pb::partner_service_client::PartnerServiceClient::new(channel)
        .create_partner_client(siyu_platform::seed::authed(
            pb::CreatePartnerClientRequest {
                client: Some(pb::PartnerClient {
                    name: "POS".into(),
                    scopes: vec!["catalog.read".into(), "inventory.read".into()],
                    ..Default::default()
                }),
            },
            &admin,
            None,
        ))
        .await
        .unwrap()
        .into_inner();
    let client_id = created.client.unwrap().client_id;

    let token: Value = world
        .http
        .post(world.url("/oauth/token"))
        .basic_auth(&client_id, Some(&created.client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "inventory.read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["token_type"], "Bearer", "{token}");
    let access = token["access_token"].as_str().unwrap();
    json_ok(world.get("/open/v1/locations", Some(access)).await).await;

    let wrong = world
        .http
        .post(world.url("/oauth/token"))
        .basic_auth(&client_id, Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    world.stop().await;
}
