-- Fulfillments (module: fulfillment): goods leaving a stock location through a fulfillment provider, with the items
-- they hold, the address they go to and the shipment labels; packed, shipped, delivered or canceled over time.
-- location_id names a stock location (another module): no foreign key, as Medusa keeps it.

CREATE TABLE fulfillment_address (
    id            text PRIMARY KEY,
    company       text,
    first_name    text,
    last_name     text,
    address_1     text,
    address_2     text,
    city          text,
    country_code  text CHECK (country_code = lower(country_code)),
    province      text,
    postal_code   text,
    phone         text,
    metadata      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);

CREATE TABLE fulfillment (
    id                   text PRIMARY KEY,
    location_id          text NOT NULL,
    provider_id          text REFERENCES fulfillment_provider (id) ON DELETE SET NULL,
    shipping_option_id   text REFERENCES shipping_option (id) ON DELETE SET NULL,
    delivery_address_id  text UNIQUE REFERENCES fulfillment_address (id),
    packed_at            timestamptz,
    shipped_at           timestamptz,
    marked_shipped_by    text,
    delivered_at         timestamptz,
    canceled_at          timestamptz,
    requires_shipping    boolean NOT NULL DEFAULT true,
    data                 jsonb,  -- what the provider returned when it created the fulfillment
    metadata             jsonb,
    created_by           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
CREATE INDEX fulfillment_location_idx ON fulfillment (location_id) WHERE deleted_at IS NULL;
CREATE INDEX fulfillment_provider_idx ON fulfillment (provider_id) WHERE deleted_at IS NULL;
CREATE INDEX fulfillment_shipping_option_idx ON fulfillment (shipping_option_id) WHERE deleted_at IS NULL;

CREATE TABLE fulfillment_item (
    id                 text PRIMARY KEY,
    fulfillment_id     text NOT NULL REFERENCES fulfillment (id) ON DELETE CASCADE,
    title              text NOT NULL,
    sku                text NOT NULL DEFAULT '',
    barcode            text NOT NULL DEFAULT '',
    quantity           integer NOT NULL CHECK (quantity > 0),
    line_item_id       text,
    inventory_item_id  text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE INDEX fulfillment_item_fulfillment_idx ON fulfillment_item (fulfillment_id) WHERE deleted_at IS NULL;
CREATE INDEX fulfillment_item_line_item_idx ON fulfillment_item (line_item_id) WHERE deleted_at IS NULL;
CREATE INDEX fulfillment_item_inventory_item_idx ON fulfillment_item (inventory_item_id) WHERE deleted_at IS NULL;

CREATE TABLE fulfillment_label (
    id               text PRIMARY KEY,
    fulfillment_id   text NOT NULL REFERENCES fulfillment (id) ON DELETE CASCADE,
    tracking_number  text NOT NULL,
    tracking_url     text NOT NULL,
    label_url        text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX fulfillment_label_fulfillment_idx ON fulfillment_label (fulfillment_id) WHERE deleted_at IS NULL;
