-- Product module: products, options and values, variants, images, categories (a tree), collections, tags,
-- types, and the product <-> sales channel link. Tables are named as Medusa v2 names them, with the module's
-- prefix. Soft delete everywhere (deleted_at); uniqueness holds among live rows (partial unique indexes).
--
-- For the store read model: a shoppable product is `product.status = 'published' AND product.deleted_at IS NULL`
-- joined to `product_sales_channel (product_id, sales_channel_id)`; its live variants are
-- `product_variant.product_id` (ordered by variant_rank), their option values `product_variant_option ->
-- product_option_value -> product_option`; images `product_image` (by rank); tags `product_tags`; categories
-- `product_category_product` (store shows is_active AND NOT is_internal; subtree = mpath LIKE '<mpath>.%');
-- `product.collection_id` / `product.type_id`. Link rows are deleted, never soft-deleted; every table NOTIFYs.

-- product_collection ---------------------------------------------------------------------------
CREATE TABLE product_collection (
    id          text PRIMARY KEY,
    title       text NOT NULL,
    handle      text NOT NULL,
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX product_collection_handle_unique ON product_collection (handle) WHERE deleted_at IS NULL;

-- product_type / product_tag: a value each, unique among live rows ------------------------------
CREATE TABLE product_type (
    id          text PRIMARY KEY,
    value       text NOT NULL,
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX product_type_value_unique ON product_type (value) WHERE deleted_at IS NULL;

CREATE TABLE product_tag (
    id          text PRIMARY KEY,
    value       text NOT NULL,
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX product_tag_value_unique ON product_tag (value) WHERE deleted_at IS NULL;

-- product_category: a tree. mpath is the chain of ids from the root, dot-separated, ending with the row's
-- own id ("pcat_a.pcat_b"), so a subtree is `mpath LIKE 'pcat_a.%'`. rank orders siblings from 0.
CREATE TABLE product_category (
    id                  text PRIMARY KEY,
    name                text NOT NULL,
    description         text NOT NULL DEFAULT '',
    handle              text NOT NULL,
    mpath               text NOT NULL,
    is_active           boolean NOT NULL DEFAULT false,
    is_internal         boolean NOT NULL DEFAULT false,
    rank                integer NOT NULL DEFAULT 0 CHECK (rank >= 0),
    parent_category_id  text REFERENCES product_category (id),
    metadata            jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE UNIQUE INDEX product_category_handle_unique ON product_category (handle) WHERE deleted_at IS NULL;
CREATE INDEX product_category_parent_idx ON product_category (parent_category_id, rank) WHERE deleted_at IS NULL;
CREATE INDEX product_category_mpath_idx ON product_category (mpath text_pattern_ops) WHERE deleted_at IS NULL;

-- product --------------------------------------------------------------------------------------
CREATE TABLE product (
    id              text PRIMARY KEY,
    title           text NOT NULL,
    handle          text NOT NULL,
    subtitle        text,
    description     text,
    is_giftcard     boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'proposed', 'published', 'rejected')),
    thumbnail       text,
    weight          double precision,
    length          double precision,
    height          double precision,
    width           double precision,
    origin_country  text,
    hs_code         text,
    mid_code        text,
    material        text,
    collection_id   text REFERENCES product_collection (id) ON DELETE SET NULL,
    type_id         text REFERENCES product_type (id) ON DELETE SET NULL,
    discountable    boolean NOT NULL DEFAULT true,
    external_id     text,
    metadata        jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE UNIQUE INDEX product_handle_unique ON product (handle) WHERE deleted_at IS NULL;
CREATE INDEX product_live_idx ON product (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX product_published_idx ON product (id) WHERE deleted_at IS NULL AND status = 'published';
CREATE INDEX product_collection_idx ON product (collection_id) WHERE deleted_at IS NULL;
CREATE INDEX product_type_idx ON product (type_id) WHERE deleted_at IS NULL;

CREATE TABLE product_image (
    id          text PRIMARY KEY,
    product_id  text NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    url         text NOT NULL,
    rank        integer NOT NULL DEFAULT 0,
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX product_image_product_idx ON product_image (product_id, rank) WHERE deleted_at IS NULL;

-- Options belong to one product; values belong to one option.
CREATE TABLE product_option (
    id          text PRIMARY KEY,
    product_id  text NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    title       text NOT NULL,
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX product_option_title_unique ON product_option (product_id, title) WHERE deleted_at IS NULL;

CREATE TABLE product_option_value (
    id          text PRIMARY KEY,
    option_id   text NOT NULL REFERENCES product_option (id) ON DELETE CASCADE,
    value       text NOT NULL,
    rank        integer NOT NULL DEFAULT 0,
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX product_option_value_unique ON product_option_value (option_id, value) WHERE deleted_at IS NULL;

CREATE TABLE product_variant (
    id                text PRIMARY KEY,
    product_id        text NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    title             text NOT NULL,
    sku               text,
    barcode           text,
    ean               text,
    upc               text,
    allow_backorder   boolean NOT NULL DEFAULT false,
    manage_inventory  boolean NOT NULL DEFAULT true,
    hs_code           text,
    origin_country    text,
    mid_code          text,
    material          text,
    weight            double precision,
    length            double precision,
    height            double precision,
    width             double precision,
    variant_rank      integer NOT NULL DEFAULT 0,
    thumbnail         text,
    metadata          jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
CREATE INDEX product_variant_product_idx ON product_variant (product_id, variant_rank) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX product_variant_sku_unique ON product_variant (sku) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX product_variant_barcode_unique ON product_variant (barcode) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX product_variant_ean_unique ON product_variant (ean) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX product_variant_upc_unique ON product_variant (upc) WHERE deleted_at IS NULL;

-- A variant's option values, one per option of its product (the service checks completeness and uniqueness).
CREATE TABLE product_variant_option (
    variant_id       text NOT NULL REFERENCES product_variant (id) ON DELETE CASCADE,
    option_value_id  text NOT NULL REFERENCES product_option_value (id) ON DELETE CASCADE,
    PRIMARY KEY (variant_id, option_value_id)
);
CREATE INDEX product_variant_option_value_idx ON product_variant_option (option_value_id);

-- Many-to-many links (rows are removed, not soft-deleted).
CREATE TABLE product_tags (
    product_id      text NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    product_tag_id  text NOT NULL REFERENCES product_tag (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, product_tag_id)
);
CREATE INDEX product_tags_tag_idx ON product_tags (product_tag_id);

CREATE TABLE product_category_product (
    product_id           text NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    product_category_id  text NOT NULL REFERENCES product_category (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, product_category_id)
);
CREATE INDEX product_category_product_category_idx ON product_category_product (product_category_id);

-- Link: product <-> sales channel (the store only shows a product in the key's channels).
CREATE TABLE product_sales_channel (
    product_id        text NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    sales_channel_id  text NOT NULL REFERENCES sales_channel (id) ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, sales_channel_id)
);
CREATE INDEX product_sales_channel_channel_idx ON product_sales_channel (sales_channel_id);

-- The store read model refreshes from these notifications (payload: the table name).
CREATE TRIGGER product_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_image_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_image
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_option_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_option
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_option_value_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_option_value
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_variant_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_variant
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_variant_option_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_variant_option
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_tags_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_tags
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_category_product_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_category_product
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_sales_channel_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_sales_channel
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_category_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_category
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_collection_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_collection
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_tag_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_tag
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER product_type_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_type
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
