-- Inventory (module: inventory): "sold out" reaches every worker within milliseconds. The stock read model reloads at
-- most every 100 ms under checkout traffic; when a level's available quantity (its row's plus its buckets') reaches
-- zero, this NOTIFY (payload `inventory_sold_out`, sent at commit) makes every worker reload it at once, so they refuse
-- add-to-cart and checkout of a sold-out variant from memory.

CREATE FUNCTION inventory_notify_sold_out() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    level_id text;
BEGIN
    IF TG_TABLE_NAME = 'inventory_level_bucket' THEN
        level_id := NEW.level_id;
    ELSE
        level_id := NEW.id;
    END IF;
    IF (SELECT stocked_quantity - reserved_quantity FROM inventory_level_total t WHERE t.id = level_id) <= 0 THEN
        PERFORM pg_notify('commerce_changes', 'inventory_sold_out');
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER inventory_level_sold_out AFTER UPDATE ON inventory_level FOR EACH ROW
    WHEN (OLD.stocked_quantity - OLD.reserved_quantity > 0 AND NEW.stocked_quantity - NEW.reserved_quantity <= 0)
    EXECUTE FUNCTION inventory_notify_sold_out();
CREATE TRIGGER inventory_level_bucket_sold_out AFTER UPDATE ON inventory_level_bucket FOR EACH ROW
    WHEN (OLD.stocked_quantity - OLD.reserved_quantity > 0 AND NEW.stocked_quantity - NEW.reserved_quantity <= 0)
    EXECUTE FUNCTION inventory_notify_sold_out();
