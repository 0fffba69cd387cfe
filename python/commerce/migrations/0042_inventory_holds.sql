-- Inventory (module: inventory): flash-sale holds. A product with a hold policy reserves its units when a shopper adds
-- it to a cart: a reservation of the cart's line that expires after `hold_seconds`; checkout turns it into the order's
-- reservation (expires_at cleared), and a sweeper in every worker releases the expired ones (claimed FOR UPDATE SKIP
-- LOCKED, so two workers never release one twice). product_id names a product (another module): no foreign key, as
-- Medusa keeps links between modules.

ALTER TABLE reservation_item ADD COLUMN expires_at timestamptz;
CREATE INDEX reservation_item_expiring_idx ON reservation_item (expires_at)
    WHERE expires_at IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE inventory_hold_policy (
    product_id    text PRIMARY KEY,
    hold_seconds  integer NOT NULL CHECK (hold_seconds BETWEEN 1 AND 86400),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
