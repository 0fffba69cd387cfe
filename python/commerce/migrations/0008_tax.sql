-- Tax (module: tax): providers, tax regions (a country, and provinces under it), tax rates (one default per
-- region, others chosen by rules on product, product type or shipping option) and their rules.

CREATE TABLE tax_provider (
    id          text PRIMARY KEY,
    is_enabled  boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The built-in provider: tax lines straight from the rates chosen here (Medusa's `tp_system`).
INSERT INTO tax_provider (id) VALUES ('tp_system');

CREATE TABLE tax_region (
    id             text PRIMARY KEY,
    country_code   text NOT NULL CHECK (country_code ~ '^[a-z]{2}$'),
    province_code  text CHECK (province_code = lower(province_code) AND province_code <> ''),
    parent_id      text REFERENCES tax_region (id) ON DELETE CASCADE,
    provider_id    text REFERENCES tax_provider (id),
    metadata       jsonb,
    created_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    -- As Medusa: the provider is chosen on the country; a province is a child of its country's region.
    CONSTRAINT tax_region_provider_top_level CHECK (parent_id IS NULL OR provider_id IS NULL),
    CONSTRAINT tax_region_country_top_level CHECK (parent_id IS NULL OR province_code IS NOT NULL)
);
-- One live region per country and per (country, province); NULL provinces compare equal through coalesce.
CREATE UNIQUE INDEX tax_region_country_province_unique ON tax_region (country_code, coalesce(province_code, ''))
    WHERE deleted_at IS NULL;
CREATE INDEX tax_region_parent_idx ON tax_region (parent_id) WHERE deleted_at IS NULL;

CREATE TABLE tax_rate (
    id             text PRIMARY KEY,
    tax_region_id  text NOT NULL REFERENCES tax_region (id) ON DELETE CASCADE,
    rate           numeric CHECK (rate IS NULL OR (rate >= 0 AND rate <= 100)),  -- percent: 20 = 20 %
    code           text NOT NULL,
    name           text NOT NULL,
    is_default     boolean NOT NULL DEFAULT false,
    is_combinable  boolean NOT NULL DEFAULT false,
    metadata       jsonb,
    created_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE UNIQUE INDEX tax_rate_one_default ON tax_rate (tax_region_id) WHERE is_default AND deleted_at IS NULL;
CREATE INDEX tax_rate_region_idx ON tax_rate (tax_region_id) WHERE deleted_at IS NULL;

CREATE TABLE tax_rate_rule (
    id            text PRIMARY KEY,
    tax_rate_id   text NOT NULL REFERENCES tax_rate (id) ON DELETE CASCADE,
    reference     text NOT NULL CHECK (reference IN ('product', 'product_type', 'shipping_option')),
    reference_id  text NOT NULL,
    metadata      jsonb,
    created_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE UNIQUE INDEX tax_rate_rule_unique_reference ON tax_rate_rule (tax_rate_id, reference, reference_id)
    WHERE deleted_at IS NULL;
CREATE INDEX tax_rate_rule_reference_idx ON tax_rate_rule (reference_id) WHERE deleted_at IS NULL;

-- Workers may cache tax rates (commerce.tax.service.TABLES); these keep such caches coherent.
CREATE TRIGGER tax_provider_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tax_provider
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER tax_region_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tax_region
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER tax_rate_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tax_rate
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER tax_rate_rule_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tax_rate_rule
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
