//! Tenant isolation of the privacy RPCs: a tenant-B token naming tenant A's user or export
//! answers NOT_FOUND.

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use super::{download, get, request};
use crate::helpers::{Harness, assert_reason, authed, count};

#[tokio::test]
async fn privacy_rpcs_naming_another_tenants_ids_answer_not_found() {
    let h = Harness::start().await;
    let (_, app_a, _) = h.tenant_with_app("pra").await;
    let (_, app_b, admin_b) = h.tenant_with_app("prb").await;
    let a = h.wechat_login(&app_a, "o_pra").await;
    let token_a = a.tokens.unwrap().access_token;
    let user_a = a.user.unwrap().user_id;
    let export_a = request(&h, &token_a, "").await.unwrap().export_id;
    let b = h.wechat_login(&app_b, "o_prb").await;
    let consumer_b = b.tokens.unwrap().access_token;

    let erase = |token: &str| {
        let mut r = authed(
            pb::EraseUserRequest {
                user_id: user_a.clone(),
                reason: "verified request by phone".into(),
                ..Default::default()
            },
            token,
        );
        r.metadata_mut()
            .insert("x-client-ip", "10.1.1.1".parse().unwrap());
        r
    };
    let cases: Vec<(&str, Result<(), tonic::Status>, &str)> = vec![
        (
            "request by staff B",
            request(&h, &admin_b, &user_a).await.map(drop),
            "USER_NOT_FOUND",
        ),
        (
            "request by consumer B",
            request(&h, &consumer_b, &user_a).await.map(drop),
            "USER_NOT_FOUND",
        ),
        (
            "get by staff B",
            get(&h, &admin_b, &export_a).await.map(drop),
            "EXPORT_NOT_FOUND",
        ),
        (
            "get by consumer B",
            get(&h, &consumer_b, &export_a).await.map(drop),
            "EXPORT_NOT_FOUND",
        ),
        (
            "download by consumer B",
            download(&h, &consumer_b, &export_a).await.map(drop),
            "EXPORT_NOT_FOUND",
        ),
        (
            "erase by staff B",
            h.users().erase_user(erase(&admin_b)).await.map(drop),
            "USER_NOT_FOUND",
        ),
        (
            "erase by consumer B",
            h.users().erase_user(erase(&consumer_b)).await.map(drop),
            "USER_NOT_FOUND",
        ),
    ];
    for (name, result, reason) in cases {
        let err = result.expect_err(name);
        assert_eq!(err.code(), Code::NotFound, "{name}: {err:?}");
        assert_reason(&err, Code::NotFound, reason);
    }
    // Nothing happened to A.
    let q = "SELECT COUNT(*) AS n FROM identity_users WHERE id = $1 AND status = 'ACTIVE'";
    assert_eq!(count(&h, q, &user_a).await, 1);
}
