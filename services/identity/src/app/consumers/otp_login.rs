//! LoginWithPhoneOtp (find the user owning the number, or register one) and BindPhoneWithOtp
//! (consume a BIND OTP, then bind like BindPhoneWithWeChat).

use std::collections::BTreeMap;

use siyu_core::TenantId;

use crate::app::tokens::sessions::{Issued, NewSession};
use crate::app::{App, ClientInfo};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::users::{self as users_repo, User};
use crate::repo::consumers::{IdentityKind, OtpPurpose, UserStatus};
use crate::repo::tokens::SubjectKind;

/// The outcome of an OTP login.
#[derive(Debug, Clone)]
pub struct OtpLogin {
    /// Tokens.
    pub issued: Issued,
    /// The user.
    pub user: User,
    /// Created by this login.
    pub is_new_user: bool,
}

impl App {
    /// LoginWithPhoneOtp: verifies, then finds the user owning the phone or creates one.
    #[tracing::instrument(skip_all)]
    pub async fn login_with_otp(
        &self,
        app_id: &str,
        phone: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<OtpLogin, AppError> {
        let resolved = self.resolve_app(app_id).await?;
        let tenant = resolved.tenant.id;
        for _ in 0..3 {
            let txn = siyu_store::db::begin_write(&self.db).await?;
            match self
                .verify_otp(&txn, tenant, phone, OtpPurpose::Login, code)
                .await
            {
                Ok(()) => {}
                Err(err @ (AppError::OtpInvalid { .. } | AppError::ResourceExhausted { .. })) => {
                    // The counted attempt must survive the refusal.
                    txn.commit().await?;
                    return Err(err);
                }
                Err(err) => return Err(err),
            }
            let now = self.clock.now();
            let existing =
                users_repo::find_by_identity(&txn, tenant, IdentityKind::Phone, "", phone).await?;
            let (user, is_new_user) = match existing {
                Some(user) => {
                    match crate::app::consumers::wechat_login::lock_live(&txn, tenant, &user.id)
                        .await?
                    {
                        Some(user) => (user, false),
                        None => {
                            txn.rollback().await?;
                            continue;
                        }
                    }
                }
                None => {
                    let user = User {
                        id: siyu_core::id::new_string(),
                        tenant_id: tenant,
                        status: UserStatus::Active,
                        phone: Some(phone.to_owned()),
                        merged_into: None,
                        created_at: now,
                        updated_at: now,
                    };
                    users_repo::insert(&txn, &user).await?;
                    let linked = users_repo::link(
                        &txn,
                        tenant,
                        &user.id,
                        IdentityKind::Phone,
                        "",
                        phone,
                        now,
                    )
                    .await;
                    if let Err(err) = linked {
                        if crate::repo::is_unique_violation(&err) {
                            txn.rollback().await?;
                            continue;
                        }
                        return Err(err);
                    }
                    crate::repo::consumers::identities::set_phone(
                        &txn,
                        tenant,
                        &user.id,
                        Some(phone),
                        now,
                    )
                    .await?;
                    crate::events::user_registered(&txn, tenant, &user.id, now).await?;
                    let payload = siyu_proto::events::v1::UserPhoneBound {
                        user_id: user.id.clone(),
                        phone: phone.to_owned(),
                        replaced_previous: false,
                        method: "otp".into(),
                        bound_at: Some(siyu_proto::time::timestamp(now)),
                    };
                    crate::events::user_phone_bound(&txn, tenant, payload, now).await?;
                    (user, true)
                }
            };
            // Under the user's row lock, like the WeChat login (a block in between wins).
            let user = if is_new_user {
                user
            } else {
                match crate::repo::consumers::identities::lock_users(&txn, tenant, &[&user.id])
                    .await?
                    .pop()
                {
                    Some(locked) if locked.status != UserStatus::Merged => locked,
                    _ => {
                        txn.rollback().await?;
                        continue;
                    }
                }
            };
            if user.status != UserStatus::Active {
                txn.rollback().await?;
                self.login_refused(tenant, &user.id, "phone_otp").await;
                return Err(AppError::UserBlocked);
            }
            let session = NewSession {
                tenant,
                kind: SubjectKind::Consumer,
                subject: &user.id,
                login_method: "phone_otp",
                app_id,
                client,
            };
            let issued = self.start_session(&txn, session).await?;
            let details: BTreeMap<String, String> =
                [("method".to_owned(), "phone_otp".to_owned())].into();
            let entry = NewEntry {
                kind: "CONSUMER_LOGIN",
                outcome: AuditOutcome::Success,
                actor_kind: "consumer".into(),
                actor_id: user.id.clone(),
                target_kind: "user".into(),
                target_id: user.id.clone(),
                details,
            };
            audit_repo::append(&txn, tenant, entry, now).await?;
            txn.commit().await?;
            return Ok(OtpLogin {
                issued,
                user,
                is_new_user,
            });
        }
        Err(AppError::ConcurrentModification)
    }

    /// BindPhoneWithOtp: consumes a BIND OTP, then binds like BindPhoneWithWeChat. The OTP is
    /// spent even when the bind then fails (MERGE_CONFLICT): send a new one.
    #[tracing::instrument(skip_all)]
    pub async fn bind_phone_with_otp(
        &self,
        tenant: TenantId,
        user_id: &str,
        app_id: &str,
        phone: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<crate::app::consumers::phone_bind::Binding, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        match self
            .verify_otp(&txn, tenant, phone, OtpPurpose::Bind, code)
            .await
        {
            Ok(()) => txn.commit().await?,
            Err(err @ (AppError::OtpInvalid { .. } | AppError::ResourceExhausted { .. })) => {
                // The counted attempt must survive the refusal.
                txn.commit().await?;
                return Err(err);
            }
            Err(err) => return Err(err),
        }
        self.bind_phone(crate::app::consumers::phone_bind::BindRequest {
            tenant,
            user_id,
            phone,
            method: "otp",
            app_id,
            client,
        })
        .await
    }
}
