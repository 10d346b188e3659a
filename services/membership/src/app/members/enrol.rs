//! EnrollMember (开卡): idempotent per user — the user's member, if any, is answered with
//! `created = false`. A new member gets a card number (the one supplied by staff or a partner,
//! or a generated one), its attribution, its home store, the referral relation when the
//! referrer is a member, the guide named by the attribution, zero balances, the ENROLMENT
//! rule's points, the new-member coupon pack, and MemberEnrolled — all in the caller's
//! transaction.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::domain::{
    Attribution, EarningTrigger, GuideBinding, GuideSource, Member, MemberId, MemberStatus,
};
use crate::app::ledger::points::{Earn, EarnBy};
use crate::app::tags::TagId;
use crate::app::{App, callers};
use crate::{AppError, events, repo};

/// An EnrollMember request, parsed.
#[derive(Debug, Clone, Default)]
pub struct Enrol {
    /// The user (consumers: none, their own).
    pub user_id: Option<Uuid>,
    /// Where the enrolment came from.
    pub attribution: Attribution,
    /// "YYYY-MM-DD" or empty.
    pub birthday: String,
    /// Name for the card.
    pub card_holder_name: String,
    /// A card number to use (staff and partners).
    pub card_number: Option<String>,
    /// Manual tags (staff and partners).
    pub tag_ids: Vec<Uuid>,
    /// An inviter's code.
    pub invite_code: String,
    /// Custom attributes.
    pub attributes: BTreeMap<String, String>,
}

/// What EnrollMember answers.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// The member (new or existing).
    pub member: Member,
    /// True when this call created it.
    pub created: bool,
    /// True when the referral relation was set.
    pub invite_applied: bool,
}

/// The Luhn check digit of `digits`.
pub fn luhn_digit(digits: &str) -> char {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    char::from(b'0' + u8::try_from((10 - sum % 10) % 10).unwrap_or(0))
}

/// A generated card number: "8", the sequence in 10 digits, a Luhn check digit.
pub fn card_number(sequence: i64) -> String {
    let body = format!("8{sequence:010}");
    let check = luhn_digit(&body);
    format!("{body}{check}")
}

impl App {
    /// EnrollMember.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn enrol(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        e: Enrol,
    ) -> Result<Enrolled, AppError> {
        let consumer = ctx.principal.kind == PrincipalKind::Consumer;
        if consumer && e.card_number.is_some() {
            return Err(AppError::InvalidCardNumber(
                "staff and partners choose card numbers; consumers get one".into(),
            ));
        }
        if consumer && !e.tag_ids.is_empty() {
            return Err(AppError::invalid(
                "tag_ids",
                "set by staff and partners only",
            ));
        }
        let user = if consumer {
            let own = callers::consumer_user(ctx)?;
            if e.user_id.is_some_and(|u| u != own) {
                return Err(AppError::OutOfScope("consumers enrol themselves".into()));
            }
            own
        } else {
            e.user_id
                .ok_or_else(|| AppError::invalid("user_id", "required"))?
        };
        if let Some(existing) = repo::members::by_user(conn, ctx.tenant, user).await? {
            return existing_member(existing);
        }
        let now_ms = self.now_ms();
        let card = match &e.card_number {
            Some(card) if repo::members::card_taken(conn, ctx.tenant, card).await? => {
                return Err(AppError::CardNumberTaken);
            }
            Some(card) => card.clone(),
            None => self.fresh_card_number(conn, ctx).await?,
        };
        // The invite code names the inviter; without a usable one, the attribution's referrer.
        let by_code = self
            .inviter_by_code(conn, ctx, &e.invite_code, user)
            .await?;
        let inviter = match e.attribution.referrer_user_id {
            _ if by_code.is_some() => by_code,
            Some(referrer) if referrer != user => {
                repo::members::active_by_user(conn, ctx.tenant, referrer).await?
            }
            _ => None,
        };
        let id = MemberId(siyu_core::id::new());
        let guide = e.attribution.guide_id.map(|guide_id| GuideBinding {
            id: siyu_core::id::new(),
            member_id: id,
            guide_id,
            store_id: e.attribution.store_id,
            source: GuideSource::Enrolment,
            bound_at_ms: now_ms,
            unbound_at_ms: None,
            unbind_reason: 0,
            changed_by: callers::operator(ctx),
            note: String::new(),
        });
        let mut member = Member {
            id,
            user_id: user,
            card_number: card,
            status: MemberStatus::Active,
            birthday: e.birthday,
            card_holder_name: e.card_holder_name,
            home_store_id: e.attribution.store_id,
            attribution: e.attribution,
            inviter_member_id: inviter,
            // Filled by the tagging below, so segments (which read `mem_member_tags`) see them.
            tag_ids: Vec::new(),
            attributes: e.attributes,
            remark: String::new(),
            growth_value: 0,
            enrolled_at_ms: now_ms,
            updated_at_ms: now_ms,
            guide,
        };
        if !repo::members::insert(conn, ctx.tenant, &member).await? {
            // The same user enrolled concurrently and committed first.
            let existing = repo::members::by_user(conn, ctx.tenant, user)
                .await?
                .ok_or_else(|| AppError::Internal("enrolled user vanished".into()))?;
            return existing_member(existing);
        }
        repo::ledger::balances::open(conn, ctx.tenant, id, now_ms).await?;
        let tags: Vec<TagId> = e.tag_ids.iter().copied().map(TagId).collect();
        if !tags.is_empty() {
            self.tag_members(conn, ctx, &[id], &tags).await?;
            let mut tagged = e.tag_ids;
            let mut seen = std::collections::BTreeSet::new();
            tagged.retain(|t| seen.insert(*t));
            member.tag_ids = tagged;
        }
        if let Some(b) = &member.guide {
            repo::members::guides::insert(conn, ctx.tenant, b).await?;
        }
        events::publish::member_enrolled(conn, ctx.tenant, &member).await?;
        self.enrolment_points(conn, ctx, id, now_ms).await?;
        // The new-member pack (新人礼包), if the tenant enabled one; once per member.
        let pack = crate::app::domain::PackTrigger::NewMember;
        self.grant_event_pack(conn, ctx, &member, pack, "enrolment")
            .await?;
        Ok(Enrolled {
            member,
            created: true,
            invite_applied: inviter.is_some(),
        })
    }

    /// A generated card number no member of the tenant holds (imported cards may collide).
    async fn fresh_card_number(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
    ) -> Result<String, AppError> {
        for _ in 0..10 {
            let card = card_number(repo::members::next_card_sequence(conn, ctx.tenant).await?);
            if !repo::members::card_taken(conn, ctx.tenant, &card).await? {
                return Ok(card);
            }
        }
        Err(AppError::Internal("no free card number".into()))
    }

    /// The ENROLMENT rule's points (注册积分), when the tenant has one in force.
    async fn enrolment_points(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: MemberId,
        now_ms: i64,
    ) -> Result<(), AppError> {
        let rules =
            repo::ledger::earning_rules::enabled_of(conn, ctx.tenant, EarningTrigger::Enrolment)
                .await?;
        let Some(rule) = rules
            .into_iter()
            .find(|r| r.in_window(now_ms) && r.fixed_points > 0)
        else {
            return Ok(());
        };
        let earn = Earn {
            member_id: member,
            key: format!("earn:enrolment:{member}"),
            by: EarnBy::Rule {
                rule_id: rule.id,
                eligible: 0,
            },
            reference_id: String::new(),
            description: "开卡礼积分".into(),
            expires_at_ms: None,
        };
        self.earn(conn, ctx, earn).await.map(|_| ())
    }
}

/// The answer for a user who is a member already; a closed member cannot come back.
fn existing_member(m: Member) -> Result<Enrolled, AppError> {
    if m.status == MemberStatus::Closed {
        return Err(AppError::MemberClosed);
    }
    Ok(Enrolled {
        member: m,
        created: false,
        invite_applied: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_card_numbers_pass_the_luhn_check() {
        assert_eq!(luhn_digit("7992739871"), '3');
        let card = card_number(42);
        assert_eq!(card.len(), 12);
        assert!(card.starts_with("80000000042"));
    }
}
