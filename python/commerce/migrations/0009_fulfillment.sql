-- Stock locations (module: stock_location) and shipping (module: fulfillment): where goods ship from, which
-- sales channels and fulfillment providers a location serves, the fulfillment sets → service zones → geo zones a
-- location covers, shipping profiles, and shipping options (priced through the pricing module's price sets).

-- stock_location (module: stock_location) -------------------------------------------------------------------------
CREATE TABLE stock_location_address (
    id            text PRIMARY KEY,
    address_1     text NOT NULL,
    address_2     text,
    company       text,
    city          text,
    country_code  text NOT NULL,
    phone         text,
    province      text,
    postal_code   text,
    metadata      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);

CREATE TABLE stock_location (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    address_id  text REFERENCES stock_location_address (id),
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX stock_location_live_idx ON stock_location (created_at, id) WHERE deleted_at IS NULL;

-- Links, as Medusa's link module keeps them: location ↔ sales channel, ↔ fulfillment provider, ↔ fulfillment set.
CREATE TABLE stock_location_sales_channel (
    stock_location_id  text NOT NULL REFERENCES stock_location (id) ON DELETE CASCADE,
    sales_channel_id   text NOT NULL REFERENCES sales_channel (id) ON DELETE CASCADE,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stock_location_id, sales_channel_id)
);
CREATE INDEX stock_location_sales_channel_channel_idx ON stock_location_sales_channel (sales_channel_id);

-- fulfillment (module: fulfillment) -------------------------------------------------------------------------------
CREATE TABLE fulfillment_provider (
    id          text PRIMARY KEY,
    is_enabled  boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
-- Built in: Medusa's manual provider, and a weight-table provider that calculates rates from the cart's weight.
INSERT INTO fulfillment_provider (id) VALUES ('manual_manual'), ('weight-table_weight-table');

CREATE TABLE stock_location_fulfillment_provider (
    stock_location_id        text NOT NULL REFERENCES stock_location (id) ON DELETE CASCADE,
    fulfillment_provider_id  text NOT NULL REFERENCES fulfillment_provider (id) ON DELETE CASCADE,
    created_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stock_location_id, fulfillment_provider_id)
);

CREATE TABLE fulfillment_set (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    type        text NOT NULL CHECK (type IN ('shipping', 'pickup')),
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX fulfillment_set_name_unique ON fulfillment_set (name) WHERE deleted_at IS NULL;

-- A fulfillment set belongs to one location.
CREATE TABLE stock_location_fulfillment_set (
    stock_location_id   text NOT NULL REFERENCES stock_location (id) ON DELETE CASCADE,
    fulfillment_set_id  text NOT NULL UNIQUE REFERENCES fulfillment_set (id) ON DELETE CASCADE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stock_location_id, fulfillment_set_id)
);

CREATE TABLE service_zone (
    id                  text PRIMARY KEY,
    name                text NOT NULL,
    fulfillment_set_id  text NOT NULL REFERENCES fulfillment_set (id) ON DELETE CASCADE,
    metadata            jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE UNIQUE INDEX service_zone_name_unique ON service_zone (name) WHERE deleted_at IS NULL;
CREATE INDEX service_zone_set_idx ON service_zone (fulfillment_set_id) WHERE deleted_at IS NULL;

-- The area a zone serves: a whole country, a province of it, a city of that province, or postal codes in a city.
CREATE TABLE geo_zone (
    id                 text PRIMARY KEY,
    service_zone_id    text NOT NULL REFERENCES service_zone (id) ON DELETE CASCADE,
    type               text NOT NULL CHECK (type IN ('country', 'province', 'city', 'zip')),
    country_code       text NOT NULL CHECK (country_code = lower(country_code)),
    province_code      text,
    city               text,
    postal_expression  jsonb,  -- {"codes": ["10115"], "prefixes": ["101"]}
    metadata           jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    CHECK (type = 'country' OR province_code IS NOT NULL),
    CHECK (type IN ('country', 'province') OR city IS NOT NULL),
    CHECK (type <> 'zip' OR postal_expression IS NOT NULL)
);
CREATE INDEX geo_zone_zone_idx ON geo_zone (service_zone_id) WHERE deleted_at IS NULL;
CREATE INDEX geo_zone_country_idx ON geo_zone (country_code) WHERE deleted_at IS NULL;

CREATE TABLE shipping_profile (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    type        text NOT NULL,
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX shipping_profile_name_unique ON shipping_profile (name) WHERE deleted_at IS NULL;
INSERT INTO shipping_profile (id, name, type) VALUES ('sp_default', 'Default Shipping Profile', 'default');

-- A flat option's prices live in the pricing module, in the price set `price_set_id` (rules: region_id);
-- a calculated option is priced by its provider from `data`.
CREATE TABLE shipping_option (
    id                   text PRIMARY KEY,
    name                 text NOT NULL,
    price_type           text NOT NULL CHECK (price_type IN ('flat', 'calculated')),
    service_zone_id      text NOT NULL REFERENCES service_zone (id) ON DELETE CASCADE,
    shipping_profile_id  text NOT NULL REFERENCES shipping_profile (id),
    provider_id          text NOT NULL REFERENCES fulfillment_provider (id),
    price_set_id         text,
    data                 jsonb,
    metadata             jsonb,
    type_id              text NOT NULL,
    type_label           text NOT NULL,
    type_description     text NOT NULL DEFAULT '',
    type_code            text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
CREATE INDEX shipping_option_zone_idx ON shipping_option (service_zone_id) WHERE deleted_at IS NULL;

-- Rules a cart's context must meet (all of them): enabled_in_store, is_return, item_total, ...
CREATE TABLE shipping_option_rule (
    id                  text PRIMARY KEY,
    shipping_option_id  text NOT NULL REFERENCES shipping_option (id) ON DELETE CASCADE,
    attribute           text NOT NULL,
    operator            text NOT NULL CHECK (operator IN ('in', 'eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'nin')),
    value               jsonb NOT NULL,  -- a string, or an array of strings for in / nin
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE INDEX shipping_option_rule_option_idx ON shipping_option_rule (shipping_option_id) WHERE deleted_at IS NULL;
