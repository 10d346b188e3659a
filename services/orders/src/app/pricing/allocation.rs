//! Splitting one adjustment over lines, so that partial refunds are exact: pro rata to each
//! line's amount before the adjustment, in whole fen rounding down, the remaining fen one each to
//! the largest remainders (ties: the earlier line). The shares sum to the amount exactly.

use super::Fen;

/// Splits `amount` over `weights` (a line's amount before the adjustment; 0 = not eligible).
/// `amount` must not exceed Σ weights, so that no share exceeds its weight; a larger amount is
/// the caller's bug and is capped at Σ weights.
pub fn allocate(amount: Fen, weights: &[Fen]) -> Vec<Fen> {
    let total: Fen = weights.iter().map(|w| (*w).max(0)).sum();
    split(amount.min(total), weights)
}

/// Splits `amount` units of anything (points, not money: it may exceed Σ weights) over
/// `weights` by the same rule; the shares sum to `amount` exactly when some weight is > 0.
pub fn split(amount: i64, weights: &[Fen]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    let amount = i128::from(amount.max(0));
    if amount == 0 || total == 0 {
        return vec![0; weights.len()];
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let product = amount * i128::from((*w).max(0));
        shares.push(product / total);
        remainders.push((product % total, i));
    }
    let mut left = amount - shares.iter().sum::<i128>();
    // Largest remainder first; the stable sort keeps the earlier line first on ties.
    remainders.sort_by_key(|r| std::cmp::Reverse(r.0));
    for (remainder, i) in remainders {
        if left == 0 || remainder == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    // Each share is at most the amount, an i64.
    shares
        .into_iter()
        .map(|s| Fen::try_from(s).unwrap_or(Fen::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_yuan_over_three_lines_goes_to_the_largest_remainders() {
        // 3000 over 120.00 + 50.00 + 30.50: exact shares 1795.51, 748.13, 456.36; the floors
        // leave 1 fen, which goes to the first line (remainder .51).
        assert_eq!(
            allocate(3000, &[12_000, 5_000, 3_050]),
            vec![1796, 748, 456]
        );
    }

    #[test]
    fn points_may_exceed_the_amounts_they_pay_for() {
        // 456 points for a line of 4.53 and one of 0: all on the first.
        assert_eq!(split(456, &[453, 0]), vec![456, 0]);
        assert_eq!(split(1000, &[300, 100]), vec![750, 250]);
    }

    #[test]
    fn ties_go_to_the_earlier_line() {
        assert_eq!(allocate(2, &[100, 100, 100]), vec![1, 1, 0]);
        assert_eq!(allocate(1, &[0, 5, 5]), vec![0, 1, 0]);
    }

    #[test]
    fn ineligible_lines_get_nothing_and_the_amount_is_capped() {
        assert_eq!(allocate(10, &[0, 3, 0]), vec![0, 3, 0]);
        assert_eq!(allocate(7, &[0, 0]), vec![0, 0]);
    }
}
