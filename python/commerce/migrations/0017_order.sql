-- Orders (module: order): the snapshot of a completed cart — its lines with their product/variant snapshot,
-- adjustments and tax lines, shipping methods with theirs, and addresses — plus, per line, the quantities
-- fulfilled, shipped and delivered so far (Medusa's order_item "detail"). Totals are not stored: they are computed
-- from the snapshot by the same engine function that totals the cart, so they equal the cart's at checkout.
-- Links, as Medusa's link module keeps them: order ↔ cart (UNIQUE cart: a cart becomes at most one order, which is
-- what makes checkout idempotent), ↔ payment collection, ↔ promotion, ↔ fulfillment.

CREATE SEQUENCE order_display_id_seq;

CREATE TABLE order_address (
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

CREATE TABLE "order" (
    id                   text PRIMARY KEY,
    display_id           integer NOT NULL DEFAULT nextval('order_display_id_seq'),
    version              integer NOT NULL DEFAULT 1,
    status               text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'completed', 'draft', 'archived', 'canceled', 'requires_action')),
    is_draft_order       boolean NOT NULL DEFAULT false,
    region_id            text,
    customer_id          text,
    sales_channel_id     text,
    email                text,
    currency_code        text NOT NULL,
    shipping_address_id  text REFERENCES order_address (id),
    billing_address_id   text REFERENCES order_address (id),
    no_notification      boolean NOT NULL DEFAULT false,
    metadata             jsonb,
    canceled_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
ALTER SEQUENCE order_display_id_seq OWNED BY "order".display_id;
CREATE UNIQUE INDEX order_display_id_idx ON "order" (display_id);
CREATE INDEX order_live_idx ON "order" (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX order_customer_idx ON "order" (customer_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX order_email_idx ON "order" (lower(email)) WHERE deleted_at IS NULL;

CREATE TABLE order_line_item (
    id                     text PRIMARY KEY,
    order_id               text NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
    title                  text NOT NULL,
    subtitle               text,
    thumbnail              text,
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
    quantity               integer NOT NULL CHECK (quantity > 0),
    metadata               jsonb,
    position               integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz
);
CREATE INDEX order_line_item_order_idx ON order_line_item (order_id, position);

-- Medusa's order_item: the quantities of one line in the order's current version. The CHECKs are the last line of
-- defence; the service's conditional UPDATEs keep them (a flow never sees a constraint error for a normal refusal).
CREATE TABLE order_item (
    id                          text PRIMARY KEY,
    order_id                    text NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
    item_id                     text NOT NULL UNIQUE REFERENCES order_line_item (id) ON DELETE CASCADE,
    version                     integer NOT NULL DEFAULT 1,
    quantity                    integer NOT NULL CHECK (quantity > 0),
    fulfilled_quantity          integer NOT NULL DEFAULT 0,
    shipped_quantity            integer NOT NULL DEFAULT 0,
    delivered_quantity          integer NOT NULL DEFAULT 0,
    return_requested_quantity   integer NOT NULL DEFAULT 0,
    return_received_quantity    integer NOT NULL DEFAULT 0,
    return_dismissed_quantity   integer NOT NULL DEFAULT 0,
    written_off_quantity        integer NOT NULL DEFAULT 0,
    metadata                    jsonb,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT order_item_fulfilled_check CHECK (fulfilled_quantity BETWEEN 0 AND quantity),
    CONSTRAINT order_item_shipped_check CHECK (shipped_quantity BETWEEN 0 AND fulfilled_quantity),
    CONSTRAINT order_item_delivered_check CHECK (delivered_quantity BETWEEN 0 AND fulfilled_quantity),
    CONSTRAINT order_item_returns_check CHECK (
        return_requested_quantity >= 0 AND return_received_quantity >= 0 AND return_dismissed_quantity >= 0
        AND written_off_quantity >= 0
    )
);
CREATE INDEX order_item_order_idx ON order_item (order_id);

CREATE TABLE order_line_item_adjustment (
    id                text PRIMARY KEY,
    item_id           text NOT NULL REFERENCES order_line_item (id) ON DELETE CASCADE,
    amount            numeric NOT NULL,
    code              text,
    description       text,
    promotion_id      text,
    provider_id       text,
    is_tax_inclusive  boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_line_item_adjustment_item_idx ON order_line_item_adjustment (item_id);

CREATE TABLE order_line_item_tax_line (
    id           text PRIMARY KEY,
    item_id      text NOT NULL REFERENCES order_line_item (id) ON DELETE CASCADE,
    rate         numeric NOT NULL,
    code         text,
    description  text,
    tax_rate_id  text,
    provider_id  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_line_item_tax_line_item_idx ON order_line_item_tax_line (item_id);

CREATE TABLE order_shipping_method (
    id                  text PRIMARY KEY,
    order_id            text NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
    name                text NOT NULL,
    description         text,
    amount              numeric NOT NULL CHECK (amount >= 0),
    is_tax_inclusive    boolean NOT NULL DEFAULT false,
    is_custom_amount    boolean NOT NULL DEFAULT false,
    shipping_option_id  text,
    data                jsonb,
    metadata            jsonb,
    position            integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE INDEX order_shipping_method_order_idx ON order_shipping_method (order_id, position);

CREATE TABLE order_shipping_method_adjustment (
    id                  text PRIMARY KEY,
    shipping_method_id  text NOT NULL REFERENCES order_shipping_method (id) ON DELETE CASCADE,
    amount              numeric NOT NULL,
    code                text,
    description         text,
    promotion_id        text,
    provider_id         text,
    is_tax_inclusive    boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_shipping_method_adjustment_method_idx ON order_shipping_method_adjustment (shipping_method_id);

CREATE TABLE order_shipping_method_tax_line (
    id                  text PRIMARY KEY,
    shipping_method_id  text NOT NULL REFERENCES order_shipping_method (id) ON DELETE CASCADE,
    rate                numeric NOT NULL,
    code                text,
    description         text,
    tax_rate_id         text,
    provider_id         text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_shipping_method_tax_line_method_idx ON order_shipping_method_tax_line (shipping_method_id);

-- Links (rows are deleted, never soft-deleted). The other side lives in another module: no foreign key to it.
CREATE TABLE order_cart (
    order_id    text NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
    cart_id     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, cart_id),
    CONSTRAINT order_cart_cart_key UNIQUE (cart_id)
);

CREATE TABLE order_payment_collection (
    order_id               text NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
    payment_collection_id  text NOT NULL UNIQUE,
    created_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, payment_collection_id)
);

CREATE TABLE order_promotion (
    order_id      text NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
    promotion_id  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, promotion_id)
);
CREATE INDEX order_promotion_promotion_idx ON order_promotion (promotion_id);

CREATE TABLE order_fulfillment (
    order_id        text NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
    fulfillment_id  text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, fulfillment_id)
);
