-- Carts (module: cart): how the row's big values are stored. Every cart change rewrites its lines (`items`) and its
-- rendered response (`rendered`, 3-9 KB), and a retrieve reads `rendered` back. With PostgreSQL's defaults a row over
-- 2 KB had its values compressed with pglz until it fit in 2 KB, the rest moved out of line into the TOAST table: a
-- change paid pglz on ~4-12 KB, TOAST chunks inserted (with their index entries) and the old ones deleted, and a
-- retrieve an index lookup in the TOAST table and a pglz decompression. Measured per UPDATE of a 4-line cart on one
-- backend (its CPU, no commit flush): 468 µs so, 325 µs with lz4 alone, 209 µs with values kept whole in the row.
-- So a cart row is only compressed when it would not fit in a page otherwise (toast_tuple_target: the largest), and
-- then with lz4 (several times pglz's speed), out of line only beyond that. Rows are read by primary key only, so
-- their bigger size costs buffer space, not scans. Rows already stored keep their form until their next change.

ALTER TABLE cart SET (toast_tuple_target = 8160);

-- lz4 where the server was built with it (PostgreSQL 14+ with --with-lz4, as the distributions' and the embedded
-- servers' builds are); pglz stays otherwise.
DO $$
BEGIN
    IF 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[]) THEN
        ALTER TABLE cart
            ALTER COLUMN items SET COMPRESSION lz4,
            ALTER COLUMN rendered SET COMPRESSION lz4,
            ALTER COLUMN shipping_methods SET COMPRESSION lz4;
    END IF;
END
$$;
