-- Bulk import (issue 10): product_variant's unique indexes on barcode, ean and upc (0003) held an entry for every
-- live variant, NULL included, though most variants (every demo one) have none of the three: three index inserts per
-- variant for nothing. NULLs never conflict, so uniqueness is the same without them; the names stay (the API's
-- duplicate errors are mapped from them, commerce.product.repository). A lookup by value (`barcode = ANY(...)`)
-- implies NOT NULL, so the planner still uses them.
DROP INDEX product_variant_barcode_unique;
CREATE UNIQUE INDEX product_variant_barcode_unique ON product_variant (barcode)
    WHERE deleted_at IS NULL AND barcode IS NOT NULL;
DROP INDEX product_variant_ean_unique;
CREATE UNIQUE INDEX product_variant_ean_unique ON product_variant (ean) WHERE deleted_at IS NULL AND ean IS NOT NULL;
DROP INDEX product_variant_upc_unique;
CREATE UNIQUE INDEX product_variant_upc_unique ON product_variant (upc) WHERE deleted_at IS NULL AND upc IS NOT NULL;
