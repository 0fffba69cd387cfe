-- Cart tax lines (module: cart), computed from the tax module when the cart changes (automatic taxes) or when
-- the storefront asks (POST /store/carts/:id/taxes).
CREATE TABLE cart_line_item_tax_line (
    id           text PRIMARY KEY,
    cart_id      text NOT NULL REFERENCES cart (id) ON DELETE CASCADE,
    item_id      text NOT NULL REFERENCES cart_line_item (id) ON DELETE CASCADE,
    rate         numeric NOT NULL,
    code         text,
    name         text,
    tax_rate_id  text,
    provider_id  text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cart_line_item_tax_line_cart_idx ON cart_line_item_tax_line (cart_id);
