//! The catalog proper: categories, products (SPU), SKUs. Nested lists (media, attributes, specs,
//! member prices) are stored as JSON text: they are always read and written with their product
//! or SKU, never queried by themselves.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Deepest allowed category level.
pub const MAX_CATEGORY_DEPTH: usize = 5;

/// A category of the tenant's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Id.
    pub id: Uuid,
    /// Parent; `None` for roots.
    pub parent: Option<Uuid>,
    /// Display name, unique among siblings.
    pub name: String,
    /// Icon or banner.
    pub image_url: String,
    /// Position among siblings.
    pub sort_order: i32,
    /// Hidden from consumers.
    pub hidden: bool,
    /// Ids from the root down to this category (inclusive).
    pub path: Vec<Uuid>,
    /// Products directly in it (filled by reads that need it).
    pub product_count: i32,
}

/// `path` as stored: ids joined by '/'.
pub fn path_string(path: &[Uuid]) -> String {
    path.iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

/// Parses a stored path ('' = empty).
pub fn parse_path(s: &str) -> Vec<Uuid> {
    s.split('/')
        .filter_map(|p| Uuid::parse_str(p).ok())
        .collect()
}

/// The status of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductStatus {
    /// Being edited.
    Draft = 1,
    /// 上架.
    OnSale = 2,
    /// 下架.
    OffSale = 3,
}

impl TryFrom<i16> for ProductStatus {
    type Error = String;
    fn try_from(v: i16) -> Result<Self, String> {
        match v {
            1 => Ok(Self::Draft),
            2 => Ok(Self::OnSale),
            3 => Ok(Self::OffSale),
            other => Err(format!("product status {other}")),
        }
    }
}

/// A picture or video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// 1 image, 2 video (proto MediaKind).
    pub kind: i32,
    /// URL.
    pub url: String,
    /// Cover of a video.
    pub cover_url: String,
    /// Alt text.
    pub alt: String,
}

/// A descriptive attribute (参数).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A spec dimension (规格) and its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecDimension {
    /// Name, e.g. 颜色.
    pub name: String,
    /// Values in display order.
    pub values: Vec<String>,
}

/// One dimension's value of a SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecValue {
    /// Dimension name.
    pub dimension: String,
    /// Value.
    pub value: String,
}

/// An explicit member price for a tier, in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierPrice {
    /// membership's tier code.
    pub tier_code: String,
    /// Price in fen (> 0).
    pub price: i64,
}

/// How an assortment's store list is read (proto StoreMode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// Every store.
    All = 1,
    /// Only the listed stores.
    Selected = 2,
    /// All but the listed stores.
    Excluded = 3,
    /// No store.
    None = 4,
}

impl StoreMode {
    /// From the stored / wire number (0 = ALL, as the proto says).
    pub fn from_i32(v: i32) -> Option<Self> {
        match v {
            0 | 1 => Some(Self::All),
            2 => Some(Self::Selected),
            3 => Some(Self::Excluded),
            4 => Some(Self::None),
            _ => None,
        }
    }
}

/// A SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku {
    /// Id.
    pub id: Uuid,
    /// Product.
    pub product_id: Uuid,
    /// Spec values (one per dimension).
    pub specs: Vec<SpecValue>,
    /// 货号, '' = none.
    pub sku_code: String,
    /// Barcode, '' = none.
    pub barcode: String,
    /// Grams.
    pub weight_grams: i32,
    /// 划线价 in fen; `None` = not shown.
    pub list_price: Option<i64>,
    /// 售价 in fen (> 0).
    pub sale_price: i64,
    /// Explicit member prices.
    pub member_prices: Vec<TierPrice>,
    /// Whether tier discounts apply.
    pub member_discount_eligible: bool,
    /// Own image; '' = the product's main image.
    pub image_url: String,
    /// Sellable at all.
    pub enabled: bool,
    /// Product title + spec values.
    pub title: String,
    /// Assortment: sold online.
    pub online: bool,
    /// Assortment: how the store list is read.
    pub store_mode: StoreMode,
}

/// A store's own price for a SKU (门店价), valid in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePrice {
    /// SKU.
    pub sku_id: Uuid,
    /// Store.
    pub store_id: Uuid,
    /// Fen.
    pub price: i64,
    /// From, ms.
    pub valid_from_ms: i64,
    /// Until (exclusive), ms.
    pub valid_until_ms: Option<i64>,
}

/// The display title of a SKU: the product title and its spec values.
pub fn sku_title(product_title: &str, specs: &[SpecValue]) -> String {
    let mut t = product_title.to_owned();
    for s in specs {
        t.push(' ');
        t.push_str(&s.value);
    }
    t
}

/// A product (SPU).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// Category.
    pub category_id: Option<Uuid>,
    /// The category's path, root first (the category last).
    pub category_path: Vec<Uuid>,
    /// Brand.
    pub brand: String,
    /// Media; the first image is the main picture.
    pub media: Vec<Media>,
    /// Attributes.
    pub attributes: Vec<Attribute>,
    /// Spec dimensions.
    pub spec_dimensions: Vec<SpecDimension>,
    /// Markdown body.
    pub description: String,
    /// Extra search keywords.
    pub keywords: Vec<String>,
    /// Status.
    pub status: ProductStatus,
    /// SKUs (filled by detail reads).
    pub skus: Vec<Sku>,
    /// Units sold in 30 days.
    pub sales_30d: i32,
    /// Created, ms.
    pub created_at_ms: i64,
    /// First time on sale, ms.
    pub first_on_sale_at_ms: Option<i64>,
    /// Updated, ms.
    pub updated_at_ms: i64,
}

impl Product {
    /// The main image: the first image among the media.
    pub fn main_image(&self) -> &str {
        self.media
            .iter()
            .find(|m| m.kind == 1)
            .map_or("", |m| m.url.as_str())
    }

    /// What keyword search matches: lower-cased title, subtitle, brand, keywords and the spec
    /// values, space-separated.
    pub fn search_text(&self) -> String {
        let mut parts: Vec<&str> = vec![&self.title, &self.subtitle, &self.brand];
        parts.extend(self.keywords.iter().map(String::as_str));
        for d in &self.spec_dimensions {
            parts.extend(d.values.iter().map(String::as_str));
        }
        normalize(&parts.join(" "))
    }
}

/// Normalises text for search: lower case, whitespace collapsed. Applied to the stored text
/// and to queries alike.
pub fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
