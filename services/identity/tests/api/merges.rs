//! ListUserMerges (either side of a merge, phones masked), staff MergeUsers and
//! ReverseUserMerge (dropped phones restored; one reversal wins; a reversal racing binds leaves
//! every identity on one live user).

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::consumers::phone_bind::{PHONE, bind, second_app};
use crate::helpers::{Harness, assert_reason, authed, count, violations};
use crate::idempotency::keyed;

#[tokio::test]
async fn merges_are_listed_from_both_sides() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("mrg").await;
    let app2 = second_app(&h, &admin).await;
    let older = h.wechat_login(&app_id, "o_old").await;
    let younger = h.wechat_login(&app2, "o_young").await;
    let older_id = older.user.unwrap().user_id;
    let younger_id = younger.user.unwrap().user_id;
    let code = h.control.phone_code(&app_id, PHONE).await.unwrap();
    bind(&h, &older.tokens.unwrap().access_token, code)
        .await
        .unwrap();
    let younger_token = younger.tokens.unwrap().access_token;
    let code = h.control.phone_code(&app2, PHONE).await.unwrap();
    let merge_id = bind(&h, &younger_token, code)
        .await
        .unwrap()
        .merge
        .unwrap()
        .merge_id;

    for user_id in [&older_id, &younger_id] {
        let merges = h
            .users()
            .list_user_merges(authed(
                pb::ListUserMergesRequest {
                    user_id: user_id.clone(),
                    page: None,
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .merges;
        assert_eq!(merges.len(), 1);
        let m = &merges[0];
        assert_eq!(m.merge_id, merge_id);
        assert_eq!(
            (m.kept_user_id.as_str(), m.merged_user_id.as_str()),
            (older_id.as_str(), younger_id.as_str())
        );
        assert_eq!(m.moved_identities.len(), 1);
        assert!(m.reverse_time.is_none());
    }
    let err = h
        .users()
        .list_user_merges(authed(pb::ListUserMergesRequest::default(), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["user_id".to_owned()]);
    let reversed = h
        .users()
        .reverse_user_merge(authed(
            pb::ReverseUserMergeRequest {
                merge_id: merge_id.clone(),
                reason: "customer asked".into(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .merge
        .unwrap();
    assert!(reversed.reverse_time.is_some());
    let merges = h
        .users()
        .list_user_merges(authed(
            pb::ListUserMergesRequest {
                user_id: younger_id.clone(),
                page: None,
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .merges;
    assert!(merges[0].reverse_time.is_some());
    assert_eq!(merges[0].reversed_by, reversed.reversed_by);
}

fn merge_req(a: &str, b: &str) -> pb::MergeUsersRequest {
    pb::MergeUsersRequest {
        user_id_a: a.into(),
        user_id_b: b.into(),
        reason: "one customer, two accounts".into(),
    }
}

fn reverse_req(merge_id: &str) -> pb::ReverseUserMergeRequest {
    pb::ReverseUserMergeRequest {
        merge_id: merge_id.into(),
        reason: "merged by mistake".into(),
    }
}

async fn user(h: &Harness, admin: &str, id: &str) -> pb::User {
    h.users()
        .get_user(authed(pb::GetUserRequest { user_id: id.into() }, admin))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap()
}

/// A consumer of `app` with phone `phone` bound (when given): (user id, access token).
async fn consumer(h: &Harness, app: &str, openid: &str, phone: Option<&str>) -> (String, String) {
    let login = h.wechat_login(app, openid).await;
    let token = login.tokens.unwrap().access_token;
    if let Some(phone) = phone {
        let code = h.control.phone_code(app, phone).await.unwrap();
        bind(h, &token, code).await.unwrap();
    }
    (login.user.unwrap().user_id, token)
}

#[tokio::test]
async fn staff_merges_keep_the_older_user_and_repeat_by_pair() {
    let h = Harness::start().await;
    let (_, app1, admin) = h.tenant_with_app("smg").await;
    let app2 = second_app(&h, &admin).await;
    let (older, _) = consumer(&h, &app1, "o_s_old", None).await;
    let (younger, young_token) = consumer(&h, &app2, "o_s_young", Some(PHONE)).await;
    let merge = h
        .users()
        .merge_users(keyed(merge_req(&younger, &older), &admin, "mrg-1"))
        .await
        .unwrap()
        .into_inner()
        .merge
        .unwrap();
    assert_eq!(
        (merge.kept_user_id.as_str(), merge.merged_user_id.as_str()),
        (older.as_str(), younger.as_str())
    );
    assert_eq!(merge.reason, "staff");
    assert_eq!(merge.moved_identities.len(), 2);
    assert!(
        merge
            .moved_identities
            .iter()
            .any(|i| i.value == "138****5678"),
        "masked for staff"
    );
    // The merged user's phone moved to the kept user; its session is dead.
    assert_eq!(user(&h, &admin, &older).await.phone, "138****5678");
    let err = h
        .users()
        .get_user(authed(pb::GetUserRequest::default(), &young_token))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOKEN_REVOKED");
    // The same pair again (either order, no key) answers the same merge.
    let again = h
        .users()
        .merge_users(authed(merge_req(&older, &younger), &admin))
        .await
        .unwrap()
        .into_inner()
        .merge
        .unwrap();
    assert_eq!(again.merge_id, merge.merge_id);
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1";
    assert_eq!(count(&h, q, "USERS_MERGED").await, 1);
    let q = "SELECT COUNT(*) AS n FROM siyu_outbox WHERE subject = $1";
    assert_eq!(count(&h, q, "identity.users_merged").await, 1);

    // A merged user with a third one: USER_MERGED naming the kept user.
    let (third, _) = consumer(&h, &app1, "o_s_third", None).await;
    let err = h
        .users()
        .merge_users(authed(merge_req(&younger, &third), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "USER_MERGED");
    // Two openids of one app: not one person.
    let err = h
        .users()
        .merge_users(authed(merge_req(&older, &third), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "MERGE_CONFLICT");
    let err = h
        .users()
        .merge_users(authed(merge_req(&older, &older), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["user_id_b".to_owned()]);
    let mut no_reason = merge_req(&older, &third);
    no_reason.reason.clear();
    let err = h
        .users()
        .merge_users(authed(no_reason, &admin))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), vec!["reason".to_owned()]);
    let err = h
        .users()
        .merge_users(authed(merge_req(&older, "nobody"), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["user_id_b".to_owned()]);
    let nobody = uuid::Uuid::now_v7().to_string();
    let err = h
        .users()
        .merge_users(authed(merge_req(&older, &nobody), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "USER_NOT_FOUND");
}

#[tokio::test]
async fn a_reversal_restores_moved_and_dropped_identities() {
    let h = Harness::start().await;
    let (_, app1, admin) = h.tenant_with_app("rev").await;
    let app2 = second_app(&h, &admin).await;
    // The younger caller binds the older user's number: its own previous number is dropped.
    let (older, _) = consumer(&h, &app1, "o_r_old", Some(PHONE)).await;
    let (younger, young_token) = consumer(&h, &app2, "o_r_young", Some("13900002222")).await;
    let code = h.control.phone_code(&app2, PHONE).await.unwrap();
    let merge_id = bind(&h, &young_token, code)
        .await
        .unwrap()
        .merge
        .unwrap()
        .merge_id;
    let q = "SELECT COUNT(*) AS n FROM identity_user_identities WHERE value = $1";
    assert_eq!(count(&h, q, "+8613900002222").await, 0);

    let reply = h
        .users()
        .reverse_user_merge(keyed(reverse_req(&merge_id), &admin, "rev-1"))
        .await
        .unwrap()
        .into_inner()
        .merge
        .unwrap();
    assert!(reply.reverse_time.is_some());
    assert!(reply.reversed_by.starts_with("staff:"));
    let replay = h
        .users()
        .reverse_user_merge(keyed(reverse_req(&merge_id), &admin, "rev-1"))
        .await
        .unwrap()
        .into_inner()
        .merge
        .unwrap();
    assert_eq!(replay, reply);
    let restored = user(&h, &admin, &younger).await;
    assert_eq!(restored.status, pb::UserStatus::Active as i32);
    assert_eq!(restored.phone, "139****2222");
    assert_eq!(user(&h, &admin, &older).await.phone, "138****5678");
    // The restored user logs in again with its openid.
    h.wechat_login(&app2, "o_r_young").await;
    let err = h
        .users()
        .reverse_user_merge(authed(reverse_req(&merge_id), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "MERGE_ALREADY_REVERSED");
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1";
    assert_eq!(count(&h, q, "MERGE_REVERSED").await, 1);
    let q = "SELECT COUNT(*) AS n FROM siyu_outbox WHERE subject = $1";
    assert_eq!(count(&h, q, "identity.users_merge_reversed").await, 1);

    // The kept caller's previous number is dropped and comes back too.
    let (a, a_token) = consumer(&h, &app1, "o_r_a", Some("13700003333")).await;
    let (b, _) = consumer(&h, &app2, "o_r_b", Some("13700004444")).await;
    let code = h.control.phone_code(&app1, "13700004444").await.unwrap();
    let merge_id = bind(&h, &a_token, code)
        .await
        .unwrap()
        .merge
        .unwrap()
        .merge_id;
    h.users()
        .reverse_user_merge(authed(reverse_req(&merge_id), &admin))
        .await
        .unwrap();
    assert_eq!(user(&h, &admin, &a).await.phone, "137****3333");
    assert_eq!(user(&h, &admin, &b).await.phone, "137****4444");

    // Not reversible: the dropped number has a new owner, or the record predates `dropped`.
    let (c, _) = consumer(&h, &app1, "o_r_c", Some("13600005555")).await;
    let (_, d_token) = consumer(&h, &app2, "o_r_d", Some("13600006666")).await;
    let _ = c;
    let code = h.control.phone_code(&app2, "13600005555").await.unwrap();
    let merge_id = bind(&h, &d_token, code)
        .await
        .unwrap()
        .merge
        .unwrap()
        .merge_id;
    let app3 = second_app(&h, &admin).await;
    consumer(&h, &app3, "o_r_e", Some("13600006666")).await;
    let err = h
        .users()
        .reverse_user_merge(authed(reverse_req(&merge_id), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "MERGE_NOT_REVERSIBLE");
    use sea_orm::ConnectionTrait as _;
    h.db.db
        .execute_unprepared(&format!(
            "UPDATE identity_user_merges SET dropped = NULL WHERE id = '{merge_id}'"
        ))
        .await
        .unwrap();
    let err = h
        .users()
        .reverse_user_merge(authed(reverse_req(&merge_id), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "MERGE_NOT_REVERSIBLE");
    let err = h
        .users()
        .reverse_user_merge(authed(reverse_req("no-such-merge"), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["merge_id".to_owned()]);
    let err = h
        .users()
        .reverse_user_merge(authed(
            reverse_req(&uuid::Uuid::now_v7().to_string()),
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "MERGE_NOT_FOUND");
    let err = h
        .users()
        .reverse_user_merge(authed(reverse_req(""), &admin))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), vec!["merge_id".to_owned()]);
    // Consumers may not reverse (the reversal above revoked `a_token`: a fresh consumer).
    let (_, fresh) = consumer(&h, &app1, "o_r_fresh", None).await;
    let err = h
        .users()
        .reverse_user_merge(authed(reverse_req(&merge_id), &fresh))
        .await
        .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn of_concurrent_reversals_of_one_merge_exactly_one_wins() {
    let h = Harness::start().await;
    let (_, app1, admin) = h.tenant_with_app("rvc").await;
    let app2 = second_app(&h, &admin).await;
    let (older, _) = consumer(&h, &app1, "o_c_old", Some(PHONE)).await;
    let (_, young_token) = consumer(&h, &app2, "o_c_young", Some("13900007777")).await;
    let code = h.control.phone_code(&app2, PHONE).await.unwrap();
    let merge_id = bind(&h, &young_token, code)
        .await
        .unwrap()
        .merge
        .unwrap()
        .merge_id;
    let calls = (0..8).map(|_| {
        let mut c = h.users();
        let req = authed(reverse_req(&merge_id), &admin);
        async move { c.reverse_user_merge(req).await.map(drop) }
    });
    let results = futures::future::join_all(calls).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_reason(err, Code::FailedPrecondition, "MERGE_ALREADY_REVERSED");
    }
    let q = "SELECT COUNT(*) AS n FROM identity_user_identities WHERE user_id = $1";
    assert_eq!(
        count(&h, q, &older).await,
        2,
        "openid + the bound phone stay"
    );
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1";
    assert_eq!(count(&h, q, "MERGE_REVERSED").await, 1);
}

/// Every identity of the tenant sits on exactly one ACTIVE user, no user holds two phones, and
/// `users.phone` is the user's phone identity.
async fn assert_identities_on_live_users(h: &Harness, tenant: &str) {
    for q in [
        "SELECT COUNT(*) AS n FROM identity_user_identities i JOIN identity_users u \
         ON u.id = i.user_id WHERE i.tenant_id = $1 AND u.status <> 'ACTIVE'",
        "SELECT COUNT(*) AS n FROM (SELECT user_id FROM identity_user_identities \
         WHERE tenant_id = $1 AND kind = 'PHONE' GROUP BY user_id HAVING COUNT(*) > 1) t",
        "SELECT COUNT(*) AS n FROM identity_users u WHERE u.tenant_id = $1 AND \
         COALESCE(u.phone, '') <> COALESCE((SELECT MIN(i.value) FROM identity_user_identities i \
         WHERE i.user_id = u.id AND i.kind = 'PHONE'), '')",
    ] {
        assert_eq!(count(h, q, tenant).await, 0, "{q}");
    }
}

#[tokio::test]
async fn a_reversal_racing_binds_of_its_numbers_leaves_every_identity_on_one_live_user() {
    let h = Harness::start().await;
    let (tenant, app1, admin) = h.tenant_with_app("rvr").await;
    let mut apps = vec![app1];
    for _ in 0..3 {
        apps.push(second_app(&h, &admin).await);
    }
    for round in 0..3 {
        let p0 = format!("1370000{round}000");
        let p1 = format!("1370000{round}111");
        // The older user binds the younger's number: the younger's P1 moves, its own P0 is
        // dropped (recorded); the reversal moves P1 back and restores P0.
        let (_, a_token) = consumer(&h, &apps[0], &format!("o_a{round}"), Some(&p0)).await;
        consumer(&h, &apps[1], &format!("o_b{round}"), Some(&p1)).await;
        let code = h.control.phone_code(&apps[0], &p1).await.unwrap();
        let merge_id = bind(&h, &a_token, code)
            .await
            .unwrap()
            .merge
            .unwrap()
            .merge_id;
        let (_, z_token) = consumer(&h, &apps[2], &format!("o_z{round}"), None).await;
        let (_, w_token) = consumer(&h, &apps[3], &format!("o_w{round}"), None).await;
        let z_code = h.control.phone_code(&apps[2], &p1).await.unwrap();
        let w_code = h.control.phone_code(&apps[3], &p0).await.unwrap();
        let reversal = {
            let mut c = h.users();
            let req = authed(reverse_req(&merge_id), &admin);
            async move { c.reverse_user_merge(req).await.map(drop) }
        };
        let (reversed, z, w) = tokio::join!(
            reversal,
            bind(&h, &z_token, z_code),
            bind(&h, &w_token, w_code)
        );
        if let Err(err) = &reversed {
            assert_reason(err, Code::FailedPrecondition, "MERGE_NOT_REVERSIBLE");
        }
        z.unwrap();
        w.unwrap();
        assert_identities_on_live_users(&h, &tenant).await;
    }
}
