-- Carts (module: cart): the cart's documents (lines, shipping methods, addresses) as json, not jsonb. Every cart
-- change writes its lines whole and a change on a worker without its own copy reads them back whole, and nothing
-- queries inside them (the cart repository is their only reader, by primary key): jsonb paid its parse into the
-- binary form on every write (its input function, ~10 % of an UPDATE's PostgreSQL CPU by perf) and its printing back
-- to text on every read, for operators nobody uses. json keeps the text the server wrote (checked as JSON on input,
-- returned as it is), so a cart's lines also read back in the order they were written.

ALTER TABLE cart
    ALTER COLUMN items TYPE json USING items::json,
    ALTER COLUMN shipping_methods TYPE json USING shipping_methods::json,
    ALTER COLUMN shipping_address TYPE json USING shipping_address::json,
    ALTER COLUMN billing_address TYPE json USING billing_address::json;

-- As 0052: lz4 where the server has it, for a row too big for its page.
DO $$
BEGIN
    IF 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[]) THEN
        ALTER TABLE cart
            ALTER COLUMN items SET COMPRESSION lz4,
            ALTER COLUMN shipping_methods SET COMPRESSION lz4;
    END IF;
END
$$;
