-- Search at scale (issue 10: `q` p50 <= 10 ms at 100k products). A word of the demo titles matches 10 % of the
-- catalog, and Medusa's list returns the exact count: every match is visited. In catalog_product (~1 KB a row: the
-- document's TOAST pointer, the keys of every filter, the search vector) the 10,000 matches of a common word lie on
-- nearly every one of its ~14,000 pages, more than PostgreSQL's buffers keep; and ts_rank over each cost ~3.5 us.
--
-- catalog_search holds what a search reads of each published product, ~300 bytes a row (a quarter of the pages):
-- its channels, its creation time, its text (search_text, lower-cased: the trigram index answers `q`) and the words
-- of its title and handle (search_title, stripped: the ranking puts the products whose title or handle begins a
-- word with each word of `q` first, a test of a few lexemes instead of ts_rank). A statement trigger copies each
-- render of catalog_product (catalog_render: one INSERT ... ON CONFLICT and one DELETE per set of products), so
-- every writer keeps it without knowing it. catalog_product's own search indexes go: nothing reads them now.
CREATE TABLE catalog_search (
    id            text PRIMARY KEY,
    created_at    timestamptz NOT NULL,
    channel_ids   text[] NOT NULL,
    search_title  tsvector NOT NULL,
    search_text   text NOT NULL
);

CREATE FUNCTION catalog_search_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM catalog_search s USING old_rows o WHERE s.id = o.id;
    ELSE
        INSERT INTO catalog_search AS s (id, created_at, channel_ids, search_title, search_text)
        SELECT n.id, n.created_at, n.channel_ids, strip(to_tsvector('simple', n.title || ' ' || n.handle)),
               n.search_text
        FROM new_rows n
        ON CONFLICT (id) DO UPDATE SET
            created_at = excluded.created_at, channel_ids = excluded.channel_ids,
            search_title = excluded.search_title, search_text = excluded.search_text;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER catalog_search_ins AFTER INSERT ON catalog_product REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_copy();
CREATE TRIGGER catalog_search_upd AFTER UPDATE ON catalog_product REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_copy();
CREATE TRIGGER catalog_search_del AFTER DELETE ON catalog_product REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_copy();

INSERT INTO catalog_search (id, created_at, channel_ids, search_title, search_text)
SELECT id, created_at, channel_ids, strip(to_tsvector('simple', title || ' ' || handle)), search_text
FROM catalog_product;

DROP INDEX IF EXISTS catalog_product_search_idx;
DROP INDEX IF EXISTS catalog_product_trgm_idx;
-- Where the server has pg_trgm (the embedded one may not: then `q` matches by a scan of this narrow table).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX catalog_search_trgm_idx ON catalog_search USING gin (search_text gin_trgm_ops);
    END IF;
END $$;
ANALYZE catalog_search;
