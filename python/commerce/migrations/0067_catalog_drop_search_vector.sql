-- Bulk import (issue 10, >= 2,000 products/s): catalog_product's `search` vector goes. Nothing has read it since
-- migration 0056 (search reads catalog_search), yet every render built it (to_tsvector of each product's words), and
-- a bulk import that writes its documents itself (commerce.product.bulk_documents) would have had to as well.
-- catalog_render is 0050's without it: the documents and every other column are the same.
ALTER TABLE catalog_product DROP COLUMN search;

CREATE OR REPLACE FUNCTION catalog_render(ids text[]) RETURNS void LANGUAGE plpgsql
SET jit = off SET random_page_cost = 1.1 AS $$
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

    -- EXECUTE: planned for this call's ids (one product or a whole import), never a cached plan made for another.
    EXECUTE $render$
    WITH p AS MATERIALIZED (
        SELECT * FROM product WHERE id = ANY ($1) AND deleted_at IS NULL AND status = 'published'
    ),
    v AS MATERIALIZED (
        SELECT v.* FROM product_variant v JOIN p ON p.id = v.product_id WHERE v.deleted_at IS NULL
    ),
    vopt AS (
        SELECT vo.variant_id, json_agg(json_build_object(
                'id', ov.id, 'option_id', ov.option_id, 'value', ov.value, 'metadata', ov.metadata,
                'created_at', catalog_ts(ov.created_at), 'updated_at', catalog_ts(ov.updated_at),
                'deleted_at', catalog_ts(ov.deleted_at),
                'option', json_build_object('id', o.id, 'title', o.title, 'product_id', o.product_id)
            ) ORDER BY o.title) AS options
        FROM v
        JOIN product_variant_option vo ON vo.variant_id = v.id
        JOIN product_option_value ov ON ov.id = vo.option_value_id AND ov.deleted_at IS NULL
        JOIN product_option o ON o.id = ov.option_id AND o.deleted_at IS NULL
        GROUP BY vo.variant_id
    ),
    va AS (
        SELECT v.product_id,
            json_agg(json_build_object(
                'id', v.id, 'product_id', v.product_id, 'title', v.title, 'sku', v.sku, 'barcode', v.barcode,
                'ean', v.ean, 'upc', v.upc, 'allow_backorder', v.allow_backorder,
                'manage_inventory', v.manage_inventory, 'hs_code', v.hs_code, 'origin_country', v.origin_country,
                'mid_code', v.mid_code, 'material', v.material, 'weight', v.weight, 'length', v.length,
                'height', v.height, 'width', v.width, 'variant_rank', v.variant_rank, 'thumbnail', v.thumbnail,
                'metadata', v.metadata, 'created_at', catalog_ts(v.created_at),
                'updated_at', catalog_ts(v.updated_at), 'deleted_at', catalog_ts(v.deleted_at),
                'options', COALESCE(vopt.options, '[]'::json),
                'images', '[]'::json
            ) ORDER BY v.variant_rank, v.created_at, v.id) AS variants,
            array_agg(v.id ORDER BY v.variant_rank, v.created_at, v.id) AS variant_ids,
            array_agg(ps.price_set_id ORDER BY v.variant_rank, v.created_at, v.id) AS set_ids,
            string_agg(concat_ws(' ', v.sku, v.title, v.barcode), ' ' ORDER BY v.variant_rank, v.created_at, v.id)
                AS words
        FROM v
        LEFT JOIN product_variant_price_set ps ON ps.variant_id = v.id
        LEFT JOIN vopt ON vopt.variant_id = v.id
        GROUP BY v.product_id
    ),
    ovals AS (
        SELECT ov.option_id, json_agg(json_build_object(
                'id', ov.id, 'option_id', ov.option_id, 'value', ov.value, 'metadata', ov.metadata,
                'created_at', catalog_ts(ov.created_at), 'updated_at', catalog_ts(ov.updated_at),
                'deleted_at', catalog_ts(ov.deleted_at)) ORDER BY ov.rank, ov.id) AS vals
        FROM p
        JOIN product_option o ON o.product_id = p.id AND o.deleted_at IS NULL
        JOIN product_option_value ov ON ov.option_id = o.id AND ov.deleted_at IS NULL
        GROUP BY ov.option_id
    ),
    op AS (
        SELECT o.product_id, json_agg(json_build_object(
                'id', o.id, 'product_id', o.product_id, 'title', o.title, 'metadata', o.metadata,
                'created_at', catalog_ts(o.created_at), 'updated_at', catalog_ts(o.updated_at),
                'deleted_at', catalog_ts(o.deleted_at),
                'values', COALESCE(ovals.vals, '[]'::json)
            ) ORDER BY o.created_at, o.id) AS options
        FROM p
        JOIN product_option o ON o.product_id = p.id AND o.deleted_at IS NULL
        LEFT JOIN ovals ON ovals.option_id = o.id
        GROUP BY o.product_id
    ),
    im AS (
        SELECT i.product_id, json_agg(json_build_object(
                'id', i.id, 'url', i.url, 'rank', i.rank, 'metadata', i.metadata,
                'created_at', catalog_ts(i.created_at), 'updated_at', catalog_ts(i.updated_at),
                'deleted_at', catalog_ts(i.deleted_at)) ORDER BY i.rank, i.id) AS images
        FROM p JOIN product_image i ON i.product_id = p.id AND i.deleted_at IS NULL
        GROUP BY i.product_id
    ),
    tg AS (
        SELECT pt.product_id, json_agg(json_build_object(
                'id', t.id, 'value', t.value, 'metadata', t.metadata, 'created_at', catalog_ts(t.created_at),
                'updated_at', catalog_ts(t.updated_at), 'deleted_at', catalog_ts(t.deleted_at)
            ) ORDER BY t.value, t.id) AS tags,
            array_agg(t.id ORDER BY t.id) AS tag_ids, string_agg(t.value, ' ' ORDER BY t.value, t.id) AS words
        FROM p
        JOIN product_tags pt ON pt.product_id = p.id
        JOIN product_tag t ON t.id = pt.product_tag_id AND t.deleted_at IS NULL
        GROUP BY pt.product_id
    ),
    cat AS (
        SELECT pc.product_id, json_agg(json_build_object(
                'id', k.id, 'name', k.name, 'description', k.description, 'handle', k.handle, 'rank', k.rank,
                'parent_category_id', k.parent_category_id, 'metadata', k.metadata,
                'created_at', catalog_ts(k.created_at), 'updated_at', catalog_ts(k.updated_at),
                'deleted_at', catalog_ts(k.deleted_at)) ORDER BY k.rank, k.created_at, k.id) AS categories,
            array_agg(k.id ORDER BY k.id) AS category_ids,
            string_agg(k.name, ' ' ORDER BY k.rank, k.created_at, k.id) AS words
        FROM p
        JOIN product_category_product pc ON pc.product_id = p.id
        JOIN product_category k ON k.id = pc.product_category_id AND k.deleted_at IS NULL
        GROUP BY pc.product_id
    ),
    ch AS (
        SELECT s.product_id, array_agg(s.sales_channel_id ORDER BY s.sales_channel_id) AS channel_ids
        FROM p JOIN product_sales_channel s ON s.product_id = p.id
        GROUP BY s.product_id
    )
    INSERT INTO catalog_product AS c (
        id, handle, title, collection_id, type_id, channel_ids, category_ids, tag_ids, variant_ids, set_ids,
        created_at, updated_at, search_text, document)
    SELECT p.id, p.handle, p.title, p.collection_id, p.type_id,
        COALESCE(ch.channel_ids, '{}'), COALESCE(cat.category_ids, '{}'), COALESCE(tg.tag_ids, '{}'),
        COALESCE(va.variant_ids, '{}'), COALESCE(va.set_ids, '{}'), p.created_at, p.updated_at,
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
    FROM p
    LEFT JOIN product_type ty ON ty.id = p.type_id AND ty.deleted_at IS NULL
    LEFT JOIN product_collection col ON col.id = p.collection_id AND col.deleted_at IS NULL
    LEFT JOIN op ON op.product_id = p.id
    LEFT JOIN va ON va.product_id = p.id
    LEFT JOIN im ON im.product_id = p.id
    LEFT JOIN tg ON tg.product_id = p.id
    LEFT JOIN cat ON cat.product_id = p.id
    LEFT JOIN ch ON ch.product_id = p.id
    ON CONFLICT (id) DO UPDATE SET
        handle = excluded.handle, title = excluded.title, collection_id = excluded.collection_id,
        type_id = excluded.type_id, channel_ids = excluded.channel_ids, category_ids = excluded.category_ids,
        tag_ids = excluded.tag_ids, variant_ids = excluded.variant_ids, set_ids = excluded.set_ids,
        created_at = excluded.created_at, updated_at = excluded.updated_at,
        search_text = excluded.search_text, document = excluded.document
    $render$ USING ids;

    PERFORM pg_notify('commerce_catalog',
        CASE WHEN cardinality(ids) > 200 THEN '*' ELSE array_to_string(ids, ',') END);
END $$;
