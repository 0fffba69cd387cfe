-- Inventory (module: inventory): every worker keeps the flash-sale settings in memory (a small table: the products
-- on flash sale), so an ordinary add-to-cart needs no read of them; a change NOTIFYs as the catalog's tables do.
CREATE TRIGGER inventory_hold_policy_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON inventory_hold_policy
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
