use proptest::prelude::*;

use super::*;

#[test]
fn arithmetic_is_checked() {
    assert_eq!(
        Money::cny(150).checked_add(Money::cny(50)).unwrap(),
        Money::cny(200)
    );
    assert_eq!(
        Money::cny(i64::MAX).checked_add(Money::cny(1)),
        Err(CoreError::MoneyOverflow)
    );
    assert_eq!(
        Money::cny(i64::MIN).checked_sub(Money::cny(1)),
        Err(CoreError::MoneyOverflow)
    );
    assert_eq!(
        Money::cny(i64::MAX).checked_mul(2),
        Err(CoreError::MoneyOverflow)
    );
    let usd = Money::new(1, Currency::parse("USD").unwrap());
    assert!(matches!(
        Money::cny(1).checked_add(usd),
        Err(CoreError::CurrencyMismatch { .. })
    ));
}

#[test]
fn basis_points_round_half_away_from_zero() {
    assert_eq!(
        Money::cny(999).checked_mul_bps(9_500).unwrap(),
        Money::cny(949)
    ); // 949.05
    assert_eq!(Money::cny(10).checked_mul_bps(500).unwrap(), Money::cny(1)); // 0.5 -> 1
    assert_eq!(
        Money::cny(-10).checked_mul_bps(500).unwrap(),
        Money::cny(-1)
    );
}

#[test]
fn currency_codes_are_validated() {
    assert!(Currency::parse("cny").is_err());
    assert!(Currency::parse("CNYX").is_err());
    assert_eq!(Currency::parse("CNY").unwrap(), Currency::CNY);
    assert_eq!(
        serde_json::to_string(&Money::cny(5)).unwrap(),
        r#"{"minor":5,"currency":"CNY"}"#
    );
}

#[test]
fn display_is_human() {
    assert_eq!(Money::cny(12_345).to_string(), "CNY 123.45");
    assert_eq!(Money::cny(-5).to_string(), "CNY -0.05");
}

#[test]
fn allocation_hands_out_the_remainder_exactly() {
    // 100 fen over three equal lines: 34 + 33 + 33, the earlier line takes the extra fen.
    let parts = Money::cny(100).allocate(&[1, 1, 1]).unwrap();
    assert_eq!(parts, vec![Money::cny(34), Money::cny(33), Money::cny(33)]);
    // A 1000 fen coupon over lines of 3000 and 7000: exactly proportional.
    let parts = Money::cny(1000).allocate(&[3000, 7000]).unwrap();
    assert_eq!(parts, vec![Money::cny(300), Money::cny(700)]);
    // Zero weight gets nothing even when remainders are left.
    let parts = Money::cny(5).allocate(&[0, 1, 1]).unwrap();
    assert_eq!(parts, vec![Money::cny(0), Money::cny(3), Money::cny(2)]);
}

#[test]
fn allocation_refuses_meaningless_weights() {
    assert_eq!(Money::cny(1).allocate(&[]), Err(CoreError::InvalidWeights));
    assert_eq!(
        Money::cny(1).allocate(&[0, 0]),
        Err(CoreError::InvalidWeights)
    );
    assert_eq!(
        Money::cny(1).allocate(&[2, -1]),
        Err(CoreError::InvalidWeights)
    );
}

proptest! {
    #[test]
    fn allocation_sums_back_exactly(
        amount in -1_000_000_000_000i64..1_000_000_000_000,
        weights in prop::collection::vec(0i64..10_000_000, 1..40),
    ) {
        prop_assume!(weights.iter().any(|w| *w > 0));
        let parts = Money::cny(amount).allocate(&weights).unwrap();
        prop_assert_eq!(parts.len(), weights.len());
        let total: i64 = parts.iter().map(|p| p.minor).sum();
        prop_assert_eq!(total, amount);
        let weight_sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
        for (part, weight) in parts.iter().zip(&weights) {
            // Each part is within one fen of its exact proportional share, same sign as the total.
            let exact = i128::from(amount) * i128::from(*weight);
            let diff = i128::from(part.minor) * weight_sum - exact;
            prop_assert!(diff.abs() < weight_sum, "part {} too far from its share", part.minor);
            if *weight == 0 { prop_assert_eq!(part.minor, 0); }
            prop_assert!(part.minor == 0 || part.minor.signum() == amount.signum());
        }
    }

    #[test]
    fn add_then_sub_is_identity(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
        let sum = Money::cny(a).checked_add(Money::cny(b)).unwrap();
        prop_assert_eq!(sum.checked_sub(Money::cny(b)).unwrap(), Money::cny(a));
    }
}
