"""Customer module: customers (guest and registered), their addresses, and customer groups."""

from commerce.customer import schemas, service

__all__ = ["schemas", "service"]
