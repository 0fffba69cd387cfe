"""Submodules a package imports when first asked for (PEP 562), not when the package is imported.

`from commerce import product` then `product.service.x(...)` is how modules reach a domain's service; a package that
imported its service eagerly pulled every service that one imports (product -> fulfillment -> stock_location, ...)
into every process that only needed the package's schemas: a storefront worker's first page needs none of them."""

import importlib
from collections.abc import Callable, Iterable
from types import ModuleType


def submodules(package: str, names: Iterable[str]) -> Callable[[str], ModuleType]:
    """The package's module-level `__getattr__`: `package.<name>` for these names imports `package.name`."""
    lazy = frozenset(names)

    def __getattr__(name: str) -> ModuleType:
        if name in lazy:
            return importlib.import_module(f"{package}.{name}")  # also sets the attribute: asked once
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
