//! Shipping by the tenant's settings. The fee depends on the fulfilment alone (pickup: none;
//! delivery: the province's rule or the default; same-city: the distance band), so that a
//! free-shipping coupon's usability does not depend on which goods coupons are applied; the
//! free-shipping threshold and the same-city minimum order are measured on goods_net_total.

use super::Fen;
use super::input::{Fulfilment, FulfilmentMode, ShippingSettings};
use super::quote::ShippingQuote;

/// Why a fulfilment cannot serve an order.
pub const MODE_DISABLED: &str = "FULFILMENT_MODE_DISABLED";
/// The province is excluded from delivery.
pub const NOT_DELIVERABLE_REGION: &str = "NOT_DELIVERABLE_REGION";
/// The address is beyond the same-city range.
pub const OUT_OF_RANGE: &str = "SAME_CITY_OUT_OF_RANGE";
/// The goods are below the same-city minimum order.
pub const BELOW_MINIMUM_ORDER: &str = "BELOW_MINIMUM_ORDER";

/// The fee of a fulfilment before anything depends on the goods amount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fee {
    /// Why it cannot serve, if it cannot (a fulfilment that cannot serve has no fee).
    pub undeliverable: Option<&'static str>,
    /// The fee before discounts.
    pub fee: Fen,
    /// The free-shipping threshold that applies.
    pub free_threshold: Option<Fen>,
    /// Same-city minimum order; 0 = none.
    pub minimum_order: Fen,
    /// Same-city distance, metres.
    pub distance_meters: i32,
}

/// The fee for `fulfilment` under `settings`; `None` (a plan) ships nothing.
pub fn fee(fulfilment: Option<&Fulfilment>, settings: &ShippingSettings) -> Fee {
    let Some(f) = fulfilment else {
        return Fee::default();
    };
    let refused = |why| Fee {
        undeliverable: Some(why),
        ..Fee::default()
    };
    let threshold = |t: Fen| (t > 0).then_some(t);
    match f.mode {
        FulfilmentMode::StorePickup => {
            if settings.pickup.enabled {
                Fee::default()
            } else {
                refused(MODE_DISABLED)
            }
        }
        FulfilmentMode::Delivery => {
            let d = &settings.delivery;
            if !d.enabled {
                return refused(MODE_DISABLED);
            }
            match d.regions.iter().find(|r| r.province == f.province) {
                Some(r) if r.not_deliverable => refused(NOT_DELIVERABLE_REGION),
                Some(r) => Fee {
                    fee: r.fee.max(0),
                    free_threshold: threshold(r.free_threshold.unwrap_or(d.free_threshold)),
                    ..Fee::default()
                },
                None => Fee {
                    fee: d.fee.max(0),
                    free_threshold: threshold(d.free_threshold),
                    ..Fee::default()
                },
            }
        }
        FulfilmentMode::SameCity => {
            let s = &settings.same_city;
            if !s.enabled {
                return refused(MODE_DISABLED);
            }
            let distance = f.distance_meters.unwrap_or(i32::MAX);
            let band = s.bands.iter().find(|b| distance <= b.up_to_meters);
            match band {
                Some(b) if distance >= 0 && distance <= s.max_distance_meters => Fee {
                    fee: b.fee.max(0),
                    free_threshold: threshold(s.free_threshold),
                    minimum_order: s.minimum_order.max(0),
                    distance_meters: distance,
                    ..Fee::default()
                },
                _ => Fee {
                    distance_meters: f.distance_meters.unwrap_or(0),
                    ..refused(OUT_OF_RANGE)
                },
            }
        }
    }
}

/// The shipping quote for `fee` once goods_net_total is known, before any coupon: below the
/// minimum order the fulfilment cannot serve (the fee is still shown); at the threshold the fee
/// is waived; under it, how much is missing (凑单).
pub fn settle(fee: &Fee, goods_net_total: Fen) -> ShippingQuote {
    let mut q = ShippingQuote {
        deliverable: fee.undeliverable.is_none(),
        undeliverable_reason: fee.undeliverable.unwrap_or_default().to_owned(),
        fee: fee.fee,
        free_threshold: fee.free_threshold,
        distance_meters: fee.distance_meters,
        ..ShippingQuote::default()
    };
    if q.deliverable && goods_net_total < fee.minimum_order {
        q.deliverable = false;
        q.undeliverable_reason = BELOW_MINIMUM_ORDER.to_owned();
    }
    if let Some(t) = fee.free_threshold
        && fee.fee > 0
    {
        if goods_net_total >= t {
            q.discount = fee.fee;
        } else {
            q.amount_to_free_shipping = t - goods_net_total;
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::pricing::input::{
        DeliveryRule, DistanceBand, PickupRule, RegionRule, SameCityRule,
    };

    fn settings() -> ShippingSettings {
        ShippingSettings {
            delivery: DeliveryRule {
                enabled: true,
                fee: 800,
                free_threshold: 9900,
                regions: vec![
                    RegionRule {
                        province: "新疆维吾尔自治区".into(),
                        fee: 2000,
                        free_threshold: Some(0),
                        not_deliverable: false,
                    },
                    RegionRule {
                        province: "西藏自治区".into(),
                        not_deliverable: true,
                        ..RegionRule::default()
                    },
                ],
            },
            same_city: SameCityRule {
                enabled: true,
                max_distance_meters: 5000,
                bands: vec![
                    DistanceBand {
                        up_to_meters: 3000,
                        fee: 500,
                    },
                    DistanceBand {
                        up_to_meters: 5000,
                        fee: 900,
                    },
                ],
                minimum_order: 2000,
                free_threshold: 0,
            },
            pickup: PickupRule {
                enabled: true,
                ..PickupRule::default()
            },
        }
    }

    fn delivery(province: &str) -> Fulfilment {
        Fulfilment {
            mode: FulfilmentMode::Delivery,
            province: province.into(),
            ..Fulfilment::default()
        }
    }

    fn same_city(m: i32) -> Fulfilment {
        Fulfilment {
            mode: FulfilmentMode::SameCity,
            distance_meters: Some(m),
            ..Fulfilment::default()
        }
    }

    #[test]
    fn the_default_fee_is_waived_at_the_threshold_and_says_what_is_missing() {
        let f = fee(Some(&delivery("浙江省")), &settings());
        let q = settle(&f, 9000);
        assert_eq!(
            (q.fee, q.discount, q.amount_to_free_shipping),
            (800, 0, 900)
        );
        assert_eq!(q.free_threshold, Some(9900));
        let q = settle(&f, 9900);
        assert_eq!(
            (q.fee, q.discount, q.amount_to_free_shipping),
            (800, 800, 0)
        );
    }

    #[test]
    fn a_region_overrides_the_fee_and_may_never_be_free_or_not_served() {
        let q = settle(
            &fee(Some(&delivery("新疆维吾尔自治区")), &settings()),
            50_000,
        );
        assert_eq!((q.fee, q.discount, q.free_threshold), (2000, 0, None));
        let q = settle(&fee(Some(&delivery("西藏自治区")), &settings()), 50_000);
        assert!(!q.deliverable);
        assert_eq!(
            (q.undeliverable_reason.as_str(), q.fee),
            (NOT_DELIVERABLE_REGION, 0)
        );
    }

    #[test]
    fn same_city_bands_range_and_minimum() {
        let s = settings();
        assert_eq!(settle(&fee(Some(&same_city(3000)), &s), 5000).fee, 500);
        let q = settle(&fee(Some(&same_city(3001)), &s), 5000);
        assert_eq!((q.fee, q.distance_meters, q.deliverable), (900, 3001, true));
        let q = settle(&fee(Some(&same_city(5001)), &s), 5000);
        assert_eq!(
            (q.deliverable, q.undeliverable_reason.as_str()),
            (false, OUT_OF_RANGE)
        );
        let q = settle(&fee(Some(&same_city(100)), &s), 1999);
        assert_eq!(
            (q.deliverable, q.undeliverable_reason.as_str(), q.fee),
            (false, BELOW_MINIMUM_ORDER, 500)
        );
    }

    #[test]
    fn pickup_has_no_fee_and_a_disabled_mode_cannot_serve() {
        let mut s = settings();
        let pickup = Fulfilment {
            mode: FulfilmentMode::StorePickup,
            ..Fulfilment::default()
        };
        let q = settle(&fee(Some(&pickup), &s), 100);
        assert_eq!((q.deliverable, q.fee), (true, 0));
        s.pickup.enabled = false;
        let q = settle(&fee(Some(&pickup), &s), 100);
        assert_eq!(q.undeliverable_reason, MODE_DISABLED);
    }
}
