-- Carts (module: cart): the shopper's scratchpad. Line items snapshot the product and variant when added.

CREATE TABLE cart_address (
    id            text PRIMARY KEY,
    customer_id   text,
    company       text,
    first_name    text,
    last_name     text,
    address_1     text,
    address_2     text,
    city          text,
    country_code  text,
    province      text,
    postal_code   text,
    phone         text,
    metadata      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);

CREATE TABLE cart (
    id                   text PRIMARY KEY,
    region_id            text,
    customer_id          text,
    sales_channel_id     text,
    email                text,
    currency_code        text NOT NULL,
    shipping_address_id  text REFERENCES cart_address (id),
    billing_address_id   text REFERENCES cart_address (id),
    metadata             jsonb,
    completed_at         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);

CREATE TABLE cart_line_item (
    id                     text PRIMARY KEY,
    cart_id                text NOT NULL REFERENCES cart (id) ON DELETE CASCADE,
    title                  text NOT NULL,
    subtitle               text,
    thumbnail              text,
    quantity               integer NOT NULL CHECK (quantity > 0),
    variant_id             text,
    product_id             text,
    product_title          text,
    product_description    text,
    product_subtitle       text,
    product_type           text,
    product_type_id        text,
    product_collection     text,
    product_handle         text,
    variant_sku            text,
    variant_barcode        text,
    variant_title          text,
    variant_option_values  jsonb,
    requires_shipping      boolean NOT NULL DEFAULT true,
    is_discountable        boolean NOT NULL DEFAULT true,
    is_tax_inclusive       boolean NOT NULL DEFAULT false,
    is_custom_price        boolean NOT NULL DEFAULT false,
    compare_at_unit_price  numeric,
    unit_price             numeric NOT NULL CHECK (unit_price >= 0),
    metadata               jsonb,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz
);
CREATE INDEX cart_line_item_cart_idx ON cart_line_item (cart_id, created_at) WHERE deleted_at IS NULL;
