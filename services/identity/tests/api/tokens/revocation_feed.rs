//! TokenService: the revocation feed (cursor paging, services only, 24 h retention, late
//! commits never skipped) and the audit of signing-key rotation.

use std::collections::HashSet;

use futures::future::join_all;
use sea_orm::ConnectionTrait as _;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed, service_token, violations};

async fn feed(
    h: &Harness,
    token: &str,
    cursor: &str,
    limit: i32,
) -> pb::ListTokenRevocationsResponse {
    h.tokens()
        .list_token_revocations(authed(
            pb::ListTokenRevocationsRequest {
                cursor: cursor.into(),
                limit,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn logout(h: &Harness, access_token: &str) {
    h.tokens()
        .logout(authed(pb::LogoutRequest::default(), access_token))
        .await
        .unwrap();
}

async fn raw(h: &Harness, sql: &str) {
    h.db.db
        .execute_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            sql.to_owned(),
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_feed_pages_by_cursor_for_services_only() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("rv1").await;
    let svc = service_token(&h, &tenant).await;
    let mut sids = Vec::new();
    for i in 0..3 {
        let tokens = h
            .wechat_login(&app_id, &format!("o_rv1_{i}"))
            .await
            .tokens
            .unwrap();
        logout(&h, &tokens.access_token).await;
        sids.push(tokens.session_id);
    }
    let first = feed(&h, &svc, "", 2).await;
    assert_eq!(first.revocations.len(), 2);
    let second = feed(&h, &svc, &first.cursor, 2).await;
    assert_eq!(second.revocations.len(), 1);
    let got: Vec<_> = first
        .revocations
        .iter()
        .chain(&second.revocations)
        .map(|r| {
            assert_eq!(r.kind, pb::RevocationKind::Session as i32);
            assert_eq!(r.tenant_id, tenant);
            r.value.clone()
        })
        .collect();
    assert_eq!(got, sids, "oldest first");
    let idle = feed(&h, &svc, &second.cursor, 0).await;
    assert!(idle.revocations.is_empty());
    assert_eq!(idle.cursor, second.cursor);

    // Entries older than 24 hours are gone.
    raw(
        &h,
        "INSERT INTO identity_token_revocations (id, kind, tenant_id, value, revoked_at) \
         VALUES ('old-1', 'SESSION', 'x', 'old-sid', now() - interval '25 hours')",
    )
    .await;
    let all = feed(&h, &svc, "", 0).await;
    assert!(all.revocations.iter().all(|r| r.value != "old-sid"));
    assert_eq!(all.revocations.len(), 3);

    let staff = h
        .tokens()
        .list_token_revocations(authed(pb::ListTokenRevocationsRequest::default(), &admin))
        .await
        .unwrap_err();
    assert_reason(&staff, Code::PermissionDenied, "PERMISSION_DENIED");
    for (req, field) in [
        (
            pb::ListTokenRevocationsRequest {
                cursor: String::new(),
                limit: 10_001,
            },
            "limit",
        ),
        (
            pb::ListTokenRevocationsRequest {
                cursor: "not-a-cursor".into(),
                limit: 0,
            },
            "cursor",
        ),
    ] {
        let status = h
            .tokens()
            .list_token_revocations(authed(req, &svc))
            .await
            .unwrap_err();
        assert_reason(&status, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(violations(&status), vec![field]);
    }
}

#[tokio::test]
async fn a_revocation_committed_after_the_cursor_moved_on_is_still_delivered() {
    let h = Harness::start().await;
    let (tenant, app_id, _) = h.tenant_with_app("rv2").await;
    let svc = service_token(&h, &tenant).await;
    let tokens = h.wechat_login(&app_id, "o_rv2").await.tokens.unwrap();
    logout(&h, &tokens.access_token).await;
    let seen = feed(&h, &svc, "", 0).await;
    assert_eq!(seen.revocations.len(), 1);
    // A row whose transaction began earlier (older revoke time) but commits only now.
    raw(
        &h,
        &format!(
            "INSERT INTO identity_token_revocations (id, kind, tenant_id, value, revoked_at) \
             VALUES ('late-1', 'SUBJECT', '{tenant}', 'late-subject', now() - interval '1 hour')"
        ),
    )
    .await;
    let next = feed(&h, &svc, &seen.cursor, 0).await;
    assert_eq!(next.revocations.len(), 1);
    assert_eq!(next.revocations[0].value, "late-subject");
    assert_eq!(next.revocations[0].kind, pb::RevocationKind::Subject as i32);
}

#[tokio::test]
async fn pollers_racing_logouts_see_every_revocation_exactly_once() {
    let h = Harness::start().await;
    let (tenant, app_id, _) = h.tenant_with_app("rv3").await;
    let svc = service_token(&h, &tenant).await;
    let mut sessions = Vec::new();
    for i in 0..16 {
        sessions.push(
            h.wechat_login(&app_id, &format!("o_rv3_{i}"))
                .await
                .tokens
                .unwrap(),
        );
    }
    let logouts = sessions.iter().map(|t| {
        let mut client = h.tokens();
        let req = authed(pb::LogoutRequest::default(), &t.access_token);
        async move { client.logout(req).await.unwrap() }
    });
    let poll = async {
        let mut cursor = String::new();
        let mut seen = Vec::new();
        for _ in 0..40 {
            let page = feed(&h, &svc, &cursor, 3).await;
            seen.extend(page.revocations.into_iter().map(|r| r.value));
            cursor = page.cursor;
            tokio::task::yield_now().await;
        }
        (cursor, seen)
    };
    let (_, (mut cursor, mut seen)) = futures::join!(join_all(logouts), poll);
    loop {
        let page = feed(&h, &svc, &cursor, 3).await;
        if page.revocations.is_empty() {
            break;
        }
        seen.extend(page.revocations.into_iter().map(|r| r.value));
        assert!(seen.len() <= 64, "the feed keeps repeating: {seen:?}");
        cursor = page.cursor;
    }
    check(&seen, &sessions);
}

fn check(seen: &[String], sessions: &[pb::TokenPair]) {
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no entry twice: {seen:?}");
    let want: HashSet<&String> = sessions.iter().map(|t| &t.session_id).collect();
    assert_eq!(unique, want);
}

#[tokio::test]
async fn signing_key_rotation_is_audited_in_the_platform_chain() {
    let h = Harness::start().await;
    let platform = h.platform_token().await;
    let rotated = h
        .tokens()
        .rotate_signing_key(authed(
            pb::RotateSigningKeyRequest {
                reason: "scheduled".into(),
                ..Default::default()
            },
            &platform,
        ))
        .await
        .unwrap()
        .into_inner();
    let entries = h
        .audit()
        .list_audit_entries(authed(
            pb::ListAuditEntriesRequest {
                kinds: vec![pb::AuditKind::SigningKeyRotated as i32],
                ..Default::default()
            },
            &platform,
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(
        entry.subject.as_ref().unwrap().id,
        rotated.new_key.unwrap().kid
    );
    assert_eq!(entry.details["reason"], "scheduled");
    assert_eq!(
        entry.details["previous_kid"],
        rotated.previous_key.unwrap().kid
    );
}
