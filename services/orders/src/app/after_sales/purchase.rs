//! After-sales of top-up and paid-plan orders: what was bought is taken back at membership
//! before any money moves. A top-up is refunded only while the member still holds its
//! principal — checked against their balance when the case is asked for, and exactly by
//! `ReverseTopUp` at approval, whose refusal (TOP_UP_ALREADY_SPENT) stops the approval with
//! nothing moved. A paid plan's period is revoked by the refund's first step, before the cash.

use siyu_core::TenantId;
use siyu_proto::common::v1::Money;
use siyu_proto::membership::v1 as membership;
use siyu_proto::membership::v1::ledger_service_client::LedgerServiceClient;
use uuid::Uuid;

use super::AfterSaleError;
use crate::AppError;
use crate::app::App;
use crate::app::orders::model::{Order, OrderKind};
use crate::peers::refusal;

const MEMBERSHIP: &str = "membership";

/// The refund id of a non-goods case: fixed by the case, so that a reversal membership
/// applied for an approval whose transaction then rolled back meets the same
/// (order, refund) key when the approval is repeated, and is answered, not applied again.
pub fn refund_id_of_case(case_id: Uuid) -> Uuid {
    // The low half flipped: a distinct id that keeps the case's time prefix.
    Uuid::from_u128(case_id.as_u128() ^ u128::from(u64::MAX))
}

impl App {
    /// A case asking `refund_fen` back from the top-up `order`: refused with what can still
    /// be taken back when the member's principal is already below it.
    pub async fn check_top_up_held(
        &self,
        tenant: TenantId,
        order: &Order,
        refund_fen: i64,
    ) -> Result<(), AppError> {
        let member = order
            .member_id
            .ok_or_else(|| AppError::Internal(format!("top-up {} without member", order.id)))?;
        let request = self
            .peers
            .request(
                MEMBERSHIP,
                tenant,
                membership::GetBalancesRequest {
                    member_id: member.to_string(),
                },
                None,
            )
            .await?;
        let balances = LedgerServiceClient::new(self.peers.membership.clone())
            .get_balances(request)
            .await
            .map_err(|s| refusal(MEMBERSHIP, &s))?
            .into_inner()
            .balances
            .unwrap_or_default();
        let principal = balances
            .stored_value_principal
            .as_ref()
            .map_or(0, |m| m.minor_units);
        if principal < refund_fen {
            return Err(AfterSaleError::TopUpAlreadySpent {
                reversible_fen: principal.max(0),
            }
            .into());
        }
        Ok(())
    }

    /// Takes the top-up's stored value back for refund `refund_id` (membership
    /// `ReverseTopUp`, keyed by order and refund): `cash_fen` of principal and the bonus in
    /// proportion. Membership's refusal is the caller's answer.
    pub async fn reverse_top_up(
        &self,
        tenant: TenantId,
        order: &Order,
        refund_id: Uuid,
        cash_fen: i64,
    ) -> Result<(), AppError> {
        debug_assert_eq!(order.kind, OrderKind::StoredValueTopUp);
        let message = membership::ReverseTopUpRequest {
            order_id: order.id.to_string(),
            refund_id: refund_id.to_string(),
            amount: Some(Money {
                minor_units: cash_fen,
                currency_code: "CNY".into(),
            }),
        };
        let key = format!("refund:{refund_id}:7");
        let request = self
            .peers
            .request(MEMBERSHIP, tenant, message, Some(&key))
            .await?;
        LedgerServiceClient::new(self.peers.membership.clone())
            .reverse_top_up(request)
            .await
            .map_err(|s| refusal(MEMBERSHIP, &s))?;
        Ok(())
    }
}
