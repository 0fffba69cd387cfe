-- Carts (module: cart) become one row each: the line items (each with its adjustments and tax lines), the shipping
-- methods, the entered promotion codes and the two addresses live in the cart row as JSONB, with a `version` for
-- optimistic concurrency. A cart change is one read and one conditional write (`... WHERE id = $1 AND version =
-- $2`), instead of a transaction of 13-19 round trips over six tables (issue 11). Money in the documents is a JSON
-- string of the exact decimal, timestamps ISO 8601 in UTC, as the server writes them.

ALTER TABLE cart
    ADD COLUMN version           integer NOT NULL DEFAULT 0,
    ADD COLUMN items             jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN shipping_methods  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN promo_codes       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN shipping_address  jsonb,
    ADD COLUMN billing_address   jsonb,
    -- GET /store/carts/:id sends this (the JSON its last change answered, less what other modules own); NULL:
    -- rendered on demand (carts converted here, completed carts).
    ADD COLUMN rendered          bytea;

CREATE FUNCTION pg_temp.cart_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE FUNCTION pg_temp.cart_address(address_id text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', a.id, 'customer_id', a.customer_id, 'company', a.company, 'first_name', a.first_name,
        'last_name', a.last_name, 'address_1', a.address_1, 'address_2', a.address_2, 'city', a.city,
        'country_code', a.country_code, 'province', a.province, 'postal_code', a.postal_code, 'phone', a.phone,
        'metadata', a.metadata, 'created_at', pg_temp.cart_time(a.created_at),
        'updated_at', pg_temp.cart_time(a.updated_at), 'deleted_at', NULL)
    FROM cart_address a WHERE a.id = address_id
$$;

-- The carts there are, converted: every live line with its adjustments and tax lines, in the order they were shown.
UPDATE cart c SET
    items = coalesce((
        SELECT jsonb_agg(
            jsonb_build_object(
                'id', i.id, 'cart_id', i.cart_id, 'title', i.title, 'subtitle', i.subtitle, 'thumbnail', i.thumbnail,
                'quantity', i.quantity, 'variant_id', i.variant_id, 'product_id', i.product_id,
                'product_title', i.product_title, 'product_description', i.product_description,
                'product_subtitle', i.product_subtitle, 'product_type', i.product_type,
                'product_type_id', i.product_type_id, 'product_collection', i.product_collection,
                'product_handle', i.product_handle, 'variant_sku', i.variant_sku, 'variant_barcode', i.variant_barcode,
                'variant_title', i.variant_title, 'variant_option_values', i.variant_option_values,
                'requires_shipping', i.requires_shipping, 'is_discountable', i.is_discountable,
                'is_tax_inclusive', i.is_tax_inclusive, 'is_custom_price', i.is_custom_price,
                'compare_at_unit_price', i.compare_at_unit_price::text, 'unit_price', i.unit_price::text,
                'metadata', i.metadata, 'created_at', pg_temp.cart_time(i.created_at),
                'updated_at', pg_temp.cart_time(i.updated_at), 'deleted_at', NULL,
                'adjustments', coalesce((
                    SELECT jsonb_agg(jsonb_build_object(
                        'id', a.id, 'item_id', a.item_id, 'amount', a.amount::text, 'code', a.code,
                        'promotion_id', a.promotion_id, 'is_tax_inclusive', a.is_tax_inclusive
                    ) ORDER BY a.promotion_id, a.id)
                    FROM cart_line_item_adjustment a WHERE a.item_id = i.id), '[]'),
                'tax_lines', coalesce((
                    SELECT jsonb_agg(jsonb_build_object(
                        'id', t.id, 'item_id', t.item_id, 'rate', t.rate::text, 'code', t.code, 'name', t.name,
                        'tax_rate_id', t.tax_rate_id, 'provider_id', t.provider_id
                    ) ORDER BY t.id)
                    FROM cart_line_item_tax_line t WHERE t.item_id = i.id), '[]')
            ) ORDER BY i.created_at, i.id)
        FROM cart_line_item i WHERE i.cart_id = c.id AND i.deleted_at IS NULL), '[]'),
    shipping_methods = coalesce((
        SELECT jsonb_agg(jsonb_build_object(
            'id', m.id, 'cart_id', m.cart_id, 'shipping_option_id', m.shipping_option_id, 'name', m.name,
            'amount', m.amount::text, 'is_tax_inclusive', m.is_tax_inclusive, 'data', m.data,
            'tax_lines', (SELECT coalesce(jsonb_agg(x - 'rate' || jsonb_build_object('rate', (x ->> 'rate'))), '[]')
                          FROM jsonb_array_elements(m.tax_lines) x),
            'created_at', pg_temp.cart_time(m.created_at), 'updated_at', pg_temp.cart_time(m.updated_at)
        ) ORDER BY m.created_at, m.id)
        FROM cart_shipping_method m WHERE m.cart_id = c.id), '[]'),
    promo_codes = ARRAY(SELECT p.code FROM cart_promotion p WHERE p.cart_id = c.id ORDER BY p.created_at, p.code),
    shipping_address = pg_temp.cart_address(c.shipping_address_id),
    billing_address = pg_temp.cart_address(c.billing_address_id);

-- What the rows above replace. Nothing else reads these tables: the order keeps its own copy of what it was sold.
ALTER TABLE cart DROP COLUMN shipping_address_id, DROP COLUMN billing_address_id;
DROP TABLE cart_line_item_tax_line;
DROP TABLE cart_line_item_adjustment;
DROP TABLE cart_shipping_method;
DROP TABLE cart_promotion;
DROP TABLE cart_line_item;
DROP TABLE cart_address;
