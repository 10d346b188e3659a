//! Every scenario the CLI knows. Adding one: a file in `scenarios/` exporting a `SPEC`, a
//! `mod` line in `scenarios.rs`, and a line here.

use anyhow::bail;

use crate::scenario::ScenarioSpec;
use crate::scenarios::{
    catalog_reserve, catalog_reserve_hot, checkout_gateway, coupon_claim_hot, gateway_hop,
    grpc_echo, ledger_earn, pg_insert, pgbench_tpcb, product_detail_gateway, quote_gateway,
    refresh_rotation, token_verify, wechat_login_gateway,
};

/// All registered scenarios, references first.
pub fn all() -> &'static [ScenarioSpec] {
    const ALL: &[ScenarioSpec] = &[
        grpc_echo::SPEC,
        pg_insert::SPEC,
        pgbench_tpcb::SPEC,
        token_verify::SPEC,
        catalog_reserve::SPEC,
        catalog_reserve_hot::SPEC,
        ledger_earn::SPEC,
        coupon_claim_hot::SPEC,
        gateway_hop::SPEC,
        refresh_rotation::SPEC,
        wechat_login_gateway::SPEC,
        product_detail_gateway::SPEC,
        checkout_gateway::SPEC,
        quote_gateway::SPEC,
    ];
    ALL
}

/// The scenario called `name`.
pub fn find(name: &str) -> anyhow::Result<&'static ScenarioSpec> {
    match all().iter().find(|s| s.name == name) {
        Some(spec) => Ok(spec),
        None => {
            let names: Vec<&str> = all().iter().map(|s| s.name).collect();
            bail!("unknown scenario {name:?}; known: {}", names.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_references_exist() {
        let specs = all();
        for (i, spec) in specs.iter().enumerate() {
            assert!(
                specs[i + 1..].iter().all(|s| s.name != spec.name),
                "duplicate {}",
                spec.name
            );
            if let Some(reference) = spec.reference {
                assert!(
                    find(reference).is_ok(),
                    "{} refers to unknown {reference}",
                    spec.name
                );
            }
        }
        assert!(find("nope").is_err());
    }
}
