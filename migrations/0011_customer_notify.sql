-- Per-worker caches of customer profiles follow changes to the customer tables.
CREATE TRIGGER customer_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER customer_address_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_address
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER customer_group_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_group
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER customer_group_customer_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_group_customer
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
