//! [`Shopper`]: who is browsing the storefront, in which tenant, and what that lets them see.

use siyu_core::{Ctx, PrincipalKind, TenantId};

use super::Shop;
use crate::app::prices::pricing::PriceContext;

/// Who the storefront is shown to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// No token: browsing the tenant of the mini-program app named. What a consumer sees, but
    /// no member price (a tier sent is not theirs to claim).
    Guest,
    /// A logged-in shopper: member prices of the tier sent; hidden categories stay hidden.
    Consumer,
    /// The merchant's side (staff, partners, services): hidden categories too.
    Merchant,
}

/// Who is browsing, and in which tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shopper {
    /// The tenant whose storefront is shown.
    pub tenant: TenantId,
    /// What the caller may see of it.
    pub viewer: Viewer,
}

impl Shopper {
    /// The shopper of a token-bearing call.
    pub fn of(ctx: &Ctx) -> Self {
        let viewer = match ctx.principal.kind {
            PrincipalKind::Consumer => Viewer::Consumer,
            PrincipalKind::Staff | PrincipalKind::Partner | PrincipalKind::Service => {
                Viewer::Merchant
            }
        };
        Self {
            tenant: ctx.tenant,
            viewer,
        }
    }

    /// A guest browsing `tenant`.
    pub fn guest(tenant: TenantId) -> Self {
        Self {
            tenant,
            viewer: Viewer::Guest,
        }
    }

    /// Whether hidden categories are shown.
    pub fn sees_hidden_categories(&self) -> bool {
        self.viewer == Viewer::Merchant
    }

    /// Whether member prices (a tier's price or discount) apply.
    pub fn gets_member_prices(&self) -> bool {
        self.viewer != Viewer::Guest
    }

    /// `shop` as this shopper may use it: a guest's tier is dropped.
    pub fn shop(&self, shop: Shop) -> Shop {
        if self.gets_member_prices() {
            shop
        } else {
            shop.without_tier()
        }
    }

    /// `pctx` as this shopper may use it: a guest's tier is dropped.
    pub fn price_context<'a>(&self, pctx: PriceContext<'a>) -> PriceContext<'a> {
        if self.gets_member_prices() {
            pctx
        } else {
            PriceContext {
                tier_code: None,
                tier_discount_bps: 0,
                ..pctx
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::app::prices::pricing::Channel;

    #[test]
    fn guests_lose_their_tier_and_consumers_keep_it() {
        let tenant = TenantId(Uuid::nil());
        let shop = Shop {
            store: None,
            channel: Channel::Online,
            tier_code: Some("gold".into()),
            tier_discount_bps: 8_000,
            delivery_to: None,
        };
        let guest = Shopper::guest(tenant).shop(shop.clone());
        assert_eq!((guest.tier_code, guest.tier_discount_bps), (None, 0));
        let consumer = Shopper {
            tenant,
            viewer: Viewer::Consumer,
        };
        assert_eq!(consumer.shop(shop).tier_code.as_deref(), Some("gold"));
        assert!(!consumer.sees_hidden_categories());
    }
}
