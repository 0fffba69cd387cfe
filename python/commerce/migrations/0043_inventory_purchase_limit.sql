-- Inventory (module: inventory): a per-customer purchase limit for a flash-sale product. The product's setting gains
-- `max_per_customer` (hold_seconds becomes optional: a limit without holds), and a counter per (product, buyer), the
-- buyer being the order's email (lower case; a guest and a registered customer with one email are one buyer), that
-- the checkout raises in the order's transaction with one conditional upsert: concurrent checkouts of one buyer queue
-- on its counter row and the limit holds exactly.

ALTER TABLE inventory_hold_policy ALTER COLUMN hold_seconds DROP NOT NULL;
ALTER TABLE inventory_hold_policy ADD COLUMN max_per_customer integer CHECK (max_per_customer >= 1);

CREATE TABLE inventory_purchase_count (
    product_id  text NOT NULL,
    buyer       text NOT NULL,
    units       integer NOT NULL CHECK (units >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, buyer)
);
