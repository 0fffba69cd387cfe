-- Change notifications on the customer tables (for per-worker readers of customer data; /store/customers/me reads through).
CREATE TRIGGER customer_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER customer_address_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_address
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER customer_group_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_group
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER customer_group_customer_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_group_customer
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
