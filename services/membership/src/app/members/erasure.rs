//! UserErased (注销, PIPL/GDPR): the user's member becomes CLOSED and the personal fields
//! membership holds are cleared — birthday, card holder name, attributes, staff remark. The
//! member id stays as the anonymous id its ledger entries, lots and coupons keep; a CLOSED
//! member refuses every write, so nothing is earned or spent on it again.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::App;
use crate::app::domain::MemberStatus;
use crate::{AppError, repo};

impl App {
    /// Erases the member of `user_id`; answers whether there was one to erase (a repeat finds
    /// it erased already and changes nothing).
    pub async fn erase_user(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        user_id: Uuid,
    ) -> Result<bool, AppError> {
        let Some(found) = repo::members::by_user(conn, ctx.tenant, user_id).await? else {
            return Ok(false);
        };
        let Some(mut m) = repo::members::by_id(conn, ctx.tenant, found.id, true).await? else {
            return Ok(false);
        };
        let erased = m.status == MemberStatus::Closed
            && m.birthday.is_empty()
            && m.card_holder_name.is_empty()
            && m.attributes.is_empty()
            && m.remark.is_empty();
        if erased {
            return Ok(false);
        }
        m.status = MemberStatus::Closed;
        m.birthday.clear();
        m.card_holder_name.clear();
        m.attributes.clear();
        m.remark.clear();
        m.updated_at_ms = self.now_ms();
        repo::members::update(conn, ctx.tenant, &m).await?;
        Ok(true)
    }
}
