//! Spawns the service on port 0 against a fresh database and mints tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, Statement, Value};
use siyu_auth::{Audience, Claims, RoleClaim, SigningKey};
use siyu_catalog::settings::Settings;
use siyu_catalog::{Application, Overrides};
use siyu_catalog_migration::Migrator;
use siyu_core::{Clock, ManualClock, PrincipalKind, TenantId};
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use siyu_proto::catalog::v1::inventory_service_client::InventoryServiceClient;
use siyu_server::GuestTenants;
use siyu_server::access::GuestFuture;
use siyu_testkit::TestDb;
use tonic::transport::Channel;
use uuid::Uuid;

#[allow(dead_code, reason = "kept alive for the test")]
pub struct H {
    pub db: TestDb,
    pub app: Application,
    pub clock: ManualClock,
    key: SigningKey,
    pub channel: Channel,
    apps: Apps,
}

/// The mini-program apps guests name, standing in for identity's ResolveTenantByAppId.
#[derive(Clone, Default)]
struct Apps(Arc<Mutex<HashMap<String, TenantId>>>);

impl GuestTenants for Apps {
    fn tenant_of<'a>(&'a self, app_id: &'a str) -> GuestFuture<'a> {
        let tenant = self.0.lock().unwrap().get(app_id).copied();
        Box::pin(async move { tenant.ok_or_else(|| tonic::Status::not_found("APP_NOT_FOUND")) })
    }
}

impl H {
    pub async fn pg() -> Self {
        Self::start(TestDb::postgres::<Migrator>().await.unwrap()).await
    }

    pub async fn sqlite() -> Self {
        Self::start(TestDb::sqlite::<Migrator>().await.unwrap()).await
    }

    /// Postgres plus the test NATS, with the background jobs (relay, expiry, orders consumer)
    /// running; returns a handle on the same bus for publishing orders' events.
    pub async fn pg_with_bus() -> (Self, siyu_store::Bus) {
        let (bus, config) = siyu_testkit::test_bus().await.unwrap();
        let db = TestDb::postgres::<Migrator>().await.unwrap();
        (Self::start_with(db, Some(config)).await, bus)
    }

    async fn start(db: TestDb) -> Self {
        Self::start_with(db, None).await
    }

    async fn start_with(db: TestDb, bus: Option<siyu_store::BusConfig>) -> Self {
        let key = SigningKey::ed25519_from_seed("k1", &[7u8; 32]).unwrap();
        let mut s = Settings {
            database: siyu_config::DatabaseSettings::new(db.url()),
            ..Settings::default()
        };
        s.database.max_connections = 20;
        s.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
        s.server.admin_addr = "127.0.0.1:0".parse().unwrap();
        s.catalog.run_jobs = false;
        if let Some(b) = bus {
            s.bus.url = siyu_testkit::env::nats_url().into();
            s.bus.subject_prefix = b.subject_prefix;
            s.bus.stream = b.stream;
            s.catalog.run_jobs = true;
        }
        let clock = ManualClock::new(chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap());
        let apps = Apps::default();
        let app = Application::build_with(
            s,
            Overrides {
                clock: Some(Arc::new(clock.clone())),
                jwks: Some(SigningKey::jwks([&key])),
                guests: Some(Arc::new(apps.clone())),
            },
        )
        .await
        .unwrap();
        let channel = Channel::from_shared(format!("http://{}", app.grpc_addr()))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            db,
            app,
            clock,
            key,
            channel,
            apps,
        }
    }

    /// A mini-program app of `tenant` that guests can name.
    pub fn app_id(&self, tenant: TenantId) -> String {
        let app = format!("wx{}", &siyu_core::id::new().simple().to_string()[16..]);
        self.apps.0.lock().unwrap().insert(app.clone(), tenant);
        app
    }

    pub fn client(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel.clone())
    }

    pub fn app_layer(&self) -> siyu_catalog::app::App {
        siyu_catalog::app::App::new(self.db.db.clone(), Arc::new(self.clock.clone()))
    }

    pub fn token(
        &self,
        tenant: TenantId,
        kind: PrincipalKind,
        roles: &[(&str, String)],
        scopes: &[&str],
    ) -> String {
        let now = self.clock.now().timestamp();
        self.key
            .sign(&Claims {
                sub: format!("{kind:?}-1").to_lowercase(),
                tenant,
                kind,
                roles: roles
                    .iter()
                    .map(|(r, o)| RoleClaim {
                        role: (*r).into(),
                        org: o.clone(),
                    })
                    .collect(),
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                exp: now + 3600,
                nbf: None,
                iat: now,
                iss: "siyu-identity".into(),
                aud: Audience::One("siyu".into()),
                jti: siyu_core::id::new_string(),
                client_id: (kind == PrincipalKind::Partner).then(|| "partner-1".into()),
            })
            .unwrap()
    }

    #[allow(dead_code, reason = "for tests that seed by SQL")]
    pub async fn exec(&self, sql: &str, values: Vec<Value>) {
        let b = self.db.db.get_database_backend();
        self.db
            .db
            .execute_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .unwrap();
    }

    /// A sellable (published) single-SKU product of `tenant`, created through CatalogService;
    /// returns the SKU id.
    pub async fn sku(&self, tenant: TenantId) -> Uuid {
        let admin = self.token(
            tenant,
            PrincipalKind::Staff,
            &[("tenant_admin", siyu_core::id::new_string())],
            &[],
        );
        let p = self.product(&admin, "T", &[("", 100)]).await;
        self.catalog()
            .publish_product(with(
                pb::PublishProductRequest {
                    product_id: p.product_id.clone(),
                },
                &admin,
            ))
            .await
            .unwrap();
        p.skus[0].sku_id.parse().unwrap()
    }

    pub fn catalog(&self) -> CatalogServiceClient<Channel> {
        CatalogServiceClient::new(self.channel.clone())
    }

    /// A category (root) of the token's tenant.
    pub async fn category(&self, admin: &str, name: &str, parent: &str) -> pb::Category {
        self.catalog()
            .create_category(with(
                pb::CreateCategoryRequest {
                    category: Some(pb::Category {
                        name: name.into(),
                        parent_id: parent.into(),
                        ..Default::default()
                    }),
                },
                admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .category
            .unwrap()
    }

    /// A DRAFT product titled `title` in a fresh category, with one SKU per (colour, price):
    /// colour "" means a single SKU without specs.
    pub async fn product(&self, admin: &str, title: &str, skus: &[(&str, i64)]) -> pb::Product {
        let cat = self
            .category(
                admin,
                &format!("类目{}", &siyu_core::id::new_string()[24..]),
                "",
            )
            .await;
        self.catalog()
            .create_product(with(
                pb::CreateProductRequest {
                    product: Some(product_msg(&cat.category_id, title, skus)),
                },
                admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .product
            .unwrap()
    }

    pub async fn scalar(&self, sql: &str, values: Vec<Value>) -> i64 {
        let b = self.db.db.get_database_backend();
        let row = self
            .db
            .db
            .query_one_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
            .unwrap()
    }
}

pub fn with<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// A call without a token naming the mini-program app `app` (a guest).
pub fn guest<T>(msg: T, app: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("x-siyu-app-id", app.parse().unwrap());
    r
}

/// The first BadRequest field violation of an INVALID_ARGUMENT status ("" when none).
pub fn field(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

pub fn reason(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

/// A tenant with an HQ root, one store under it, and an admin token.
pub struct Tenant {
    pub id: TenantId,
    pub root: Uuid,
    pub admin: String,
    pub service: String,
}

impl Tenant {
    pub async fn new(h: &H) -> Self {
        let id = TenantId(siyu_core::id::new());
        let root = siyu_core::id::new();
        let admin = h.token(
            id,
            PrincipalKind::Staff,
            &[("tenant_admin", root.to_string())],
            &[],
        );
        let service = h.token(id, PrincipalKind::Service, &[], &[]);
        Self {
            id,
            root,
            admin,
            service,
        }
    }

    /// Creates a store under the root at (lat, 121.47); returns its id.
    pub async fn store(&self, h: &H, lat: f64) -> Uuid {
        let id = siyu_core::id::new();
        let loc = pb::Location {
            location_id: id.to_string(),
            kind: pb::LocationKind::Store as i32,
            name: format!("店{id}"),
            org_path: format!("{}/{id}", self.root),
            address: Some(siyu_proto::common::v1::Address {
                location: Some(siyu_proto::common::v1::GeoPoint {
                    latitude: lat,
                    longitude: 121.47,
                }),
                ..Default::default()
            }),
            pickup_enabled: true,
            delivery_enabled: true,
            delivery_radius_meters: 5_000,
            ..Default::default()
        };
        h.client()
            .create_location(with(
                pb::CreateLocationRequest {
                    location: Some(loc),
                },
                &self.admin,
            ))
            .await
            .unwrap();
        id
    }

    pub async fn receive(&self, h: &H, loc: Uuid, sku: Uuid, q: i32) {
        h.client()
            .receive_stock(with(
                pb::ReceiveStockRequest {
                    location_id: loc.to_string(),
                    lines: vec![pb::SkuQuantity {
                        sku_id: sku.to_string(),
                        quantity: q,
                    }],
                    ..Default::default()
                },
                &self.admin,
            ))
            .await
            .unwrap();
    }
}

pub fn reserve_req(order: Uuid, loc: Uuid, lines: &[(Uuid, i32)]) -> pb::ReserveStockRequest {
    pb::ReserveStockRequest {
        order_id: order.to_string(),
        lines: lines
            .iter()
            .map(|(s, q)| pb::ReservationLine {
                sku_id: s.to_string(),
                quantity: *q,
                location_id: String::new(),
            })
            .collect(),
        allocation: Some(pb::AllocationPolicy {
            target: Some(pb::allocation_policy::Target::LocationId(loc.to_string())),
            ..Default::default()
        }),
        ttl_seconds: 0,
        revive: false,
    }
}

/// Asserts the stock invariant and that the journal sums to on_hand, for every pair.
pub async fn assert_invariants(h: &H) {
    let bad = h
        .scalar(
            "SELECT COUNT(*) FROM inv_stock WHERE reserved < 0 OR on_hand < reserved",
            vec![],
        )
        .await;
    assert_eq!(bad, 0, "available < 0 somewhere");
    let drift = h
        .scalar(
            "SELECT COUNT(*) FROM inv_stock s WHERE s.on_hand <> COALESCE((SELECT SUM(m.quantity) FROM inv_movements m \
             WHERE m.tenant = s.tenant AND m.sku_id = s.sku_id AND m.location_id = s.location_id), 0)",
            vec![],
        )
        .await;
    assert_eq!(drift, 0, "journal does not sum to on_hand");
}

pub fn cny(minor: i64) -> Option<siyu_proto::common::v1::Money> {
    Some(siyu_proto::common::v1::Money {
        minor_units: minor,
        currency_code: "CNY".into(),
    })
}

/// A product message with one image and one SKU per (colour, price).
pub fn product_msg(category: &str, title: &str, skus: &[(&str, i64)]) -> pb::Product {
    let colours: Vec<String> = skus
        .iter()
        .filter(|(c, _)| !c.is_empty())
        .map(|(c, _)| (*c).to_owned())
        .collect();
    pb::Product {
        title: title.into(),
        category_id: category.into(),
        media: vec![pb::Media {
            kind: pb::MediaKind::Image as i32,
            url: "https://cdn.example/p.jpg".into(),
            ..Default::default()
        }],
        spec_dimensions: if colours.is_empty() {
            vec![]
        } else {
            vec![pb::SpecDimension {
                name: "颜色".into(),
                values: colours,
            }]
        },
        skus: skus
            .iter()
            .map(|(c, price)| pb::Sku {
                specs: if c.is_empty() {
                    vec![]
                } else {
                    vec![pb::SpecValue {
                        dimension: "颜色".into(),
                        value: (*c).into(),
                    }]
                },
                sale_price: cny(*price),
                enabled: true,
                member_discount_eligible: true,
                weight_grams: 200,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
