"""Inventory module: inventory items, their levels at stock locations, reservations for order lines, and the links
product variant -> inventory item."""

from commerce.inventory import schemas, service

__all__ = ["schemas", "service"]
