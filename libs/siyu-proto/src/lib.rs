//! Generated code for every Siyu contract: messages, gRPC clients and servers.
//!
//! Packages map to modules: `siyu.catalog.v1` is [`catalog::v1`], `siyu.common.v1` is
//! [`common::v1`], and so on. [`FILE_DESCRIPTOR_SET`] serves gRPC reflection; [`contract`]
//! reads each RPC's REST bindings and access rules from it.

#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    rust_2018_idioms,
    unused_qualifications
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/siyu_include.rs"));
}

pub use generated::siyu::*;

/// The googleapis types the contracts use (`google.api.HttpRule`).
pub mod google {
    pub use super::generated::google::*;
}

pub mod contract;
pub mod time;

/// The encoded `FileDescriptorSet` of every Siyu package, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/siyu_descriptor.bin"));

#[cfg(test)]
mod tests {
    use prost::Message;

    #[test]
    fn descriptor_set_holds_every_package() {
        let set = prost_types::FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).unwrap();
        let packages: std::collections::BTreeSet<_> =
            set.file.iter().filter_map(|f| f.package.clone()).collect();
        for expected in [
            "siyu.common.v1",
            "siyu.events.v1",
            "siyu.identity.v1",
            "siyu.membership.v1",
            "siyu.catalog.v1",
            "siyu.orders.v1",
            "siyu.payments.v1",
            "siyu.content.v1",
        ] {
            assert!(
                packages.contains(expected),
                "missing {expected}: {packages:?}"
            );
        }
    }

    #[test]
    fn saga_calls_exist_on_both_sides() {
        // Orders' checkout saga calls these; the names are the contract between services.
        let set = prost_types::FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).unwrap();
        let methods: std::collections::BTreeSet<String> = set
            .file
            .iter()
            .flat_map(|f| {
                let package = f.package.clone().unwrap_or_default();
                f.service.iter().flat_map(move |s| {
                    let service = format!("{package}.{}", s.name());
                    s.method
                        .iter()
                        .map(move |m| format!("{service}/{}", m.name()))
                })
            })
            .collect();
        for rpc in [
            "siyu.catalog.v1.PriceService/PriceSkus",
            "siyu.catalog.v1.InventoryService/ReserveStock",
            "siyu.catalog.v1.InventoryService/ConfirmReservation",
            "siyu.catalog.v1.InventoryService/ReleaseReservation",
            "siyu.catalog.v1.InventoryService/RestockReturn",
            "siyu.membership.v1.MemberService/GetMemberByUser",
            "siyu.membership.v1.CouponService/ListUsableCoupons",
            "siyu.membership.v1.CouponService/LockCoupons",
            "siyu.membership.v1.CouponService/UseCoupons",
            "siyu.membership.v1.CouponService/ReleaseCoupons",
            "siyu.membership.v1.CouponService/RestoreCoupons",
            "siyu.membership.v1.LedgerService/HoldPoints",
            "siyu.membership.v1.LedgerService/CapturePoints",
            "siyu.membership.v1.LedgerService/ReleasePoints",
            "siyu.membership.v1.LedgerService/HoldStoredValue",
            "siyu.membership.v1.LedgerService/CaptureStoredValue",
            "siyu.membership.v1.LedgerService/ReleaseStoredValue",
            "siyu.orders.v1.CheckoutService/Checkout",
            "siyu.payments.v1.WechatPayNotifyService/HandleWechatPayNotification",
        ] {
            assert!(methods.contains(rpc), "missing {rpc}");
        }
    }

    #[test]
    fn money_round_trips() {
        let money = super::common::v1::Money {
            minor_units: 1999,
            currency_code: "CNY".into(),
        };
        let decoded = super::common::v1::Money::decode(money.encode_to_vec().as_slice()).unwrap();
        assert_eq!(decoded, money);
    }
}
