"""Promotion module: promotions (standard, buy-get; automatic or by code), their rules, campaigns and budgets."""

from commerce.promotion import schemas, service

__all__ = ["schemas", "service"]
