-- Carts (module: cart): the cart's lines (`items`) as bytes the cart repository writes LZ4-compressed (a 0 byte,
-- then an LZ4 block), as it writes the rendering. As json, every change made PostgreSQL check ~4 KB of JSON on
-- input (json_in) and write it whole, and a 4-line cart's row (~6.8 KB) left no room in its page for its next
-- version, so no update of it was HOT. With the lines compressed the row is ~3.9 KB: one backend writing a 4-line
-- cart 4,000 times, 69 -> 36 us of its CPU per write, and nearly every update HOT. Rows written before keep their
-- JSON as its UTF-8 bytes (they start with `[`), which the repository reads as they are.

ALTER TABLE cart ALTER COLUMN items DROP DEFAULT;
ALTER TABLE cart ALTER COLUMN items TYPE bytea USING convert_to(items::text, 'UTF8');
ALTER TABLE cart ALTER COLUMN items SET DEFAULT convert_to('[]', 'UTF8');
