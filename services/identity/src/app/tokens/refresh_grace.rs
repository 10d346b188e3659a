//! The lost-response grace of RefreshSession (token_service.proto): a client whose refresh
//! reply was lost retries at once with the same, now spent, refresh token. For 10 seconds
//! after the spend that retry answers the very pair the first call issued — nothing new is
//! spent or minted — so one lost reply does not log the user out; after that, presenting a
//! spent token is reuse and revokes the family.
//!
//! The pair is kept beside the spent token, sealed with the AES-256-GCM sealer (never in
//! clear), written by the statement or transaction that spends the token: a concurrent
//! presenter waits for the spender's row lock and then finds the spend and the pair together,
//! so racing presenters all answer the one pair and never two live ones. A pair whose refresh
//! token has itself been used since is not handed out again (that reply was not lost).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::app::tokens::sessions::Issued;
use crate::crypto::sha256_hex;
use crate::error::AppError;
use crate::repo::tokens::sessions::{self as repo, RefreshToken};

/// How long after a spend a retry with the spent token answers the same pair.
pub const GRACE: Duration = Duration::seconds(10);

/// A token pair as it rests sealed.
#[derive(Serialize, Deserialize)]
struct Kept {
    access_token: String,
    access_expires_at: DateTime<Utc>,
    refresh_token: String,
    refresh_expires_at: Option<DateTime<Utc>>,
    session_id: String,
}

impl App {
    /// `issued` sealed for keeping beside the token it replaced.
    pub(super) fn seal_successor(&self, issued: &Issued) -> Result<Vec<u8>, AppError> {
        let kept = Kept {
            access_token: issued.access_token.clone(),
            access_expires_at: issued.access_expires_at,
            refresh_token: issued.refresh_token.clone(),
            refresh_expires_at: issued.refresh_expires_at,
            session_id: issued.session_id.clone(),
        };
        let json = serde_json::to_vec(&kept).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(self.sealer.seal(&json)?)
    }

    /// The pair a retry of the spent token `spent` answers: within [`GRACE`] of the spend,
    /// when the pair was kept and its refresh token is still unspent. `None` means reuse.
    pub(super) async fn retried_pair(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        spent: &RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<Option<Issued>, AppError> {
        let (Some(spent_at), Some(sealed)) = (spent.spent_at, spent.successor_sealed.as_deref())
        else {
            return Ok(None);
        };
        if now - spent_at > GRACE {
            return Ok(None);
        }
        let json = self.sealer.open(sealed)?;
        let kept: Kept =
            serde_json::from_slice(&json).map_err(|e| AppError::Internal(e.to_string()))?;
        let successor = repo::get_refresh(conn, &sha256_hex(&kept.refresh_token)).await?;
        if successor.is_none_or(|s| s.spent_at.is_some()) {
            return Ok(None);
        }
        Ok(Some(Issued {
            access_token: kept.access_token,
            access_expires_at: kept.access_expires_at,
            refresh_token: kept.refresh_token,
            refresh_expires_at: kept.refresh_expires_at,
            session_id: kept.session_id,
        }))
    }

    /// Forgets the pairs kept for tokens whose grace is over (a periodic task: only the last
    /// [`GRACE`] of spends ever rests sealed).
    pub async fn forget_spent_successors(&self) -> Result<u64, AppError> {
        let before = self.clock.now() - GRACE;
        repo::forget_successors(&self.db, before).await
    }
}
