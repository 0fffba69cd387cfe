-- Bulk import (issue 10, >= 2,000 products/s): a writer that turns the product tables' triggers off for its rows
-- (commerce.db.triggers) renders their documents itself, with what the deferred flush of migrations 0021/0050 did
-- at commit, now one function both call: catalog_render_many.

-- The same statistics rule as 0050's catalog_flush: a bulk write into tables whose statistics predate it is
-- ANALYZEd before its render (and the documents after), only when the catalog has outgrown its statistics.
CREATE FUNCTION catalog_render_many(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    stale boolean;
BEGIN
    stale := cardinality(ids) > 500
        AND (SELECT reltuples FROM pg_class WHERE oid = 'product'::regclass) < cardinality(ids);
    IF stale THEN
        ANALYZE product, product_option, product_option_value, product_variant, product_variant_option,
            product_variant_price_set, product_image, product_tags, product_category_product, product_sales_channel;
    END IF;
    PERFORM catalog_render(ids);
    IF stale THEN
        ANALYZE catalog_product;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION catalog_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text[];
BEGIN
    DELETE FROM catalog_pending WHERE tx = NEW.tx;
    WITH d AS (DELETE FROM catalog_dirty WHERE tx = NEW.tx RETURNING product_id)
    SELECT array_agg(product_id) INTO touched FROM d;
    PERFORM catalog_render_many(touched);
    RETURN NULL;
END $$;

-- Documents (~6 KB of JSON each for a 3-variant product) compressed with lz4 where the server has it: pglz took
-- 13 % of a bulk render's CPU (perf), and lz4 also reads back faster. Rows keep the method they were written with.
DO $$
BEGIN
    ALTER TABLE catalog_product ALTER COLUMN document SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 not available: product documents stay compressed with pglz';
END $$;
