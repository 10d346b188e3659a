//! Whose member a call is about. A consumer acts on their own member only: the member of the
//! token's user; naming another member id is NOT_FOUND, as if it did not exist (its existence is
//! nobody else's business). Staff, partners and services name the member; the query is
//! filtered by the tenant, so another tenant's member is NOT_FOUND too.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{Member, MemberId};
use crate::repo;

/// The member a call names (`requested`), or for a consumer their own; `lock` locks the
/// member row (Postgres) for an update of its fields.
pub async fn member(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    requested: Option<MemberId>,
    lock: bool,
) -> Result<Member, AppError> {
    if ctx.principal.kind == PrincipalKind::Consumer {
        let own = own_member(conn, ctx).await?;
        if requested.is_some_and(|r| r != own.id) {
            return Err(AppError::MemberNotFound);
        }
        if !lock {
            return Ok(own);
        }
        return repo::members::by_id(conn, ctx.tenant, own.id, true)
            .await?
            .ok_or(AppError::MemberNotFound);
    }
    let id = requested.ok_or_else(|| AppError::invalid("member_id", "required"))?;
    repo::members::by_id(conn, ctx.tenant, id, lock)
        .await?
        .ok_or(AppError::MemberNotFound)
}

/// The consumer's own member.
pub async fn own_member(conn: &impl ConnectionTrait, ctx: &Ctx) -> Result<Member, AppError> {
    let user = consumer_user(ctx)?;
    repo::members::by_user(conn, ctx.tenant, user)
        .await?
        .ok_or(AppError::MemberNotFound)
}

/// The user id of a consumer token (`sub`).
pub fn consumer_user(ctx: &Ctx) -> Result<Uuid, AppError> {
    Uuid::parse_str(&ctx.principal.subject)
        .map_err(|_| AppError::Internal("consumer token subject is not a user id".into()))
}

/// Who caused a change, as recorded on journal entries and audit rows: the staff id,
/// `partner:<client>`, `service:<name>`, or empty for the member themself.
pub fn operator(ctx: &Ctx) -> String {
    let subject = &ctx.principal.subject;
    match ctx.principal.kind {
        PrincipalKind::Consumer => String::new(),
        PrincipalKind::Staff => subject.clone(),
        PrincipalKind::Partner => format!("partner:{subject}"),
        PrincipalKind::Service => format!("service:{subject}"),
    }
}
