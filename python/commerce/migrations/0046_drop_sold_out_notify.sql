-- Inventory: 0041's sold-out NOTIFY had one listener, the whole-catalog stock model's reload, which 0045 replaced
-- (every level change NOTIFYs its variants on `commerce_stock`, and each worker drops just those). Nothing listens to
-- `inventory_sold_out` any more, so the trigger only cost a lookup on every sell-out.

DROP TRIGGER inventory_level_sold_out ON inventory_level;
DROP TRIGGER inventory_level_bucket_sold_out ON inventory_level_bucket;
DROP FUNCTION inventory_notify_sold_out();
