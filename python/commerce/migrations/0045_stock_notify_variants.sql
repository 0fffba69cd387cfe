-- Inventory (module: inventory): the storefront's stock is read per request for the variants a page shows and kept
-- per worker variant by variant (catalog.stock), so a change of levels names the variants it moves: their ids,
-- comma-separated, on channel `commerce_stock` at commit (`*` when too many to list, or on TRUNCATE). A worker then
-- drops those variants only, instead of reloading every level after every reservation.

CREATE FUNCTION inventory_notify_stock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text;
BEGIN
    -- LATERAL: index lookups per changed row, whatever the planner guesses of a transition table's size.
    IF TG_TABLE_NAME = 'inventory_level_bucket' THEN
        SELECT string_agg(DISTINCT l.variant_id, ',') INTO ids
        FROM (SELECT DISTINCT level_id FROM changed) c
        CROSS JOIN LATERAL (SELECT inventory_item_id FROM inventory_level WHERE id = c.level_id) lv
        CROSS JOIN LATERAL (
            SELECT variant_id FROM product_variant_inventory_item WHERE inventory_item_id = lv.inventory_item_id
        ) l;
    ELSE
        SELECT string_agg(DISTINCT l.variant_id, ',') INTO ids
        FROM (SELECT DISTINCT inventory_item_id FROM changed) c
        CROSS JOIN LATERAL (
            SELECT variant_id FROM product_variant_inventory_item WHERE inventory_item_id = c.inventory_item_id
        ) l;
    END IF;
    IF ids IS NOT NULL THEN
        -- NOTIFY payloads stop at 8000 bytes: past that, every variant.
        PERFORM pg_notify('commerce_stock', CASE WHEN length(ids) > 7000 THEN '*' ELSE ids END);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION inventory_notify_stock_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('commerce_stock', '*');
    RETURN NULL;
END;
$$;

CREATE TRIGGER inventory_level_stock_insert AFTER INSERT ON inventory_level
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION inventory_notify_stock();
CREATE TRIGGER inventory_level_stock_update AFTER UPDATE ON inventory_level
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION inventory_notify_stock();
CREATE TRIGGER inventory_level_stock_delete AFTER DELETE ON inventory_level
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION inventory_notify_stock();
CREATE TRIGGER inventory_level_stock_truncate AFTER TRUNCATE ON inventory_level
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_notify_stock_all();
CREATE TRIGGER inventory_level_bucket_stock_insert AFTER INSERT ON inventory_level_bucket
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION inventory_notify_stock();
CREATE TRIGGER inventory_level_bucket_stock_update AFTER UPDATE ON inventory_level_bucket
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION inventory_notify_stock();
CREATE TRIGGER inventory_level_bucket_stock_delete AFTER DELETE ON inventory_level_bucket
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION inventory_notify_stock();
CREATE TRIGGER inventory_level_bucket_stock_truncate AFTER TRUNCATE ON inventory_level_bucket
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_notify_stock_all();
