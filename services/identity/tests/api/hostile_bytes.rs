//! Random and mutated protobuf payloads for every identity method, with and without a token:
//! never INTERNAL or UNKNOWN (a client's bytes are never the server's fault), and the server
//! stays healthy.

use siyu_proto::contract::Contract;

use crate::helpers::Harness;

#[path = "../../../../libs/siyu-server/tests/support/hostile_payloads.rs"]
#[allow(dead_code, reason = "shared with other test crates")]
mod hostile_payloads;

use hostile_payloads::{Rng, call_raw, is_server_fault, payloads};

#[tokio::test]
async fn hostile_payloads_never_make_a_server_fault() {
    let h = Harness::start().await;
    let token = h.platform_token().await;
    let mut rng = Rng::new(0x1D_E4_71_7E);
    let methods: Vec<_> = Contract::global()
        .unwrap()
        .methods()
        .filter(|m| m.rpc.starts_with("siyu.identity.v1."))
        .collect();
    let mut calls = 0;
    for method in &methods {
        for (i, payload) in payloads(method, &mut rng, 4).into_iter().enumerate() {
            let token = (i % 2 == 0).then_some(token.as_str());
            let result = call_raw(h.channel.clone(), &method.path, payload.clone(), token).await;
            calls += 1;
            if let Err(status) = result {
                assert!(
                    !is_server_fault(status.code()),
                    "{} with {payload:02x?}: {status:?}",
                    method.rpc
                );
            }
        }
    }
    assert!(calls >= 200, "{calls} calls");
    // Still serving: a well-formed call answers.
    let jwks = h
        .tokens()
        .get_jwks(siyu_proto::identity::v1::GetJwksRequest::default())
        .await;
    assert!(jwks.is_ok(), "{jwks:?}");
}

#[tokio::test]
async fn unknown_methods_are_unimplemented_with_or_without_a_token() {
    let h = Harness::start().await;
    let token = h.platform_token().await;
    for path in [
        "/siyu.identity.v1.TokenService/NoSuchMethod",
        "/siyu.identity.v1.NoSuchService/Get",
        "/siyu.catalog.v1.CatalogService/GetProduct",
        "/nope/nope",
    ] {
        for token in [Some(token.as_str()), None] {
            let status = call_raw(h.channel.clone(), path, vec![], token)
                .await
                .unwrap_err();
            assert_eq!(
                status.code(),
                tonic::Code::Unimplemented,
                "{path} (token: {}): {status:?}",
                token.is_some()
            );
        }
    }
}
