//! Identity's routes: consumer login and profile (`/api/v1`), staff login and administration
//! (`/admin/v1`), the partner token endpoints (`/oauth/token`, `/open/v1`) and the JWKS.
//!
//! Access mirrors the "Callers:" line of each RPC in `proto/siyu/identity/v1`; the gateway
//! checks kind, role and scope, the service checks org scope and "self".

use super::{Access, GrpcRoute, Route};

/// `siyu.identity.v1.<Service>/<Method>` as a `&'static str`, built at compile time.
macro_rules! rpc {
    ($service:ident, $method:literal) => {
        concat!("siyu.identity.v1.", stringify!($service), "/", $method)
    };
}

mod admin;

/// The REST routes of identity.
pub fn rest() -> Vec<Route> {
    let mut routes = consumer();
    routes.extend(admin::staff_auth());
    routes.extend(admin::staff_admin());
    routes.extend(partner());
    routes
}

fn consumer() -> Vec<Route> {
    use Access::{Consumer, Optional, Public};
    vec![
        Route::post(
            "/api/v1/auth/wechat-login",
            rpc!(ConsumerAuthService, "LoginWithWeChat"),
            Public,
        )
        .dedupe()
        .summary("Log in with a wx.login() code"),
        Route::post(
            "/api/v1/auth/otp",
            rpc!(ConsumerAuthService, "SendPhoneOtp"),
            Optional,
        )
        .summary("Send an SMS one-time password (login: public; bind/confirm: consumer)"),
        Route::post(
            "/api/v1/auth/otp-login",
            rpc!(ConsumerAuthService, "LoginWithPhoneOtp"),
            Public,
        )
        .dedupe()
        .summary("Log in (H5) with phone and OTP"),
        Route::post(
            "/api/v1/auth/refresh",
            rpc!(TokenService, "RefreshSession"),
            Public,
        )
        .dedupe()
        .summary("Exchange a refresh token for a new token pair"),
        Route::post(
            "/api/v1/auth/logout",
            rpc!(TokenService, "Logout"),
            Consumer,
        )
        .summary("Log out the current session"),
        Route::post(
            "/api/v1/auth/logout-everywhere",
            rpc!(TokenService, "LogoutEverywhere"),
            Consumer,
        )
        .summary("Log out every session"),
        Route::get(
            "/api/v1/sessions",
            rpc!(TokenService, "ListSessions"),
            Consumer,
        )
        .summary("List my active sessions"),
        Route::post(
            "/api/v1/sessions/{session_id}/revoke",
            rpc!(TokenService, "RevokeSession"),
            Consumer,
        )
        .summary("Revoke one of my sessions"),
        Route::post(
            "/api/v1/me/phone/wechat",
            rpc!(ConsumerAuthService, "BindPhoneWithWeChat"),
            Consumer,
        )
        .dedupe()
        .summary("Bind a phone from the getPhoneNumber button"),
        Route::post(
            "/api/v1/me/phone/otp",
            rpc!(ConsumerAuthService, "BindPhoneWithOtp"),
            Consumer,
        )
        .dedupe()
        .summary("Bind a phone verified by OTP"),
        Route::get("/api/v1/me", rpc!(UserService, "GetUser"), Consumer).summary("My user"),
        Route::patch(
            "/api/v1/me/profile",
            rpc!(UserService, "UpdateUserProfile"),
            Consumer,
        )
        .summary("Update my profile"),
        Route::get(
            "/api/v1/me/identities",
            rpc!(UserService, "ListLinkedIdentities"),
            Consumer,
        )
        .summary("My linked identities"),
        Route::delete(
            "/api/v1/me/identities/{identity_id}",
            rpc!(UserService, "UnlinkIdentity"),
            Consumer,
        )
        .summary("Unlink one of my identities"),
        Route::post(
            "/api/v1/me/consents",
            rpc!(UserService, "RecordConsent"),
            Consumer,
        )
        .summary("Record a consent decision"),
        Route::get(
            "/api/v1/me/consents",
            rpc!(UserService, "ListConsents"),
            Consumer,
        )
        .summary("My consent history"),
        Route::post(
            "/api/v1/me/exports",
            rpc!(UserService, "RequestDataExport"),
            Consumer,
        )
        .summary("Request an export of my data"),
        Route::get(
            "/api/v1/me/exports/{export_id}",
            rpc!(UserService, "GetDataExport"),
            Consumer,
        )
        .summary("An export job"),
        Route::get(
            "/api/v1/me/exports/{export_id}/download",
            rpc!(UserService, "DownloadDataExport"),
            Consumer,
        )
        .summary("Download a ready export"),
        Route::post("/api/v1/me/erase", rpc!(UserService, "EraseUser"), Consumer)
            .summary("Erase my account"),
        Route::get("/api/v1/stores", rpc!(OrgService, "ListStores"), Optional)
            .summary("Stores (public with app_id, or as a consumer)"),
        Route::get(
            "/api/v1/guide-codes/{code}",
            rpc!(StaffService, "ResolveGuideCode"),
            Optional,
        )
        .summary("Resolve a guide code printed on a store QR code"),
        Route::get(
            "/api/v1/apps/{app_id}/tenant",
            rpc!(TenantService, "ResolveTenantByAppId"),
            Public,
        )
        .summary("The tenant of a mini-program app id"),
        Route::get(
            "/.well-known/jwks.json",
            rpc!(TokenService, "GetJwks"),
            Public,
        )
        .summary("The JSON Web Key Set access tokens are signed with"),
    ]
}

fn partner() -> Vec<Route> {
    use Access::{Partner, Public};
    vec![
        Route::post(
            "/oauth/token",
            rpc!(TokenService, "IssueClientToken"),
            Public,
        )
        .dedupe()
        .oauth()
        .summary("OAuth2 client-credentials grant (RFC 6749 §4.4)"),
        Route::post(
            "/open/v1/oauth/token",
            rpc!(TokenService, "IssueClientToken"),
            Public,
        )
        .dedupe()
        .oauth()
        .summary("OAuth2 client-credentials grant (alias of /oauth/token)"),
        Route::post(
            "/open/v1/oauth/introspect",
            rpc!(TokenService, "IntrospectToken"),
            Partner(None),
        )
        .read_only()
        .oauth()
        .summary("Token introspection (RFC 7662)"),
        Route::get(
            "/open/v1/partner-client",
            rpc!(PartnerService, "GetPartnerClient"),
            Partner(None),
        )
        .summary("My partner client"),
        Route::get(
            "/open/v1/stores",
            rpc!(OrgService, "ListStores"),
            Partner(Some("catalog.read")),
        )
        .summary("Stores with geo and opening hours"),
    ]
}

/// The identity methods partners may call through the gRPC ingress.
pub fn grpc() -> Vec<GrpcRoute> {
    vec![
        GrpcRoute {
            rpc: rpc!(TokenService, "IntrospectToken"),
            scope: None,
        },
        GrpcRoute {
            rpc: rpc!(PartnerService, "GetPartnerClient"),
            scope: None,
        },
        GrpcRoute {
            rpc: rpc!(OrgService, "ListStores"),
            scope: Some("catalog.read"),
        },
    ]
}
