-- Carts (module: cart): half of each page of the table kept free, so that a cart's changes stay HOT updates (the new
-- version on the old one's page: no index entry, the old one pruned in place). A change rewrites the row (1-4 KB with
-- its compressed lines and rendering). At fillfactor 100 PostgreSQL prunes a page only once its free space is under
-- 10 % of the page (819 bytes), so a page of 1-2 KB rows often had too much free space to be pruned and too little
-- for the new version: measured under wrk (bench/cart_pg_cost.py), 50 % of quantity changes and 33 % of address
-- changes were HOT, ~100 % of each at fillfactor 50 (prune below 4 KB free). Existing pages keep their layout; the
-- prune threshold applies at once.

ALTER TABLE cart SET (fillfactor = 50);
