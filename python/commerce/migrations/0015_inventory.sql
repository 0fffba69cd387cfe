-- Inventory (module: inventory): the goods a store keeps (inventory items), how many of each it has at each stock
-- location (inventory levels: stocked, reserved for orders, incoming), the reservations that hold stock for order
-- lines, and the link product variant -> inventory items (a kit needs `required_quantity` of each of its items).
-- location_id names a stock location (another module): no foreign key, as Medusa keeps it. Quantities are whole
-- units; available = stocked - reserved (below zero only for lines reserved with allow_backorder).

CREATE TABLE inventory_item (
    id                 text PRIMARY KEY,
    sku                text,
    title              text,
    description        text,
    thumbnail          text,
    requires_shipping  boolean NOT NULL DEFAULT true,
    weight             numeric,
    length             numeric,
    height             numeric,
    width              numeric,
    origin_country     text,
    hs_code            text,
    mid_code           text,
    material           text,
    unit_of_measure    text,
    metadata           jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE UNIQUE INDEX inventory_item_sku_unique ON inventory_item (sku) WHERE deleted_at IS NULL;
CREATE INDEX inventory_item_live_idx ON inventory_item (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE inventory_level (
    id                 text PRIMARY KEY,
    inventory_item_id  text NOT NULL REFERENCES inventory_item (id),
    location_id        text NOT NULL,
    stocked_quantity   integer NOT NULL DEFAULT 0,
    reserved_quantity  integer NOT NULL DEFAULT 0,
    incoming_quantity  integer NOT NULL DEFAULT 0,
    metadata           jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    CONSTRAINT inventory_level_stocked_check CHECK (stocked_quantity >= 0),
    CONSTRAINT inventory_level_reserved_check CHECK (reserved_quantity >= 0),
    CONSTRAINT inventory_level_incoming_check CHECK (incoming_quantity >= 0)
);
-- The row a reservation's conditional UPDATE finds: one live level per item and location.
CREATE UNIQUE INDEX inventory_level_item_location_unique ON inventory_level (inventory_item_id, location_id)
    WHERE deleted_at IS NULL;
CREATE INDEX inventory_level_location_idx ON inventory_level (location_id) WHERE deleted_at IS NULL;

CREATE TABLE reservation_item (
    id                 text PRIMARY KEY,
    line_item_id       text,
    inventory_item_id  text NOT NULL REFERENCES inventory_item (id),
    location_id        text NOT NULL,
    quantity           integer NOT NULL CHECK (quantity >= 0),
    allow_backorder    boolean NOT NULL DEFAULT false,
    description        text,
    external_id        text,
    created_by         text,
    metadata           jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE INDEX reservation_item_line_idx ON reservation_item (line_item_id) WHERE deleted_at IS NULL;
CREATE INDEX reservation_item_level_idx ON reservation_item (inventory_item_id, location_id) WHERE deleted_at IS NULL;
CREATE INDEX reservation_item_live_idx ON reservation_item (created_at, id) WHERE deleted_at IS NULL;

-- Link: product variant <-> inventory item (rows are removed, not soft-deleted).
CREATE TABLE product_variant_inventory_item (
    id                 text NOT NULL UNIQUE,
    variant_id         text NOT NULL REFERENCES product_variant (id) ON DELETE CASCADE,
    inventory_item_id  text NOT NULL REFERENCES inventory_item (id) ON DELETE CASCADE,
    required_quantity  integer NOT NULL DEFAULT 1 CHECK (required_quantity >= 1),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (variant_id, inventory_item_id)
);
CREATE INDEX product_variant_inventory_item_item_idx ON product_variant_inventory_item (inventory_item_id);

-- The store read model shows each variant's sellable quantity (catalog.source): it refreshes when stock, the
-- variant links, or which locations serve which sales channel change. The last two tables belong to the
-- stock_location module, which had no per-worker reader before this one.
CREATE TRIGGER inventory_level_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON inventory_level
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_variant_inventory_item_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_variant_inventory_item
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER stock_location_sales_channel_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON stock_location_sales_channel
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER stock_location_changed AFTER UPDATE OF deleted_at ON stock_location
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
