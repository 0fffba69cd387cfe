"""The storefront read model, the one place that joins across modules: product documents rendered by PostgreSQL
(catalog.documents, a byte-budgeted cache per worker, invalidated row by row), categories and collections and the
stock (small per-worker models reloaded on a NOTIFY), and prices from the engine (catalog.prices)."""
