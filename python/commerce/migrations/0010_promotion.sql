-- Promotions (module: promotion): promotions with their application method and rules, campaigns with budgets;
-- and what carts use of them (module: cart): the codes a cart carries and the adjustments they give its lines.

CREATE TABLE promotion_campaign (
    id                   text PRIMARY KEY,
    name                 text NOT NULL,
    description          text,
    campaign_identifier  text NOT NULL,
    starts_at            timestamptz,
    ends_at              timestamptz,
    budget_type          text CHECK (budget_type IN ('spend', 'usage')),
    budget_currency_code text,
    budget_limit         numeric CHECK (budget_limit IS NULL OR budget_limit >= 0),
    budget_used          numeric NOT NULL DEFAULT 0 CHECK (budget_used >= 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
CREATE UNIQUE INDEX promotion_campaign_identifier_unique ON promotion_campaign (campaign_identifier)
    WHERE deleted_at IS NULL;

-- The application method and the rules are stored as the documents the API shows (each rule has an id).
CREATE TABLE promotion (
    id                  text PRIMARY KEY,
    code                text NOT NULL,
    type                text NOT NULL CHECK (type IN ('standard', 'buyget')),
    is_automatic        boolean NOT NULL DEFAULT false,
    status              text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'inactive')),
    campaign_id         text REFERENCES promotion_campaign (id) ON DELETE SET NULL,
    application_method  jsonb NOT NULL,
    rules               jsonb NOT NULL DEFAULT '[]',
    metadata            jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE UNIQUE INDEX promotion_code_unique ON promotion (upper(code)) WHERE deleted_at IS NULL;

CREATE TABLE cart_promotion (
    cart_id     text NOT NULL REFERENCES cart (id) ON DELETE CASCADE,
    code        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, code)
);

CREATE TABLE cart_line_item_adjustment (
    id                text PRIMARY KEY,
    cart_id           text NOT NULL REFERENCES cart (id) ON DELETE CASCADE,
    item_id           text NOT NULL REFERENCES cart_line_item (id) ON DELETE CASCADE,
    amount            numeric NOT NULL,
    code              text,
    promotion_id      text,
    is_tax_inclusive  boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cart_line_item_adjustment_cart_idx ON cart_line_item_adjustment (cart_id);

CREATE TRIGGER promotion_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON promotion
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
CREATE TRIGGER promotion_campaign_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON promotion_campaign
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
