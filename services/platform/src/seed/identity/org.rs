//! Identity's organisation: the store tree, a guide at the first store and a partner client —
//! the steps that may stay pending while identity lacks an RPC.

use siyu_proto::common::v1 as common;
use siyu_proto::identity::v1 as pb;
use tonic::transport::Channel;

use super::staff_token;
use crate::dev::files::new_password;
use crate::seed::data::REGIONS;
use crate::seed::{
    Credentials, DEMO_GUIDE, DEMO_TENANT, OrgSeed, PARTNER_SCOPES, PartnerSeed, SeedRecord,
    StaffSeed, Step, UnitSeed, authed, pending_reason,
};

/// HQ → two regions → four stores with addresses and coordinates.
pub async fn seed_org(channel: &Channel, admin: &str, record: &mut SeedRecord) -> Step {
    if record.org.is_some() {
        return Step::Done;
    }
    let Some(root) = record.tenant.as_ref().map(|t| t.root_org_unit_id.clone()) else {
        return Step::Pending("no tenant".into());
    };
    let mut client = pb::org_service_client::OrgServiceClient::new(channel.clone());
    let mut org = OrgSeed {
        regions: Vec::new(),
        stores: Vec::new(),
    };
    for region in REGIONS {
        let request = pb::CreateOrgUnitRequest {
            parent_id: root.clone(),
            r#type: pb::OrgUnitType::Region as i32,
            name: region.name.into(),
            code: region.code.into(),
            ..Default::default()
        };
        let key = format!("siyu-dev-seed-org-{}", region.code);
        let unit = match client
            .create_org_unit(authed(request, admin, Some(&key)))
            .await
        {
            Ok(answer) => answer.into_inner().org_unit.unwrap_or_default(),
            Err(status) => {
                return Step::Pending(pending_reason("OrgService.CreateOrgUnit", &status));
            }
        };
        let region_path = format!("{root}/{}", unit.org_unit_id);
        for store in region.stores {
            let geo = common::GeoPoint {
                latitude: store.latitude,
                longitude: store.longitude,
            };
            let request = pb::CreateOrgUnitRequest {
                parent_id: unit.org_unit_id.clone(),
                r#type: pb::OrgUnitType::Store as i32,
                name: store.name.into(),
                code: store.code.into(),
                store: Some(pb::StoreProfile {
                    address: Some(common::Address {
                        province: region.province.into(),
                        city: store.city.into(),
                        detail: store.detail.into(),
                        location: Some(geo),
                        ..Default::default()
                    }),
                    geo: Some(geo),
                    phone: "021-60000000".into(),
                    time_zone: "Asia/Shanghai".into(),
                    pickup_enabled: true,
                    same_city_delivery_enabled: true,
                    ..Default::default()
                }),
                ..Default::default()
            };
            let key = format!("siyu-dev-seed-org-{}", store.code);
            match client
                .create_org_unit(authed(request, admin, Some(&key)))
                .await
            {
                Ok(answer) => {
                    let id = answer.into_inner().org_unit.unwrap_or_default().org_unit_id;
                    org.stores.push(UnitSeed {
                        org_path: format!("{region_path}/{id}"),
                        id,
                        name: store.name.into(),
                    });
                }
                Err(status) => {
                    return Step::Pending(pending_reason("OrgService.CreateOrgUnit", &status));
                }
            }
        }
        org.regions.push(UnitSeed {
            id: unit.org_unit_id,
            name: region.name.into(),
            org_path: region_path,
        });
    }
    record.org = Some(org);
    Step::Done
}

/// A guide at the first store.
pub async fn seed_guide(channel: &Channel, admin: &str, record: &mut SeedRecord) -> Step {
    if record.guide.is_some() {
        return Step::Done;
    }
    let Some(store) = record.org.as_ref().and_then(|o| o.stores.first()).cloned() else {
        return Step::Pending("needs the store tree".into());
    };
    let (initial, password) = match (new_password(), new_password()) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return Step::Pending("no random passwords".into()),
    };
    let request = pb::CreateStaffRequest {
        staff: Some(pb::Staff {
            login_name: DEMO_GUIDE.into(),
            display_name: "导购小王".into(),
            primary_org_unit_id: store.id.clone(),
            ..Default::default()
        }),
        initial_password: initial.clone(),
        roles: vec![pb::RoleGrant {
            role: pb::StaffRole::Guide as i32,
            org_unit_id: store.id.clone(),
            ..Default::default()
        }],
    };
    let created = pb::staff_service_client::StaffServiceClient::new(channel.clone())
        .create_staff(authed(request, admin, Some("siyu-dev-seed-guide")))
        .await;
    let staff_id = match created {
        Ok(answer) => answer.into_inner().staff.unwrap_or_default().staff_id,
        Err(status) => return Step::Pending(pending_reason("StaffService.CreateStaff", &status)),
    };
    if let Err(err) = staff_token(channel, DEMO_TENANT, DEMO_GUIDE, &initial, &password).await {
        return Step::Pending(format!("first login of the guide failed: {err:#}"));
    }
    record.guide = Some(StaffSeed {
        staff_id,
        credentials: Credentials {
            login: DEMO_GUIDE.into(),
            password,
        },
        store_id: store.id,
    });
    Step::Done
}

/// A partner client (a POS) with `catalog.read inventory.write`.
pub async fn seed_partner(channel: &Channel, admin: &str, record: &mut SeedRecord) -> Step {
    if record.partner.is_some() {
        return Step::Done;
    }
    let request = pb::CreatePartnerClientRequest {
        client: Some(pb::PartnerClient {
            name: "演示POS".into(),
            description: "The siyu dev demo's point-of-sale system".into(),
            scopes: PARTNER_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }),
    };
    let created = pb::partner_service_client::PartnerServiceClient::new(channel.clone())
        .create_partner_client(authed(request, admin, Some("siyu-dev-seed-partner")))
        .await;
    match created {
        Ok(answer) => {
            let answer = answer.into_inner();
            let client = answer.client.unwrap_or_default();
            record.partner = Some(PartnerSeed {
                client_id: client.client_id,
                client_secret: answer.client_secret,
                scopes: client.scopes,
            });
            Step::Done
        }
        Err(status) => Step::Pending(pending_reason(
            "PartnerService.CreatePartnerClient",
            &status,
        )),
    }
}
