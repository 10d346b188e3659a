//! DistributionService refuses malformed and hostile requests: one or more per RPC, each with
//! the exact code, reason and field; callers outside the contract are refused before the
//! handler.

use prost_types::FieldMask;
use siyu_proto::common::v1::{Money, PageRequest};
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::distribution::dist;
use crate::harness::{H, Tenant, cny, field, id, refused, with};

#[track_caller]
fn invalid<T: std::fmt::Debug>(r: Result<T, tonic::Status>, f: &str) {
    let s = refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(field(&s), f, "{s:?}");
}

#[tokio::test]
async fn every_distribution_rpc_refuses_malformed_requests() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (_, consumer) = t.member(&h).await;
    let mut c = dist(&h);
    let a = &t.admin;
    invalid(
        c.get_invite_code(with(
            pb::GetInviteCodeRequest {
                member_id: "nope".into(),
            },
            a,
        ))
        .await,
        "member_id",
    );
    invalid(
        c.resolve_invite_code(with(
            pb::ResolveInviteCodeRequest {
                invite_code: "DROP TABLE".into(),
            },
            a,
        ))
        .await,
        "invite_code",
    );
    refused(
        c.resolve_invite_code(with(
            pb::ResolveInviteCodeRequest {
                invite_code: "ZZZZ2222".into(),
            },
            a,
        ))
        .await,
        Code::NotFound,
        "INVITE_CODE_NOT_FOUND",
    );
    invalid(
        c.get_referral(with(
            pb::GetReferralRequest {
                member_id: "1".into(),
            },
            a,
        ))
        .await,
        "member_id",
    );
    // Never deeper than two levels.
    invalid(
        c.list_invitees(with(
            pb::ListInviteesRequest {
                level: 3,
                ..Default::default()
            },
            &consumer,
        ))
        .await,
        "level",
    );
    invalid(
        c.list_invitees(with(
            pb::ListInviteesRequest {
                page: Some(PageRequest {
                    page_size: 0,
                    page_token: "forged".into(),
                }),
                ..Default::default()
            },
            &consumer,
        ))
        .await,
        "page.page_token",
    );
    // GetCommissionPolicy takes nothing; a partner is outside its callers.
    refused(
        c.get_commission_policy(with(pb::GetCommissionPolicyRequest {}, &t.partner))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    let update = |paths: &[&str], p: pb::CommissionPolicy| pb::UpdateCommissionPolicyRequest {
        policy: Some(p),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    };
    invalid(
        c.update_commission_policy(with(
            update(
                &["level1_rate_bps"],
                pb::CommissionPolicy {
                    level1_rate_bps: 5_001,
                    ..Default::default()
                },
            ),
            a,
        ))
        .await,
        "policy.level1_rate_bps",
    );
    invalid(
        c.update_commission_policy(with(
            update(
                &["min_withdrawal"],
                pb::CommissionPolicy {
                    min_withdrawal: cny(-1),
                    ..Default::default()
                },
            ),
            a,
        ))
        .await,
        "policy.min_withdrawal.minor_units",
    );
    refused(
        c.update_commission_policy(with(
            update(&["level3_rate_bps"], pb::CommissionPolicy::default()),
            a,
        ))
        .await,
        Code::InvalidArgument,
        "UNKNOWN_FIELD_PATH",
    );
    invalid(
        c.update_commission_policy(with(pb::UpdateCommissionPolicyRequest::default(), a))
            .await,
        "update_mask",
    );
    // Only tenant admins change the policy.
    refused(
        c.update_commission_policy(with(
            update(&["enabled"], pb::CommissionPolicy::default()),
            &t.staff(&h, "hq_operator", &t.root.to_string()),
        ))
        .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    invalid(
        c.set_sku_commission_rate(with(
            pb::SetSkuCommissionRateRequest {
                rate: Some(pb::SkuCommissionRate {
                    sku_id: id(),
                    level1_rate_bps: -1,
                    level2_rate_bps: 0,
                }),
            },
            a,
        ))
        .await,
        "rate.level1_rate_bps",
    );
    invalid(
        c.set_sku_commission_rate(with(pb::SetSkuCommissionRateRequest { rate: None }, a))
            .await,
        "rate",
    );
    invalid(
        c.delete_sku_commission_rate(with(
            pb::DeleteSkuCommissionRateRequest {
                sku_id: String::new(),
            },
            a,
        ))
        .await,
        "sku_id",
    );
    invalid(
        c.list_sku_commission_rates(with(
            pb::ListSkuCommissionRatesRequest {
                page: Some(PageRequest {
                    page_size: 100_000,
                    ..Default::default()
                }),
            },
            a,
        ))
        .await,
        "page.page_size",
    );
    invalid(
        c.set_distributor_enabled(with(
            pb::SetDistributorEnabledRequest {
                member_id: String::new(),
                enabled: true,
                ..Default::default()
            },
            a,
        ))
        .await,
        "member_id",
    );
    invalid(
        c.list_commission_entries(with(
            pb::ListCommissionEntriesRequest {
                statuses: vec![9],
                ..Default::default()
            },
            &consumer,
        ))
        .await,
        "statuses[0]",
    );
    invalid(
        c.get_commission_balance(with(
            pb::GetCommissionBalanceRequest {
                member_id: "x".into(),
            },
            a,
        ))
        .await,
        "member_id",
    );
    invalid(
        c.request_withdrawal(with(
            pb::RequestWithdrawalRequest {
                amount: cny(0),
                ..Default::default()
            },
            &consumer,
        ))
        .await,
        "amount.minor_units",
    );
    refused(
        c.request_withdrawal(with(
            pb::RequestWithdrawalRequest {
                amount: Some(Money {
                    minor_units: 10_000,
                    currency_code: "USD".into(),
                }),
                ..Default::default()
            },
            &consumer,
        ))
        .await,
        Code::InvalidArgument,
        "CURRENCY_NOT_SUPPORTED",
    );
    // Staff never request a withdrawal on a member's behalf.
    refused(
        c.request_withdrawal(with(
            pb::RequestWithdrawalRequest {
                amount: cny(10_000),
                member_id: id(),
            },
            a,
        ))
        .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    invalid(
        c.list_withdrawals(with(
            pb::ListWithdrawalsRequest {
                statuses: vec![-1],
                ..Default::default()
            },
            a,
        ))
        .await,
        "statuses[0]",
    );
    invalid(
        c.approve_withdrawal(with(
            pb::ApproveWithdrawalRequest {
                withdrawal_id: "w".into(),
            },
            a,
        ))
        .await,
        "withdrawal_id",
    );
    refused(
        c.approve_withdrawal(with(
            pb::ApproveWithdrawalRequest {
                withdrawal_id: id(),
            },
            a,
        ))
        .await,
        Code::NotFound,
        "WITHDRAWAL_NOT_FOUND",
    );
    invalid(
        c.reject_withdrawal(with(
            pb::RejectWithdrawalRequest {
                withdrawal_id: id(),
                reason: "   ".into(),
            },
            a,
        ))
        .await,
        "reason",
    );
    invalid(
        c.complete_withdrawal(with(
            pb::CompleteWithdrawalRequest {
                withdrawal_id: id(),
                succeeded: true,
                payout_reference: String::new(),
            },
            a,
        ))
        .await,
        "payout_reference",
    );
    // A consumer completes nothing.
    refused(
        c.complete_withdrawal(with(
            pb::CompleteWithdrawalRequest {
                withdrawal_id: id(),
                succeeded: true,
                payout_reference: "x".into(),
            },
            &consumer,
        ))
        .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
}
