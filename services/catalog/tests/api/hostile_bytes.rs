//! Random and mutated protobuf payloads for every catalog method, with and without a token:
//! never INTERNAL or UNKNOWN (a client's bytes are never the server's fault), and the server
//! stays healthy.

use siyu_proto::contract::Contract;

use crate::harness::{H, Tenant};

#[path = "../../../../libs/siyu-server/tests/support/hostile_payloads.rs"]
#[allow(dead_code, reason = "shared with other test crates")]
mod hostile_payloads;

use hostile_payloads::{Rng, call_raw, is_server_fault, payloads};

#[tokio::test]
async fn hostile_payloads_never_make_a_server_fault() {
    let h = H::pg().await;
    let tenant = Tenant::new(&h).await;
    let mut rng = Rng::new(0xCA7A_1065);
    let methods: Vec<_> = Contract::global()
        .unwrap()
        .methods()
        .filter(|m| m.rpc.starts_with("siyu.catalog.v1."))
        .collect();
    let mut calls = 0;
    for method in &methods {
        for (i, payload) in payloads(method, &mut rng, 6).into_iter().enumerate() {
            let token = [
                Some(tenant.admin.as_str()),
                Some(tenant.service.as_str()),
                None,
            ][i % 3];
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
    let categories = h
        .catalog()
        .get_category_tree(crate::harness::with(
            siyu_proto::catalog::v1::GetCategoryTreeRequest::default(),
            &tenant.admin,
        ))
        .await;
    assert!(categories.is_ok(), "{categories:?}");
}
