"""Cart module: carts, their addresses and line items; totals come from the engine."""

from commerce.cart import schemas, service

__all__ = ["schemas", "service"]
