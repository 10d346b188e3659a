//! EnrollTotp / ConfirmTotp holding a TOTP_ENROLLMENT_REQUIRED challenge token instead of a
//! login: the confirmation then continues the login.

use crate::app::staff::challenges::ChallengeKind;
use crate::app::staff::login::StaffLogin;
use crate::app::staff::totp::Enrolment;
use crate::app::{App, ClientInfo};
use crate::error::AppError;

impl App {
    /// EnrollTotp for the staff of an enrolment challenge (the challenge stays live).
    pub async fn enroll_totp_with_challenge(&self, token: &str) -> Result<Enrolment, AppError> {
        let challenge = self
            .peek_challenge(token, ChallengeKind::TotpEnrollment)
            .await?;
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let enrolment = self
            .enroll_totp(&txn, challenge.tenant, &challenge.staff_id)
            .await?;
        txn.commit().await?;
        Ok(enrolment)
    }

    /// ConfirmTotp for the staff of an enrolment challenge: consumes it and continues the
    /// login (tokens, or the password-change challenge).
    pub async fn confirm_totp_with_challenge(
        &self,
        token: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<(Vec<String>, StaffLogin), AppError> {
        let challenge = self
            .peek_challenge(token, ChallengeKind::TotpEnrollment)
            .await?;
        let (tenant, staff_id) = (challenge.tenant, challenge.staff_id.as_str());
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let codes = self.confirm_totp(&txn, tenant, staff_id, code).await?;
        let staff = self.lock_staff(&txn, tenant, staff_id).await?;
        self.consume_challenge(token).await?;
        let method = format!("{}+totp", challenge.method);
        let login = self.finish_login(txn, staff, client, &method).await?;
        Ok((codes, login))
    }
}
