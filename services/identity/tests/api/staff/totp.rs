//! StaffAuthService TOTP: enrolment, the login step, replay protection (one code, one use —
//! also under 16 concurrent presenters), lockout, challenge expiry, recovery codes, disabling,
//! admin removal, idempotency and tenant isolation. The service runs on a ManualClock so the
//! tests step through 30-second time steps.

use std::sync::Arc;

use siyu_core::{Clock as _, ManualClock};
use siyu_identity::totp::{base32_decode, code_at, step_of};
use siyu_proto::identity::v1 as pb;
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::helpers::{Harness, PASSWORD, assert_reason, authed, count, violations};
use crate::idempotency::keyed;

/// The tenant admin's password after the forced change in `Harness::staff_login`.
const ADMIN_PW: &str = "Correct-Horse-42-new";

pub struct Env {
    pub h: Harness,
    pub clock: Arc<ManualClock>,
    pub admin: String,
}

pub async fn env(tenant: &str) -> Env {
    // Starts at the real time so tokens verify like any others.
    let clock = Arc::new(ManualClock::new(siyu_core::clock::system().now()));
    let h = Harness::start_with_clock(Arc::clone(&clock)).await;
    let (_, _, admin) = h.tenant_with_app(tenant).await;
    Env { h, clock, admin }
}

impl Env {
    /// The code of the current step + `offset` for a base32 secret.
    pub fn code(&self, secret: &str, offset: i64) -> String {
        let step = step_of(self.clock.now().timestamp()) + offset;
        code_at(&base32_decode(secret).unwrap(), step)
    }

    /// Moves to the next time step (a code of the previous step is spent).
    pub fn next_step(&self) {
        self.clock.advance(chrono::Duration::seconds(30));
    }

    /// Enrols and confirms TOTP for the holder of `token`; returns (secret, recovery codes),
    /// already one step past the confirming code.
    pub async fn enable(&self, token: &str) -> (String, Vec<String>) {
        let enrolled = self
            .h
            .staff_auth()
            .enroll_totp(authed(pb::EnrollTotpRequest::default(), token))
            .await
            .unwrap()
            .into_inner();
        let confirmed = self
            .h
            .staff_auth()
            .confirm_totp(authed(
                pb::ConfirmTotpRequest {
                    challenge_token: String::new(),
                    code: self.code(&enrolled.secret, 0),
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        self.next_step();
        (enrolled.secret, confirmed.recovery_codes)
    }

    /// LoginStaff with a login name; the raw outcome.
    pub async fn login(
        &self,
        tenant: &str,
        name: &str,
        password: &str,
    ) -> Result<pb::staff_login_result::Outcome, tonic::Status> {
        self.h
            .staff_auth()
            .login_staff(pb::LoginStaffRequest {
                tenant_code: tenant.into(),
                identifier: Some(pb::login_staff_request::Identifier::LoginName(name.into())),
                password: password.into(),
            })
            .await
            .map(|r| r.into_inner().result.unwrap().outcome.unwrap())
    }

    /// A login that must answer a TOTP challenge; its token.
    pub async fn challenge(&self, tenant: &str, name: &str, password: &str) -> String {
        match self.login(tenant, name, password).await.unwrap() {
            pb::staff_login_result::Outcome::Challenge(c) => {
                assert_eq!(c.kind, pb::LoginChallengeKind::TotpRequired as i32);
                assert!(c.expire_time.is_some());
                c.challenge_token
            }
            other => panic!("expected a TOTP challenge, got {other:?}"),
        }
    }

    pub async fn verify(
        &self,
        challenge: &str,
        code: &str,
    ) -> Result<pb::StaffLoginResult, tonic::Status> {
        self.h
            .staff_auth()
            .verify_staff_totp(pb::VerifyStaffTotpRequest {
                challenge_token: challenge.into(),
                code: code.into(),
            })
            .await
            .map(|r| r.into_inner().result.unwrap())
    }

    pub async fn current(&self, token: &str) -> pb::Staff {
        self.h
            .staff()
            .get_current_staff(authed(pb::GetCurrentStaffRequest {}, token))
            .await
            .unwrap()
            .into_inner()
            .staff
            .unwrap()
    }
}

fn attempts_left(status: &tonic::Status) -> String {
    status.get_details_error_info().unwrap().metadata["attempts_left"].clone()
}

async fn audits(h: &Harness, kind: &str) -> i64 {
    count(
        h,
        "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1",
        kind,
    )
    .await
}

#[tokio::test]
async fn totp_enrols_confirms_and_guards_the_login() {
    let e = env("acme").await;
    let enrolled =
        e.h.staff_auth()
            .enroll_totp(authed(pb::EnrollTotpRequest::default(), &e.admin))
            .await
            .unwrap()
            .into_inner();
    assert_eq!(base32_decode(&enrolled.secret).unwrap().len(), 20);
    assert_eq!(
        enrolled.otpauth_uri,
        format!(
            "otpauth://totp/Siyu:acme:admin?secret={}&issuer=Siyu&algorithm=SHA1&digits=6&period=30",
            enrolled.secret
        )
    );
    // Stored sealed, never in clear.
    let clear = count(
        &e.h,
        "SELECT COUNT(*) AS n FROM identity_staff_totp WHERE position(convert_to($1, 'UTF8') in secret_sealed) > 0",
        &enrolled.secret,
    )
    .await;
    assert_eq!(clear, 0);
    // Not active before the confirmation: login still answers tokens.
    assert!(matches!(
        e.login("acme", "admin", ADMIN_PW).await.unwrap(),
        pb::staff_login_result::Outcome::Tokens(_)
    ));
    assert!(!e.current(&e.admin).await.totp_enabled);
    // A wrong code does not confirm.
    let wrong = format!(
        "{:06}",
        (e.code(&enrolled.secret, 0).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let err =
        e.h.staff_auth()
            .confirm_totp(authed(
                pb::ConfirmTotpRequest {
                    challenge_token: String::new(),
                    code: wrong,
                },
                &e.admin,
            ))
            .await
            .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOTP_INVALID");
    let confirmed =
        e.h.staff_auth()
            .confirm_totp(authed(
                pb::ConfirmTotpRequest {
                    challenge_token: String::new(),
                    code: e.code(&enrolled.secret, 0),
                },
                &e.admin,
            ))
            .await
            .unwrap()
            .into_inner();
    assert_eq!(confirmed.recovery_codes.len(), 10);
    assert!(confirmed.result.is_none());
    assert!(e.current(&e.admin).await.totp_enabled);
    assert_eq!(audits(&e.h, "TOTP_ENABLED").await, 1);
    // A second enrolment is refused once enabled.
    let err =
        e.h.staff_auth()
            .enroll_totp(authed(pb::EnrollTotpRequest::default(), &e.admin))
            .await
            .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "TOTP_ALREADY_ENABLED");

    // The confirming code's step is spent: the login needs a later one.
    let challenge = e.challenge("acme", "admin", ADMIN_PW).await;
    let err = e
        .verify(&challenge, &e.code(&enrolled.secret, 0))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOTP_INVALID");
    assert_eq!(attempts_left(&err), "4");
    e.next_step();
    let code = e.code(&enrolled.secret, 0);
    let done = e.verify(&challenge, &code).await.unwrap();
    let staff = done.staff.unwrap();
    assert!(staff.totp_enabled);
    let Some(pb::staff_login_result::Outcome::Tokens(tokens)) = done.outcome else {
        panic!("expected tokens");
    };
    let sessions =
        e.h.tokens()
            .list_sessions(authed(
                pb::ListSessionsRequest::default(),
                &tokens.access_token,
            ))
            .await
            .unwrap()
            .into_inner()
            .sessions;
    assert!(sessions.iter().any(|s| s.login_method == "password+totp"));
    // The challenge is single use, and the code of this step cannot be used again.
    let err = e.verify(&challenge, &code).await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "CHALLENGE_INVALID");
    let again = e.challenge("acme", "admin", ADMIN_PW).await;
    let err = e.verify(&again, &code).await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOTP_INVALID");
    // The next step's code is within the ±1 window.
    e.verify(&again, &e.code(&enrolled.secret, 1))
        .await
        .unwrap();
    assert!(audits(&e.h, "STAFF_LOGIN_FAILED").await >= 2);
}

#[tokio::test]
async fn sixteen_concurrent_verifications_of_one_code_let_exactly_one_in() {
    let e = env("acme").await;
    let (secret, _) = e.enable(&e.admin).await;
    let staff_id = e.current(&e.admin).await.staff_id;
    let mut challenges = Vec::new();
    for _ in 0..16 {
        challenges.push(e.challenge("acme", "admin", ADMIN_PW).await);
    }
    let sessions_before = count(
        &e.h,
        "SELECT COUNT(*) AS n FROM identity_sessions WHERE subject_id = $1",
        &staff_id,
    )
    .await;
    let code = e.code(&secret, 0);
    let results = futures::future::join_all(challenges.iter().map(|c| e.verify(c, &code))).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:?}");
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        let reason = err.get_details_error_info().unwrap().reason;
        assert!(
            reason == "TOTP_INVALID" || reason == "ACCOUNT_LOCKED",
            "{err:?}"
        );
    }
    let sessions_after = count(
        &e.h,
        "SELECT COUNT(*) AS n FROM identity_sessions WHERE subject_id = $1",
        &staff_id,
    )
    .await;
    assert_eq!(sessions_after, sessions_before + 1);
}

#[tokio::test]
async fn wrong_codes_lock_the_account_and_challenges_expire() {
    let e = env("acme").await;
    let (secret, _) = e.enable(&e.admin).await;
    let challenge = e.challenge("acme", "admin", ADMIN_PW).await;
    let good = e.code(&secret, 0);
    let bad = format!(
        "{:06}",
        (good.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    for left in ["4", "3", "2", "1", "0"] {
        let err = e.verify(&challenge, &bad).await.unwrap_err();
        assert_reason(&err, Code::Unauthenticated, "TOTP_INVALID");
        assert_eq!(attempts_left(&err), left);
    }
    // Locked: even the right code (and the right password) are refused.
    let err = e.verify(&challenge, &good).await.unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ACCOUNT_LOCKED");
    let err = e.login("acme", "admin", ADMIN_PW).await.unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ACCOUNT_LOCKED");
    assert_eq!(audits(&e.h, "ACCOUNT_LOCKED").await, 1);

    // After the lock (900 s) a new challenge works until it expires (300 s).
    e.clock.advance(chrono::Duration::seconds(901));
    let challenge = e.challenge("acme", "admin", ADMIN_PW).await;
    e.clock.advance(chrono::Duration::seconds(301));
    let err = e.verify(&challenge, &e.code(&secret, 0)).await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "CHALLENGE_INVALID");
}

#[tokio::test]
async fn a_recovery_code_logs_in_once() {
    let e = env("acme").await;
    let (_, codes) = e.enable(&e.admin).await;
    let challenge = e.challenge("acme", "admin", ADMIN_PW).await;
    let done = e.verify(&challenge, &codes[3]).await.unwrap();
    assert!(matches!(
        done.outcome,
        Some(pb::staff_login_result::Outcome::Tokens(_))
    ));
    let challenge = e.challenge("acme", "admin", ADMIN_PW).await;
    let err = e.verify(&challenge, &codes[3]).await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOTP_INVALID");
    e.verify(&challenge, &codes[4].to_uppercase())
        .await
        .unwrap();
}

#[tokio::test]
async fn disabling_needs_the_password_and_a_fresh_code() {
    let e = env("acme").await;
    let (secret, _) = e.enable(&e.admin).await;
    let disable = |password: &str, code: String| {
        let mut client = e.h.staff_auth();
        let req = authed(
            pb::DisableTotpRequest {
                password: password.into(),
                code,
            },
            &e.admin,
        );
        async move { client.disable_totp(req).await }
    };
    let err = disable("wrong-password", e.code(&secret, 0))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "INVALID_CREDENTIALS");
    let err = disable(ADMIN_PW, "000000".into()).await;
    // (A 1-in-a-million chance that 000000 is the current code; then it simply succeeded.)
    if let Err(err) = err {
        assert_reason(&err, Code::Unauthenticated, "TOTP_INVALID");
        disable(ADMIN_PW, e.code(&secret, 0)).await.unwrap();
    }
    assert!(!e.current(&e.admin).await.totp_enabled);
    assert_eq!(audits(&e.h, "TOTP_DISABLED").await, 1);
    assert!(matches!(
        e.login("acme", "admin", ADMIN_PW).await.unwrap(),
        pb::staff_login_result::Outcome::Tokens(_)
    ));
    let err = disable(ADMIN_PW, e.code(&secret, 0)).await.unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "TOTP_NOT_ENROLLED");
}

#[tokio::test]
async fn totp_bad_input() {
    let e = env("acme").await;
    let auth = e.h.staff_auth();
    let err = e.verify("", "123456").await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["challenge_token"]);
    let err = e.verify("some-token", "").await.unwrap_err();
    assert_eq!(violations(&err), vec!["code"]);
    let err = e.verify("unknown-token", "123456").await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "CHALLENGE_INVALID");
    let err = auth
        .clone()
        .confirm_totp(authed(
            pb::ConfirmTotpRequest {
                challenge_token: String::new(),
                code: "12ab56".into(),
            },
            &e.admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["code"]);
    let err = auth
        .clone()
        .confirm_totp(authed(
            pb::ConfirmTotpRequest {
                challenge_token: String::new(),
                code: "123456".into(),
            },
            &e.admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "TOTP_NOT_ENROLLED");
    let err = auth
        .clone()
        .enroll_totp(pb::EnrollTotpRequest {
            challenge_token: "not-a-challenge".into(),
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "CHALLENGE_INVALID");
    let err = auth
        .clone()
        .disable_totp(authed(
            pb::DisableTotpRequest {
                password: ADMIN_PW.into(),
                code: "123456".into(),
            },
            &e.admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "TOTP_NOT_ENROLLED");
    let err = auth
        .clone()
        .enroll_totp(pb::EnrollTotpRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = e
        .verify("x".repeat(129).as_str(), "123456")
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn enrol_and_confirm_replay_by_idempotency_key() {
    let e = env("acme").await;
    let enroll = || {
        let mut client = e.h.staff_auth();
        let req = keyed(pb::EnrollTotpRequest::default(), &e.admin, "enrol-1");
        async move { client.enroll_totp(req).await }
    };
    let first = enroll().await.unwrap().into_inner();
    let second = enroll().await.unwrap().into_inner();
    assert_eq!(first.secret, second.secret);
    assert_eq!(first.otpauth_uri, second.otpauth_uri);
    // The stored reply holds the secret sealed.
    let clear = count(
        &e.h,
        "SELECT COUNT(*) AS n FROM siyu_idempotency WHERE position(convert_to($1, 'UTF8') in response) > 0",
        &first.secret,
    )
    .await;
    assert_eq!(clear, 0);
    let confirm = |code: String| {
        let mut client = e.h.staff_auth();
        let req = keyed(
            pb::ConfirmTotpRequest {
                challenge_token: String::new(),
                code,
            },
            &e.admin,
            "confirm-1",
        );
        async move { client.confirm_totp(req).await }
    };
    let code = e.code(&first.secret, 0);
    let a = confirm(code.clone()).await.unwrap().into_inner();
    let b = confirm(code).await.unwrap().into_inner();
    assert_eq!(a.recovery_codes, b.recovery_codes);
    assert_eq!(a.recovery_codes.len(), 10);
    assert_eq!(audits(&e.h, "TOTP_ENABLED").await, 1);
}

#[tokio::test]
async fn reset_with_remove_totp_really_removes_it() {
    use crate::staff::admin::{create_staff, new_staff, tree};
    let e = env("acme").await;
    let t = tree(&e.h, &e.admin).await;
    let created = create_staff(
        &e.h,
        &e.admin,
        new_staff("lilei", &t.store_a, &[(pb::StaffRole::Guide, &t.store_a)]),
    )
    .await
    .unwrap();
    let li =
        e.h.staff_login("acme", "lilei", PASSWORD)
            .await
            .access_token;
    let li_pw = format!("{PASSWORD}-new");
    let (secret, _) = e.enable(&li).await;
    let _ = e.challenge("acme", "lilei", &li_pw).await;
    let reset = |remove_totp: bool, key: &str| {
        let mut client = e.h.staff();
        let req = keyed(
            pb::ResetStaffPasswordRequest {
                staff_id: created.staff_id.clone(),
                temporary_password: "Temporary-Pass-77".into(),
                remove_totp,
                reason: "lost phone".into(),
            },
            &e.admin,
            key,
        );
        async move { client.reset_staff_password(req).await }
    };
    // Without remove_totp the factor stays.
    reset(false, "r1").await.unwrap();
    let got = |token: String| {
        let id = created.staff_id.clone();
        let mut client = e.h.staff();
        async move {
            client
                .get_staff(authed(pb::GetStaffRequest { staff_id: id }, &token))
                .await
                .unwrap()
                .into_inner()
                .staff
                .unwrap()
        }
    };
    assert!(got(e.admin.clone()).await.totp_enabled);
    reset(true, "r2").await.unwrap();
    assert!(!got(e.admin.clone()).await.totp_enabled);
    assert_eq!(audits(&e.h, "TOTP_DISABLED").await, 1);
    assert_eq!(
        count(
            &e.h,
            "SELECT COUNT(*) AS n FROM identity_staff_recovery_codes WHERE staff_id = $1",
            &created.staff_id
        )
        .await,
        0
    );
    // The next login is the forced password change, not a TOTP step.
    match e.login("acme", "lilei", "Temporary-Pass-77").await.unwrap() {
        pb::staff_login_result::Outcome::Challenge(c) => {
            assert_eq!(
                c.kind,
                pb::LoginChallengeKind::PasswordChangeRequired as i32
            );
        }
        other => panic!("{other:?}"),
    }
    let _ = secret;
}

#[tokio::test]
async fn another_tenants_staff_and_stores_read_as_not_found() {
    use crate::staff::admin::{create_staff, new_staff, tree};
    let e = env("acme").await;
    let (_, _, admin_b) = e.h.tenant_with_app("beta").await;
    let t = tree(&e.h, &e.admin).await;
    let guide = create_staff(
        &e.h,
        &e.admin,
        pb::CreateStaffRequest {
            staff: Some(pb::Staff {
                employee_no: "E007".into(),
                ..new_staff("guide7", &t.store_a, &[]).staff.unwrap()
            }),
            ..new_staff("guide7", &t.store_a, &[(pb::StaffRole::Guide, &t.store_a)])
        },
    )
    .await
    .unwrap();
    let a_admin_id = e.current(&e.admin).await.staff_id;
    let (secret, _) = e.enable(&e.admin).await;
    let _ = secret;
    let store =
        e.h.org()
            .get_org_unit(authed(
                pb::GetOrgUnitRequest {
                    org_unit_id: t.store_a.clone(),
                },
                &e.admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .org_unit
            .unwrap();
    // Tenant B naming tenant A's ids.
    let staff = e.h.staff();
    let org = e.h.org();
    let cases: Vec<(&str, Result<(), tonic::Status>, Code, &str)> = vec![
        (
            "reset with remove_totp",
            staff
                .clone()
                .reset_staff_password(authed(
                    pb::ResetStaffPasswordRequest {
                        staff_id: a_admin_id.clone(),
                        remove_totp: true,
                        reason: "lost phone".into(),
                        ..Default::default()
                    },
                    &admin_b,
                ))
                .await
                .map(|_| ()),
            Code::NotFound,
            "STAFF_NOT_FOUND",
        ),
        (
            "store details",
            org.clone()
                .update_org_unit(authed(
                    pb::UpdateOrgUnitRequest {
                        org_unit: Some(pb::OrgUnit {
                            org_unit_id: store.org_unit_id.clone(),
                            etag: store.etag.clone(),
                            store: Some(pb::StoreProfile {
                                phone: "021-1234".into(),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["store.phone".into()],
                        }),
                    },
                    &admin_b,
                ))
                .await
                .map(|_| ()),
            Code::NotFound,
            "ORG_UNIT_NOT_FOUND",
        ),
        (
            "employee login with A's store under B's code",
            e.h.staff_auth()
                .login_staff(pb::LoginStaffRequest {
                    tenant_code: "beta".into(),
                    identifier: Some(pb::login_staff_request::Identifier::Employee(
                        pb::EmployeeLogin {
                            store_code: "SA".into(),
                            employee_no: "E007".into(),
                        },
                    )),
                    password: PASSWORD.into(),
                })
                .await
                .map(|_| ()),
            Code::Unauthenticated,
            "INVALID_CREDENTIALS",
        ),
    ];
    for (name, result, code, reason) in cases {
        let err = result.expect_err(name);
        assert_eq!(err.code(), code, "{name}: {err:?}");
        assert_reason(&err, code, reason);
    }
    // A's TOTP is untouched.
    assert!(e.current(&e.admin).await.totp_enabled);
    let _ = guide;
}

#[tokio::test]
async fn a_recovery_code_spent_by_eight_at_once_lets_one_in() {
    let e = env("acme").await;
    let (_, codes) = e.enable(&e.admin).await;
    let mut challenges = Vec::new();
    for _ in 0..8 {
        challenges.push(e.challenge("acme", "admin", ADMIN_PW).await);
    }
    let results =
        futures::future::join_all(challenges.iter().map(|c| e.verify(c, &codes[0]))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        count(
            &e.h,
            "SELECT COUNT(*) AS n FROM identity_staff_recovery_codes WHERE used_at IS NOT NULL AND code_hash <> $1",
            "",
        )
        .await,
        1
    );
}

#[tokio::test]
async fn totp_login_on_sqlite() {
    let db = siyu_testkit::TestDb::sqlite::<siyu_identity::Migrator>()
        .await
        .unwrap();
    let h = Harness::start_on(db).await;
    let (_, _, admin) = h.tenant_with_app("lite").await;
    let real = siyu_core::clock::system();
    let code = |secret: &str, offset: i64| {
        let step = step_of(real.now().timestamp()) + offset;
        code_at(&base32_decode(secret).unwrap(), step)
    };
    let enrolled = h
        .staff_auth()
        .enroll_totp(authed(pb::EnrollTotpRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner();
    h.staff_auth()
        .confirm_totp(authed(
            pb::ConfirmTotpRequest {
                challenge_token: String::new(),
                code: code(&enrolled.secret, 0),
            },
            &admin,
        ))
        .await
        .unwrap();
    let outcome = h
        .staff_auth()
        .login_staff(pb::LoginStaffRequest {
            tenant_code: "lite".into(),
            identifier: Some(pb::login_staff_request::Identifier::LoginName(
                "admin".into(),
            )),
            password: ADMIN_PW.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap()
        .outcome
        .unwrap();
    let pb::staff_login_result::Outcome::Challenge(challenge) = outcome else {
        panic!("expected a challenge");
    };
    // The next step's code: the confirming step is spent, the next is within the window.
    let done = h
        .staff_auth()
        .verify_staff_totp(pb::VerifyStaffTotpRequest {
            challenge_token: challenge.challenge_token,
            code: code(&enrolled.secret, 1),
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert!(done.staff.unwrap().totp_enabled);
}
