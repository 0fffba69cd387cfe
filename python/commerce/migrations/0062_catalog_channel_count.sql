-- First priced page at any catalog size (issue 10): the store's product list, with no filter but its sales channel,
-- returns Medusa's exact `count`, which counting catalog_product visits every product of the channel (300-360 ms at
-- 200k products, on each worker's first page after a start or a catalog change). catalog_channel_count holds each
-- channel's published products, kept by statement triggers on catalog_product (every writer renders through it):
-- one primary-key read. A statement that changes no product's channels changes no count (and locks no count row).
CREATE TABLE catalog_channel_count (
    channel_id text PRIMARY KEY,
    products   bigint NOT NULL
);

CREATE FUNCTION catalog_channel_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Rows in channel order: writers of several channels take their count rows in the same order.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO catalog_channel_count AS c (channel_id, products)
        SELECT ch, count(*) FROM new_rows, unnest(channel_ids) ch GROUP BY ch ORDER BY ch
        ON CONFLICT (channel_id) DO UPDATE SET products = c.products + excluded.products;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE catalog_channel_count c SET products = c.products - d.n
        FROM (SELECT ch, count(*) AS n FROM old_rows, unnest(channel_ids) ch GROUP BY ch) d
        WHERE c.channel_id = d.ch;
    ELSE
        INSERT INTO catalog_channel_count AS c (channel_id, products)
        SELECT ch, sum(n) FROM (
            SELECT ch, 1 AS n FROM new_rows, unnest(channel_ids) ch
            UNION ALL
            SELECT ch, -1 FROM old_rows, unnest(channel_ids) ch
        ) d GROUP BY ch HAVING sum(n) <> 0 ORDER BY ch
        ON CONFLICT (channel_id) DO UPDATE SET products = c.products + excluded.products;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER catalog_channel_count_ins AFTER INSERT ON catalog_product REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_channel_count_apply();
CREATE TRIGGER catalog_channel_count_upd AFTER UPDATE ON catalog_product
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_channel_count_apply();
CREATE TRIGGER catalog_channel_count_del AFTER DELETE ON catalog_product REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_channel_count_apply();

-- SHARE: no product written between the triggers above and this count, which they carry on from.
LOCK TABLE catalog_product IN SHARE MODE;
INSERT INTO catalog_channel_count (channel_id, products)
SELECT ch, count(*) FROM catalog_product, unnest(channel_ids) ch GROUP BY ch;
