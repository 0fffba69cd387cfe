"""Order module: orders made from carts (their line, shipping and address snapshot), the quantities fulfilled,
shipped and delivered per line, and the links to the cart, payment collections, promotions and fulfillments."""

from commerce.order import schemas, service

__all__ = ["schemas", "service"]
