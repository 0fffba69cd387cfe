"""Cart module: carts, their addresses, line items and what was computed for them; the flows compute it."""

from commerce.cart import schemas, service

__all__ = ["schemas", "service"]
