-- Payments (module: payment): payment collections, their provider sessions, the payments authorized from them, the
-- captures and refunds of each payment, refund reasons, and the webhook events already processed; plus the link a
-- cart has to its payment collection (cart_payment_collection).
--
-- Running totals (authorized/captured/refunded) are kept on payment and payment_collection so that "never capture
-- more than was authorized, never refund more than was captured" is one conditional UPDATE each; the CHECKs below
-- are the last line of defence, not the mechanism.

-- The test provider (identifier "test", id "test", in Medusa's pp_<identifier>_<id> form): its outcome is chosen by
-- the session's data.outcome; see python/commerce/payment/providers.py. Webhooks: POST /hooks/payment/test_test.
INSERT INTO payment_provider (id) VALUES ('pp_test_test') ON CONFLICT (id) DO NOTHING;

CREATE TABLE payment_collection (
    id                 text PRIMARY KEY,
    currency_code      text NOT NULL,
    amount             numeric NOT NULL CHECK (amount >= 0),
    authorized_amount  numeric NOT NULL DEFAULT 0 CHECK (authorized_amount >= 0),
    captured_amount    numeric NOT NULL DEFAULT 0 CHECK (captured_amount >= 0 AND captured_amount <= authorized_amount),
    refunded_amount    numeric NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount),
    region_id          text,
    status             text NOT NULL DEFAULT 'not_paid' CHECK (status IN (
                           'not_paid', 'awaiting', 'authorized', 'partially_authorized', 'canceled', 'failed',
                           'completed')),
    metadata           jsonb,
    completed_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE INDEX payment_collection_region_idx ON payment_collection (region_id);

CREATE TABLE payment_session (
    id                     text PRIMARY KEY,
    payment_collection_id  text NOT NULL REFERENCES payment_collection (id) ON DELETE CASCADE,
    provider_id            text NOT NULL REFERENCES payment_provider (id),
    currency_code          text NOT NULL,
    amount                 numeric NOT NULL CHECK (amount >= 0),
    data                   jsonb NOT NULL DEFAULT '{}',
    context                jsonb,
    status                 text NOT NULL DEFAULT 'pending' CHECK (status IN (
                               'pending', 'requires_more', 'authorized', 'error', 'canceled')),
    authorized_at          timestamptz,
    metadata               jsonb,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz
);
CREATE INDEX payment_session_collection_idx ON payment_session (payment_collection_id) WHERE deleted_at IS NULL;

CREATE TABLE payment (
    id                     text PRIMARY KEY,
    payment_collection_id  text NOT NULL REFERENCES payment_collection (id) ON DELETE CASCADE,
    -- One payment per session: a second authorization of the same session (a retry, a webhook) cannot make another.
    payment_session_id     text NOT NULL UNIQUE REFERENCES payment_session (id),
    provider_id            text NOT NULL REFERENCES payment_provider (id),
    currency_code          text NOT NULL,
    amount                 numeric NOT NULL CHECK (amount >= 0),
    captured_amount        numeric NOT NULL DEFAULT 0 CHECK (captured_amount >= 0 AND captured_amount <= amount),
    refunded_amount        numeric NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount),
    data                   jsonb,
    metadata               jsonb,
    captured_at            timestamptz,
    canceled_at            timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz
);
CREATE INDEX payment_collection_id_idx ON payment (payment_collection_id);

CREATE TABLE capture (
    id          text PRIMARY KEY,
    payment_id  text NOT NULL REFERENCES payment (id) ON DELETE CASCADE,
    amount      numeric NOT NULL CHECK (amount > 0),
    created_by  text,
    metadata    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX capture_payment_idx ON capture (payment_id);

CREATE TABLE refund_reason (
    id           text PRIMARY KEY,
    label        text NOT NULL,
    code         text NOT NULL,
    description  text,
    metadata     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);

CREATE TABLE refund (
    id                text PRIMARY KEY,
    payment_id        text NOT NULL REFERENCES payment (id) ON DELETE CASCADE,
    amount            numeric NOT NULL CHECK (amount > 0),
    refund_reason_id  text REFERENCES refund_reason (id),
    note              text,
    created_by        text,
    metadata          jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
CREATE INDEX refund_payment_idx ON refund (payment_id);

-- Webhook events already processed, per provider: a redelivered event id is acknowledged and not applied again.
CREATE TABLE payment_webhook_event (
    provider_id  text NOT NULL,
    event_id     text NOT NULL,
    action       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, event_id)
);

-- Link (cart ↔ payment collection): one collection per cart, one cart per collection.
CREATE TABLE cart_payment_collection (
    cart_id                text PRIMARY KEY REFERENCES cart (id) ON DELETE CASCADE,
    payment_collection_id  text NOT NULL UNIQUE REFERENCES payment_collection (id) ON DELETE CASCADE,
    created_at             timestamptz NOT NULL DEFAULT now()
);
