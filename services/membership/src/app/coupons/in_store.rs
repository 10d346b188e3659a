//! In-store redemption (核销): the member shows a dynamic code (18 digits valid 60 s, so a
//! screenshot cannot be resold), staff scan it at their store and the coupon becomes USED
//! there; a cashier's mistake is reversed within 24 h.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use super::{coupon, require_store};
use crate::app::domain::coupon_rule::{OrderContext, evaluate};
use crate::app::domain::{Coupon, CouponId, CouponKind, CouponStatus};
use crate::app::{App, callers};
use crate::{AppError, repo};

/// How long a redemption code is accepted.
pub const CODE_TTL_MS: i64 = 60_000;
/// How long an expired code is kept, so a late scan says "expired" rather than "unknown".
const KEEP_EXPIRED_MS: i64 = 3_600_000;
/// How long an in-store redemption may be reversed.
pub const REVERSIBLE_MS: i64 = 24 * 3_600_000;

/// 18 digits starting with 8 (member codes start with 9: a scanner tells them apart).
fn draw() -> String {
    let mut rng = StdRng::from_os_rng();
    let mut code = String::with_capacity(18);
    code.push('8');
    for _ in 0..17 {
        code.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    code
}

/// What staff scanned or typed.
#[derive(Debug, Clone)]
pub enum Presented {
    /// A dynamic code.
    Code(String),
    /// A coupon id.
    Coupon(CouponId),
}

/// A RedeemCouponInStore request, parsed.
#[derive(Debug, Clone)]
pub struct Redemption {
    /// The code or coupon.
    pub presented: Presented,
    /// The store redeeming.
    pub store_id: Uuid,
    /// POS receipt number.
    pub pos_receipt_no: String,
    /// The POS sale, if given.
    pub context: Option<OrderContext>,
}

impl App {
    /// IssueCouponRedemptionCode: a fresh code for the consumer's own usable in-store coupon.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, coupon_id = %id))]
    pub async fn issue_redemption_code(
        &self,
        ctx: &Ctx,
        id: CouponId,
    ) -> Result<(String, i64), AppError> {
        let now = self.now_ms();
        let c = coupon(&self.db, ctx, id, false).await?;
        match c.status_at(now) {
            CouponStatus::Available => {}
            CouponStatus::Expired => return Err(AppError::CouponExpired(id)),
            _ => return Err(AppError::CouponUnavailable(id)),
        }
        if !c.rule.scope.in_store {
            return Err(AppError::CouponNotInStore);
        }
        let expires = now + CODE_TTL_MS;
        repo::coupons::codes::purge(&self.db, ctx.tenant, now - KEEP_EXPIRED_MS).await?;
        // 10^17 codes: a collision is rare; draw again rather than fail.
        for _ in 0..5 {
            let code = draw();
            if repo::coupons::codes::insert(&self.db, ctx.tenant, &code, id, expires).await? {
                return Ok((code, expires));
            }
        }
        Err(AppError::Internal("no free redemption code".into()))
    }

    /// RedeemCouponInStore: answers the coupon (USED at the store) and the discount for the
    /// POS. A repeat with the same receipt answers the first redemption.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, store_id = %r.store_id))]
    pub async fn redeem_in_store(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: Redemption,
    ) -> Result<(Coupon, i64), AppError> {
        let now = self.now_ms();
        require_store(ctx, r.store_id)?;
        let id = match &r.presented {
            Presented::Coupon(id) => *id,
            Presented::Code(code) => {
                let (id, expires) = repo::coupons::codes::find(conn, ctx.tenant, code)
                    .await?
                    .ok_or(AppError::CouponNotFound)?;
                if now >= expires {
                    return Err(AppError::RedemptionCodeExpired);
                }
                id
            }
        };
        let mut c = coupon(conn, ctx, id, true).await?;
        if c.status == CouponStatus::Used
            && c.redeemed_store_id == Some(r.store_id)
            && !r.pos_receipt_no.is_empty()
            && c.pos_receipt_no == r.pos_receipt_no
        {
            let discount = c.in_store_discount;
            return Ok((c, discount));
        }
        match c.status_at(now) {
            CouponStatus::Available => {}
            CouponStatus::Expired => return Err(AppError::CouponExpired(id)),
            _ => return Err(AppError::CouponUnavailable(id)),
        }
        if !c.rule.scope.in_store {
            return Err(AppError::CouponNotInStore);
        }
        let not_applicable =
            |reason: &'static str| AppError::CouponNotApplicable { coupon: id, reason };
        let stores = &c.rule.scope.store_ids;
        if !stores.is_empty() && !stores.contains(&r.store_id) {
            return Err(not_applicable("STORE_NOT_ELIGIBLE"));
        }
        let discount = match (&r.context, c.rule.kind) {
            (Some(sale), _) => {
                let mut sale = sale.clone();
                sale.in_store = true;
                sale.store_id = Some(r.store_id);
                match evaluate(&c.rule, &sale) {
                    Ok(d) => d,
                    // The gift is handed over outside the sale.
                    Err(_)
                        if c.rule.kind == CouponKind::Exchange
                            && !c.rule.gift_sku_id.is_empty()
                            && !sale.lines.iter().any(|l| l.sku_id == c.rule.gift_sku_id) =>
                    {
                        0
                    }
                    Err(why) => return Err(not_applicable(why.name())),
                }
            }
            // Without a sale the POS applies the amount itself.
            (None, CouponKind::AmountOff) => c.rule.amount_off,
            (None, _) => 0,
        };
        let by = callers::operator(ctx);
        let receipt = r.pos_receipt_no.as_str();
        if !repo::coupons::redeem_in_store(
            conn,
            ctx.tenant,
            id,
            (r.store_id, &by, receipt),
            discount,
            now,
        )
        .await?
        {
            return Err(AppError::CouponUnavailable(id));
        }
        c.status = CouponStatus::Used;
        c.redeemed_store_id = Some(r.store_id);
        c.redeemed_by = by;
        c.pos_receipt_no = r.pos_receipt_no;
        c.in_store_discount = discount;
        c.used_at_ms = Some(now);
        Ok((c, discount))
    }

    /// ReverseInStoreRedemption: within 24 h, the coupon comes back (AVAILABLE, or EXPIRED once
    /// its validity ended).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, coupon_id = %id))]
    pub async fn reverse_in_store(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: CouponId,
    ) -> Result<Coupon, AppError> {
        let now = self.now_ms();
        let mut c = coupon(conn, ctx, id, true).await?;
        let Some(store) = c
            .redeemed_store_id
            .filter(|_| c.status == CouponStatus::Used)
        else {
            return Err(AppError::RedemptionNotReversible);
        };
        if ctx.principal.kind == PrincipalKind::Staff {
            require_store(ctx, store)?;
        }
        if c.used_at_ms.is_none_or(|at| now - at > REVERSIBLE_MS) {
            return Err(AppError::RedemptionNotReversible);
        }
        let to = if now >= c.valid_until_ms {
            CouponStatus::Expired
        } else {
            CouponStatus::Available
        };
        if !repo::coupons::reverse_in_store(conn, ctx.tenant, id, to, now).await? {
            return Err(AppError::RedemptionNotReversible);
        }
        c.status = to;
        c.redeemed_store_id = None;
        c.redeemed_by.clear();
        c.pos_receipt_no.clear();
        c.in_store_discount = 0;
        c.used_at_ms = None;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eighteen_digits_apart_from_member_codes() {
        let code = draw();
        assert_eq!(code.len(), 18);
        assert!(code.starts_with('8'));
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }
}
