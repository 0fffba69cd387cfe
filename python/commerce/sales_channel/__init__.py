"""Sales channel module: where products are sold (web store, POS, app); publishable keys point at them."""

from commerce.sales_channel import schemas, service

__all__ = ["schemas", "service"]
