"""Product module: products, options, variants, images, categories, collections, tags and types."""

from commerce.product import schemas, service, taxonomy

__all__ = ["schemas", "service", "taxonomy"]
