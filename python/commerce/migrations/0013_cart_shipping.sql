-- Cart shipping methods (module: cart): the option the shopper picked, its amount for the cart, and its tax lines.
CREATE TABLE cart_shipping_method (
    id                  text PRIMARY KEY,
    cart_id             text NOT NULL REFERENCES cart (id) ON DELETE CASCADE,
    shipping_option_id  text NOT NULL,
    name                text NOT NULL,
    amount              numeric NOT NULL CHECK (amount >= 0),
    is_tax_inclusive    boolean NOT NULL DEFAULT false,
    data                jsonb NOT NULL DEFAULT '{}',
    tax_lines           jsonb NOT NULL DEFAULT '[]',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cart_shipping_method_cart_idx ON cart_shipping_method (cart_id);
