"""Inventory module: inventory items, their levels at stock locations, reservations for order lines, and the links
product variant -> inventory item."""

from typing import TYPE_CHECKING

from commerce.inventory import schemas
from commerce.lazy import submodules

if TYPE_CHECKING:
    from commerce.inventory import service

__getattr__ = submodules(__name__, ("service",))  # imported when first used (commerce/lazy.py)
__all__ = ["schemas", "service"]
