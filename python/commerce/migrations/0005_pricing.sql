-- Pricing (module: pricing): price sets (one per variant, through the link table), prices with quantity tiers
-- and rules, price lists (sale | override) with their rules, and tax-inclusive price preferences.

CREATE TABLE price_set (
    id          text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

-- Link (variant ↔ price set), as Medusa's link module; the variant id is opaque here.
CREATE TABLE product_variant_price_set (
    variant_id    text PRIMARY KEY,
    price_set_id  text NOT NULL UNIQUE REFERENCES price_set (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE price_list (
    id           text PRIMARY KEY,
    title        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active')),
    type         text NOT NULL DEFAULT 'sale' CHECK (type IN ('sale', 'override')),
    starts_at    timestamptz,
    ends_at      timestamptz,
    rules        jsonb NOT NULL DEFAULT '{}',  -- {"customer_group_id": ["cusgroup_..."]}
    metadata     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);

CREATE TABLE price (
    id             text PRIMARY KEY,
    price_set_id   text NOT NULL REFERENCES price_set (id) ON DELETE CASCADE,
    price_list_id  text REFERENCES price_list (id) ON DELETE CASCADE,
    currency_code  text NOT NULL,
    amount         numeric NOT NULL CHECK (amount >= 0),
    min_quantity   integer CHECK (min_quantity IS NULL OR min_quantity >= 1),
    max_quantity   integer CHECK (max_quantity IS NULL OR max_quantity >= 1),
    rules          jsonb NOT NULL DEFAULT '{}',  -- {"region_id": "reg_..."}: all must match the context
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    CHECK (min_quantity IS NULL OR max_quantity IS NULL OR min_quantity <= max_quantity)
);
CREATE INDEX price_price_set_idx ON price (price_set_id) WHERE deleted_at IS NULL;
CREATE INDEX price_price_list_idx ON price (price_list_id) WHERE deleted_at IS NULL;

CREATE TABLE price_preference (
    id                text PRIMARY KEY,
    attribute         text NOT NULL CHECK (attribute IN ('region_id', 'currency_code')),
    value             text NOT NULL,
    is_tax_inclusive  boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
CREATE UNIQUE INDEX price_preference_unique ON price_preference (attribute, value) WHERE deleted_at IS NULL;

CREATE TRIGGER price_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON price
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER price_list_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON price_list
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER price_preference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON price_preference
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_variant_price_set_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_variant_price_set
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
