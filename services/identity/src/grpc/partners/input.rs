//! Checks and parsing of PartnerService input: names, descriptions, limits, scopes, IP lists and
//! update masks.

use siyu_proto::identity::v1 as pb;

use crate::app::partners::allow_lists::{check_cidrs, check_scopes};
use crate::app::partners::clients::PartnerSpec;
use crate::error::AppError;

/// What an UpdatePartnerClient request changes.
pub(super) struct UpdateIn {
    /// The client.
    pub id: String,
    /// The etag read.
    pub etag: String,
    /// The masked fields.
    pub spec: PartnerSpec,
    /// Whether issued tokens die.
    pub revoke_tokens: bool,
}

/// Parses an UpdatePartnerClient request.
pub(super) fn update_in(req: &pb::UpdatePartnerClientRequest) -> Result<UpdateIn, AppError> {
    let client = req
        .client
        .as_ref()
        .ok_or_else(|| AppError::invalid("client", "is required"))?;
    let id = required_id(&client.client_id, "client.client_id")?;
    if client.etag.is_empty() {
        return Err(AppError::invalid("client.etag", "is required"));
    }
    let paths = req
        .update_mask
        .as_ref()
        .map(|m| m.paths.clone())
        .unwrap_or_default();
    if paths.is_empty() && !req.revoke_tokens {
        return Err(AppError::invalid("update_mask", "is required"));
    }
    Ok(UpdateIn {
        id,
        etag: client.etag.clone(),
        spec: masked_spec(client, &paths)?,
        revoke_tokens: req.revoke_tokens,
    })
}

pub(super) fn range(value: i32, field: &str, lo: i32, hi: i32) -> Result<Option<i32>, AppError> {
    match value {
        0 => Ok(None),
        v if (lo..=hi).contains(&v) => Ok(Some(v)),
        _ => Err(AppError::invalid(field, &format!("must be {lo}..{hi}"))),
    }
}

pub(super) fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if (1..=64).contains(&name.chars().count()) {
        Ok(name.to_owned())
    } else {
        Err(AppError::invalid("client.name", "must be 1..64 characters"))
    }
}

pub(super) fn check_description(value: &str) -> Result<String, AppError> {
    if value.chars().count() <= 512 {
        Ok(value.to_owned())
    } else {
        Err(AppError::invalid(
            "client.description",
            "must be at most 512 characters",
        ))
    }
}

pub(super) fn scopes(c: &pb::PartnerClient) -> Result<Vec<String>, AppError> {
    if c.scopes.is_empty() {
        return Err(AppError::invalid(
            "client.scopes",
            "at least one scope is required",
        ));
    }
    check_scopes(&c.scopes, "client.scopes")?;
    let mut scopes = c.scopes.clone();
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

pub(super) fn ips(c: &pb::PartnerClient) -> Result<Vec<String>, AppError> {
    if c.ip_allow_list.len() > 100 {
        return Err(AppError::invalid(
            "client.ip_allow_list",
            "at most 100 entries",
        ));
    }
    check_cidrs(&c.ip_allow_list, "client.ip_allow_list")?;
    Ok(c.ip_allow_list
        .iter()
        .map(|s| s.trim().to_owned())
        .collect())
}

/// Every settable field of `c` (CreatePartnerClient).
pub(super) fn full_spec(c: &pb::PartnerClient) -> Result<PartnerSpec, AppError> {
    Ok(PartnerSpec {
        name: Some(check_name(&c.name)?),
        description: Some(check_description(&c.description)?),
        scopes: Some(scopes(c)?),
        rate_limit_per_minute: range(
            c.rate_limit_per_minute,
            "client.rate_limit_per_minute",
            1,
            100_000,
        )?,
        rate_limit_burst: range(c.rate_limit_burst, "client.rate_limit_burst", 1, 10_000)?,
        ip_allow_list: Some(ips(c)?),
        token_ttl_secs: range(c.token_ttl_seconds, "client.token_ttl_seconds", 300, 7200)?,
    })
}

/// The fields named by an update mask.
pub(super) fn masked_spec(
    c: &pb::PartnerClient,
    paths: &[String],
) -> Result<PartnerSpec, AppError> {
    let mut spec = PartnerSpec::default();
    for path in paths {
        match path.as_str() {
            "name" => spec.name = Some(check_name(&c.name)?),
            "description" => spec.description = Some(check_description(&c.description)?),
            "scopes" => spec.scopes = Some(scopes(c)?),
            "rate_limit_per_minute" => {
                spec.rate_limit_per_minute = Some(
                    range(
                        c.rate_limit_per_minute,
                        "client.rate_limit_per_minute",
                        1,
                        100_000,
                    )?
                    .unwrap_or(600),
                );
            }
            "rate_limit_burst" => {
                spec.rate_limit_burst = Some(
                    range(c.rate_limit_burst, "client.rate_limit_burst", 1, 10_000)?.unwrap_or(60),
                );
            }
            "ip_allow_list" => spec.ip_allow_list = Some(ips(c)?),
            "token_ttl_seconds" => {
                spec.token_ttl_secs = Some(
                    range(c.token_ttl_seconds, "client.token_ttl_seconds", 300, 7200)?
                        .unwrap_or(3600),
                );
            }
            _ => return Err(AppError::invalid("update_mask", "has an unknown path")),
        }
    }
    Ok(spec)
}

/// A required client id, parsed at the boundary (as text for the app).
pub(super) fn required_id(id: &str, field: &str) -> Result<String, AppError> {
    crate::grpc::ids::id(field, id).map(|id| id.to_string())
}
