-- Foundation: change notifications, currencies, regions, payment providers, sales channels, store,
-- API keys, admin users and auth identities. Tables are named as Medusa v2 names them.

-- Per-worker caches (publishable keys, regions) are refreshed when a table they read from changes.
CREATE FUNCTION commerce_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('commerce_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

-- currency (module: currency) ------------------------------------------------------------------
CREATE TABLE currency (
    code            text PRIMARY KEY CHECK (code = lower(code)),
    symbol          text NOT NULL,
    symbol_native   text NOT NULL,
    name            text NOT NULL,
    decimal_digits  integer NOT NULL DEFAULT 2 CHECK (decimal_digits BETWEEN 0 AND 4),
    rounding        numeric NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);

-- payment_provider (module: payment; the built-in pp_system_default) ---------------------------
CREATE TABLE payment_provider (
    id          text PRIMARY KEY,
    is_enabled  boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
INSERT INTO payment_provider (id) VALUES ('pp_system_default');

-- region (module: region) ----------------------------------------------------------------------
CREATE TABLE region (
    id               text PRIMARY KEY,
    name             text NOT NULL,
    currency_code    text NOT NULL,
    automatic_taxes  boolean NOT NULL DEFAULT true,
    metadata         jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX region_live_idx ON region (created_at, id) WHERE deleted_at IS NULL;

-- One row per country; region_id says which region (at most one) the country belongs to.
CREATE TABLE region_country (
    iso_2         text PRIMARY KEY CHECK (iso_2 = lower(iso_2)),
    iso_3         text NOT NULL,
    num_code      text NOT NULL,
    name          text NOT NULL,
    display_name  text NOT NULL,
    region_id     text REFERENCES region (id) ON DELETE SET NULL,
    metadata      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE INDEX region_country_region_idx ON region_country (region_id);

CREATE TABLE region_payment_provider (
    region_id            text NOT NULL REFERENCES region (id) ON DELETE CASCADE,
    payment_provider_id  text NOT NULL REFERENCES payment_provider (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region_id, payment_provider_id)
);

-- sales_channel (module: sales_channel) --------------------------------------------------------
CREATE TABLE sales_channel (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    description  text,
    is_disabled  boolean NOT NULL DEFAULT false,
    metadata     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);

-- store (module: store) ------------------------------------------------------------------------
CREATE TABLE store (
    id                        text PRIMARY KEY,
    name                      text NOT NULL DEFAULT 'Medusa Store',
    default_sales_channel_id  text,
    default_region_id         text,
    default_location_id       text,
    metadata                  jsonb,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    deleted_at                timestamptz
);

CREATE TABLE store_currency (
    id             text PRIMARY KEY,
    store_id       text NOT NULL REFERENCES store (id) ON DELETE CASCADE,
    currency_code  text NOT NULL,
    is_default     boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    UNIQUE (store_id, currency_code)
);
CREATE UNIQUE INDEX store_currency_one_default ON store_currency (store_id) WHERE is_default;

-- api_key (module: api_key) --------------------------------------------------------------------
-- Publishable tokens are public by design and stored as they are; secret tokens only as sha256 hex.
CREATE TABLE api_key (
    id            text PRIMARY KEY,
    token         text NOT NULL,
    redacted      text NOT NULL,
    title         text NOT NULL,
    type          text NOT NULL CHECK (type IN ('publishable', 'secret')),
    last_used_at  timestamptz,
    created_by    text NOT NULL,
    revoked_by    text,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE UNIQUE INDEX api_key_token_unique ON api_key (token);

-- Link: publishable key <-> sales channel.
CREATE TABLE publishable_api_key_sales_channel (
    publishable_key_id  text NOT NULL REFERENCES api_key (id) ON DELETE CASCADE,
    sales_channel_id    text NOT NULL REFERENCES sales_channel (id) ON DELETE CASCADE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publishable_key_id, sales_channel_id)
);

-- user (module: user) --------------------------------------------------------------------------
CREATE TABLE "user" (
    id          text PRIMARY KEY,
    email       text NOT NULL,
    first_name  text,
    last_name   text,
    avatar_url  text,
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX user_email_unique ON "user" (lower(email)) WHERE deleted_at IS NULL;

-- auth (module: auth): an identity per person, a provider identity per login method -------------
CREATE TABLE auth_identity (
    id            text PRIMARY KEY,
    app_metadata  jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE provider_identity (
    id                 text PRIMARY KEY,
    entity_id          text NOT NULL,
    provider           text NOT NULL,
    auth_identity_id   text NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    user_metadata      jsonb,
    provider_metadata  jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, entity_id)
);

CREATE TRIGGER region_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON region
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER region_country_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON region_country
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER region_payment_provider_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON region_payment_provider
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER currency_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON currency
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
-- last_used_at changes on every secret-key call and must not flush the caches.
CREATE TRIGGER api_key_changed
    AFTER INSERT OR UPDATE OF token, type, revoked_at, deleted_at OR DELETE OR TRUNCATE ON api_key
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER publishable_api_key_sales_channel_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON publishable_api_key_sales_channel
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
