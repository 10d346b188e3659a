//! Random and mutated protobuf payloads for every membership method, with and without a token:
//! never INTERNAL or UNKNOWN, and the service stays healthy — the screening membership inherits
//! from the shared server kit, proved on this service too.

use siyu_proto::contract::Contract;
use siyu_proto::membership::v1 as pb;

use crate::harness::{H, Tenant, with};

#[path = "../../../../libs/siyu-server/tests/support/hostile_payloads.rs"]
#[allow(dead_code, reason = "shared with other test crates")]
mod hostile_payloads;

use hostile_payloads::{Rng, call_raw, is_server_fault, payloads};

#[tokio::test]
async fn hostile_payloads_never_make_a_server_fault() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let mut rng = Rng::new(0x3E_3B_E2);
    let methods: Vec<_> = Contract::global()
        .unwrap()
        .methods()
        .filter(|m| m.rpc.starts_with("siyu.membership.v1."))
        .collect();
    let mut calls = 0;
    for method in &methods {
        for (i, payload) in payloads(method, &mut rng, 4).into_iter().enumerate() {
            let token = (i % 2 == 0).then_some(t.admin.as_str());
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
    let members = h
        .members()
        .list_members(with(pb::ListMembersRequest::default(), &t.admin))
        .await;
    assert!(members.is_ok(), "{members:?}");
}
