//! Non-goods sources priced: a stored-value top-up plan (储值充值) or a paid-membership plan
//! (付费会员). Both are membership's plans, read at the moment of pricing, and become one plan
//! line at the plan's price (a paid plan's first-period price for a member who never had paid
//! membership). Nothing else applies: no catalog, coupons, points, stored value or shipping.

use siyu_core::TenantId;
use siyu_proto::membership::v1 as membership;
use siyu_proto::membership::v1::ledger_service_client::LedgerServiceClient;
use siyu_proto::membership::v1::paid_membership_service_client::PaidMembershipServiceClient;
use tonic::Code;
use uuid::Uuid;

use super::quote::{Buyer, Priced, Source};
use crate::AppError;
use crate::app::App;
use crate::app::carts::Fulfilment;
use crate::app::pricing::{self, PricingInput};
use crate::peers::refusal;

const MEMBERSHIP: &str = "membership";

/// A plan as the quote prices it.
struct Plan {
    title: String,
    price_fen: i64,
}

impl App {
    /// Prices a top-up or paid-plan source for `buyer`, who must be a member.
    pub(super) async fn price_plan(
        &self,
        tenant: TenantId,
        source: &Source,
        buyer: Buyer,
    ) -> Result<Priced, AppError> {
        let member = buyer.member_id.ok_or(AppError::MemberRequired)?;
        let (plan_id, plan) = match source {
            Source::TopUp { plan_id } => (*plan_id, self.top_up_plan(tenant, *plan_id).await?),
            Source::PaidPlan { plan_id, .. } => {
                (*plan_id, self.paid_plan(tenant, *plan_id, member).await?)
            }
            Source::Cart | Source::Lines(_) => {
                return Err(AppError::Internal("goods priced as a plan".into()));
            }
        };
        let input = PricingInput {
            goods: pricing::input::Goods::Plan(pricing::input::PlanLine {
                plan_id: plan_id.to_string(),
                title: plan.title,
                image_url: String::new(),
                price: plan.price_fen,
            }),
            ..PricingInput::default()
        };
        let quote = pricing::price(&input).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Priced {
            kind: source.kind(),
            buyer,
            fulfilment: Fulfilment::default(),
            input,
            quote,
            cart_lines: Vec::new(),
        })
    }

    /// The top-up plan `plan_id`, on sale now, with stored value enabled for the tenant.
    async fn top_up_plan(&self, tenant: TenantId, plan_id: Uuid) -> Result<Plan, AppError> {
        if !self.ledger_policy(tenant).await?.stored_value_enabled {
            return Err(AppError::StoredValueDisabled);
        }
        // Off-sale plans too, to tell "not on sale" from "no such plan".
        let request = self
            .peers
            .request(
                MEMBERSHIP,
                tenant,
                membership::ListTopUpPlansRequest {
                    include_off_sale: true,
                },
                None,
            )
            .await?;
        let plans = LedgerServiceClient::new(self.peers.membership.clone())
            .list_top_up_plans(request)
            .await
            .map_err(|s| refusal(MEMBERSHIP, &s))?
            .into_inner()
            .plans;
        let wanted = plan_id.to_string();
        let plan = plans
            .into_iter()
            .find(|p| p.plan_id == wanted)
            .ok_or(AppError::TopUpPlanNotFound)?;
        let now = self.now_ms();
        let started = plan
            .starts_at
            .as_ref()
            .is_none_or(|t| siyu_proto::time::millis(t) <= now);
        let not_ended = plan
            .ends_at
            .as_ref()
            .is_none_or(|t| now < siyu_proto::time::millis(t));
        let price_fen = plan.pay_amount.as_ref().map_or(0, |m| m.minor_units);
        if !(plan.on_sale && started && not_ended) || price_fen <= 0 {
            return Err(AppError::PlanNotOnSale);
        }
        Ok(Plan {
            title: plan.name,
            price_fen,
        })
    }

    /// The paid plan `plan_id`, on sale, at the price `member` pays for it: the first-period
    /// price when they never bought paid membership.
    async fn paid_plan(
        &self,
        tenant: TenantId,
        plan_id: Uuid,
        member: Uuid,
    ) -> Result<Plan, AppError> {
        let request = self
            .peers
            .request(
                MEMBERSHIP,
                tenant,
                membership::GetPaidPlanRequest {
                    plan_id: plan_id.to_string(),
                },
                None,
            )
            .await?;
        let mut client = PaidMembershipServiceClient::new(self.peers.membership.clone());
        let plan = match client.get_paid_plan(request).await {
            Ok(r) => r.into_inner().plan.ok_or(AppError::PaidPlanNotFound)?,
            Err(s) if s.code() == Code::NotFound => return Err(AppError::PaidPlanNotFound),
            Err(s) => return Err(refusal(MEMBERSHIP, &s)),
        };
        if !plan.on_sale {
            return Err(AppError::PlanNotOnSale);
        }
        let request = self
            .peers
            .request(
                MEMBERSHIP,
                tenant,
                membership::GetPaidMembershipRequest {
                    member_id: member.to_string(),
                },
                None,
            )
            .await?;
        let held = client
            .get_paid_membership(request)
            .await
            .map_err(|s| refusal(MEMBERSHIP, &s))?
            .into_inner()
            .membership
            .unwrap_or_default();
        let price = match &plan.first_period_price {
            Some(first) if held.periods_bought == 0 => first.minor_units,
            _ => plan.price.as_ref().map_or(0, |m| m.minor_units),
        };
        if price <= 0 {
            return Err(AppError::PlanNotOnSale);
        }
        Ok(Plan {
            title: plan.name,
            price_fen: price,
        })
    }
}
