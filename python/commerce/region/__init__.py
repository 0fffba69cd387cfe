"""Region module: regions (currency, countries, tax and payment settings) and the country list."""

from commerce.region import schemas, service

__all__ = ["schemas", "service"]
