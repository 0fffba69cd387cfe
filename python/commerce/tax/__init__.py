"""Tax module: tax regions (country → province), tax rates with rules, providers, and the cart's tax lines."""

from commerce.tax import schemas, service

__all__ = ["schemas", "service"]
