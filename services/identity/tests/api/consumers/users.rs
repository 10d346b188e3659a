//! UserService: profile, linked identities, consents; callers and masking; bad input.

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed};

pub fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

pub async fn update(
    h: &Harness,
    token: &str,
    user_id: &str,
    profile: pb::UserProfile,
    paths: &[&str],
) -> Result<pb::User, tonic::Status> {
    h.users()
        .update_user_profile(authed(
            pb::UpdateUserProfileRequest {
                user_id: user_id.into(),
                profile: Some(profile),
                update_mask: mask(paths),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().user.unwrap())
}

fn profile() -> pb::UserProfile {
    pb::UserProfile {
        nickname: "小明".into(),
        avatar_url: "https://img.example.com/a.png".into(),
        gender: pb::Gender::Male as i32,
        birthday: "1990-02-03".into(),
    }
}

#[tokio::test]
async fn consumers_edit_their_profile_and_staff_see_the_phone_masked() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("usr").await;
    let login = h.wechat_login(&app_id, "o_usr").await;
    let token = login.tokens.unwrap().access_token;
    let user_id = login.user.unwrap().user_id;
    let code = h
        .control
        .phone_code(&app_id, crate::consumers::phone_bind::PHONE)
        .await
        .unwrap();
    crate::consumers::phone_bind::bind(&h, &token, code)
        .await
        .unwrap();

    let all = ["nickname", "avatar_url", "gender", "birthday"];
    let updated = update(&h, &token, "", profile(), &all).await.unwrap();
    assert_eq!(updated.profile.unwrap(), profile());
    // Only the masked paths change.
    let partial = pb::UserProfile {
        nickname: "阿明".into(),
        ..Default::default()
    };
    let user = update(&h, &token, "", partial, &["nickname"])
        .await
        .unwrap();
    let p = user.profile.unwrap();
    assert_eq!(
        (p.nickname.as_str(), p.birthday.as_str()),
        ("阿明", "1990-02-03")
    );

    let own = h
        .users()
        .get_user(authed(pb::GetUserRequest::default(), &token))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(
        (own.phone.as_str(), own.phone_masked),
        (crate::consumers::phone_bind::E164, false)
    );
    let seen = h
        .users()
        .get_user(authed(
            pb::GetUserRequest {
                user_id: user_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(
        (seen.phone.as_str(), seen.phone_masked),
        ("138****5678", true)
    );
    let batch = h
        .users()
        .batch_get_users(authed(
            pb::BatchGetUsersRequest {
                user_ids: vec![
                    user_id.clone(),
                    "01900000-0000-7000-8000-000000000000".into(),
                ],
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .users;
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].phone, "138****5678");

    // Staff edits are audited.
    update(&h, &admin, &user_id, profile(), &["nickname"])
        .await
        .unwrap();
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1";
    assert_eq!(
        crate::helpers::count(&h, q, "PROFILE_UPDATED_BY_STAFF").await,
        1
    );

    // Another consumer cannot read or edit this one.
    let other = h
        .wechat_login(&app_id, "o_other")
        .await
        .tokens
        .unwrap()
        .access_token;
    let err = h
        .users()
        .get_user(authed(
            pb::GetUserRequest {
                user_id: user_id.clone(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "USER_NOT_FOUND");

    let ids = h
        .users()
        .list_linked_identities(authed(
            pb::ListLinkedIdentitiesRequest {
                user_id: user_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .identities;
    let phone = ids
        .iter()
        .find(|i| i.kind == pb::IdentityKind::Phone as i32)
        .unwrap();
    assert_eq!(phone.value, "138****5678");
    assert!(
        ids.iter()
            .any(|i| i.kind == pb::IdentityKind::WechatOpenid as i32)
    );
    let own_ids = h
        .users()
        .list_linked_identities(authed(pb::ListLinkedIdentitiesRequest::default(), &token))
        .await
        .unwrap()
        .into_inner()
        .identities;
    assert!(
        own_ids
            .iter()
            .any(|i| i.value == crate::consumers::phone_bind::E164)
    );
}

#[tokio::test]
async fn bad_profile_input_names_the_field_and_reason() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("usb").await;
    let token = h
        .wechat_login(&app_id, "o_usb")
        .await
        .tokens
        .unwrap()
        .access_token;
    let cases: Vec<(pb::UserProfile, &[&str], &str, &str)> = vec![
        (
            pb::UserProfile::default(),
            &["nickname"],
            "INVALID_ARGUMENT",
            "profile.nickname",
        ),
        (
            pb::UserProfile {
                nickname: "字".repeat(33),
                ..Default::default()
            },
            &["nickname"],
            "INVALID_ARGUMENT",
            "profile.nickname",
        ),
        (
            pb::UserProfile {
                avatar_url: "http://img.example.com/a.png".into(),
                ..Default::default()
            },
            &["avatar_url"],
            "INVALID_ARGUMENT",
            "profile.avatar_url",
        ),
        (
            pb::UserProfile {
                gender: 9,
                ..Default::default()
            },
            &["gender"],
            "INVALID_ARGUMENT",
            "profile.gender",
        ),
        (
            pb::UserProfile {
                birthday: "1990-2-3".into(),
                ..Default::default()
            },
            &["birthday"],
            "INVALID_BIRTHDAY",
            "profile.birthday",
        ),
        (
            pb::UserProfile {
                birthday: "2999-01-01".into(),
                ..Default::default()
            },
            &["birthday"],
            "INVALID_BIRTHDAY",
            "profile.birthday",
        ),
        (
            pb::UserProfile {
                birthday: "1990-02-30".into(),
                ..Default::default()
            },
            &["birthday"],
            "INVALID_BIRTHDAY",
            "profile.birthday",
        ),
        (profile(), &[], "INVALID_ARGUMENT", "update_mask"),
        (profile(), &["phone"], "INVALID_ARGUMENT", "update_mask"),
    ];
    for (p, paths, reason, field) in cases {
        let err = update(&h, &token, "", p, paths).await.unwrap_err();
        assert_reason(&err, Code::InvalidArgument, reason);
        assert_eq!(
            crate::helpers::violations(&err),
            vec![field.to_owned()],
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn consents_are_appended_and_the_latest_per_kind_and_channel_is_current() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("usc").await;
    let login = h.wechat_login(&app_id, "o_usc").await;
    let token = login.tokens.unwrap().access_token;
    let user_id = login.user.unwrap().user_id;
    let record = |kind: pb::ConsentKind, channel: pb::ConsentChannel, version: &str, granted| {
        pb::RecordConsentRequest {
            user_id: String::new(),
            kind: kind as i32,
            channel: channel as i32,
            version: version.into(),
            granted,
            source: "mini_program".into(),
        }
    };
    use pb::{ConsentChannel as C, ConsentKind as K};
    for req in [
        record(K::PrivacyPolicy, C::Unspecified, "2024-06-01", true),
        record(K::Marketing, C::Sms, "", true),
        record(K::Marketing, C::Sms, "", false),
        record(K::Marketing, C::Wechat, "", true),
    ] {
        let mut request = authed(req, &token);
        request
            .metadata_mut()
            .insert("x-client-ip", "10.1.2.3".parse().unwrap());
        let c = h
            .users()
            .record_consent(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(c.consent.unwrap().ip_masked, "10.1.2.*");
    }
    let list = h
        .users()
        .list_consents(authed(
            pb::ListConsentsRequest {
                user_id,
                page: None,
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.history.len(), 4);
    assert_eq!(list.current.len(), 3);
    let sms = list
        .current
        .iter()
        .find(|c| c.channel == C::Sms as i32)
        .unwrap();
    assert!(!sms.granted);
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1";
    assert_eq!(crate::helpers::count(&h, q, "CONSENT_RECORDED").await, 1);

    for (req, reason, field) in [
        (
            record(K::PrivacyPolicy, C::Unspecified, "", true),
            "CONSENT_VERSION_REQUIRED",
            "version",
        ),
        (
            record(K::Marketing, C::Unspecified, "", true),
            "CONSENT_CHANNEL_REQUIRED",
            "channel",
        ),
        (
            record(K::Unspecified, C::Unspecified, "v1", true),
            "INVALID_ARGUMENT",
            "kind",
        ),
    ] {
        let err = h
            .users()
            .record_consent(authed(req, &token))
            .await
            .unwrap_err();
        assert_reason(&err, Code::InvalidArgument, reason);
        assert_eq!(crate::helpers::violations(&err), vec![field.to_owned()]);
    }
    // Idempotent: the same key replays the stored record.
    let keyed = || {
        let mut r = authed(record(K::Marketing, C::Email, "", true), &token);
        r.metadata_mut()
            .insert("x-idempotency-key", "consent-key-0001".parse().unwrap());
        r
    };
    let first = h
        .users()
        .record_consent(keyed())
        .await
        .unwrap()
        .into_inner();
    let again = h
        .users()
        .record_consent(keyed())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
}

#[tokio::test]
async fn profile_and_consents_work_on_sqlite() {
    let db = siyu_testkit::TestDb::sqlite::<siyu_identity::Migrator>()
        .await
        .unwrap();
    let h = Harness::start_on(db).await;
    let (_, app_id, _) = h.tenant_with_app("ulite").await;
    let token = h
        .wechat_login(&app_id, "o_ulite")
        .await
        .tokens
        .unwrap()
        .access_token;
    let all = ["nickname", "avatar_url", "gender", "birthday"];
    let user = update(&h, &token, "", profile(), &all).await.unwrap();
    assert_eq!(user.profile.unwrap(), profile());
    let consent = pb::RecordConsentRequest {
        kind: pb::ConsentKind::Marketing as i32,
        channel: pb::ConsentChannel::Sms as i32,
        granted: false,
        source: "h5".into(),
        ..Default::default()
    };
    h.users()
        .record_consent(authed(consent, &token))
        .await
        .unwrap();
    let list = h
        .users()
        .list_consents(authed(pb::ListConsentsRequest::default(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.current.len(), 1);
    assert!(!list.current[0].granted);
}
