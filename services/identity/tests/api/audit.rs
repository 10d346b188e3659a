//! The hash-chained audit log detects edited and deleted rows.

use sea_orm::ConnectionTrait as _;
use siyu_proto::identity::v1 as pb;

use crate::helpers::{Harness, authed};

async fn verify(h: &Harness, token: &str) -> pb::VerifyAuditChainResponse {
    h.audit()
        .verify_audit_chain(authed(pb::VerifyAuditChainRequest::default(), token))
        .await
        .unwrap()
        .into_inner()
}

async fn raw(h: &Harness, sql: &str, tenant: &str) {
    h.db.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            [tenant.into()],
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_edited_row_breaks_the_chain() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("au1").await;
    h.wechat_login(&app_id, "o_a").await;
    let intact = verify(&h, &admin).await;
    assert!(intact.intact, "{intact:?}");
    assert!(intact.checked_count >= 3);
    let listed = h
        .audit()
        .list_audit_entries(authed(pb::ListAuditEntriesRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(
        listed
            .iter()
            .any(|e| e.kind == pb::AuditKind::ConsumerLogin as i32)
    );
    raw(
        &h,
        "UPDATE identity_audit_log SET outcome = 'FAILURE' WHERE tenant_id = $1 AND seq = 2",
        &tenant,
    )
    .await;
    let broken = verify(&h, &admin).await;
    assert!(!broken.intact);
    let b = broken.first_break.unwrap();
    assert_eq!(b.kind, pb::ChainBreakKind::HashMismatch as i32);
    assert_eq!(b.sequence, 2);
}

#[tokio::test]
async fn a_deleted_row_breaks_the_chain() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("au2").await;
    h.wechat_login(&app_id, "o_b").await;
    raw(
        &h,
        "DELETE FROM identity_audit_log WHERE tenant_id = $1 AND seq = 2",
        &tenant,
    )
    .await;
    let broken = verify(&h, &admin).await;
    assert!(!broken.intact);
    assert_eq!(
        broken.first_break.unwrap().kind,
        pb::ChainBreakKind::SequenceGap as i32
    );
}
