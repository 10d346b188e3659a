-- A large tenant's storefront read model (20,000 products, 50 stores, 1,000 categories,
-- Chinese titles: 2,020,000 rows) and EXPLAIN (ANALYZE, BUFFERS) of each storefront query as
-- `repo::storefront::shelf_page` / `shelf_count` issue them. Run on a scratch database:
--   createdb sf_bench && psql -d sf_bench -f services/catalog/bench/storefront_large.sql
-- The tables are those of migration m20250705_000001_storefront.
\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DROP TABLE IF EXISTS cat_storefront, cat_storefront_terms;
CREATE TABLE cat_storefront (
    tenant UUID NOT NULL, scope UUID NOT NULL, channel SMALLINT NOT NULL, product_id UUID NOT NULL,
    title TEXT NOT NULL, main_image TEXT NOT NULL, category_path TEXT NOT NULL,
    search_text TEXT NOT NULL, newest BIGINT NOT NULL, sales BIGINT NOT NULL,
    unit_min BIGINT NOT NULL, unit_max BIGINT NOT NULL, in_stock BOOLEAN NOT NULL,
    reprice_at_ms BIGINT, PRIMARY KEY (tenant, product_id, scope, channel));
CREATE TABLE cat_storefront_terms (tenant UUID NOT NULL, term TEXT NOT NULL,
    product_id UUID NOT NULL, PRIMARY KEY (tenant, term, product_id));

-- Products: a word from each list, so 面膜 matches 1 in 10 products and 补水面膜 1 in 80.
CREATE TEMP TABLE products AS
SELECT md5('p' || g)::uuid AS id,
       (ARRAY['补水','保湿','美白','控油','舒缓','修护','紧致','滋润'])[1 + g % 8]
       || (ARRAY['面膜','口红','精华','防晒','眼霜','粉底','乳液','爽肤水','洁面','香水'])[1 + (g / 8) % 10]
       || ' 第' || g || '款' AS title,
       md5('r' || (g % 20))::uuid::text || '/' || md5('c' || (g % 1000))::uuid::text AS category_path,
       1750000000000 + (g * 7919 % 100000) * 1000 AS newest,
       g * 31 % 5000 AS sales,
       100 + (g * 104729 % 99900) AS price
FROM generate_series(1, 20000) g;
CREATE TEMP TABLE scopes AS
SELECT '00000000-0000-0000-0000-000000000000'::uuid AS scope, 1::smallint AS channel, 0 AS n
UNION ALL
SELECT md5('s' || s)::uuid, c::smallint, s FROM generate_series(1, 50) s, generate_series(1, 2) c;

INSERT INTO cat_storefront
SELECT '11111111-1111-1111-1111-111111111111', sc.scope, sc.channel, p.id, p.title, '',
       p.category_path, lower(p.title), p.newest, p.sales,
       -- Store prices differ from the online price for one store in five.
       CASE WHEN sc.n % 5 = 1 THEN p.price * 9 / 10 ELSE p.price END,
       CASE WHEN sc.n % 5 = 1 THEN p.price * 12 / 10 ELSE p.price * 13 / 10 END,
       sc.n > 0 AND (hashtext(p.id::text || sc.n) % 10) <> 0, NULL
FROM products p, scopes sc;

INSERT INTO cat_storefront_terms
SELECT DISTINCT '11111111-1111-1111-1111-111111111111'::uuid, substr(w, i, l), p.id
FROM products p, regexp_split_to_table(lower(p.title), '\s+') w,
     generate_series(1, 12) i, generate_series(1, 2) l
WHERE i + l - 1 <= char_length(w);

CREATE INDEX cat_storefront_price ON cat_storefront (tenant, scope, channel, unit_min, product_id);
CREATE INDEX cat_storefront_newest ON cat_storefront (tenant, scope, channel, newest, product_id);
CREATE INDEX cat_storefront_sales ON cat_storefront (tenant, scope, channel, sales, product_id);
CREATE INDEX cat_storefront_category ON cat_storefront (tenant, scope, channel, category_path, product_id);
CREATE INDEX cat_storefront_reprice ON cat_storefront (tenant, reprice_at_ms);
CREATE INDEX cat_storefront_search ON cat_storefront USING gin (search_text gin_trgm_ops);
VACUUM ANALYZE cat_storefront;
VACUUM ANALYZE cat_storefront_terms;

\echo '== first page, browse online, price ascending (page query)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
SELECT p.product_id AS id, p.unit_min AS k FROM cat_storefront p
WHERE p.tenant = '11111111-1111-1111-1111-111111111111' AND p.scope = '00000000-0000-0000-0000-000000000000' AND p.channel = 1
ORDER BY p.unit_min ASC, p.product_id ASC LIMIT 21;

\echo '== first page count (capped at 10,000)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM cat_storefront p
WHERE p.tenant = '11111111-1111-1111-1111-111111111111' AND p.scope = '00000000-0000-0000-0000-000000000000' AND p.channel = 1 LIMIT 10000) t;

\echo '== a page 10,000 rows deep (keyset), price descending'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
SELECT p.product_id AS id, p.unit_min AS k FROM cat_storefront p
WHERE p.tenant = '11111111-1111-1111-1111-111111111111' AND p.scope = '00000000-0000-0000-0000-000000000000' AND p.channel = 1
  AND (p.unit_min, p.product_id) < (50000, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
ORDER BY p.unit_min DESC, p.product_id DESC LIMIT 21;

\echo '== store 7, POS, in stock, price between 100.00 and 200.00 yuan, newest first'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
SELECT p.product_id AS id, p.newest AS k FROM cat_storefront p
WHERE p.tenant = '11111111-1111-1111-1111-111111111111' AND p.scope = md5('s7')::uuid AND p.channel = 2
  AND p.unit_min >= 10000 AND p.unit_min <= 20000 AND p.in_stock = TRUE
ORDER BY p.newest DESC, p.product_id DESC LIMIT 21;

\echo '== category subtree browse (root 3: 50 categories, 1,000 products), sales'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
SELECT p.product_id AS id, p.sales AS k FROM cat_storefront p
WHERE p.tenant = '11111111-1111-1111-1111-111111111111' AND p.scope = '00000000-0000-0000-0000-000000000000' AND p.channel = 1
  AND (p.category_path = md5('r3')::uuid::text OR p.category_path LIKE md5('r3')::uuid::text || '/%')
ORDER BY p.sales DESC, p.product_id DESC LIMIT 21;

\echo '== search 面膜 (2 characters: terms lookup), relevance'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
SELECT t.id, t.k FROM (SELECT p.product_id AS id, CAST((CASE WHEN LOWER(p.title) LIKE '%面膜%' THEN 2 ELSE 0 END
  + CASE WHEN p.search_text LIKE '%面膜%' THEN 1 ELSE 0 END) AS BIGINT) AS k
  FROM cat_storefront p
  WHERE p.tenant = '11111111-1111-1111-1111-111111111111' AND p.scope = '00000000-0000-0000-0000-000000000000' AND p.channel = 1
    AND p.product_id IN (SELECT x.product_id FROM cat_storefront_terms x
      WHERE x.tenant = '11111111-1111-1111-1111-111111111111' AND x.term = '面膜')) t
ORDER BY t.k DESC, t.id DESC LIMIT 21;

\echo '== search 补水面膜 (4 characters: trigram index), relevance'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
SELECT t.id, t.k FROM (SELECT p.product_id AS id, CAST(((CASE WHEN LOWER(p.title) LIKE '%补水面膜%' THEN 2 ELSE 0 END
  + CASE WHEN p.search_text LIKE '%补水面膜%' THEN 1 ELSE 0 END) * 1000000
  + CAST(word_similarity('补水面膜', p.search_text) * 1000000 AS BIGINT)) AS BIGINT) AS k
  FROM cat_storefront p
  WHERE p.tenant = '11111111-1111-1111-1111-111111111111' AND p.scope = '00000000-0000-0000-0000-000000000000' AND p.channel = 1
    AND ((p.search_text LIKE '%补水面膜%') OR '补水面膜' <% p.search_text)) t
ORDER BY t.k DESC, t.id DESC LIMIT 21;
