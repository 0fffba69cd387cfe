"""Stock location module: locations with their address, and the sales channels, fulfillment providers and
fulfillment sets linked to them."""

from commerce.stock_location import schemas, service

__all__ = ["schemas", "service"]
