//! ListUserMerges (either side of a merge, phones masked); ReverseUserMerge stays unimplemented.

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed, violations};
use crate::phone::{PHONE, bind, second_app};

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
    let err = h
        .users()
        .reverse_user_merge(authed(
            pb::ReverseUserMergeRequest {
                merge_id,
                reason: "customer asked".into(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
}
