//! Every ShareService RPC with malformed or hostile input: its exact code, reason and field.

use siyu_proto::content::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::both;
use crate::harness::{H, Tenant, code_reason, field, guest, with};
use crate::share_links::{content_link, create, guide, read, shares};

/// (code, reason, field) of a refusal.
fn refusal(s: &tonic::Status) -> (Code, String, String) {
    let (c, r) = code_reason(s);
    (c, r, field(s))
}

fn invalid(f: &str) -> (Code, String, String) {
    (Code::InvalidArgument, "INVALID_ARGUMENT".into(), f.into())
}

async fn share_rpcs_refuse_bad_input(h: H) {
    let t = Tenant::new(&h);
    let app = h.app_id(t.id);
    let article = h.article(&t.admin, "文章", &[]).await;
    let link = create(&h, &t.admin, content_link(&article.content_id))
        .await
        .share_link
        .unwrap();
    let mut c = shares(&h);
    let unknown = Uuid::nil().to_string();

    // CreateShareLink.
    let cases: Vec<(pb::CreateShareLinkRequest, (Code, String, String))> = vec![
        (
            pb::CreateShareLinkRequest {
                page_path: "pages/index/index".into(),
                ..Default::default()
            },
            (
                Code::InvalidArgument,
                "SOURCE_REQUIRED".into(),
                "source_kind".into(),
            ),
        ),
        (
            pb::CreateShareLinkRequest {
                source_kind: pb::ShareSourceKind::Campaign.into(),
                ..content_link(&article.content_id)
            },
            (
                Code::InvalidArgument,
                "SOURCE_REQUIRED".into(),
                "campaign_id".into(),
            ),
        ),
        (
            pb::CreateShareLinkRequest {
                source_kind: 9,
                ..content_link(&article.content_id)
            },
            invalid("source_kind"),
        ),
        (
            pb::CreateShareLinkRequest {
                content_id: "not-a-uuid".into(),
                ..content_link(&article.content_id)
            },
            invalid("content_id"),
        ),
        (
            content_link(&unknown),
            (Code::NotFound, "CONTENT_NOT_FOUND".into(), String::new()),
        ),
        (
            pb::CreateShareLinkRequest {
                page_path: String::new(),
                ..content_link(&article.content_id)
            },
            invalid("page_path"),
        ),
        (
            pb::CreateShareLinkRequest {
                page_path: "pages/a?x=1".into(),
                ..content_link(&article.content_id)
            },
            invalid("page_path"),
        ),
        (
            pb::CreateShareLinkRequest {
                label: "标".repeat(65),
                ..content_link(&article.content_id)
            },
            invalid("label"),
        ),
        (
            pb::CreateShareLinkRequest {
                channel: 99,
                ..content_link(&article.content_id)
            },
            invalid("channel"),
        ),
        (
            pb::CreateShareLinkRequest {
                expire_time: Some(prost_types::Timestamp {
                    seconds: crate::harness::START - 1,
                    nanos: 0,
                }),
                ..content_link(&article.content_id)
            },
            invalid("expire_time"),
        ),
        (
            pb::CreateShareLinkRequest {
                store_id: Uuid::nil().to_string(),
                ..content_link(&article.content_id)
            },
            invalid("store_id"),
        ),
    ];
    for (i, (req, want)) in cases.into_iter().enumerate() {
        // The store outside the caller's scope needs a scoped caller: the store manager.
        let token = if req.store_id.is_empty() {
            &t.admin
        } else {
            &t.manager
        };
        let err = c.create_share_link(with(req, token)).await.unwrap_err();
        assert_eq!(refusal(&err), want, "create case {i}");
    }
    // A guide naming another guide; a consumer naming an unknown parent link.
    let err = c
        .create_share_link(with(
            pb::CreateShareLinkRequest {
                guide_id: "staff-2".into(),
                ..content_link(&article.content_id)
            },
            &guide(&h, &t),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::PermissionDenied, "PERMISSION_DENIED".into())
    );
    let err = c
        .create_share_link(with(
            pb::CreateShareLinkRequest {
                parent_share_link_id: unknown.clone(),
                ..content_link(&article.content_id)
            },
            &t.consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "SHARE_LINK_NOT_FOUND".into())
    );

    // GetShareLink and DisableShareLink.
    for (id, want) in [
        ("", invalid("share_link_id")),
        ("x", invalid("share_link_id")),
        (
            unknown.as_str(),
            (Code::NotFound, "SHARE_LINK_NOT_FOUND".into(), String::new()),
        ),
    ] {
        let err = c
            .get_share_link(with(
                pb::GetShareLinkRequest {
                    share_link_id: id.into(),
                },
                &t.admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(refusal(&err), want, "get {id:?}");
        let err = c
            .disable_share_link(with(
                pb::DisableShareLinkRequest {
                    share_link_id: id.into(),
                },
                &t.admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(refusal(&err), want, "disable {id:?}");
    }
    // A guide cannot disable a link that is not theirs.
    let err = c
        .disable_share_link(with(
            pb::DisableShareLinkRequest {
                share_link_id: link.share_link_id.clone(),
            },
            &guide(&h, &t),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "SHARE_LINK_NOT_FOUND".into())
    );

    // ListShareLinks.
    for (req, f) in [
        (
            pb::ListShareLinksRequest {
                content_id: "x".into(),
                ..Default::default()
            },
            "content_id",
        ),
        (
            pb::ListShareLinksRequest {
                source_kind: 42,
                ..Default::default()
            },
            "source_kind",
        ),
        (
            pb::ListShareLinksRequest {
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 0,
                    page_token: "forged".into(),
                }),
                ..Default::default()
            },
            "page.page_token",
        ),
    ] {
        let err = c.list_share_links(with(req, &t.admin)).await.unwrap_err();
        assert_eq!(
            code_reason(&err),
            (Code::InvalidArgument, "INVALID_ARGUMENT".into())
        );
        assert!(
            field(&err).starts_with(f.split('.').next().unwrap()),
            "{f}: {}",
            field(&err)
        );
    }

    // ResolveSceneCode: malformed, over-long, unknown, guests naming no app.
    let over_long = format!("s={}", "A".repeat(31));
    for (code, want) in [
        ("", invalid("scene_code")),
        ("s=ABC", invalid("scene_code")),
        ("ABCDEFGHIL", invalid("scene_code")),
        ("s=ABCDE FGHJ", invalid("scene_code")),
        ("<script>1</", invalid("scene_code")),
        (over_long.as_str(), invalid("scene_code")),
        (
            "s=0000000000",
            (Code::NotFound, "SCENE_CODE_NOT_FOUND".into(), String::new()),
        ),
    ] {
        let err = c
            .resolve_scene_code(guest(
                pb::ResolveSceneCodeRequest {
                    scene_code: code.into(),
                    ..Default::default()
                },
                &app,
            ))
            .await
            .unwrap_err();
        assert_eq!(refusal(&err), want, "scene code {code:?}");
    }
    let err = c
        .resolve_scene_code(tonic::Request::new(pb::ResolveSceneCodeRequest {
            scene_code: link.scene_code.clone(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&err),
        (
            Code::InvalidArgument,
            "APP_ID_REQUIRED".into(),
            "x-siyu-app-id".into()
        )
    );
    // Another tenant's app does not resolve the code.
    let other = Tenant::new(&h);
    let err = c
        .resolve_scene_code(guest(
            pb::ResolveSceneCodeRequest {
                scene_code: link.scene_code.clone(),
                ..Default::default()
            },
            &h.app_id(other.id),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "SCENE_CODE_NOT_FOUND".into())
    );

    // RecordEngagement.
    let e = || siyu_core::id::new();
    let cases = vec![
        (
            pb::RecordEngagementRequest {
                kind: 0,
                ..read(&article.content_id, "d", e())
            },
            invalid("kind"),
        ),
        (
            pb::RecordEngagementRequest {
                client_event_id: String::new(),
                ..read(&article.content_id, "d", e())
            },
            invalid("client_event_id"),
        ),
        (
            pb::RecordEngagementRequest {
                client_event_id: "1".into(),
                ..read(&article.content_id, "d", e())
            },
            invalid("client_event_id"),
        ),
        (read("", "d", e()), invalid("content_id")),
        (read(&article.content_id, "", e()), invalid("device_id")),
        (
            read(&unknown, "d", e()),
            (Code::NotFound, "CONTENT_NOT_FOUND".into(), String::new()),
        ),
        (
            pb::RecordEngagementRequest {
                kind: pb::EngagementKind::Click.into(),
                share_link_id: unknown.clone(),
                ..read("", "d", e())
            },
            (Code::NotFound, "SHARE_LINK_NOT_FOUND".into(), String::new()),
        ),
        (
            pb::RecordEngagementRequest {
                target: "t".repeat(129),
                ..read(&article.content_id, "d", e())
            },
            invalid("target"),
        ),
    ];
    for (i, (req, want)) in cases.into_iter().enumerate() {
        let err = c.record_engagement(guest(req, &app)).await.unwrap_err();
        assert_eq!(refusal(&err), want, "engagement case {i}");
    }

    // GetFunnelReport.
    let ts = |s: i64| {
        Some(prost_types::Timestamp {
            seconds: s,
            nanos: 0,
        })
    };
    let start = crate::harness::START;
    for (req, want) in [
        (
            pb::GetFunnelReportRequest {
                dimension: 99,
                ..Default::default()
            },
            invalid("dimension"),
        ),
        (
            pb::GetFunnelReportRequest {
                dimension: pb::FunnelDimension::Content.into(),
                start_time: ts(start),
                end_time: ts(start + 367 * 86_400),
                ..Default::default()
            },
            invalid("end_time"),
        ),
        (
            pb::GetFunnelReportRequest {
                dimension: pb::FunnelDimension::Content.into(),
                start_time: ts(start),
                end_time: ts(start),
                ..Default::default()
            },
            invalid("end_time"),
        ),
        (
            pb::GetFunnelReportRequest {
                dimension: pb::FunnelDimension::Content.into(),
                content_ids: vec!["x".into()],
                ..Default::default()
            },
            invalid("content_ids[0]"),
        ),
    ] {
        let err = c.get_funnel_report(with(req, &t.admin)).await.unwrap_err();
        assert_eq!(refusal(&err), want);
    }
    // A guide reports by guide only.
    let err = c
        .get_funnel_report(with(
            pb::GetFunnelReportRequest {
                dimension: pb::FunnelDimension::Store.into(),
                ..Default::default()
            },
            &guide(&h, &t),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::PermissionDenied, "PERMISSION_DENIED".into())
    );
    // Staff-only RPCs refuse consumers.
    let err = c
        .list_share_links(with(pb::ListShareLinksRequest::default(), &t.consumer))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

both!(share_rpcs_refuse_bad_input, share_rpcs_refuse_bad_input);
