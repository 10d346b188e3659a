//! Re-evaluation through the leased job: a member short of the tier's retain growth gets a grace
//! period, then drops exactly one tier; a member who earned enough keeps the tier.

use std::time::Duration;

use siyu_core::Clock as _;
use siyu_proto::membership::v1 as pb;

use crate::harness::{H, Tenant};
use crate::tiers::{adjust, ladder, standing};

/// Polls `member`'s standing until `done` holds (the job runner works in the background).
async fn until(
    h: &H,
    t: &Tenant,
    member: &str,
    done: impl Fn(&pb::GetMemberTierResponse) -> bool,
) -> pb::GetMemberTierResponse {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let s = standing(h, &t.admin, member).await;
        if done(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "evaluation did not happen: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn short_of_retain_growth_a_member_drops_one_tier_after_the_grace_period() {
    let h = H::pg_with_jobs().await;
    let t = Tenant::new(&h).await;
    // SILVER keeps with 50 growth a year, GOLD with 250; grace 30 days, yearly evaluation.
    ladder(&h, &t).await;
    let (idle, _) = t.member(&h).await;
    let (keeper, _) = t.member(&h).await;
    assert_eq!(
        adjust(&h, &t, &idle, 600, "t:idle")
            .await
            .tier
            .unwrap()
            .tier_code,
        "GOLD"
    );
    adjust(&h, &t, &keeper, 120, "t:keeper").await;
    h.advance_days(300);
    adjust(&h, &t, &keeper, 60, "t:keeper:2").await;
    h.advance_days(70);
    let now_ms = h.clock.now().timestamp_millis();
    let graced = until(&h, &t, &idle, |s| {
        s.tier.as_ref().is_some_and(|t| t.downgrade_at.is_some())
    })
    .await;
    let tier = graced.tier.unwrap();
    assert_eq!(
        tier.tier_code, "GOLD",
        "not down before the grace period ends"
    );
    let ends = tier.downgrade_at.unwrap();
    assert_eq!(ends.seconds * 1000 - now_ms, 30 * 86_400_000);
    let kept = until(&h, &t, &keeper, |s| {
        s.next_evaluation_at
            .as_ref()
            .is_some_and(|at| at.seconds * 1000 > now_ms)
    })
    .await;
    let tier = kept.tier.unwrap();
    assert_eq!(tier.tier_code, "SILVER");
    assert!(
        tier.downgrade_at.is_none(),
        "60 growth in the window keeps SILVER"
    );
    h.advance_days(31);
    let dropped = until(&h, &t, &idle, |s| {
        s.tier.as_ref().is_some_and(|t| t.tier_code != "GOLD")
    })
    .await;
    let tier = dropped.tier.unwrap();
    assert_eq!(tier.tier_code, "SILVER", "one tier down, never more");
    assert!(tier.downgrade_at.is_none());
    assert_eq!(dropped.growth_value, 600, "a downgrade takes no growth");
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_tier_changes WHERE cause = 'REEVALUATION'",
            vec![]
        )
        .await,
        1
    );
}
