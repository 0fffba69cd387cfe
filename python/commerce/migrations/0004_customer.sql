-- Customers, their addresses and groups (module: customer).

CREATE TABLE customer (
    id            text PRIMARY KEY,
    email         text NOT NULL,
    company_name  text,
    first_name    text,
    last_name     text,
    phone         text,
    has_account   boolean NOT NULL DEFAULT false,
    metadata      jsonb,
    created_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
-- One registered and one guest customer per email at most (a guest can later register under the same email).
CREATE UNIQUE INDEX customer_email_has_account_unique ON customer (lower(email), has_account) WHERE deleted_at IS NULL;
CREATE INDEX customer_created_idx ON customer (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE customer_address (
    id                   text PRIMARY KEY,
    customer_id          text NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    address_name         text,
    is_default_shipping  boolean NOT NULL DEFAULT false,
    is_default_billing   boolean NOT NULL DEFAULT false,
    company              text,
    first_name           text,
    last_name            text,
    address_1            text,
    address_2            text,
    city                 text,
    country_code         text,
    province             text,
    postal_code          text,
    phone                text,
    metadata             jsonb,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
CREATE INDEX customer_address_customer_idx ON customer_address (customer_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX customer_address_one_default_shipping ON customer_address (customer_id)
    WHERE is_default_shipping AND deleted_at IS NULL;
CREATE UNIQUE INDEX customer_address_one_default_billing ON customer_address (customer_id)
    WHERE is_default_billing AND deleted_at IS NULL;

CREATE TABLE customer_group (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    metadata    jsonb,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX customer_group_name_unique ON customer_group (name) WHERE deleted_at IS NULL;

CREATE TABLE customer_group_customer (
    id                 text PRIMARY KEY,
    customer_id        text NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    customer_group_id  text NOT NULL REFERENCES customer_group (id) ON DELETE CASCADE,
    created_by         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, customer_group_id)
);
CREATE INDEX customer_group_customer_group_idx ON customer_group_customer (customer_group_id);

-- Auth (module: auth): single-use password reset tokens, cookie sessions, login throttling.
CREATE TABLE auth_reset_token (
    token_hash        text PRIMARY KEY,
    auth_identity_id  text NOT NULL REFERENCES auth_identity (id) ON DELETE CASCADE,
    provider          text NOT NULL,
    entity_id         text NOT NULL,
    actor_type        text NOT NULL,
    expires_at        timestamptz NOT NULL,
    used_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth_session (
    id_hash       text PRIMARY KEY,
    auth_context  jsonb NOT NULL,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth_throttle (
    key           text PRIMARY KEY,
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL
);
