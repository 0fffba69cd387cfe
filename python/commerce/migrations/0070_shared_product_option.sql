-- Medusa 2.21's shared product options (/admin/product-options, `is_exclusive: false`): an option with no product.
-- The catalog triggers skip a NULL product_id, so a shared option renders no document until a product uses it.
ALTER TABLE product_option ALTER COLUMN product_id DROP NOT NULL;
CREATE UNIQUE INDEX product_option_shared_title_unique ON product_option (title)
    WHERE product_id IS NULL AND deleted_at IS NULL;
