//! ListNearbyStores on the wire: the point, radius and SKU filter parsed into a [`Nearby`].

use siyu_proto::catalog::v1 as pb;

use super::bound_page;
use crate::AppError;
use crate::app::MAX_QUANTITY;
use crate::app::storefront::nearby::{Nearby, NearbyCursor};
use crate::grpc::convert::{geo, opt_id, required};

/// Radius when none is given, metres.
const DEFAULT_RADIUS_M: i32 = 20_000;
/// Largest radius, metres.
const MAX_RADIUS_M: i32 = 100_000;

/// The nearby-stores query of a request whose page tokens are bound to `list`.
pub(super) fn nearby_in(req: &pb::ListNearbyStoresRequest, list: &str) -> Result<Nearby, AppError> {
    let at = geo("location", required("location", req.location.as_ref())?)?;
    let radius_m = match req.radius_meters {
        0 => DEFAULT_RADIUS_M,
        r if (1..=MAX_RADIUS_M).contains(&r) => r,
        _ => {
            return Err(AppError::invalid(
                "radius_meters",
                format!("must be 1..{MAX_RADIUS_M} (0 = {DEFAULT_RADIUS_M})"),
            ));
        }
    };
    let quantity = match req.quantity {
        0 => 1,
        q if (1..=MAX_QUANTITY).contains(&q) => q,
        _ => {
            return Err(AppError::invalid(
                "quantity",
                format!("must be 0..{MAX_QUANTITY}"),
            ));
        }
    };
    let page = bound_page::<NearbyCursor>(list, req.page.as_ref())?;
    Ok(Nearby {
        at,
        radius_m,
        sku: opt_id("sku_id", &req.sku_id)?,
        quantity,
        include_out_of_stock: req.include_out_of_stock,
        size: usize::try_from(page.size).unwrap_or(usize::MAX),
        after: page.after,
    })
}
