//! The tenant's guide policy (GetGuidePolicy, UpdateGuidePolicy): whether a consumer's latest
//! scan replaces a current guide (`bind`) and where a disabled guide's members go
//! (`reassign`'s succession). Both read it inside their own transaction, so a change applies to
//! the binds and successions that start after it commits.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use crate::app::App;
use crate::app::domain::GuidePolicy;
use crate::{AppError, repo};

/// An UpdateGuidePolicy request, parsed: the values and which of them to set.
#[derive(Debug, Clone, Copy)]
pub struct GuidePolicyUpdate {
    /// The new values of the fields named below.
    pub policy: GuidePolicy,
    /// Set `latest_scan_wins`.
    pub latest_scan_wins: bool,
    /// Set `succession`.
    pub succession: bool,
}

impl App {
    /// GetGuidePolicy: the tenant's policy, or the default.
    pub async fn guide_policy(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
    ) -> Result<GuidePolicy, AppError> {
        repo::members::guides::policy(conn, ctx.tenant).await
    }

    /// UpdateGuidePolicy: sets the named fields and answers the policy after.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn update_guide_policy(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        u: GuidePolicyUpdate,
    ) -> Result<GuidePolicy, AppError> {
        repo::members::guides::update_policy(
            conn,
            ctx.tenant,
            &u.policy,
            (u.latest_scan_wins, u.succession),
            self.now_ms(),
        )
        .await?;
        repo::members::guides::policy(conn, ctx.tenant).await
    }
}
