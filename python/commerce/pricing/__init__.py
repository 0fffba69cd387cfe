"""Pricing module: price sets per variant, prices (quantity tiers, rules), price lists, price preferences."""

from commerce.pricing import schemas, service

__all__ = ["schemas", "service"]
