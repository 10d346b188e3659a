//! Identity's staff routes (`/admin/v1`): staff login and sessions, tenants and settings,
//! the org tree, staff and roles, partner clients, consumers for customer service, and the
//! security audit log. Roles mirror each RPC's "Callers:" line.

use crate::routes::legacy::{Access, Route};

const TENANT_ADMIN: &str = "tenant_admin";
const HQ_OPERATOR: &str = "hq_operator";
const STORE_MANAGER: &str = "store_manager";
const GUIDE: &str = "guide";
const AUDITOR: &str = "auditor";
const CUSTOMER_SERVICE: &str = "customer_service";

const ANY_STAFF: Access = Access::Staff(&[]);
const ADMIN: Access = Access::Staff(&[TENANT_ADMIN]);
const ADMIN_OR_AUDITOR: Access = Access::Staff(&[TENANT_ADMIN, AUDITOR]);
const ADMIN_OR_MANAGER: Access = Access::Staff(&[TENANT_ADMIN, STORE_MANAGER]);
const STAFF_READERS: Access = Access::Staff(&[TENANT_ADMIN, HQ_OPERATOR, STORE_MANAGER, AUDITOR]);
const CARE: Access = Access::Staff(&[CUSTOMER_SERVICE, TENANT_ADMIN]);
const CARE_OR_AUDITOR: Access = Access::Staff(&[CUSTOMER_SERVICE, TENANT_ADMIN, AUDITOR]);
const USER_LOOKUP: Access = Access::Staff(&[
    CUSTOMER_SERVICE,
    TENANT_ADMIN,
    HQ_OPERATOR,
    STORE_MANAGER,
    GUIDE,
]);
const CONSENT_RECORDERS: Access = Access::Staff(&[STORE_MANAGER, GUIDE, CUSTOMER_SERVICE]);
const GUIDES: Access = Access::Staff(&[GUIDE, STORE_MANAGER, TENANT_ADMIN]);
const AUDIT: Access = Access::Staff(&[AUDITOR, TENANT_ADMIN]);

pub(super) fn staff_auth() -> Vec<Route> {
    use Access::{Optional, Public};
    vec![
        Route::post(
            "/admin/v1/auth/login",
            rpc!(StaffAuthService, "LoginStaff"),
            Public,
        )
        .dedupe()
        .summary("Staff password login"),
        Route::post(
            "/admin/v1/auth/totp/verify",
            rpc!(StaffAuthService, "VerifyStaffTotp"),
            Public,
        )
        .dedupe()
        .summary("Complete a login with a TOTP code"),
        Route::post(
            "/admin/v1/auth/password",
            rpc!(StaffAuthService, "ChangeStaffPassword"),
            Optional,
        )
        .dedupe()
        .summary("Change my password (staff token or challenge token)"),
        Route::post(
            "/admin/v1/auth/totp/enroll",
            rpc!(StaffAuthService, "EnrollTotp"),
            Optional,
        )
        .dedupe()
        .summary("Start TOTP enrolment (the secret is shown once)"),
        Route::post(
            "/admin/v1/auth/totp/confirm",
            rpc!(StaffAuthService, "ConfirmTotp"),
            Optional,
        )
        .dedupe()
        .summary("Confirm TOTP enrolment"),
        Route::post(
            "/admin/v1/auth/totp/disable",
            rpc!(StaffAuthService, "DisableTotp"),
            ANY_STAFF,
        )
        .summary("Disable my TOTP"),
        Route::post(
            "/admin/v1/auth/refresh",
            rpc!(TokenService, "RefreshSession"),
            Public,
        )
        .dedupe()
        .summary("Exchange a refresh token for a new token pair"),
        Route::post(
            "/admin/v1/auth/logout",
            rpc!(TokenService, "Logout"),
            ANY_STAFF,
        )
        .summary("Log out the current session"),
        Route::post(
            "/admin/v1/auth/logout-everywhere",
            rpc!(TokenService, "LogoutEverywhere"),
            ANY_STAFF,
        )
        .summary("Log out every session"),
        Route::get(
            "/admin/v1/sessions",
            rpc!(TokenService, "ListSessions"),
            ANY_STAFF,
        )
        .summary("Sessions of me, or of a staff/user (admins, customer service)"),
        Route::post(
            "/admin/v1/sessions/{session_id}/revoke",
            rpc!(TokenService, "RevokeSession"),
            ANY_STAFF,
        )
        .summary("Revoke a session"),
        Route::get(
            "/admin/v1/signing-keys",
            rpc!(TokenService, "ListSigningKeys"),
            ADMIN,
        )
        .summary("Signing keys (platform)"),
        Route::post(
            "/admin/v1/signing-keys/rotate",
            rpc!(TokenService, "RotateSigningKey"),
            ADMIN,
        )
        .summary("Rotate the signing key (platform)"),
    ]
}

pub(super) fn staff_admin() -> Vec<Route> {
    vec![
        // Tenants and settings.
        Route::post(
            "/admin/v1/tenants",
            rpc!(TenantService, "CreateTenant"),
            ADMIN,
        )
        .summary("Create a tenant (platform)"),
        Route::get(
            "/admin/v1/tenants",
            rpc!(TenantService, "ListTenants"),
            ADMIN,
        )
        .summary("List tenants (platform)"),
        Route::get(
            "/admin/v1/tenants/{tenant_id}",
            rpc!(TenantService, "GetTenant"),
            ADMIN,
        )
        .summary("A tenant"),
        Route::patch(
            "/admin/v1/tenants/{tenant.tenant_id}",
            rpc!(TenantService, "UpdateTenant"),
            ADMIN,
        )
        .summary("Update a tenant (platform)"),
        Route::get(
            "/admin/v1/settings",
            rpc!(TenantService, "GetTenantSettings"),
            ADMIN_OR_AUDITOR,
        )
        .summary("My tenant's settings"),
        Route::patch(
            "/admin/v1/settings",
            rpc!(TenantService, "UpdateTenantSettings"),
            ADMIN,
        )
        .summary("Update my tenant's settings"),
        Route::post("/admin/v1/apps", rpc!(TenantService, "UpsertApp"), ADMIN)
            .summary("Add or update a WeChat app"),
        Route::delete(
            "/admin/v1/apps/{app_id}",
            rpc!(TenantService, "RemoveApp"),
            ADMIN,
        )
        .summary("Remove a WeChat app"),
        Route::post(
            "/admin/v1/wechat-pay",
            rpc!(TenantService, "SetWeChatPayConfig"),
            ADMIN,
        )
        .summary("Set the WeChat Pay merchant configuration"),
        // Org tree.
        Route::post(
            "/admin/v1/org-units",
            rpc!(OrgService, "CreateOrgUnit"),
            ADMIN,
        )
        .summary("Create an org unit"),
        Route::patch(
            "/admin/v1/org-units/{org_unit.org_unit_id}",
            rpc!(OrgService, "UpdateOrgUnit"),
            ADMIN,
        )
        .summary("Update an org unit"),
        Route::post(
            "/admin/v1/org-units/{org_unit_id}/move",
            rpc!(OrgService, "MoveOrgUnit"),
            ADMIN,
        )
        .summary("Move an org unit"),
        Route::post(
            "/admin/v1/org-units/{org_unit_id}/disable",
            rpc!(OrgService, "DisableOrgUnit"),
            ADMIN,
        )
        .summary("Disable an org unit"),
        Route::post(
            "/admin/v1/org-units/{org_unit_id}/enable",
            rpc!(OrgService, "EnableOrgUnit"),
            ADMIN,
        )
        .summary("Enable an org unit"),
        Route::get(
            "/admin/v1/org-units/{org_unit_id}",
            rpc!(OrgService, "GetOrgUnit"),
            ANY_STAFF,
        )
        .summary("An org unit"),
        Route::post(
            "/admin/v1/org-units/batch-get",
            rpc!(OrgService, "BatchGetOrgUnits"),
            ANY_STAFF,
        )
        .read_only()
        .summary("Several org units by id"),
        Route::get(
            "/admin/v1/org-units/{parent_id}/children",
            rpc!(OrgService, "ListOrgChildren"),
            ANY_STAFF,
        )
        .summary("Children of an org unit"),
        Route::get(
            "/admin/v1/org-units/{org_unit_id}/subtree",
            rpc!(OrgService, "GetOrgSubtree"),
            ANY_STAFF,
        )
        .summary("The subtree under an org unit"),
        Route::get(
            "/admin/v1/org-units/{org_unit_id}/path",
            rpc!(OrgService, "GetOrgPath"),
            ANY_STAFF,
        )
        .summary("Breadcrumbs from the root"),
        Route::get(
            "/admin/v1/stores",
            rpc!(OrgService, "ListStores"),
            ANY_STAFF,
        )
        .summary("Stores within my scope"),
        // Staff.
        Route::post(
            "/admin/v1/staff",
            rpc!(StaffService, "CreateStaff"),
            ADMIN_OR_MANAGER,
        )
        .summary("Create a staff account"),
        Route::get(
            "/admin/v1/staff",
            rpc!(StaffService, "ListStaff"),
            STAFF_READERS,
        )
        .summary("List staff"),
        Route::get(
            "/admin/v1/staff/me",
            rpc!(StaffService, "GetCurrentStaff"),
            ANY_STAFF,
        )
        .summary("Me, my roles and tenant"),
        Route::get(
            "/admin/v1/staff/{staff_id}",
            rpc!(StaffService, "GetStaff"),
            STAFF_READERS,
        )
        .summary("A staff account"),
        Route::patch(
            "/admin/v1/staff/{staff.staff_id}",
            rpc!(StaffService, "UpdateStaff"),
            ADMIN_OR_MANAGER,
        )
        .summary("Update a staff account"),
        Route::post(
            "/admin/v1/staff/{staff_id}/disable",
            rpc!(StaffService, "DisableStaff"),
            ADMIN_OR_MANAGER,
        )
        .summary("Disable a staff account"),
        Route::post(
            "/admin/v1/staff/{staff_id}/enable",
            rpc!(StaffService, "EnableStaff"),
            ADMIN,
        )
        .summary("Enable a staff account"),
        Route::post(
            "/admin/v1/staff/{staff_id}/unlock",
            rpc!(StaffService, "UnlockStaff"),
            ADMIN_OR_MANAGER,
        )
        .summary("Clear a lockout"),
        Route::post(
            "/admin/v1/staff/{staff_id}/reset-password",
            rpc!(StaffService, "ResetStaffPassword"),
            ADMIN_OR_MANAGER,
        )
        .dedupe()
        .summary("Reset a password"),
        Route::post(
            "/admin/v1/staff/{staff_id}/roles",
            rpc!(StaffService, "GrantRole"),
            ADMIN_OR_MANAGER,
        )
        .summary("Grant a role on an org unit"),
        Route::post(
            "/admin/v1/role-grants/{grant_id}/revoke",
            rpc!(StaffService, "RevokeRole"),
            ADMIN_OR_MANAGER,
        )
        .summary("Revoke a role grant"),
        Route::get(
            "/admin/v1/role-grants",
            rpc!(StaffService, "ListRoleGrants"),
            STAFF_READERS,
        )
        .summary("Role grants"),
        Route::post(
            "/admin/v1/guide-codes",
            rpc!(StaffService, "IssueGuideCode"),
            GUIDES,
        )
        .summary("Issue a guide code"),
        Route::get(
            "/admin/v1/guide-codes",
            rpc!(StaffService, "ListGuideCodes"),
            GUIDES,
        )
        .summary("List guide codes"),
        // Partner clients.
        Route::post(
            "/admin/v1/partner-clients",
            rpc!(PartnerService, "CreatePartnerClient"),
            ADMIN,
        )
        .dedupe()
        .summary("Create a partner client (the secret is shown once)"),
        Route::get(
            "/admin/v1/partner-clients",
            rpc!(PartnerService, "ListPartnerClients"),
            ADMIN_OR_AUDITOR,
        )
        .summary("List partner clients"),
        Route::get(
            "/admin/v1/partner-clients/{client_id}",
            rpc!(PartnerService, "GetPartnerClient"),
            ADMIN_OR_AUDITOR,
        )
        .summary("A partner client"),
        Route::patch(
            "/admin/v1/partner-clients/{client.client_id}",
            rpc!(PartnerService, "UpdatePartnerClient"),
            ADMIN,
        )
        .summary("Update a partner client"),
        Route::post(
            "/admin/v1/partner-clients/{client_id}/rotate-secret",
            rpc!(PartnerService, "RotatePartnerClientSecret"),
            ADMIN,
        )
        .dedupe()
        .summary("Rotate a client secret (shown once)"),
        Route::post(
            "/admin/v1/partner-clients/{client_id}/revoke",
            rpc!(PartnerService, "RevokePartnerClient"),
            ADMIN,
        )
        .summary("Revoke a partner client"),
        // Consumers, for customer service.
        Route::get(
            "/admin/v1/users",
            rpc!(UserService, "LookupUsers"),
            USER_LOOKUP,
        )
        .summary("Find users by phone, openid, card number"),
        Route::post(
            "/admin/v1/users/batch-get",
            rpc!(UserService, "BatchGetUsers"),
            ANY_STAFF,
        )
        .read_only()
        .summary("Several users by id (masked)"),
        Route::get(
            "/admin/v1/users/{user_id}",
            rpc!(UserService, "GetUser"),
            USER_LOOKUP,
        )
        .summary("A user (masked)"),
        Route::post(
            "/admin/v1/users/{user_id}/block",
            rpc!(UserService, "SetUserBlocked"),
            CARE,
        )
        .summary("Block or unblock a user"),
        Route::get(
            "/admin/v1/users/{user_id}/identities",
            rpc!(UserService, "ListLinkedIdentities"),
            CARE,
        )
        .summary("A user's linked identities"),
        Route::post(
            "/admin/v1/users/{user_id}/identities",
            rpc!(UserService, "LinkIdentity"),
            CARE,
        )
        .summary("Link an identity to a user"),
        Route::delete(
            "/admin/v1/users/{user_id}/identities/{identity_id}",
            rpc!(UserService, "UnlinkIdentity"),
            CARE,
        )
        .summary("Unlink an identity"),
        Route::post(
            "/admin/v1/users/{user_id}/reveal-phone",
            rpc!(UserService, "RevealUserPhone"),
            USER_LOOKUP,
        )
        .dedupe()
        .summary("Reveal a phone number (audited)"),
        Route::post(
            "/admin/v1/user-merges",
            rpc!(UserService, "MergeUsers"),
            CARE,
        )
        .summary("Merge two users"),
        Route::get(
            "/admin/v1/users/{user_id}/merges",
            rpc!(UserService, "ListUserMerges"),
            CARE_OR_AUDITOR,
        )
        .summary("Merges involving a user"),
        Route::post(
            "/admin/v1/user-merges/{merge_id}/reverse",
            rpc!(UserService, "ReverseUserMerge"),
            ADMIN,
        )
        .summary("Reverse a merge"),
        Route::post(
            "/admin/v1/users/{user_id}/consents",
            rpc!(UserService, "RecordConsent"),
            CONSENT_RECORDERS,
        )
        .summary("Record a consent on a user's behalf"),
        Route::get(
            "/admin/v1/users/{user_id}/consents",
            rpc!(UserService, "ListConsents"),
            CARE_OR_AUDITOR,
        )
        .summary("A user's consents"),
        Route::post(
            "/admin/v1/users/{user_id}/exports",
            rpc!(UserService, "RequestDataExport"),
            CARE,
        )
        .summary("Export a user's data"),
        Route::get(
            "/admin/v1/exports/{export_id}",
            rpc!(UserService, "GetDataExport"),
            CARE,
        )
        .summary("An export job"),
        Route::post(
            "/admin/v1/users/{user_id}/erase",
            rpc!(UserService, "EraseUser"),
            ADMIN,
        )
        .summary("Erase a user (verified request)"),
        // Security audit.
        Route::get(
            "/admin/v1/audit-entries",
            rpc!(AuditService, "ListAuditEntries"),
            AUDIT,
        )
        .summary("The security audit log"),
        Route::get(
            "/admin/v1/audit-entries/{entry_id}",
            rpc!(AuditService, "GetAuditEntry"),
            AUDIT,
        )
        .summary("One audit entry"),
        Route::post(
            "/admin/v1/audit-entries/verify",
            rpc!(AuditService, "VerifyAuditChain"),
            AUDIT,
        )
        .read_only()
        .summary("Verify the hash chain"),
    ]
}
