"""Currency module: ISO 4217 currencies with their symbols and decimal digits (read-only reference data)."""

from commerce.currency import schemas, service

__all__ = ["schemas", "service"]
