//! OrderSettingsService on the wire: GetOrderSettings and UpdateOrderSettings (by update mask,
//! under `expected_version`), and the conversion of the settings both ways.

use siyu_proto::common::v1 as common;
use siyu_proto::orders::v1 as pb;
use siyu_proto::time::timestamp_ms;
use tonic::{Request, Response};

use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::pricing::Fen;
use crate::app::settings::{
    DeliveryRule, DistanceBand, OrderSettings, PickupRule, RegionRule, SameCityRule, Versioned,
};

/// Mask paths the update knows: a message path replaces the whole message.
const PATHS: [&str; 23] = [
    "unpaid_timeout_seconds",
    "auto_complete_days",
    "after_sale_window_days",
    "auto_approve_before_shipment",
    "auto_approve_after_hours",
    "return_shipment_days",
    "late_payment_policy",
    "delivery",
    "delivery.enabled",
    "delivery.fee",
    "delivery.free_threshold",
    "delivery.regions",
    "same_city",
    "same_city.enabled",
    "same_city.max_distance_meters",
    "same_city.bands",
    "same_city.minimum_order",
    "same_city.free_threshold",
    "pickup",
    "pickup.enabled",
    "pickup.pickup_discount",
    "pickup.pickup_discount_threshold",
    "pickup.hold_days",
];

fn cny(fen: Fen) -> Option<common::Money> {
    Some(common::Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

/// The contract's settings for stored ones.
fn to_pb(v: &Versioned) -> pb::OrderSettings {
    let s = v.settings.clone().resolved();
    pb::OrderSettings {
        unpaid_timeout_seconds: s.unpaid_timeout_seconds,
        auto_complete_days: s.auto_complete_days,
        after_sale_window_days: s.after_sale_window_days,
        auto_approve_before_shipment: s.auto_approve_before_shipment,
        auto_approve_after_hours: s.auto_approve_after_hours,
        return_shipment_days: s.return_shipment_days,
        late_payment_policy: s.late_payment_policy,
        delivery: Some(pb::DeliveryShippingRule {
            enabled: s.delivery.enabled,
            fee: cny(s.delivery.fee),
            free_threshold: cny(s.delivery.free_threshold),
            regions: s
                .delivery
                .regions
                .iter()
                .map(|r| pb::RegionShippingRule {
                    province: r.province.clone(),
                    fee: cny(r.fee),
                    free_threshold: r.free_threshold.and_then(cny),
                    not_deliverable: r.not_deliverable,
                })
                .collect(),
        }),
        same_city: Some(pb::SameCityShippingRule {
            enabled: s.same_city.enabled,
            max_distance_meters: s.same_city.max_distance_meters,
            bands: s
                .same_city
                .bands
                .iter()
                .map(|b| pb::DistanceBand {
                    up_to_meters: b.up_to_meters,
                    fee: cny(b.fee),
                })
                .collect(),
            minimum_order: cny(s.same_city.minimum_order),
            free_threshold: cny(s.same_city.free_threshold),
        }),
        pickup: Some(pb::PickupRule {
            enabled: s.pickup.enabled,
            pickup_discount: cny(s.pickup.pickup_discount),
            pickup_discount_threshold: cny(s.pickup.pickup_discount_threshold),
            hold_days: s.pickup.hold_days,
        }),
        version: v.version,
        updated_at: v.updated_at_ms.map(timestamp_ms),
        updated_by_staff_id: v.updated_by.clone(),
    }
}

/// Collects field violations of the merged settings.
#[derive(Default)]
struct Check(Vec<(String, String)>);

impl Check {
    fn range(&mut self, field: &str, v: i32, lo: i32, hi: i32) {
        if !(lo..=hi).contains(&v) {
            self.0
                .push((format!("settings.{field}"), format!("must be {lo}..{hi}")));
        }
    }

    fn money(&mut self, field: &str, m: Option<&common::Money>) -> Fen {
        let Some(m) = m else {
            return 0;
        };
        if m.currency_code != "CNY" {
            self.0.push((
                format!("settings.{field}.currency_code"),
                "must be CNY".into(),
            ));
        }
        if m.minor_units < 0 {
            self.0.push((
                format!("settings.{field}.minor_units"),
                "must be ≥ 0".into(),
            ));
        }
        m.minor_units
    }
}

/// The merged wire settings, validated, as the stored model.
fn from_pb(s: &pb::OrderSettings) -> Result<OrderSettings, AppError> {
    let mut c = Check::default();
    c.range(
        "unpaid_timeout_seconds",
        s.unpaid_timeout_seconds,
        60,
        86_100,
    );
    c.range("auto_complete_days", s.auto_complete_days, 1, 30);
    c.range("after_sale_window_days", s.after_sale_window_days, 0, 90);
    c.range(
        "auto_approve_after_hours",
        s.auto_approve_after_hours,
        0,
        720,
    );
    c.range("return_shipment_days", s.return_shipment_days, 1, 30);
    if pb::LatePaymentPolicy::try_from(s.late_payment_policy).is_err() {
        c.0.push((
            "settings.late_payment_policy".into(),
            "unknown policy".into(),
        ));
    }
    let d = s.delivery.clone().unwrap_or_default();
    if d.regions.len() > 40 {
        c.0.push(("settings.delivery.regions".into(), "at most 40".into()));
    }
    let mut provinces = std::collections::HashSet::new();
    let mut regions = Vec::new();
    for (i, r) in d.regions.iter().enumerate() {
        let at = format!("delivery.regions[{i}]");
        if r.province.trim().is_empty() {
            c.0.push((format!("settings.{at}.province"), "required".into()));
        } else if !provinces.insert(r.province.clone()) {
            c.0.push((format!("settings.{at}.province"), "listed twice".into()));
        }
        regions.push(RegionRule {
            province: r.province.clone(),
            fee: c.money(&format!("{at}.fee"), r.fee.as_ref()),
            free_threshold: r
                .free_threshold
                .as_ref()
                .map(|t| c.money(&format!("{at}.free_threshold"), Some(t))),
            not_deliverable: r.not_deliverable,
        });
    }
    let delivery = DeliveryRule {
        enabled: d.enabled,
        fee: c.money("delivery.fee", d.fee.as_ref()),
        free_threshold: c.money("delivery.free_threshold", d.free_threshold.as_ref()),
        regions,
    };
    let sc = s.same_city.clone().unwrap_or_default();
    c.range(
        "same_city.max_distance_meters",
        sc.max_distance_meters,
        0,
        100_000,
    );
    if sc.bands.len() > 10 {
        c.0.push(("settings.same_city.bands".into(), "at most 10".into()));
    }
    let mut bands = Vec::new();
    let mut previous = 0;
    for (i, b) in sc.bands.iter().enumerate() {
        let at = format!("same_city.bands[{i}]");
        if b.up_to_meters <= previous {
            c.0.push((
                format!("settings.{at}.up_to_meters"),
                "bands must ascend above 0".into(),
            ));
        }
        previous = b.up_to_meters;
        bands.push(DistanceBand {
            up_to_meters: b.up_to_meters,
            fee: c.money(&format!("{at}.fee"), b.fee.as_ref()),
        });
    }
    if let Some(last) = sc.bands.last()
        && sc.max_distance_meters > 0
        && last.up_to_meters < sc.max_distance_meters
    {
        c.0.push((
            "settings.same_city.bands".into(),
            "the last band must reach max_distance_meters".into(),
        ));
    }
    let same_city = SameCityRule {
        enabled: sc.enabled,
        max_distance_meters: sc.max_distance_meters,
        bands,
        minimum_order: c.money("same_city.minimum_order", sc.minimum_order.as_ref()),
        free_threshold: c.money("same_city.free_threshold", sc.free_threshold.as_ref()),
    };
    let p = s.pickup.clone().unwrap_or_default();
    c.range("pickup.hold_days", p.hold_days, 1, 30);
    let pickup = PickupRule {
        enabled: p.enabled,
        pickup_discount: c.money("pickup.pickup_discount", p.pickup_discount.as_ref()),
        pickup_discount_threshold: c.money(
            "pickup.pickup_discount_threshold",
            p.pickup_discount_threshold.as_ref(),
        ),
        hold_days: p.hold_days,
    };
    if !c.0.is_empty() {
        return Err(AppError::InvalidInput(c.0));
    }
    Ok(OrderSettings {
        unpaid_timeout_seconds: s.unpaid_timeout_seconds,
        auto_complete_days: s.auto_complete_days,
        after_sale_window_days: s.after_sale_window_days,
        auto_approve_before_shipment: s.auto_approve_before_shipment,
        auto_approve_after_hours: s.auto_approve_after_hours,
        return_shipment_days: s.return_shipment_days,
        late_payment_policy: s.late_payment_policy,
        delivery,
        same_city,
        pickup,
    })
}

/// A mask path in the contract's (snake_case) spelling; lowerCamelCase is accepted too.
fn snake(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for ch in path.trim().chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// Copies the field at `path` from `new` into `into`.
fn apply(into: &mut pb::OrderSettings, new: &pb::OrderSettings, path: &str) {
    let nd = new.delivery.clone().unwrap_or_default();
    let ns = new.same_city.clone().unwrap_or_default();
    let np = new.pickup.clone().unwrap_or_default();
    let d = into.delivery.get_or_insert_with(Default::default);
    let s = into.same_city.get_or_insert_with(Default::default);
    let p = into.pickup.get_or_insert_with(Default::default);
    match path {
        "unpaid_timeout_seconds" => into.unpaid_timeout_seconds = new.unpaid_timeout_seconds,
        "auto_complete_days" => into.auto_complete_days = new.auto_complete_days,
        "after_sale_window_days" => into.after_sale_window_days = new.after_sale_window_days,
        "auto_approve_before_shipment" => {
            into.auto_approve_before_shipment = new.auto_approve_before_shipment;
        }
        "auto_approve_after_hours" => into.auto_approve_after_hours = new.auto_approve_after_hours,
        "return_shipment_days" => into.return_shipment_days = new.return_shipment_days,
        "late_payment_policy" => into.late_payment_policy = new.late_payment_policy,
        "delivery" => *d = nd,
        "delivery.enabled" => d.enabled = nd.enabled,
        "delivery.fee" => d.fee = nd.fee,
        "delivery.free_threshold" => d.free_threshold = nd.free_threshold,
        "delivery.regions" => d.regions = nd.regions,
        "same_city" => *s = ns,
        "same_city.enabled" => s.enabled = ns.enabled,
        "same_city.max_distance_meters" => s.max_distance_meters = ns.max_distance_meters,
        "same_city.bands" => s.bands = ns.bands,
        "same_city.minimum_order" => s.minimum_order = ns.minimum_order,
        "same_city.free_threshold" => s.free_threshold = ns.free_threshold,
        "pickup" => *p = np,
        "pickup.enabled" => p.enabled = np.enabled,
        "pickup.pickup_discount" => p.pickup_discount = np.pickup_discount,
        "pickup.pickup_discount_threshold" => {
            p.pickup_discount_threshold = np.pickup_discount_threshold;
        }
        "pickup.hold_days" => p.hold_days = np.hold_days,
        _ => {}
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetOrderSettingsRequest>,
) -> R<pb::GetOrderSettingsResponse> {
    let ctx = ctx(&request)?;
    let v = h
        .app
        .versioned_settings(&h.app.db, ctx.tenant, false)
        .await?;
    Ok(Response::new(pb::GetOrderSettingsResponse {
        settings: Some(to_pb(&v)),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateOrderSettingsRequest>,
) -> R<pb::UpdateOrderSettingsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let paths: Vec<String> = req
        .update_mask
        .as_ref()
        .map(|m| m.paths.iter().map(|p| snake(p)).collect())
        .unwrap_or_default();
    if paths.is_empty() {
        return Err(AppError::invalid("update_mask", "required").into());
    }
    if let Some(unknown) = paths.iter().find(|p| !PATHS.contains(&p.as_str())) {
        return Err(AppError::invalid("update_mask", format!("unknown path {unknown}")).into());
    }
    if req.expected_version < 0 {
        return Err(AppError::invalid("expected_version", "must be ≥ 0").into());
    }
    let new = req.settings.clone().unwrap_or_default();
    let expected = req.expected_version;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let by = ctx.principal.subject.clone();
                let v = app
                    .update_order_settings(txn, ctx.tenant, expected, &by, |current| {
                        let mut merged = to_pb(&Versioned {
                            settings: current,
                            version: 0,
                            updated_by: String::new(),
                            updated_at_ms: None,
                        });
                        for p in &paths {
                            apply(&mut merged, &new, p);
                        }
                        from_pb(&merged)
                    })
                    .await?;
                Ok(pb::UpdateOrderSettingsResponse {
                    settings: Some(to_pb(&v)),
                })
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(s: OrderSettings) -> Versioned {
        Versioned {
            settings: s,
            version: 3,
            updated_by: String::new(),
            updated_at_ms: None,
        }
    }

    #[test]
    fn defaults_round_trip_through_the_wire_and_json() {
        let wire = to_pb(&stored(OrderSettings::default()));
        assert_eq!(wire.unpaid_timeout_seconds, 900);
        assert_eq!(wire.auto_complete_days, 7);
        assert_eq!(wire.after_sale_window_days, 7);
        assert!(wire.auto_approve_before_shipment);
        let back = from_pb(&wire).unwrap();
        let json = back.to_json().unwrap();
        assert_eq!(OrderSettings::from_json(&json).unwrap(), back);
    }

    #[test]
    fn a_sub_path_changes_only_its_field() {
        let mut merged = to_pb(&stored(OrderSettings::default()));
        let new = pb::OrderSettings {
            delivery: Some(pb::DeliveryShippingRule {
                fee: cny(800),
                ..Default::default()
            }),
            ..Default::default()
        };
        apply(&mut merged, &new, &snake("delivery.fee"));
        let s = from_pb(&merged).unwrap();
        assert_eq!(s.delivery.fee, 800);
        assert!(s.delivery.enabled);
    }

    #[test]
    fn bands_must_ascend_and_money_be_cny() {
        let mut wire = to_pb(&stored(OrderSettings::default()));
        let sc = wire.same_city.as_mut().unwrap();
        sc.bands = vec![
            pb::DistanceBand {
                up_to_meters: 3000,
                fee: cny(500),
            },
            pb::DistanceBand {
                up_to_meters: 2000,
                fee: Some(common::Money {
                    minor_units: 5,
                    currency_code: "USD".into(),
                }),
            },
        ];
        let Err(AppError::InvalidInput(fields)) = from_pb(&wire) else {
            panic!("accepted");
        };
        let names: Vec<_> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert!(names.contains(&"settings.same_city.bands[1].up_to_meters"));
        assert!(names.contains(&"settings.same_city.bands[1].fee.currency_code"));
        assert!(names.contains(&"settings.same_city.bands"));
    }

    #[test]
    fn a_body_written_elsewhere_still_reads() {
        let s = OrderSettings::from_json(
            r#"{"delivery":{"enabled":true,"fee":{"minorUnits":"600","currencyCode":"CNY"}},
                "unknownField":1}"#,
        )
        .unwrap();
        assert_eq!(s.delivery.fee, 600);
        assert!(s.pickup.enabled);
        assert_eq!(s.after_sale_window_days, 7);
    }
}
