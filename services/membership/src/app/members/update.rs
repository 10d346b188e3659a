//! UpdateMember: the profile fields membership owns, by field mask, with who may change what
//! (the contract's table): consumers their card name and an empty birthday; partners birthday,
//! card name, attributes and home store; staff everything. Changing the status or a set
//! birthday needs a reason; every change is recorded in the member's audit trail.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::domain::{Member, MemberId, MemberStatus};
use crate::app::{App, callers};
use crate::{AppError, repo};

/// At most this many custom attributes per member.
pub const MAX_ATTRIBUTES: usize = 50;

/// One update-mask path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Path {
    /// `birthday`.
    Birthday,
    /// `card_holder_name`.
    CardHolderName,
    /// `home_store_id`.
    HomeStore,
    /// `attributes`: the whole map.
    Attributes,
    /// `attributes.<key>`: one key (an empty value deletes it).
    Attribute(String),
    /// `remark`.
    Remark,
    /// `status` (ACTIVE ⇄ FROZEN).
    Status,
}

impl Path {
    /// The mask path, for audit and refusals.
    pub fn name(&self) -> String {
        match self {
            Self::Birthday => "birthday".into(),
            Self::CardHolderName => "card_holder_name".into(),
            Self::HomeStore => "home_store_id".into(),
            Self::Attributes => "attributes".into(),
            Self::Attribute(k) => format!("attributes.{k}"),
            Self::Remark => "remark".into(),
            Self::Status => "status".into(),
        }
    }
}

/// An UpdateMember request, parsed (values validated at the edge).
#[derive(Debug, Clone)]
pub struct Update {
    /// The member (consumers: their own).
    pub member_id: Option<MemberId>,
    /// The paths to apply.
    pub paths: Vec<Path>,
    /// New birthday.
    pub birthday: String,
    /// New card holder name.
    pub card_holder_name: String,
    /// New home store.
    pub home_store_id: Option<Uuid>,
    /// New attributes (whole map, or the source of single keys).
    pub attributes: BTreeMap<String, String>,
    /// New remark.
    pub remark: String,
    /// New status (ACTIVE or FROZEN).
    pub status: Option<MemberStatus>,
    /// Why.
    pub reason: String,
}

/// Whether `kind` may change `path` of `m`.
fn may_change(kind: PrincipalKind, path: &Path, m: &Member) -> bool {
    match kind {
        PrincipalKind::Staff | PrincipalKind::Service => true,
        PrincipalKind::Partner => matches!(
            path,
            Path::Birthday
                | Path::CardHolderName
                | Path::Attributes
                | Path::Attribute(_)
                | Path::HomeStore
        ),
        // No attribute keys are marked consumer-editable yet (that is tenant configuration to
        // come), so consumers change their card name and a birthday not yet set.
        PrincipalKind::Consumer => match path {
            Path::CardHolderName => true,
            Path::Birthday => m.birthday.is_empty(),
            _ => false,
        },
    }
}

impl App {
    /// UpdateMember.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn update_member(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        u: Update,
    ) -> Result<Member, AppError> {
        let mut m = callers::member(conn, ctx, u.member_id, true).await?;
        if m.status == MemberStatus::Closed {
            return Err(AppError::MemberClosed);
        }
        if let Some(denied) = u
            .paths
            .iter()
            .find(|p| !may_change(ctx.principal.kind, p, &m))
        {
            return Err(AppError::FieldNotEditable(denied.name()));
        }
        let status_changes = u.paths.contains(&Path::Status) && u.status != Some(m.status);
        let birthday_changes =
            u.paths.contains(&Path::Birthday) && !m.birthday.is_empty() && u.birthday != m.birthday;
        if (status_changes || birthday_changes) && u.reason.trim().chars().count() < 2 {
            return Err(AppError::invalid(
                "reason",
                "required when changing the status or a set birthday",
            ));
        }
        for path in &u.paths {
            match path {
                Path::Birthday => m.birthday.clone_from(&u.birthday),
                Path::CardHolderName => m.card_holder_name.clone_from(&u.card_holder_name),
                Path::HomeStore => m.home_store_id = u.home_store_id,
                Path::Attributes => m.attributes.clone_from(&u.attributes),
                Path::Attribute(key) => match u.attributes.get(key).filter(|v| !v.is_empty()) {
                    Some(v) => {
                        m.attributes.insert(key.clone(), v.clone());
                    }
                    None => {
                        m.attributes.remove(key);
                    }
                },
                Path::Remark => m.remark.clone_from(&u.remark),
                Path::Status => {
                    if let Some(s) = u.status {
                        m.status = s;
                    }
                }
            }
        }
        if m.attributes.len() > MAX_ATTRIBUTES {
            return Err(AppError::invalid(
                "member.attributes",
                format!("at most {MAX_ATTRIBUTES} attributes per member"),
            ));
        }
        let now_ms = self.now_ms();
        m.updated_at_ms = now_ms;
        repo::members::update(conn, ctx.tenant, &m).await?;
        let fields: Vec<String> = u.paths.iter().map(Path::name).collect();
        repo::members::audit(
            conn,
            ctx.tenant,
            m.id,
            &fields,
            &u.reason,
            &callers::operator(ctx),
            now_ms,
        )
        .await?;
        Ok(m)
    }
}
