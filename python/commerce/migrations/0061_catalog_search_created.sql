-- Search at scale (issue 10): a page of a search in the store's order (created_at, id), relevance's two parts in
-- turn, walks this index and stops at the page's last row, where ranking every match visited all of them (10,000 for
-- a word of the demo titles at 100k products, on every page of catalog_search). The count comes once per search
-- and generation from the worker's cache (catalog.documents).
CREATE INDEX catalog_search_created_idx ON catalog_search (created_at, id);
