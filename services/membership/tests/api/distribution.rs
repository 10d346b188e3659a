//! DistributionService through the contract: invite codes and the referral relation fixed at
//! first enrolment, the policy, per-SKU rates and the distributor switch, withdrawals with
//! their threshold and approval, 16 concurrent withdrawal requests never beyond the settled
//! balance (Postgres and SQLite), bad input per RPC, and another tenant's data NOT_FOUND.

use futures::future::join_all;
use prost_types::FieldMask;
use sea_orm::Value;
use siyu_proto::common::v1::PageRequest;
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::distribution_service_client::DistributionServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{H, Tenant, cny, field, id, keyed, meta, refused, with};

pub fn dist(h: &H) -> DistributionServiceClient<Channel> {
    DistributionServiceClient::new(h.channel.clone())
}

/// Enrols a new consumer with `code` (empty = none); answers (member, token, applied).
pub async fn enrol_invited(h: &H, t: &Tenant, code: &str) -> (pb::Member, String, bool) {
    let (_, token) = t.consumer(h);
    let r = h
        .members()
        .enroll_member(with(
            pb::EnrollMemberRequest {
                invite_code: code.into(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    (r.member.unwrap(), token, r.invite_code_applied)
}

pub async fn code_of(h: &H, token: &str) -> String {
    dist(h)
        .get_invite_code(with(pb::GetInviteCodeRequest::default(), token))
        .await
        .unwrap()
        .into_inner()
        .invite_code
}

/// Turns distribution on for everyone: level 1 `l1` bps, level 2 `l2` bps (0 = off),
/// minimum ¥50, approvals up to `auto` fen automatic.
pub async fn policy(h: &H, t: &Tenant, l1: i32, l2: i32, auto: i64) -> pb::CommissionPolicy {
    dist(h)
        .update_commission_policy(with(
            pb::UpdateCommissionPolicyRequest {
                policy: Some(pb::CommissionPolicy {
                    enabled: true,
                    open_to_all_members: true,
                    level1_rate_bps: l1,
                    level2_enabled: l2 > 0,
                    level2_rate_bps: l2,
                    min_withdrawal: cny(5_000),
                    auto_approve_max: cny(auto),
                }),
                update_mask: Some(FieldMask {
                    paths: [
                        "enabled",
                        "open_to_all_members",
                        "level1_rate_bps",
                        "level2_enabled",
                        "level2_rate_bps",
                        "min_withdrawal",
                        "auto_approve_max",
                    ]
                    .map(String::from)
                    .to_vec(),
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap()
}

/// Credits `fen` of settled commission to `member` (the settlement path has its own tests).
async fn settled_fixture(h: &H, t: &Tenant, member: &str, fen: i64) {
    h.scalar(
        "INSERT INTO mem_commission_balances (tenant, member_id, available, withdrawing, \
         paid_out, updated_at_ms) VALUES ($1, $2, $3, 0, 0, 0) RETURNING 0",
        vec![
            Value::Uuid(Some(t.id.0)),
            Value::Uuid(Some(member.parse().unwrap())),
            Value::BigInt(Some(fen)),
        ],
    )
    .await;
}

async fn balance(h: &H, token: &str, member: &str) -> pb::GetCommissionBalanceResponse {
    dist(h)
        .get_commission_balance(with(
            pb::GetCommissionBalanceRequest {
                member_id: member.into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

fn fen(m: Option<siyu_proto::common::v1::Money>) -> i64 {
    m.map_or(0, |m| m.minor_units)
}

#[tokio::test]
async fn invite_codes_fix_the_referral_at_first_enrolment() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, a_token) = t.member(&h).await;
    // Eight first calls at once answer one code; later calls the same.
    let calls = (0..8).map(|_| {
        let token = a_token.clone();
        let h = &h;
        async move { code_of(h, &token).await }
    });
    let codes = join_all(calls).await;
    assert!(codes.iter().all(|c| c == &codes[0]));
    let code = codes[0].clone();
    assert_eq!(code.len(), 8);
    let got = dist(&h)
        .get_invite_code(with(pb::GetInviteCodeRequest::default(), &a_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.invite_code, code);
    assert_eq!(got.share_path, format!("pages/index/index?ic={code}"));
    // Resolved case-insensitively by anyone of the tenant.
    let inviter = dist(&h)
        .resolve_invite_code(with(
            pb::ResolveInviteCodeRequest {
                invite_code: code.to_lowercase(),
            },
            &t.partner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(inviter.inviter_member_id, a);
    assert!(!inviter.distributor);
    // A chain A ← B ← C ← D by codes.
    let (b, b_token, applied) = enrol_invited(&h, &t, &code).await;
    assert!(applied);
    assert_eq!(b.inviter_member_id, a);
    let (c, c_token, _) = enrol_invited(&h, &t, &code_of(&h, &b_token).await).await;
    let (d, d_token, _) = enrol_invited(&h, &t, &code_of(&h, &c_token).await).await;
    let r = dist(&h)
        .get_referral(with(pb::GetReferralRequest::default(), &d_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            r.inviter_member_id.as_str(),
            r.second_inviter_member_id.as_str()
        ),
        (c.member_id.as_str(), b.member_id.as_str())
    );
    assert!(r.referred_at.is_some());
    // Enrolling again with another code changes nothing: the relation is fixed.
    let again = h
        .members()
        .enroll_member(with(
            pb::EnrollMemberRequest {
                invite_code: code_of(&h, &a_token).await,
                ..Default::default()
            },
            &d_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!again.created && !again.invite_code_applied);
    assert_eq!(again.member.unwrap().inviter_member_id, c.member_id);
    // An unknown code is ignored.
    let (e, _, applied) = enrol_invited(&h, &t, "ZZZZ2222").await;
    assert!(!applied);
    assert!(e.inviter_member_id.is_empty());
    // Invitees: level 1 and level 2 of A; staff read anyone's.
    let list = |level: i32| {
        let mut c = dist(&h);
        let token = t.admin.clone();
        let a = a.clone();
        async move {
            c.list_invitees(with(
                pb::ListInviteesRequest {
                    member_id: a,
                    level,
                    page: Some(PageRequest {
                        page_size: 10,
                        ..Default::default()
                    }),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner()
            .invitees
        }
    };
    let l1 = list(1).await;
    let l2 = list(2).await;
    assert_eq!(l1.len(), 1);
    assert_eq!(l1[0].member_id, b.member_id);
    assert_eq!(l2.len(), 1);
    assert_eq!(l2[0].member_id, c.member_id);
    assert!(!l2[0].has_ordered);
    let ra = dist(&h)
        .get_referral(with(
            pb::GetReferralRequest {
                member_id: a.clone(),
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ra.invitee_count, 1);
    assert!(ra.inviter_member_id.is_empty());
    // A consumer reads only their own.
    refused(
        dist(&h)
            .get_referral(with(
                pb::GetReferralRequest {
                    member_id: a.clone(),
                },
                &d_token,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    let _ = d;
}

#[tokio::test]
async fn policy_rates_and_the_distributor_switch() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (_, consumer) = t.consumer(&h);
    let default = dist(&h)
        .get_commission_policy(with(pb::GetCommissionPolicyRequest {}, &t.admin))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert!(!default.enabled);
    assert_eq!(fen(default.min_withdrawal), 5_000);
    let p = policy(&h, &t, 1_000, 500, 2_000).await;
    assert!(p.level2_enabled && p.enabled);
    // Consumers see rates and the threshold, not the approval limit.
    let seen = dist(&h)
        .get_commission_policy(with(pb::GetCommissionPolicyRequest {}, &consumer))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!(seen.level1_rate_bps, 1_000);
    assert!(seen.auto_approve_max.is_none());
    // Turning level 2 off while its rate stays set is refused.
    let s = refused(
        dist(&h)
            .update_commission_policy(with(
                pb::UpdateCommissionPolicyRequest {
                    policy: Some(pb::CommissionPolicy::default()),
                    update_mask: Some(FieldMask {
                        paths: vec!["level2_enabled".into()],
                    }),
                },
                &t.admin,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(field(&s), "policy.level2_rate_bps");
    // SKU overrides: set (twice = replace), list, delete, delete again.
    let sku = id();
    for l1 in [2_000, 3_000] {
        dist(&h)
            .set_sku_commission_rate(with(
                pb::SetSkuCommissionRateRequest {
                    rate: Some(pb::SkuCommissionRate {
                        sku_id: sku.clone(),
                        level1_rate_bps: l1,
                        level2_rate_bps: 0,
                    }),
                },
                &t.admin,
            ))
            .await
            .unwrap();
    }
    let rates = dist(&h)
        .list_sku_commission_rates(with(pb::ListSkuCommissionRatesRequest::default(), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .rates;
    assert_eq!(rates.len(), 1);
    assert_eq!(rates[0].level1_rate_bps, 3_000);
    let del = pb::DeleteSkuCommissionRateRequest {
        sku_id: sku.clone(),
    };
    dist(&h)
        .delete_sku_commission_rate(with(del.clone(), &t.admin))
        .await
        .unwrap();
    refused(
        dist(&h)
            .delete_sku_commission_rate(with(del, &t.admin))
            .await,
        Code::NotFound,
        "SKU_RATE_NOT_FOUND",
    );
    // The switch: open to all makes a member a distributor until staff disable them.
    let (m, token) = t.member(&h).await;
    let referral = |token: String| {
        let mut c = dist(&h);
        async move {
            c.get_referral(with(pb::GetReferralRequest::default(), &token))
                .await
                .unwrap()
                .into_inner()
                .distributor
        }
    };
    assert!(referral(token.clone()).await);
    let off = dist(&h)
        .set_distributor_enabled(with(
            pb::SetDistributorEnabledRequest {
                member_id: m.clone(),
                enabled: false,
                reason: "违规推广".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!off.enabled);
    assert!(!referral(token.clone()).await);
    // A disabled distributor cannot withdraw.
    settled_fixture(&h, &t, &m, 10_000).await;
    refused(
        dist(&h)
            .request_withdrawal(with(
                pb::RequestWithdrawalRequest {
                    amount: cny(6_000),
                    ..Default::default()
                },
                &token,
            ))
            .await,
        Code::FailedPrecondition,
        "DISTRIBUTOR_DISABLED",
    );
}

#[tokio::test]
async fn withdrawals_wait_for_approval_and_return_what_is_not_paid() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    policy(&h, &t, 1_000, 0, 6_000).await;
    let (m, token) = t.member(&h).await;
    settled_fixture(&h, &t, &m, 20_000).await;
    let request = |amount: i64| {
        let mut c = dist(&h);
        let token = token.clone();
        async move {
            c.request_withdrawal(with(
                pb::RequestWithdrawalRequest {
                    amount: cny(amount),
                    ..Default::default()
                },
                &token,
            ))
            .await
        }
    };
    let s = refused(
        request(4_999).await,
        Code::FailedPrecondition,
        "WITHDRAWAL_BELOW_MINIMUM",
    );
    assert_eq!(meta(&s, "minimum"), "5000");
    let s = refused(
        request(20_001).await,
        Code::FailedPrecondition,
        "COMMISSION_INSUFFICIENT",
    );
    assert_eq!(meta(&s, "available"), "20000");
    // Above the auto-approve limit: REQUESTED; one open request at a time.
    let w = request(8_000)
        .await
        .unwrap()
        .into_inner()
        .withdrawal
        .unwrap();
    assert_eq!(w.status, pb::WithdrawalStatus::Requested as i32);
    refused(
        request(5_000).await,
        Code::FailedPrecondition,
        "WITHDRAWAL_PENDING",
    );
    let b = balance(&h, &token, "").await;
    assert_eq!((fen(b.available), fen(b.withdrawing)), (12_000, 8_000));
    // Completing before approval is refused; rejecting returns the amount.
    let complete = |id: String, ok: bool| {
        let mut c = dist(&h);
        let admin = t.admin.clone();
        async move {
            c.complete_withdrawal(with(
                pb::CompleteWithdrawalRequest {
                    withdrawal_id: id,
                    succeeded: ok,
                    payout_reference: "TRF-1".into(),
                },
                &admin,
            ))
            .await
        }
    };
    refused(
        complete(w.withdrawal_id.clone(), true).await,
        Code::FailedPrecondition,
        "WITHDRAWAL_NOT_APPROVED",
    );
    let rejected = dist(&h)
        .reject_withdrawal(with(
            pb::RejectWithdrawalRequest {
                withdrawal_id: w.withdrawal_id.clone(),
                reason: "账户信息不全".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .withdrawal
        .unwrap();
    assert_eq!(rejected.status, pb::WithdrawalStatus::Rejected as i32);
    refused(
        dist(&h)
            .approve_withdrawal(with(
                pb::ApproveWithdrawalRequest {
                    withdrawal_id: w.withdrawal_id.clone(),
                },
                &t.admin,
            ))
            .await,
        Code::FailedPrecondition,
        "WITHDRAWAL_NOT_PENDING",
    );
    assert_eq!(fen(balance(&h, &token, "").await.available), 20_000);
    // Approved by staff, then paid (a repeat answers the same); a failed payout returns it.
    let w2 = request(10_000)
        .await
        .unwrap()
        .into_inner()
        .withdrawal
        .unwrap();
    dist(&h)
        .approve_withdrawal(with(
            pb::ApproveWithdrawalRequest {
                withdrawal_id: w2.withdrawal_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let paid = complete(w2.withdrawal_id.clone(), true)
        .await
        .unwrap()
        .into_inner()
        .withdrawal
        .unwrap();
    assert_eq!(paid.status, pb::WithdrawalStatus::Paid as i32);
    assert_eq!(paid.payout_reference, "TRF-1");
    complete(w2.withdrawal_id.clone(), true).await.unwrap();
    // Within the auto-approve limit: APPROVED at once; its payout fails.
    let w3 = request(6_000)
        .await
        .unwrap()
        .into_inner()
        .withdrawal
        .unwrap();
    assert_eq!(w3.status, pb::WithdrawalStatus::Approved as i32);
    complete(w3.withdrawal_id.clone(), false).await.unwrap();
    let b = balance(&h, &t.admin, &m).await;
    assert_eq!(
        (fen(b.available), fen(b.withdrawing), fen(b.paid_out)),
        (10_000, 0, 10_000)
    );
    // Lists: the consumer's own; staff filter by status.
    let mine = dist(&h)
        .list_withdrawals(with(pb::ListWithdrawalsRequest::default(), &token))
        .await
        .unwrap()
        .into_inner()
        .withdrawals;
    assert_eq!(mine.len(), 3);
    assert_eq!(mine[0].withdrawal_id, w3.withdrawal_id);
    let paid_only = dist(&h)
        .list_withdrawals(with(
            pb::ListWithdrawalsRequest {
                statuses: vec![pb::WithdrawalStatus::Paid as i32],
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .withdrawals;
    assert_eq!(paid_only.len(), 1);
}

/// 16 concurrent requests of one distributor, twice: never more withdrawing than was settled,
/// available + withdrawing always the settled total, one open request at a time.
async fn concurrent_withdrawals(h: H) {
    let t = Tenant::new(&h).await;
    policy(&h, &t, 1_000, 0, 0).await;
    let (m, token) = t.member(&h).await;
    settled_fixture(&h, &t, &m, 10_000).await;
    for round in 0..2 {
        let calls = (0..16).map(|i| {
            let mut c = dist(&h);
            let token = token.clone();
            async move {
                c.request_withdrawal(keyed(
                    pb::RequestWithdrawalRequest {
                        amount: cny(6_000),
                        ..Default::default()
                    },
                    &token,
                    &format!("w-{round}-{i}"),
                ))
                .await
            }
        });
        let results = join_all(calls).await;
        let ok: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(ok.len(), 1, "{results:?}");
        for r in results.iter().filter_map(|r| r.as_ref().err()) {
            let why = crate::harness::reason(r);
            assert!(
                why == "WITHDRAWAL_PENDING" || why == "COMMISSION_INSUFFICIENT",
                "{r:?}"
            );
        }
        let b = balance(&h, &token, "").await;
        assert_eq!((fen(b.available), fen(b.withdrawing)), (4_000, 6_000));
        let id = ok[0]
            .get_ref()
            .withdrawal
            .as_ref()
            .unwrap()
            .withdrawal_id
            .clone();
        dist(&h)
            .reject_withdrawal(with(
                pb::RejectWithdrawalRequest {
                    withdrawal_id: id,
                    reason: "重试".into(),
                },
                &t.admin,
            ))
            .await
            .unwrap();
    }
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_withdrawals WHERE status IN (1, 2)",
            vec![]
        )
        .await,
        0
    );
}

#[tokio::test]
async fn sixteen_concurrent_withdrawals_never_exceed_the_settled_balance_on_postgres() {
    concurrent_withdrawals(H::pg().await).await;
}

#[tokio::test]
async fn sixteen_concurrent_withdrawals_never_exceed_the_settled_balance_on_sqlite() {
    concurrent_withdrawals(H::sqlite().await).await;
}

#[tokio::test]
async fn another_tenants_referrals_balances_and_withdrawals_are_not_found() {
    let h = H::pg().await;
    let a = Tenant::new(&h).await;
    let b = Tenant::new(&h).await;
    policy(&h, &a, 1_000, 0, 0).await;
    let (m, token) = a.member(&h).await;
    let code = code_of(&h, &token).await;
    settled_fixture(&h, &a, &m, 10_000).await;
    let w = dist(&h)
        .request_withdrawal(with(
            pb::RequestWithdrawalRequest {
                amount: cny(5_000),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .withdrawal
        .unwrap();
    let missing = |r: Result<(), tonic::Status>, why: &str| {
        refused(r, Code::NotFound, why);
    };
    let mut c = dist(&h);
    missing(
        c.get_invite_code(with(
            pb::GetInviteCodeRequest {
                member_id: m.clone(),
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
        "MEMBER_NOT_FOUND",
    );
    missing(
        c.resolve_invite_code(with(
            pb::ResolveInviteCodeRequest {
                invite_code: code.clone(),
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
        "INVITE_CODE_NOT_FOUND",
    );
    missing(
        c.get_referral(with(
            pb::GetReferralRequest {
                member_id: m.clone(),
            },
            &b.service,
        ))
        .await
        .map(|_| ()),
        "MEMBER_NOT_FOUND",
    );
    missing(
        c.list_invitees(with(
            pb::ListInviteesRequest {
                member_id: m.clone(),
                ..Default::default()
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
        "MEMBER_NOT_FOUND",
    );
    missing(
        c.get_commission_balance(with(
            pb::GetCommissionBalanceRequest {
                member_id: m.clone(),
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
        "MEMBER_NOT_FOUND",
    );
    missing(
        c.list_commission_entries(with(
            pb::ListCommissionEntriesRequest {
                member_id: m.clone(),
                ..Default::default()
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
        "MEMBER_NOT_FOUND",
    );
    missing(
        c.set_distributor_enabled(with(
            pb::SetDistributorEnabledRequest {
                member_id: m.clone(),
                enabled: true,
                ..Default::default()
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
        "MEMBER_NOT_FOUND",
    );
    missing(
        c.list_withdrawals(with(
            pb::ListWithdrawalsRequest {
                member_id: m.clone(),
                ..Default::default()
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
        "MEMBER_NOT_FOUND",
    );
    for r in [
        c.approve_withdrawal(with(
            pb::ApproveWithdrawalRequest {
                withdrawal_id: w.withdrawal_id.clone(),
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
        c.reject_withdrawal(with(
            pb::RejectWithdrawalRequest {
                withdrawal_id: w.withdrawal_id.clone(),
                reason: "x".into(),
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
        c.complete_withdrawal(with(
            pb::CompleteWithdrawalRequest {
                withdrawal_id: w.withdrawal_id.clone(),
                succeeded: true,
                payout_reference: "x".into(),
            },
            &b.admin,
        ))
        .await
        .map(|_| ()),
    ] {
        missing(r, "WITHDRAWAL_NOT_FOUND");
    }
    let all_b = c
        .list_withdrawals(with(pb::ListWithdrawalsRequest::default(), &b.admin))
        .await
        .unwrap()
        .into_inner()
        .withdrawals;
    assert!(all_b.is_empty());
    assert!(
        c.list_sku_commission_rates(with(pb::ListSkuCommissionRatesRequest::default(), &b.admin))
            .await
            .unwrap()
            .into_inner()
            .rates
            .is_empty()
    );
    assert!(
        !c.get_commission_policy(with(pb::GetCommissionPolicyRequest {}, &b.admin))
            .await
            .unwrap()
            .into_inner()
            .policy
            .unwrap()
            .enabled
    );
}
