//! UserService PIPL/GDPR: data exports (background job, one in flight per user, sealed at
//! rest, consumer-only download, expiry). Erasure and tenant isolation are in `privacy/`.

mod erasure;
mod isolation;

use std::time::Duration;

use futures::future::join_all;
use sea_orm::ConnectionTrait as _;
use sha2::{Digest, Sha256};
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed, count, violations};

/// Runs a raw statement with one text parameter.
pub async fn exec(h: &Harness, sql: &str, param: &str) {
    h.db.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            [param.into()],
        ))
        .await
        .unwrap();
}

pub async fn request(
    h: &Harness,
    token: &str,
    user_id: &str,
) -> Result<pb::DataExport, tonic::Status> {
    h.users()
        .request_data_export(authed(
            pb::RequestDataExportRequest {
                user_id: user_id.into(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().export.unwrap())
}

pub async fn get(h: &Harness, token: &str, id: &str) -> Result<pb::DataExport, tonic::Status> {
    h.users()
        .get_data_export(authed(
            pb::GetDataExportRequest {
                export_id: id.into(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().export.unwrap())
}

pub async fn download(
    h: &Harness,
    token: &str,
    id: &str,
) -> Result<pb::DownloadDataExportResponse, tonic::Status> {
    h.users()
        .download_data_export(authed(
            pb::DownloadDataExportRequest {
                export_id: id.into(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// Polls GetDataExport until the export has `status`.
pub async fn wait_status(h: &Harness, token: &str, id: &str, status: pb::DataExportStatus) {
    siyu_testkit::wait_until(Duration::from_secs(20), || async {
        get(h, token, id).await.unwrap().status == status as i32
    })
    .await
    .unwrap();
}

/// A consumer with a bound phone, a profile and a marketing consent: (user id, token).
pub async fn consumer_with_data(h: &Harness, app_id: &str, openid: &str) -> (String, String) {
    let login = h.wechat_login(app_id, openid).await;
    let token = login.tokens.unwrap().access_token;
    let user_id = login.user.unwrap().user_id;
    let code = h
        .control
        .phone_code(app_id, crate::consumers::phone_bind::PHONE)
        .await
        .unwrap();
    crate::consumers::phone_bind::bind(h, &token, code)
        .await
        .unwrap();
    let profile = pb::UserProfile {
        nickname: "小红".into(),
        birthday: "1991-04-05".into(),
        ..Default::default()
    };
    crate::consumers::users::update(h, &token, "", profile, &["nickname", "birthday"])
        .await
        .unwrap();
    h.users()
        .record_consent(authed(
            pb::RecordConsentRequest {
                kind: pb::ConsentKind::Marketing as i32,
                channel: pb::ConsentChannel::Sms as i32,
                granted: true,
                source: "mini_program".into(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap();
    (user_id, token)
}

#[tokio::test]
async fn an_export_is_built_in_the_background_sealed_and_downloaded_by_the_consumer() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("exp1").await;
    let (user_id, token) = consumer_with_data(&h, &app_id, "o_exp1").await;

    let export = request(&h, &token, "").await.unwrap();
    assert_eq!(export.user_id, user_id);
    assert!(export.request_time.is_some());
    wait_status(&h, &token, &export.export_id, pb::DataExportStatus::Ready).await;
    let ready = get(&h, &admin, &export.export_id).await.unwrap();
    assert!(ready.size_bytes > 0);
    let (finish, expire) = (ready.finish_time.unwrap(), ready.expire_time.unwrap());
    assert_eq!(expire.seconds - finish.seconds, 7 * 86_400);

    // Staff follow the job but cannot download it.
    let err = download(&h, &admin, &export.export_id).await.unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");

    let file = download(&h, &token, &export.export_id).await.unwrap();
    assert_eq!(file.content_type, "application/json");
    assert_eq!(file.file_name, format!("siyu-export-{user_id}.json"));
    assert_eq!(file.sha256, hex::encode(Sha256::digest(&file.payload)));
    assert_eq!(file.sha256, ready.sha256);
    assert_eq!(i64::try_from(file.payload.len()).unwrap(), ready.size_bytes);
    let doc: serde_json::Value = serde_json::from_slice(&file.payload).unwrap();
    assert_eq!(doc["user"]["user_id"], user_id.as_str());
    assert_eq!(doc["user"]["phone"], crate::consumers::phone_bind::E164);
    assert_eq!(doc["user"]["profile"]["nickname"], "小红");
    let identities = doc["linked_identities"].as_array().unwrap();
    assert!(identities.iter().any(|i| i["value"] == "o_exp1"));
    assert!(
        identities
            .iter()
            .any(|i| i["value"] == crate::consumers::phone_bind::E164)
    );
    assert_eq!(doc["consents"][0]["channel"], "SMS");
    assert!(!doc["sessions"].as_array().unwrap().is_empty());
    let events = doc["security_events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["kind"] == "PHONE_BOUND"));
    assert!(events.iter().all(|e| e.get("actor_id").is_none()));

    // PII at rest is sealed.
    let row =
        h.db.db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT payload FROM identity_data_exports WHERE id = $1",
                [export.export_id.clone().into()],
            ))
            .await
            .unwrap()
            .unwrap();
    let sealed: Vec<u8> = row.try_get("", "payload").unwrap();
    assert!(!sealed.windows(11).any(|w| w == b"13812345678"));
    assert!(!sealed.windows(6).any(|w| w == b"o_exp1"));

    let audited = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE target_id = $1 AND kind = ";
    let requested = count(&h, &format!("{audited}'DATA_EXPORT_REQUESTED'"), &user_id).await;
    let downloaded = count(&h, &format!("{audited}'DATA_EXPORT_DOWNLOADED'"), &user_id).await;
    assert_eq!((requested, downloaded), (1, 1));
}

#[tokio::test]
async fn sixteen_parallel_requests_make_one_job() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("exp2").await;
    let login = h.wechat_login(&app_id, "o_exp2").await;
    let token = login.tokens.unwrap().access_token;
    let user_id = login.user.unwrap().user_id;

    let calls = (0..16).map(|_| request(&h, &token, ""));
    let exports: Vec<pb::DataExport> = join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let first = &exports[0].export_id;
    assert!(exports.iter().all(|e| &e.export_id == first));
    let q = "SELECT COUNT(*) AS n FROM identity_data_exports WHERE user_id = $1";
    assert_eq!(count(&h, q, &user_id).await, 1);
    let q = "SELECT COUNT(*) AS n FROM siyu_jobs WHERE kind = $1";
    assert_eq!(count(&h, q, "identity.data_export").await, 1);
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE target_id = $1 \
             AND kind = 'DATA_EXPORT_REQUESTED'";
    assert_eq!(count(&h, q, &user_id).await, 1);
    wait_status(&h, &token, first, pb::DataExportStatus::Ready).await;
}

#[tokio::test]
async fn export_states_limits_and_bad_input() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("exp3").await;
    let login = h.wechat_login(&app_id, "o_exp3").await;
    let token = login.tokens.unwrap().access_token;

    let err = get(&h, &token, "").await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), ["export_id"]);
    let err = download(&h, &token, &"x".repeat(65)).await.unwrap_err();
    assert_eq!(violations(&err), ["export_id"]);
    let err = get(&h, &token, "no-such-export").await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), ["export_id"]);
    let nothing = uuid::Uuid::now_v7().to_string();
    let err = get(&h, &token, &nothing).await.unwrap_err();
    assert_reason(&err, Code::NotFound, "EXPORT_NOT_FOUND");
    let err = request(&h, &token, &"u".repeat(65)).await.unwrap_err();
    assert_eq!(violations(&err), ["user_id"]);

    let first = request(&h, &token, "").await.unwrap();
    wait_status(&h, &token, &first.export_id, pb::DataExportStatus::Ready).await;
    // Back in flight (as seen by a reader): not ready.
    let id = first.export_id.clone();
    exec(
        &h,
        "UPDATE identity_data_exports SET status = 'RUNNING' WHERE id = $1",
        &id,
    )
    .await;
    let err = download(&h, &token, &id).await.unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "EXPORT_NOT_READY");
    exec(
        &h,
        "UPDATE identity_data_exports SET status = 'READY' WHERE id = $1",
        &id,
    )
    .await;
    // Past its expiry: EXPIRED at once, the payload deleted by the purge job when due.
    let past = "UPDATE identity_data_exports SET expires_at = now() - interval '1 minute' \
                WHERE id = $1";
    exec(&h, past, &id).await;
    assert_eq!(
        get(&h, &token, &id).await.unwrap().status,
        pb::DataExportStatus::Expired as i32
    );
    let err = download(&h, &token, &id).await.unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "EXPORT_EXPIRED");
    let due = "UPDATE siyu_jobs SET run_at_ms = 0 WHERE kind = $1 AND status = 'pending'";
    exec(&h, due, "identity.data_export_purge").await;
    let purged = "SELECT COUNT(*) AS n FROM identity_data_exports \
                  WHERE id = $1 AND status = 'EXPIRED' AND payload IS NULL";
    siyu_testkit::wait_until(Duration::from_secs(20), || async {
        count(&h, purged, &id).await == 1
    })
    .await
    .unwrap();

    // Three exports in 30 days, then EXPORT_LIMIT.
    for _ in 0..2 {
        let next = request(&h, &token, "").await.unwrap();
        assert_ne!(next.export_id, id);
        wait_status(&h, &token, &next.export_id, pb::DataExportStatus::Ready).await;
    }
    let err = request(&h, &token, "").await.unwrap_err();
    assert_reason(&err, Code::ResourceExhausted, "EXPORT_LIMIT");
}

#[tokio::test]
async fn a_retried_request_with_the_same_key_replays_the_first_job() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("exp4").await;
    let login = h.wechat_login(&app_id, "o_exp4").await;
    let user_id = login.user.unwrap().user_id;
    let keyed = || {
        let mut r = authed(
            pb::RequestDataExportRequest {
                user_id: user_id.clone(),
            },
            &admin,
        );
        r.metadata_mut()
            .insert("x-idempotency-key", "export-1".parse().unwrap());
        r
    };
    let first = h.users().request_data_export(keyed()).await.unwrap();
    let id = first.into_inner().export.unwrap().export_id;
    wait_status(&h, &admin, &id, pb::DataExportStatus::Ready).await;
    // The job is no longer in flight, so only the stored reply can answer the same id.
    let again = h.users().request_data_export(keyed()).await.unwrap();
    assert_eq!(again.into_inner().export.unwrap().export_id, id);
    let q = "SELECT COUNT(*) AS n FROM identity_data_exports WHERE user_id = $1";
    assert_eq!(count(&h, q, &user_id).await, 1);
}

#[tokio::test]
async fn export_and_erasure_work_on_sqlite() {
    let db = siyu_testkit::TestDb::sqlite::<siyu_identity::Migrator>()
        .await
        .unwrap();
    let h = Harness::start_on(db).await;
    let (_, app_id, admin) = h.tenant_with_app("plite").await;
    let (user_id, token) = consumer_with_data(&h, &app_id, "o_plite").await;
    let calls = (0..4).map(|_| request(&h, &token, ""));
    let exports: Vec<pb::DataExport> = join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    // Requests join the export in flight (one per user at a time, by a unique index; joining
    // is proved under contention on Postgres). SQLite serves these one after another, and on a
    // busy machine the first export can finish before the last request is served, which then
    // starts the next one: each id is one row, and every one of them completes.
    let ids: std::collections::BTreeSet<&str> =
        exports.iter().map(|e| e.export_id.as_str()).collect();
    let q = "SELECT COUNT(*) AS n FROM identity_data_exports WHERE user_id = $1";
    assert_eq!(count(&h, q, &user_id).await, ids.len() as i64);
    for id in &ids {
        wait_status(&h, &token, id, pb::DataExportStatus::Ready).await;
    }
    let id = exports[0].export_id.clone();
    let file = download(&h, &token, &id).await.unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&file.payload).unwrap();
    assert_eq!(doc["user"]["phone"], crate::consumers::phone_bind::E164);

    let erase = pb::EraseUserRequest {
        user_id: user_id.clone(),
        reason: "verified request".into(),
        ..Default::default()
    };
    h.users().erase_user(authed(erase, &admin)).await.unwrap();
    let user = h
        .users()
        .get_user(authed(pb::GetUserRequest { user_id }, &admin))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(user.status, pb::UserStatus::Erased as i32);
    assert_eq!(
        (user.phone.as_str(), user.profile.unwrap().nickname.as_str()),
        ("", "")
    );
    assert_eq!(
        get(&h, &admin, &id).await.unwrap().status,
        pb::DataExportStatus::Expired as i32
    );
}
