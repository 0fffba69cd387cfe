"""Product module: products, options, variants, images, categories, collections, tags and types."""

from typing import TYPE_CHECKING

from commerce.lazy import submodules
from commerce.product import schemas

if TYPE_CHECKING:
    from commerce.product import service, taxonomy

__getattr__ = submodules(__name__, ("service", "taxonomy"))  # imported when first used (commerce/lazy.py)
__all__ = ["schemas", "service", "taxonomy"]
