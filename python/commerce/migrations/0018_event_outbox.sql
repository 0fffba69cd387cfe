-- Event outbox (owned by commerce/events.py): an event is a row written in the transaction that causes it, so a
-- rolled-back change has no event. Each worker's delivery loop claims due rows (FOR UPDATE SKIP LOCKED, pushing
-- available_at forward as a lease), hands them to the in-process subscribers and marks them delivered; a failed
-- delivery comes back after an exponential backoff, and after the last attempt the row is kept with failed_at and
-- last_error for a person to look at.

CREATE TABLE event_outbox (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    data          jsonb NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    available_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz,
    failed_at     timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- The delivery loop's question ("what is due?") reads only the undelivered rows.
CREATE INDEX event_outbox_due_idx ON event_outbox (available_at, id) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX event_outbox_delivered_idx ON event_outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- A committed event wakes the delivery loops at once (over the change feed's channel) instead of at the next poll.
CREATE TRIGGER event_outbox_changed AFTER INSERT ON event_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
