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

fn list_req(size: i32, token: &str) -> pb::ListAuditEntriesRequest {
    pb::ListAuditEntriesRequest {
        page: Some(siyu_proto::common::v1::PageRequest {
            page_size: size,
            page_token: token.into(),
        }),
        ..Default::default()
    }
}

async fn all_pages(
    h: &Harness,
    token: &str,
    mut req: pb::ListAuditEntriesRequest,
) -> Vec<pb::AuditEntry> {
    let mut out = Vec::new();
    loop {
        let page = h
            .audit()
            .list_audit_entries(authed(req.clone(), token))
            .await
            .unwrap()
            .into_inner();
        out.extend(page.entries);
        let next = page.page.unwrap().next_page_token;
        if next.is_empty() {
            return out;
        }
        req.page.as_mut().unwrap().page_token = next;
        assert!(out.len() < 500, "paging does not end");
    }
}

#[tokio::test]
async fn entries_page_by_token_filter_and_read_one_by_one() {
    use crate::helpers::{assert_reason, violations};
    use tonic::Code;
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("au3").await;
    for i in 0..4 {
        h.wechat_login(&app_id, &format!("o_au3_{i}")).await;
    }
    let total = crate::helpers::count(
        &h,
        "SELECT COUNT(*) AS n FROM identity_audit_log WHERE tenant_id = $1",
        &tenant,
    )
    .await;
    let desc = all_pages(&h, &admin, list_req(2, "")).await;
    assert_eq!(desc.len() as i64, total);
    assert!(desc.windows(2).all(|w| w[0].sequence > w[1].sequence));
    let mut asc_req = list_req(3, "");
    asc_req.ascending = true;
    let asc = all_pages(&h, &admin, asc_req).await;
    assert_eq!(asc.len() as i64, total);
    assert_eq!(asc[0].sequence, 1);
    assert!(asc.windows(2).all(|w| w[0].sequence < w[1].sequence));

    let mut logins = list_req(0, "");
    logins.kinds = vec![pb::AuditKind::ConsumerLogin as i32];
    logins.actor_kind = pb::PrincipalKind::Consumer as i32;
    logins.outcome = pb::AuditOutcome::Success as i32;
    let found = all_pages(&h, &admin, logins.clone()).await;
    assert_eq!(found.len(), 4);
    let mut by_actor = list_req(0, "");
    by_actor.actor_id = found[0].actor.as_ref().unwrap().id.clone();
    let mine = all_pages(&h, &admin, by_actor).await;
    assert!(!mine.is_empty());
    assert!(
        mine.iter()
            .all(|e| e.actor.as_ref().unwrap().id == by_actor_id(&found[0]))
    );
    let mut future = list_req(0, "");
    future.start_time = Some(prost_types::Timestamp {
        seconds: 4_000_000_000,
        nanos: 0,
    });
    assert!(all_pages(&h, &admin, future).await.is_empty());

    // A token of one filter is refused by another.
    let first = h
        .audit()
        .list_audit_entries(authed(list_req(1, ""), &admin))
        .await
        .unwrap()
        .into_inner();
    let token = first.page.unwrap().next_page_token;
    let mut other = logins.clone();
    other.page = Some(siyu_proto::common::v1::PageRequest {
        page_size: 1,
        page_token: token,
    });
    let status = h
        .audit()
        .list_audit_entries(authed(other, &admin))
        .await
        .unwrap_err();
    assert_reason(&status, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&status), vec!["page.page_token"]);
    let mut inverted = list_req(0, "");
    inverted.start_time = Some(prost_types::Timestamp {
        seconds: 2_000,
        nanos: 0,
    });
    inverted.end_time = Some(prost_types::Timestamp {
        seconds: 1_000,
        nanos: 0,
    });
    let status = h
        .audit()
        .list_audit_entries(authed(inverted, &admin))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["start_time"]);
    let mut bad_kind = list_req(0, "");
    bad_kind.kinds = vec![0, 9999];
    let status = h
        .audit()
        .list_audit_entries(authed(bad_kind, &admin))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["kinds[0]", "kinds[1]"]);

    // GetAuditEntry: the same entry as listed; unknown and other tenants' ids are NOT_FOUND.
    let got = h
        .audit()
        .get_audit_entry(authed(
            pb::GetAuditEntryRequest {
                entry_id: desc[0].entry_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .entry
        .unwrap();
    assert_eq!(got, desc[0]);
    let (_, _, other_admin) = h.tenant_with_app("au3b").await;
    for (token, id) in [
        (&admin, uuid::Uuid::now_v7().to_string()),
        (&other_admin, desc[0].entry_id.clone()),
    ] {
        let status = h
            .audit()
            .get_audit_entry(authed(pb::GetAuditEntryRequest { entry_id: id }, token))
            .await
            .unwrap_err();
        assert_reason(&status, Code::NotFound, "AUDIT_ENTRY_NOT_FOUND");
    }
    let empty = h
        .audit()
        .get_audit_entry(authed(pb::GetAuditEntryRequest::default(), &admin))
        .await
        .unwrap_err();
    assert_eq!(violations(&empty), vec!["entry_id"]);
    let consumer = h.wechat_login(&app_id, "o_au3_x").await.tokens.unwrap();
    let denied = h
        .audit()
        .get_audit_entry(authed(
            pb::GetAuditEntryRequest {
                entry_id: desc[0].entry_id.clone(),
            },
            &consumer.access_token,
        ))
        .await
        .unwrap_err();
    assert_reason(&denied, Code::PermissionDenied, "PERMISSION_DENIED");
    // Another tenant's listing holds none of this tenant's entries.
    let theirs = all_pages(&h, &other_admin, list_req(0, "")).await;
    assert!(
        theirs
            .iter()
            .all(|e| desc.iter().all(|d| d.entry_id != e.entry_id))
    );
}

fn by_actor_id(e: &pb::AuditEntry) -> String {
    e.actor.as_ref().unwrap().id.clone()
}

#[tokio::test]
async fn paging_while_entries_are_appended_never_repeats_or_skips() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("au4").await;
    for i in 0..6 {
        h.wechat_login(&app_id, &format!("o_au4_{i}")).await;
    }
    let before = crate::helpers::count(
        &h,
        "SELECT COUNT(*) AS n FROM identity_audit_log WHERE tenant_id = $1",
        &tenant,
    )
    .await;
    let openids: Vec<String> = (0..8).map(|i| format!("o_au4_new_{i}")).collect();
    let appends = futures::future::join_all(openids.iter().map(|o| h.wechat_login(&app_id, o)));
    let mut asc = list_req(2, "");
    asc.ascending = true;
    let (_, desc, asc) = futures::join!(
        appends,
        all_pages(&h, &admin, list_req(2, "")),
        all_pages(&h, &admin, asc)
    );
    for list in [&desc, &asc] {
        let mut seqs: Vec<i64> = list.iter().map(|e| e.sequence).collect();
        let n = seqs.len();
        seqs.sort_unstable();
        seqs.dedup();
        assert_eq!(seqs.len(), n, "no entry twice");
    }
    // Descending starts below whatever head it saw first and reaches sequence 1 without gaps.
    assert!(desc.len() as i64 >= before);
    assert_eq!(desc.last().unwrap().sequence, 1);
    assert!(desc.windows(2).all(|w| w[0].sequence == w[1].sequence + 1));
    assert!(asc.windows(2).all(|w| w[0].sequence + 1 == w[1].sequence));
}
