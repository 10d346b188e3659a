//! The demo tenant's data: a small store network in Shanghai and Hangzhou and a catalog of
//! about fifty products, generated deterministically so every fresh data directory looks alike.

/// One demo store.
#[derive(Debug, Clone, Copy)]
pub struct DemoStore {
    /// Short code, unique in the tenant.
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// City (also the region it belongs to).
    pub city: &'static str,
    /// Street address.
    pub detail: &'static str,
    /// WGS-84 latitude.
    pub latitude: f64,
    /// WGS-84 longitude.
    pub longitude: f64,
}

/// One demo region and its stores.
#[derive(Debug, Clone, Copy)]
pub struct DemoRegion {
    /// Short code.
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Province of its stores.
    pub province: &'static str,
    /// The stores.
    pub stores: &'static [DemoStore],
}

/// HQ → two regions → four stores.
pub const REGIONS: &[DemoRegion] = &[
    DemoRegion {
        code: "sh",
        name: "上海大区",
        province: "上海市",
        stores: &[
            DemoStore {
                code: "sh-nanjingxilu",
                name: "南京西路店",
                city: "上海市",
                detail: "静安区南京西路1266号",
                latitude: 31.2304,
                longitude: 121.4553,
            },
            DemoStore {
                code: "sh-lujiazui",
                name: "陆家嘴店",
                city: "上海市",
                detail: "浦东新区世纪大道8号",
                latitude: 31.2397,
                longitude: 121.4998,
            },
        ],
    },
    DemoRegion {
        code: "hz",
        name: "杭州大区",
        province: "浙江省",
        stores: &[
            DemoStore {
                code: "hz-hubin",
                name: "湖滨店",
                city: "杭州市",
                detail: "上城区延安路258号",
                latitude: 30.2590,
                longitude: 120.1650,
            },
            DemoStore {
                code: "hz-binjiang",
                name: "滨江店",
                city: "杭州市",
                detail: "滨江区江南大道228号",
                latitude: 30.2084,
                longitude: 120.2120,
            },
        ],
    },
];

/// The warehouse serving both regions (Kunshan, between the two cities).
pub const WAREHOUSE: DemoStore = DemoStore {
    code: "wh-kunshan",
    name: "华东仓",
    city: "苏州市",
    detail: "昆山市花桥镇物流园1号",
    latitude: 31.3856,
    longitude: 121.0470,
};

/// Categories and the product names in each; every product gets two colours.
pub const CATEGORIES: &[(&str, &[&str])] = &[
    (
        "上衣",
        &[
            "纯棉圆领T恤",
            "亚麻短袖衬衫",
            "法式条纹衫",
            "重磅卫衣",
            "针织开衫",
            "牛津纺衬衫",
            "落肩毛衣",
            "宽松Polo衫",
            "连帽防风夹克",
            "羊毛西装外套",
        ],
    ),
    (
        "裤装",
        &[
            "直筒牛仔裤",
            "高腰阔腿裤",
            "休闲工装裤",
            "九分西裤",
            "运动束脚裤",
            "灯芯绒长裤",
            "亚麻短裤",
            "百褶半身裙",
            "A字牛仔裙",
            "针织半身裙",
        ],
    ),
    (
        "鞋履",
        &[
            "经典帆布鞋",
            "复古跑鞋",
            "乐福鞋",
            "切尔西靴",
            "一字凉鞋",
            "德训鞋",
            "老爹鞋",
            "玛丽珍鞋",
            "马丁靴",
            "编织拖鞋",
        ],
    ),
    (
        "包袋",
        &[
            "帆布托特包",
            "迷你斜挎包",
            "双肩电脑包",
            "腋下包",
            "水桶包",
            "零钱包",
            "旅行袋",
            "腰包",
            "手拿包",
            "卡包",
        ],
    ),
    (
        "配饰",
        &[
            "羊绒围巾",
            "棒球帽",
            "渔夫帽",
            "真皮腰带",
            "针织手套",
            "丝巾",
            "袜子三双装",
            "发夹套装",
            "太阳镜",
            "编织手链",
        ],
    ),
];

/// The two colours of every demo product.
pub const COLOURS: [&str; 2] = ["黑色", "米白"];

/// The sale price, in fen, of the `n`-th product (0-based): 59–598 yuan, stable per index.
pub fn price_fen(n: usize) -> i64 {
    let yuan = 59 + (n as i64 * 37) % 540;
    yuan * 100
}

/// Units of each SKU received at a location: plenty in the warehouse, a few in stores
/// (some SKUs none, so "in stock nearby" filters have something to filter).
pub fn stock_units(sku_index: usize, location_index: usize, warehouse: bool) -> i32 {
    if warehouse {
        return 200;
    }
    let spread = (sku_index * 7 + location_index * 3) % 13;
    if spread == 0 { 0 } else { spread as i32 + 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_products_with_positive_prices() {
        let products: usize = CATEGORIES.iter().map(|(_, names)| names.len()).sum();
        assert_eq!(products, 50);
        assert!((0..products).all(|n| price_fen(n) >= 5_900));
        let stores: usize = REGIONS.iter().map(|r| r.stores.len()).sum();
        assert_eq!(stores, 4);
        assert!((0..100).any(|s| stock_units(s, 0, false) == 0));
    }
}
