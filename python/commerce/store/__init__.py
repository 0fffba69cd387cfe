"""Store module: the store's name, supported currencies and defaults (region, sales channel, location)."""

from commerce.store import schemas, service

__all__ = ["schemas", "service"]
