-- Inventory (module: inventory): a hot level split into buckets. All buyers of one SKU at one location serialise on
-- its inventory_level row (~2.7k conditional UPDATEs/s on one row here); a level split into N buckets spreads its
-- available units over N rows, and a reservation takes a unit from a bucket picked at random (FOR UPDATE SKIP LOCKED),
-- so N buyers proceed at once. Totals stay exact: a level's stocked and reserved quantities are its own row's plus its
-- buckets' (the view inventory_level_total, which every read of levels uses). `buckets` is the operator's setting
-- (0: not split); the rarer writes (release, fulfil, stock changes) fold the buckets back into the row, change it,
-- and split its available units again, in one transaction.

ALTER TABLE inventory_level ADD COLUMN buckets integer NOT NULL DEFAULT 0 CHECK (buckets >= 0 AND buckets <= 64);

CREATE TABLE inventory_level_bucket (
    level_id           text NOT NULL REFERENCES inventory_level (id),
    bucket             integer NOT NULL,
    stocked_quantity   integer NOT NULL DEFAULT 0 CHECK (stocked_quantity >= 0),
    reserved_quantity  integer NOT NULL DEFAULT 0 CHECK (reserved_quantity >= 0),
    PRIMARY KEY (level_id, bucket)
);

CREATE VIEW inventory_level_total AS
SELECT l.id, l.inventory_item_id, l.location_id,
       l.stocked_quantity + coalesce(b.stocked, 0) AS stocked_quantity,
       l.reserved_quantity + coalesce(b.reserved, 0) AS reserved_quantity,
       l.incoming_quantity, l.metadata, l.created_at, l.updated_at, l.deleted_at, l.buckets
FROM inventory_level l
LEFT JOIN LATERAL (
    SELECT sum(stocked_quantity)::integer AS stocked, sum(reserved_quantity)::integer AS reserved
    FROM inventory_level_bucket WHERE level_id = l.id
) b ON l.buckets > 0;

-- The stock read model reloads when a bucket changes, as when a level does.
CREATE TRIGGER inventory_level_bucket_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON inventory_level_bucket
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_notify_change();
