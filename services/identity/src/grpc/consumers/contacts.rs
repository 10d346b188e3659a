//! GetUserContacts: what a message sender (a service) needs to reach a user.

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::{Request, Response};

use crate::app::consumers::contacts::Contacts;
use crate::grpc::consumers::access::target;
use crate::grpc::consumers::convert::consent_pb_kind;
use crate::grpc::{Api, Caller, R, record};
use crate::repo::consumers::IdentityKind;
use crate::repo::tenancy::AppKind;

/// GetUserContacts (services only, by contract: content dispatch).
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn get(
    api: &Api,
    request: Request<pb::GetUserContactsRequest>,
) -> R<pb::GetUserContactsResponse> {
    let caller = Caller::of(&request)?;
    let t = target(&caller, &request.get_ref().user_id)?;
    record("user_id", &t.user_id);
    let contacts = api.app.user_contacts(caller.tenant(), &t.user_id).await?;
    Ok(Response::new(contacts_pb(contacts)))
}

fn contacts_pb(c: Contacts) -> pb::GetUserContactsResponse {
    let user = crate::grpc::consumers::convert::user_pb(&c.user);
    let app_kind = |app_id: &str| match c.apps.iter().find(|(id, _)| id == app_id) {
        Some((_, AppKind::MiniProgram)) => pb::AppKind::MiniProgram,
        Some((_, AppKind::OfficialAccount)) => pb::AppKind::OfficialAccount,
        Some((_, AppKind::Wecom | AppKind::H5)) | None => pb::AppKind::Unspecified,
    };
    let openids = c
        .identities
        .iter()
        .filter(|i| i.kind == IdentityKind::Openid)
        .map(|i| pb::AppOpenId {
            app_id: i.scope.clone(),
            app_kind: app_kind(&i.scope) as i32,
            openid: i.value.clone(),
        })
        .collect();
    let wecom_contacts = c
        .identities
        .iter()
        .filter(|i| i.kind == IdentityKind::Wecom)
        .map(|i| pb::WeComContact {
            corp_id: i.scope.clone(),
            external_user_id: i.value.clone(),
        })
        .collect();
    let marketing_consents = c
        .marketing
        .iter()
        .map(|r| pb::MarketingConsent {
            channel: consent_pb_kind(r.kind, r.channel).1 as i32,
            granted: r.granted,
            record_time: Some(timestamp(r.created_at)),
        })
        .collect();
    pb::GetUserContactsResponse {
        user_id: user.user_id,
        status: user.status,
        merged_into_user_id: user.merged_into_user_id,
        phone: user.phone,
        openids,
        wecom_contacts,
        marketing_consents,
        nickname: c.nickname,
    }
}
