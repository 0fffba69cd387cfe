"""Fulfillment module: fulfillment providers, fulfillment sets, service zones, geo zones, shipping profiles and
shipping options, and the store's shipping options for a cart."""

from commerce.fulfillment import schemas, service

__all__ = ["schemas", "service"]
