"""User module: admin users (people who log in to the admin API)."""

from commerce.user import schemas, service

__all__ = ["schemas", "service"]
