"""commerce-core: a headless commerce engine with a Medusa v2 compatible API and a Rust core."""

__version__ = "0.1.0"
