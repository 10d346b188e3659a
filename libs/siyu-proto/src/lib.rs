//! Generated code for every Siyu contract: messages, gRPC clients and servers.
//!
//! Packages map to modules: `siyu.catalog.v1` is [`catalog::v1`], `siyu.common.v1` is
//! [`common::v1`], and so on. [`FILE_DESCRIPTOR_SET`] serves gRPC reflection.

#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::nursery, rust_2018_idioms, unused_qualifications)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/siyu_include.rs"));
}

pub use generated::siyu::*;

/// The encoded `FileDescriptorSet` of every Siyu package, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/siyu_descriptor.bin"));

#[cfg(test)]
mod tests {
    use prost::Message;

    #[test]
    fn descriptor_set_holds_every_package() {
        let set = prost_types::FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).unwrap();
        let packages: std::collections::BTreeSet<_> = set.file.iter().filter_map(|f| f.package.clone()).collect();
        for expected in ["siyu.common.v1", "siyu.events.v1"] {
            assert!(packages.contains(expected), "missing {expected}: {packages:?}");
        }
    }

    #[test]
    fn money_round_trips() {
        let money = super::common::v1::Money { minor_units: 1999, currency_code: "CNY".into() };
        let decoded = super::common::v1::Money::decode(money.encode_to_vec().as_slice()).unwrap();
        assert_eq!(decoded, money);
    }
}
