-- Idempotency-Key: the first answer to a POST with a key is stored and replayed for retries of the same request.
CREATE TABLE idempotency_key (
    scope         text NOT NULL,  -- who asked: an actor, a publishable key, or "public"
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status        integer,        -- NULL while the first request is still running
    content_type  text,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_key_created_idx ON idempotency_key (created_at);
