//! Guides (专属导购) through the contract: binding rules by source, unbinding, reassignment
//! (离职继承 / 在职转移) with history, a guide's book scoped by the caller, bad input per RPC,
//! another tenant's members, and the races: binds of one member at once, a reassignment racing
//! binds — on Postgres and SQLite.

use std::collections::{HashMap, HashSet};

use futures::future::join_all;
use sea_orm::Value;
use siyu_core::PrincipalKind;
use siyu_proto::common::v1::{Attribution, PageRequest};
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, field, id, keyed, refused, with};

const QR: i32 = pb::GuideBindingSource::GuideQr as i32;
const STAFF: i32 = pb::GuideBindingSource::Staff as i32;
const RESIGNED: i32 = pb::GuideUnbindReason::GuideResigned as i32;

/// Enrols a member at `store` with `guide` (empty = none) as the service; answers the member.
pub async fn enrol_with(h: &H, t: &Tenant, store: &str, guide: &str) -> pb::Member {
    h.members()
        .enroll_member(with(
            pb::EnrollMemberRequest {
                user_id: id(),
                attribution: Some(Attribution {
                    store_id: store.into(),
                    guide_id: guide.into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
}

/// A token of guide `guide` (granted at the root).
pub fn guide_token(h: &H, t: &Tenant, guide: &str) -> String {
    h.token_for(
        t.id,
        PrincipalKind::Staff,
        guide,
        &[("guide", t.root.to_string())],
        &[],
    )
}

fn bind_req(member: &str, guide: &str, store: &str, source: i32) -> pb::BindGuideRequest {
    pb::BindGuideRequest {
        member_id: member.into(),
        guide_id: guide.into(),
        store_id: store.into(),
        source,
        ..Default::default()
    }
}

async fn bind(h: &H, token: &str, req: pb::BindGuideRequest) -> pb::BindGuideResponse {
    h.members()
        .bind_guide(with(req, token))
        .await
        .unwrap()
        .into_inner()
}

async fn history_of(h: &H, token: &str, member: &str) -> Vec<pb::GuideBinding> {
    h.members()
        .list_guide_binding_history(with(
            pb::ListGuideBindingHistoryRequest {
                member_id: member.into(),
                ..Default::default()
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .bindings
}

async fn book(h: &H, token: &str, guide: &str) -> pb::ListGuideMembersResponse {
    h.members()
        .list_guide_members(with(
            pb::ListGuideMembersRequest {
                guide_id: guide.into(),
                page: Some(PageRequest {
                    page_size: 100,
                    ..Default::default()
                }),
                ..Default::default()
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

/// Every member's bindings: one current at most, and each closed one ends when the next
/// begins (no gap, no overlap).
async fn assert_history_consistent(h: &H) {
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM (SELECT member_id FROM mem_guide_bindings WHERE \
             unbound_at_ms IS NULL GROUP BY member_id HAVING COUNT(*) > 1) x",
            vec![]
        )
        .await,
        0
    );
    // A closed binding replaced by another starts its successor at its own end.
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_guide_bindings b WHERE b.unbound_at_ms IS NOT NULL \
             AND b.unbind_reason IN (1, 3) AND NOT EXISTS (SELECT 1 FROM mem_guide_bindings n \
             WHERE n.tenant = b.tenant AND n.member_id = b.member_id AND n.id <> b.id \
             AND n.bound_at_ms = b.unbound_at_ms)",
            vec![]
        )
        .await,
        0
    );
}

#[tokio::test]
async fn consumer_scans_keep_a_guide_staff_replace_and_history_is_kept() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, a, b) = (id(), id(), id());
    let (_, consumer) = t.consumer(&h);
    let m = h
        .members()
        .enroll_member(with(
            pb::EnrollMemberRequest {
                attribution: Some(Attribution {
                    store_id: store.clone(),
                    guide_id: a.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            &consumer,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    // A scan of guide B keeps guide A (active, and the latest scan does not win by default).
    let kept = bind(&h, &consumer, bind_req("", &b, &store, QR)).await;
    assert!(!kept.changed);
    assert_eq!(kept.binding.unwrap().guide_id, a);
    // Staff replace it; the same guide and store again changes nothing.
    let staff = bind_req(&m.member_id, &b, &store, STAFF);
    let moved = bind(&h, &t.admin, staff.clone()).await;
    assert!(moved.changed);
    assert!(!bind(&h, &t.admin, staff).await.changed);
    let got = h
        .members()
        .get_member(with(
            pb::GetMemberRequest {
                member_id: m.member_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert_eq!(got.guide.unwrap().guide_id, b);
    let history = history_of(&h, &t.admin, &m.member_id).await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].guide_id, b);
    assert_eq!(history[1].guide_id, a);
    assert_eq!(
        history[1].unbind_reason,
        pb::GuideUnbindReason::Replaced as i32
    );
    assert_eq!(history[1].unbound_at, history[0].bound_at);
    // With the tenant's "latest scan wins" on, a scan replaces the guide.
    crate::guide_policy::set_guide_policy(&h, &t, Some(true), None).await;
    let c = id();
    assert!(
        bind(&h, &consumer, bind_req("", &c, &store, QR))
            .await
            .changed
    );
    // Unbinding keeps the history; a second unbind has nothing to remove.
    let unbind = pb::UnbindGuideRequest {
        member_id: m.member_id.clone(),
        note: "顾客要求".into(),
    };
    let closed = h
        .members()
        .unbind_guide(with(unbind.clone(), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .closed_binding
        .unwrap();
    assert_eq!(closed.guide_id, c);
    assert_eq!(
        closed.unbind_reason,
        pb::GuideUnbindReason::StaffRemoved as i32
    );
    assert_eq!(closed.note, "顾客要求");
    refused(
        h.members().unbind_guide(with(unbind, &t.admin)).await,
        Code::FailedPrecondition,
        "NO_GUIDE_BOUND",
    );
    assert_eq!(history_of(&h, &t.admin, &m.member_id).await.len(), 3);
    // A consumer with no guide binds by scan; each change (staff, scan, unbind, scan) wrote
    // MemberGuideChanged to the outbox (enrolment announces its guide in MemberEnrolled).
    assert!(
        bind(&h, &consumer, bind_req("", &a, &store, QR))
            .await
            .changed
    );
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE subject = 'membership.member_guide_changed'",
            vec![]
        )
        .await,
        4
    );
    assert_history_consistent(&h).await;
}

#[tokio::test]
async fn reassignment_spreads_a_book_round_robin_and_keeps_history() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, a, b, c) = (id(), id(), id(), id());
    let mut members = Vec::new();
    for _ in 0..5 {
        members.push(enrol_with(&h, &t, &store, &a).await);
    }
    let other = enrol_with(&h, &t, &store, &b).await;
    // Only some members: a member of another guide is skipped and counted.
    let partial = h
        .members()
        .reassign_guide_members(keyed(
            pb::ReassignGuideMembersRequest {
                from_guide_id: a.clone(),
                to_guides: vec![pb::GuideTarget {
                    guide_id: c.clone(),
                    store_id: store.clone(),
                }],
                reason: pb::GuideUnbindReason::GuideTransferred as i32,
                member_ids: vec![members[0].member_id.clone(), other.member_id.clone()],
                note: "调店".into(),
            },
            &t.admin,
            "reassign-1",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            partial.reassigned_count,
            partial.skipped_count,
            partial.received_counts
        ),
        (1, 1, vec![1])
    );
    // The rest of the book, round-robin over two guides in card-number order.
    let req = pb::ReassignGuideMembersRequest {
        from_guide_id: a.clone(),
        to_guides: vec![
            pb::GuideTarget {
                guide_id: b.clone(),
                store_id: store.clone(),
            },
            pb::GuideTarget {
                guide_id: c.clone(),
                store_id: store.clone(),
            },
        ],
        reason: RESIGNED,
        note: "离职交接".into(),
        ..Default::default()
    };
    let all = h
        .members()
        .reassign_guide_members(keyed(req.clone(), &t.admin, "reassign-2"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (all.reassigned_count, all.received_counts.clone()),
        (4, vec![2, 2])
    );
    // A retry under the same key answers the first result.
    let again = h
        .members()
        .reassign_guide_members(keyed(req, &t.admin, "reassign-2"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, all);
    assert_eq!(book(&h, &t.admin, &a).await.total_count, 0);
    assert_eq!(book(&h, &t.admin, &b).await.total_count, 3);
    assert_eq!(book(&h, &t.admin, &c).await.total_count, 3);
    let sorted: Vec<&pb::Member> = {
        let mut v: Vec<&pb::Member> = members[1..].iter().collect();
        v.sort_by(|x, y| x.card_number.cmp(&y.card_number));
        v
    };
    let history = history_of(&h, &t.admin, &sorted[0].member_id).await;
    assert_eq!(history[0].guide_id, b);
    assert_eq!(
        history[0].source,
        pb::GuideBindingSource::Reassignment as i32
    );
    assert_eq!(history[0].note, "离职交接");
    assert_eq!(history[1].unbind_reason, RESIGNED);
    assert_eq!(
        history_of(&h, &t.admin, &sorted[1].member_id).await[0].guide_id,
        c
    );
    // The guide's own history lists every member ever bound to them.
    let of_a = h
        .members()
        .list_guide_binding_history(with(
            pb::ListGuideBindingHistoryRequest {
                guide_id: a.clone(),
                ..Default::default()
            },
            &guide_token(&h, &t, &a),
        ))
        .await
        .unwrap()
        .into_inner()
        .bindings;
    assert_eq!(of_a.len(), 5);
    assert!(of_a.iter().all(|b| b.unbound_at.is_some()));
    assert_history_consistent(&h).await;
}

#[tokio::test]
async fn a_guides_book_is_scoped_by_the_caller() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (s1, s2, g) = (id(), id(), id());
    let first = enrol_with(&h, &t, &s1, &g).await;
    h.clock.advance(chrono::Duration::seconds(1));
    let second = enrol_with(&h, &t, &s2, &g).await;
    enrol_with(&h, &t, &s1, &id()).await;
    // The guide: their own book by default, most recently bound first.
    let own = guide_token(&h, &t, &g);
    let mine = book(&h, &own, "").await;
    assert_eq!(mine.total_count, 2);
    assert_eq!(mine.members[0].member_id, second.member_id);
    assert_eq!(mine.members[1].member_id, first.member_id);
    refused(
        h.members()
            .list_guide_members(with(
                pb::ListGuideMembersRequest {
                    guide_id: id(),
                    ..Default::default()
                },
                &own,
            ))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    // A store manager of store 1 sees the guide's members of store 1 only.
    let manager = t.staff(&h, "store_manager", &format!("{}/{s1}", t.root));
    let scoped = book(&h, &manager, &g).await;
    assert_eq!(scoped.total_count, 1);
    assert_eq!(scoped.members[0].member_id, first.member_id);
    // Paging: one by one, in the same order.
    let p1 = h
        .members()
        .list_guide_members(with(
            pb::ListGuideMembersRequest {
                guide_id: g.clone(),
                page: Some(PageRequest {
                    page_size: 1,
                    ..Default::default()
                }),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let token = p1.page.unwrap().next_page_token;
    let p2 = h
        .members()
        .list_guide_members(with(
            pb::ListGuideMembersRequest {
                guide_id: g.clone(),
                page: Some(PageRequest {
                    page_size: 1,
                    page_token: token,
                }),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p1.members[0].member_id, second.member_id);
    assert_eq!(p2.members[0].member_id, first.member_id);
    // A guide reads their own history, not a member's.
    refused(
        h.members()
            .list_guide_binding_history(with(
                pb::ListGuideBindingHistoryRequest {
                    member_id: first.member_id.clone(),
                    ..Default::default()
                },
                &own,
            ))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
}

#[tokio::test]
async fn another_tenants_members_and_guides_are_not_found() {
    let h = H::pg().await;
    let a = Tenant::new(&h).await;
    let b = Tenant::new(&h).await;
    let (store, g) = (id(), id());
    let m = enrol_with(&h, &a, &store, &g).await;
    refused(
        h.members()
            .bind_guide(with(bind_req(&m.member_id, &id(), &store, STAFF), &b.admin))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    refused(
        h.members()
            .unbind_guide(with(
                pb::UnbindGuideRequest {
                    member_id: m.member_id.clone(),
                    ..Default::default()
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    refused(
        h.members()
            .list_guide_binding_history(with(
                pb::ListGuideBindingHistoryRequest {
                    member_id: m.member_id.clone(),
                    ..Default::default()
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    assert_eq!(book(&h, &b.admin, &g).await.total_count, 0);
    let moved = h
        .members()
        .reassign_guide_members(with(
            pb::ReassignGuideMembersRequest {
                from_guide_id: g.clone(),
                to_guides: vec![pb::GuideTarget {
                    guide_id: id(),
                    store_id: store.clone(),
                }],
                reason: RESIGNED,
                ..Default::default()
            },
            &b.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.reassigned_count, 0);
    assert_eq!(book(&h, &a.admin, &g).await.total_count, 1);
}

#[tokio::test]
async fn every_guide_rpc_refuses_malformed_requests() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, g) = (id(), id());
    let m = enrol_with(&h, &t, &store, &g).await;
    let (_, consumer) = t.consumer(&h);
    let c = h.members();
    let unit = |r: Result<tonic::Response<pb::BindGuideResponse>, tonic::Status>| r.map(|_| ());
    invalid(
        unit(
            c.clone()
                .bind_guide(with(bind_req(&m.member_id, "x", &store, STAFF), &t.admin))
                .await,
        ),
        "guide_id",
    );
    invalid(
        unit(
            c.clone()
                .bind_guide(with(bind_req(&m.member_id, &g, "", STAFF), &t.admin))
                .await,
        ),
        "store_id",
    );
    invalid(
        unit(
            c.clone()
                .bind_guide(with(bind_req(&m.member_id, &g, &store, 0), &t.admin))
                .await,
        ),
        "source",
    );
    // Staff may not pose as a consumer scan; consumers may not bind as staff.
    invalid(
        unit(
            c.clone()
                .bind_guide(with(bind_req(&m.member_id, &g, &store, QR), &t.admin))
                .await,
        ),
        "source",
    );
    invalid(
        unit(
            c.clone()
                .bind_guide(with(bind_req("", &g, &store, STAFF), &consumer))
                .await,
        ),
        "source",
    );
    let long = "长".repeat(201);
    invalid(
        c.clone()
            .unbind_guide(with(
                pb::UnbindGuideRequest {
                    member_id: m.member_id.clone(),
                    note: long.clone(),
                },
                &t.admin,
            ))
            .await
            .map(|x| x.map(|_| ())),
        "note",
    );
    let reassign = |req: pb::ReassignGuideMembersRequest| {
        let mut c = c.clone();
        let token = t.admin.clone();
        async move {
            c.reassign_guide_members(with(req, &token))
                .await
                .map(|x| x.map(|_| ()))
        }
    };
    let target = |guide: &str| pb::GuideTarget {
        guide_id: guide.into(),
        store_id: store.clone(),
    };
    let ok = pb::ReassignGuideMembersRequest {
        from_guide_id: g.clone(),
        to_guides: vec![target(&id())],
        reason: RESIGNED,
        ..Default::default()
    };
    invalid(
        reassign(pb::ReassignGuideMembersRequest {
            to_guides: vec![],
            ..ok.clone()
        })
        .await,
        "to_guides",
    );
    invalid(
        reassign(pb::ReassignGuideMembersRequest {
            to_guides: vec![target(&g)],
            ..ok.clone()
        })
        .await,
        "to_guides[0].guide_id",
    );
    invalid(
        reassign(pb::ReassignGuideMembersRequest {
            reason: pb::GuideUnbindReason::Replaced as i32,
            ..ok.clone()
        })
        .await,
        "reason",
    );
    invalid(
        reassign(pb::ReassignGuideMembersRequest {
            member_ids: vec!["nope".into()],
            ..ok.clone()
        })
        .await,
        "member_ids[0]",
    );
    invalid(
        c.clone()
            .list_guide_members(with(
                pb::ListGuideMembersRequest {
                    guide_id: "g".into(),
                    ..Default::default()
                },
                &t.admin,
            ))
            .await
            .map(|x| x.map(|_| ())),
        "guide_id",
    );
    invalid(
        c.clone()
            .list_guide_binding_history(with(
                pb::ListGuideBindingHistoryRequest {
                    member_id: m.member_id.clone(),
                    guide_id: g.clone(),
                    ..Default::default()
                },
                &t.admin,
            ))
            .await
            .map(|x| x.map(|_| ())),
        "member_id",
    );
    // Callers outside the contract are refused before the handler.
    refused(
        c.clone()
            .unbind_guide(with(
                pb::UnbindGuideRequest {
                    member_id: m.member_id.clone(),
                    ..Default::default()
                },
                &consumer,
            ))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    // A guide identity disabled takes no bindings.
    h.scalar(
        "INSERT INTO mem_guides (tenant, guide_id, disabled_at_ms, reason) VALUES ($1, $2, 1, '') \
         RETURNING 0",
        vec![
            Value::Uuid(Some(t.id.0)),
            Value::Uuid(Some(g.parse().unwrap())),
        ],
    )
    .await;
    let other = enrol_with(&h, &t, &store, "").await;
    refused(
        c.clone()
            .bind_guide(with(
                bind_req(&other.member_id, &g, &store, STAFF),
                &t.admin,
            ))
            .await,
        Code::FailedPrecondition,
        "GUIDE_INVALID",
    );
    refused(
        reassign(pb::ReassignGuideMembersRequest {
            from_guide_id: id(),
            to_guides: vec![target(&g)],
            ..ok
        })
        .await,
        Code::FailedPrecondition,
        "GUIDE_INVALID",
    );
}

/// Asserts INVALID_ARGUMENT naming `f`.
#[track_caller]
fn invalid<T: std::fmt::Debug>(r: Result<T, tonic::Status>, f: &str) {
    let s = refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(field(&s), f, "{s:?}");
}

/// 16 staff binds of one member to 16 guides at once, then 16 consumer scans of a member with
/// no guide: one current binding each time, history chained without gaps.
async fn binds_of_one_member_at_once(h: H) {
    let t = Tenant::new(&h).await;
    let store = id();
    let m = enrol_with(&h, &t, &store, "").await;
    let calls = (0..16).map(|_| {
        let mut c = h.members();
        let req = bind_req(&m.member_id, &id(), &store, STAFF);
        let token = t.admin.clone();
        async move { c.bind_guide(with(req, &token)).await }
    });
    let results = join_all(calls).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|r| r.get_ref().changed))
    );
    assert_eq!(history_of(&h, &t.admin, &m.member_id).await.len(), 16);
    // Scans by a consumer with no guide: the first binds, the others keep it.
    let (_, consumer) = t.consumer(&h);
    h.members()
        .enroll_member(with(pb::EnrollMemberRequest::default(), &consumer))
        .await
        .unwrap();
    let scans = (0..16).map(|_| {
        let mut c = h.members();
        let req = bind_req("", &id(), &store, QR);
        let token = consumer.clone();
        async move { c.bind_guide(with(req, &token)).await.unwrap().into_inner() }
    });
    let scans = join_all(scans).await;
    assert_eq!(scans.iter().filter(|s| s.changed).count(), 1);
    let guides: HashSet<String> = scans
        .iter()
        .map(|s| s.binding.as_ref().unwrap().guide_id.clone())
        .collect();
    assert_eq!(guides.len(), 1);
    assert_history_consistent(&h).await;
}

#[tokio::test]
async fn binds_of_one_member_at_once_leave_one_binding_on_postgres() {
    binds_of_one_member_at_once(H::pg().await).await;
}

#[tokio::test]
async fn binds_of_one_member_at_once_leave_one_binding_on_sqlite() {
    binds_of_one_member_at_once(H::sqlite().await).await;
}

/// A reassignment of a book of 24 racing staff binds of 12 of its members to another guide:
/// every member ends with exactly one current binding, at the bind's guide or a target, none
/// left with the departing guide.
async fn reassignment_racing_binds(h: H) {
    let t = Tenant::new(&h).await;
    let (store, from, to, elsewhere) = (id(), id(), id(), id());
    let mut members = Vec::new();
    for _ in 0..24 {
        members.push(enrol_with(&h, &t, &store, &from).await);
    }
    let reassign = {
        let mut c = h.members();
        let req = pb::ReassignGuideMembersRequest {
            from_guide_id: from.clone(),
            to_guides: vec![pb::GuideTarget {
                guide_id: to.clone(),
                store_id: store.clone(),
            }],
            reason: RESIGNED,
            ..Default::default()
        };
        let token = t.admin.clone();
        async move { c.reassign_guide_members(with(req, &token)).await.unwrap() }
    };
    let binds = members.iter().step_by(2).map(|m| {
        let mut c = h.members();
        let req = bind_req(&m.member_id, &elsewhere, &store, STAFF);
        let token = t.admin.clone();
        async move { c.bind_guide(with(req, &token)).await.unwrap() }
    });
    let (moved, _) = tokio::join!(reassign, join_all(binds));
    let moved = moved.into_inner().reassigned_count;
    let mut by_guide: HashMap<String, i32> = HashMap::new();
    for m in &members {
        let got = h
            .members()
            .get_member(with(
                pb::GetMemberRequest {
                    member_id: m.member_id.clone(),
                },
                &t.admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .member
            .unwrap();
        *by_guide.entry(got.guide.unwrap().guide_id).or_default() += 1;
    }
    assert_eq!(by_guide.get(&from), None);
    assert_eq!(by_guide[&elsewhere], 12);
    assert_eq!(by_guide[&to], 12);
    // The reassignment moved the 12 never re-bound, plus those it reached before their bind.
    assert!((12..=24).contains(&moved), "{moved}");
    assert_history_consistent(&h).await;
}

#[tokio::test]
async fn a_reassignment_racing_binds_loses_no_member_on_postgres() {
    reassignment_racing_binds(H::pg().await).await;
}

#[tokio::test]
async fn a_reassignment_racing_binds_loses_no_member_on_sqlite() {
    reassignment_racing_binds(H::sqlite().await).await;
}
