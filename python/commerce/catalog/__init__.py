"""The storefront read model: published products, categories, collections and the engine's price index, kept in
memory per worker and rebuilt when PostgreSQL notifies a change. The one place that joins across modules."""
