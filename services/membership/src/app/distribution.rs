//! Referral and distribution (推荐 / 分销). The referral relation is `inviter_member_id`, fixed
//! at first enrolment (from an invite code or the attribution's referrer) and never changed.
//! Commission: level 1 (the buyer's inviter) and, when the tenant enables it, level 2 (the
//! inviter's inviter) — never deeper: the chain is read two steps and no further, whatever its
//! length. Entries are PENDING on payment, SETTLED when the after-sales window closes,
//! reversed in proportion to refunds before that (`commissions`); settled commission is
//! withdrawn through staff-approved requests that never exceed the available balance
//! (`withdrawals`). Invite codes and referral reads are `invites`, the policy `policy`.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use super::App;
use super::domain::{CommissionPolicy, Member, MemberStatus};
use crate::{AppError, repo};

pub mod commissions;
pub mod invites;
pub mod policy;
pub mod withdrawals;

impl App {
    /// Whether `m` is an enabled distributor under `policy`: distribution on, the member active,
    /// and enabled by staff or by the policy's "open to all" without a staff disable.
    pub(crate) async fn is_distributor(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        policy: &CommissionPolicy,
        m: &Member,
    ) -> Result<bool, AppError> {
        if !policy.enabled || m.status != MemberStatus::Active {
            return Ok(false);
        }
        let switch = repo::distribution::policy::distributor_switch(conn, ctx.tenant, m.id).await?;
        Ok(switch.unwrap_or(policy.open_to_all_members))
    }
}
