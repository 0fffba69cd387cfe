-- The storefront's product documents (issue 10): each published product rendered once per change into one row,
-- in the wire form the store API shows (every field `fields` can select), with the keys its list filters and
-- orders use and its search vector. A page is one indexed read of this table; no worker holds the whole catalog.
--
-- Every writer keeps it right without knowing it: statement triggers on the product tables note the products a
-- statement touched (transition tables, so a COPY of 100,000 rows is one INSERT ... SELECT), and one deferred
-- trigger per transaction renders them all at commit, in one set-based statement, then NOTIFYs their ids on
-- channel `commerce_catalog` (`*` when there are too many to name).

CREATE TABLE catalog_product (
    id             text PRIMARY KEY,
    handle         text NOT NULL,
    title          text NOT NULL,
    collection_id  text,
    type_id        text,
    channel_ids    text[] NOT NULL,
    category_ids   text[] NOT NULL,
    tag_ids        text[] NOT NULL,
    variant_ids    text[] NOT NULL,
    set_ids        text[] NOT NULL,  -- each variant's price set (NULL where it has none), in variant order
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    search         tsvector NOT NULL,
    search_text    text NOT NULL,    -- lower-cased words for substring (trigram) matches
    document       text NOT NULL     -- JSON
);
CREATE INDEX catalog_product_created_idx ON catalog_product (created_at, id);
CREATE INDEX catalog_product_updated_idx ON catalog_product (updated_at, id);
CREATE INDEX catalog_product_title_idx ON catalog_product (title, id);
CREATE INDEX catalog_product_handle_idx ON catalog_product (handle);
CREATE INDEX catalog_product_collection_idx ON catalog_product (collection_id);
CREATE INDEX catalog_product_type_idx ON catalog_product (type_id);
CREATE INDEX catalog_product_channels_idx ON catalog_product USING gin (channel_ids);
CREATE INDEX catalog_product_categories_idx ON catalog_product USING gin (category_ids);
CREATE INDEX catalog_product_tags_idx ON catalog_product USING gin (tag_ids);
CREATE INDEX catalog_product_variants_idx ON catalog_product USING gin (variant_ids);
CREATE INDEX catalog_product_search_idx ON catalog_product USING gin (search);

-- Trigram matching for partial words, where the server has pg_trgm (the embedded one may not: then `q` still
-- matches substrings, by a scan).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX catalog_product_trgm_idx ON catalog_product USING gin (search_text gin_trgm_ops);
    END IF;
EXCEPTION WHEN insufficient_privilege OR undefined_file THEN
    RAISE NOTICE 'pg_trgm not available: product search matches substrings without an index';
END $$;

-- Timestamps as the API writes them (msgspec's RFC 3339: UTC, 'Z', microseconds only when there are any).
-- STABLE as to_char is: an IMMUTABLE wrapper would not be inlined, and cost two thirds of a render.
CREATE FUNCTION catalog_ts(t timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN t IS NULL THEN NULL
        WHEN date_part('microseconds', t)::bigint % 1000000 = 0
            THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    END
$$;

-- Render these products' documents from the product tables (removing those no longer published), then NOTIFY.
CREATE FUNCTION catalog_render(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- Writers of the same product render one after the other, each seeing the other's committed rows (the next
    -- statement's snapshot is taken after the lock). 256 buckets bound the locks a bulk import takes.
    PERFORM pg_advisory_xact_lock(21, b)
    FROM (SELECT DISTINCT abs(hashtext(x)) % 256 AS b FROM unnest(ids) x ORDER BY 1) s;

    DELETE FROM catalog_product c WHERE c.id = ANY (ids) AND NOT EXISTS (
        SELECT 1 FROM product p WHERE p.id = c.id AND p.deleted_at IS NULL AND p.status = 'published');

    INSERT INTO catalog_product AS c (
        id, handle, title, collection_id, type_id, channel_ids, category_ids, tag_ids, variant_ids, set_ids,
        created_at, updated_at, search, search_text, document)
    -- One product at a time, each relation by its index (LATERAL): linear in the products rendered, whatever the
    -- planner knows of freshly written tables.
    SELECT p.id, p.handle, p.title, p.collection_id, p.type_id,
        COALESCE(ch.channel_ids, '{}'), COALESCE(cat.category_ids, '{}'), COALESCE(tg.tag_ids, '{}'),
        COALESCE(va.variant_ids, '{}'), COALESCE(va.set_ids, '{}'), p.created_at, p.updated_at,
        setweight(to_tsvector('simple', concat_ws(' ', p.title, p.handle, p.subtitle)), 'A')
            || setweight(to_tsvector('simple', concat_ws(' ', va.words, tg.words, cat.words, col.title, ty.value)), 'B')
            || setweight(to_tsvector('simple', coalesce(p.description, '')), 'C'),
        lower(concat_ws(' ', p.title, p.subtitle, p.handle, p.description, va.words, tg.words, cat.words,
            col.title, ty.value)),
        json_build_object(
            'id', p.id, 'title', p.title, 'handle', p.handle, 'subtitle', p.subtitle, 'description', p.description,
            'is_giftcard', p.is_giftcard, 'status', p.status, 'thumbnail', p.thumbnail, 'weight', p.weight,
            'length', p.length, 'height', p.height, 'width', p.width, 'origin_country', p.origin_country,
            'hs_code', p.hs_code, 'mid_code', p.mid_code, 'material', p.material,
            'collection_id', p.collection_id, 'type_id', p.type_id, 'discountable', p.discountable,
            'external_id', p.external_id, 'metadata', p.metadata, 'created_at', catalog_ts(p.created_at),
            'updated_at', catalog_ts(p.updated_at), 'deleted_at', catalog_ts(p.deleted_at),
            'type', CASE WHEN ty.id IS NULL THEN NULL ELSE json_build_object(
                'id', ty.id, 'value', ty.value, 'metadata', ty.metadata, 'created_at', catalog_ts(ty.created_at),
                'updated_at', catalog_ts(ty.updated_at), 'deleted_at', catalog_ts(ty.deleted_at)) END,
            'collection', CASE WHEN col.id IS NULL THEN NULL ELSE json_build_object(
                'id', col.id, 'title', col.title, 'handle', col.handle, 'metadata', col.metadata,
                'created_at', catalog_ts(col.created_at), 'updated_at', catalog_ts(col.updated_at),
                'deleted_at', catalog_ts(col.deleted_at)) END,
            'options', COALESCE(op.options, '[]'::json),
            'tags', COALESCE(tg.tags, '[]'::json),
            'images', COALESCE(im.images, '[]'::json),
            'variants', COALESCE(va.variants, '[]'::json),
            'categories', COALESCE(cat.categories, '[]'::json)
        )::text
    FROM product p
    LEFT JOIN product_type ty ON ty.id = p.type_id AND ty.deleted_at IS NULL
    LEFT JOIN product_collection col ON col.id = p.collection_id AND col.deleted_at IS NULL
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_object(
            'id', o.id, 'product_id', o.product_id, 'title', o.title, 'metadata', o.metadata,
            'created_at', catalog_ts(o.created_at), 'updated_at', catalog_ts(o.updated_at),
            'deleted_at', catalog_ts(o.deleted_at),
            'values', COALESCE((
                SELECT json_agg(json_build_object(
                    'id', v.id, 'option_id', v.option_id, 'value', v.value, 'metadata', v.metadata,
                    'created_at', catalog_ts(v.created_at), 'updated_at', catalog_ts(v.updated_at),
                    'deleted_at', catalog_ts(v.deleted_at)) ORDER BY v.rank, v.id)
                FROM product_option_value v WHERE v.option_id = o.id AND v.deleted_at IS NULL), '[]'::json)
        ) ORDER BY o.created_at, o.id) AS options
        FROM product_option o WHERE o.product_id = p.id AND o.deleted_at IS NULL
    ) op ON true
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_object(
                'id', v.id, 'product_id', v.product_id, 'title', v.title, 'sku', v.sku, 'barcode', v.barcode,
                'ean', v.ean, 'upc', v.upc, 'allow_backorder', v.allow_backorder,
                'manage_inventory', v.manage_inventory, 'hs_code', v.hs_code, 'origin_country', v.origin_country,
                'mid_code', v.mid_code, 'material', v.material, 'weight', v.weight, 'length', v.length,
                'height', v.height, 'width', v.width, 'variant_rank', v.variant_rank, 'thumbnail', v.thumbnail,
                'metadata', v.metadata, 'created_at', catalog_ts(v.created_at),
                'updated_at', catalog_ts(v.updated_at), 'deleted_at', catalog_ts(v.deleted_at),
                'options', COALESCE((
                    SELECT json_agg(json_build_object(
                        'id', ov.id, 'option_id', ov.option_id, 'value', ov.value, 'metadata', ov.metadata,
                        'created_at', catalog_ts(ov.created_at), 'updated_at', catalog_ts(ov.updated_at),
                        'deleted_at', catalog_ts(ov.deleted_at),
                        'option', json_build_object('id', o.id, 'title', o.title, 'product_id', o.product_id)
                    ) ORDER BY o.title)
                    FROM product_variant_option vo
                    JOIN product_option_value ov ON ov.id = vo.option_value_id AND ov.deleted_at IS NULL
                    JOIN product_option o ON o.id = ov.option_id AND o.deleted_at IS NULL
                    WHERE vo.variant_id = v.id), '[]'::json),
                'images', '[]'::json
            ) ORDER BY v.variant_rank, v.created_at, v.id) AS variants,
            array_agg(v.id ORDER BY v.variant_rank, v.created_at, v.id) AS variant_ids,
            array_agg(ps.price_set_id ORDER BY v.variant_rank, v.created_at, v.id) AS set_ids,
            string_agg(concat_ws(' ', v.sku, v.title, v.barcode), ' ') AS words
        FROM product_variant v LEFT JOIN product_variant_price_set ps ON ps.variant_id = v.id
        WHERE v.product_id = p.id AND v.deleted_at IS NULL
    ) va ON true
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_object(
            'id', i.id, 'url', i.url, 'rank', i.rank, 'metadata', i.metadata,
            'created_at', catalog_ts(i.created_at), 'updated_at', catalog_ts(i.updated_at),
            'deleted_at', catalog_ts(i.deleted_at)) ORDER BY i.rank, i.id) AS images
        FROM product_image i WHERE i.product_id = p.id AND i.deleted_at IS NULL
    ) im ON true
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_object(
            'id', t.id, 'value', t.value, 'metadata', t.metadata, 'created_at', catalog_ts(t.created_at),
            'updated_at', catalog_ts(t.updated_at), 'deleted_at', catalog_ts(t.deleted_at)) ORDER BY t.value, t.id)
            AS tags,
            array_agg(t.id ORDER BY t.id) AS tag_ids, string_agg(t.value, ' ') AS words
        FROM product_tags pt JOIN product_tag t ON t.id = pt.product_tag_id AND t.deleted_at IS NULL
        WHERE pt.product_id = p.id
    ) tg ON true
    LEFT JOIN LATERAL (
        SELECT json_agg(json_build_object(
            'id', k.id, 'name', k.name, 'description', k.description, 'handle', k.handle, 'rank', k.rank,
            'parent_category_id', k.parent_category_id, 'metadata', k.metadata,
            'created_at', catalog_ts(k.created_at), 'updated_at', catalog_ts(k.updated_at),
            'deleted_at', catalog_ts(k.deleted_at)) ORDER BY k.rank, k.created_at, k.id) AS categories,
            array_agg(k.id ORDER BY k.id) AS category_ids, string_agg(k.name, ' ') AS words
        FROM product_category_product pc JOIN product_category k ON k.id = pc.product_category_id AND k.deleted_at IS NULL
        WHERE pc.product_id = p.id
    ) cat ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(s.sales_channel_id ORDER BY s.sales_channel_id) AS channel_ids
        FROM product_sales_channel s WHERE s.product_id = p.id
    ) ch ON true
    WHERE p.id = ANY (ids) AND p.deleted_at IS NULL AND p.status = 'published'
    ON CONFLICT (id) DO UPDATE SET
        handle = excluded.handle, title = excluded.title, collection_id = excluded.collection_id,
        type_id = excluded.type_id, channel_ids = excluded.channel_ids, category_ids = excluded.category_ids,
        tag_ids = excluded.tag_ids, variant_ids = excluded.variant_ids, set_ids = excluded.set_ids,
        created_at = excluded.created_at, updated_at = excluded.updated_at, search = excluded.search,
        search_text = excluded.search_text, document = excluded.document;

    PERFORM pg_notify('commerce_catalog',
        CASE WHEN cardinality(ids) > 200 THEN '*' ELSE array_to_string(ids, ',') END);
END $$;

-- The products a transaction touched, rendered at its commit.
CREATE UNLOGGED TABLE catalog_dirty (
    tx          bigint NOT NULL,
    product_id  text NOT NULL,
    PRIMARY KEY (tx, product_id)
);
CREATE UNLOGGED TABLE catalog_pending (tx bigint PRIMARY KEY);

CREATE FUNCTION catalog_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text[];
BEGIN
    DELETE FROM catalog_pending WHERE tx = NEW.tx;
    WITH d AS (DELETE FROM catalog_dirty WHERE tx = NEW.tx RETURNING product_id)
    SELECT array_agg(product_id) INTO touched FROM d;
    IF cardinality(touched) > 500 THEN
        -- A bulk write (import, seed) into tables the planner has no statistics of yet would be rendered with
        -- plans made for empty tables; ANALYZE sees this transaction's own rows.
        ANALYZE product, product_option, product_option_value, product_variant, product_variant_option,
            product_variant_price_set, product_image, product_tags, product_category_product, product_sales_channel;
    END IF;
    PERFORM catalog_render(touched);
    RETURN NULL;
END $$;

-- One row per transaction, so the deferred render runs once however many statements touched products.
CREATE CONSTRAINT TRIGGER catalog_pending_flush AFTER INSERT ON catalog_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalog_flush();

-- TG_ARGV[0]: a query over `ROWS` (the statement's transition table) selecting the touched product ids.
CREATE FUNCTION catalog_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    src text := TG_ARGV[0];
BEGIN
    IF TG_OP <> 'DELETE' THEN
        EXECUTE 'INSERT INTO catalog_dirty (tx, product_id) SELECT DISTINCT txid_current(), t.product_id FROM ('
            || replace(src, 'ROWS', 'new_rows') || ') t (product_id) WHERE t.product_id IS NOT NULL'
            || ' ON CONFLICT DO NOTHING';
    END IF;
    IF TG_OP <> 'INSERT' THEN
        EXECUTE 'INSERT INTO catalog_dirty (tx, product_id) SELECT DISTINCT txid_current(), t.product_id FROM ('
            || replace(src, 'ROWS', 'old_rows') || ') t (product_id) WHERE t.product_id IS NOT NULL'
            || ' ON CONFLICT DO NOTHING';
    END IF;
    INSERT INTO catalog_pending (tx) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('product', 'SELECT id FROM ROWS'),
        ('product_image', 'SELECT product_id FROM ROWS'),
        ('product_option', 'SELECT product_id FROM ROWS'),
        ('product_variant', 'SELECT product_id FROM ROWS'),
        ('product_tags', 'SELECT product_id FROM ROWS'),
        ('product_category_product', 'SELECT product_id FROM ROWS'),
        ('product_sales_channel', 'SELECT product_id FROM ROWS'),
        ('product_option_value', 'SELECT o.product_id FROM ROWS r JOIN product_option o ON o.id = r.option_id'),
        ('product_variant_option', 'SELECT v.product_id FROM ROWS r JOIN product_variant v ON v.id = r.variant_id'),
        ('product_variant_price_set',
            'SELECT v.product_id FROM ROWS r JOIN product_variant v ON v.id = r.variant_id'),
        ('product_category',
            'SELECT l.product_id FROM ROWS r JOIN product_category_product l ON l.product_category_id = r.id'),
        ('product_tag', 'SELECT l.product_id FROM ROWS r JOIN product_tags l ON l.product_tag_id = r.id'),
        ('product_collection', 'SELECT p.id FROM ROWS r JOIN product p ON p.collection_id = r.id'),
        ('product_type', 'SELECT p.id FROM ROWS r JOIN product p ON p.type_id = r.id')
    ) AS s (tbl, src) LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION catalog_touch(%L)', t.tbl || '_catalog_ins', t.tbl, t.src);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION catalog_touch(%L)', t.tbl || '_catalog_upd', t.tbl, t.src);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION catalog_touch(%L)', t.tbl || '_catalog_del', t.tbl, t.src);
    END LOOP;
END $$;

SELECT catalog_render(array_agg(id)) FROM product;
