"""psycopg's version modules without importlib.metadata, for a worker's start.

psycopg 3.3's `psycopg.version`, `psycopg_binary.version` and `psycopg_pool.version` are each one statement:
`__version__ = importlib.metadata.version(<distribution>)`. Importing importlib.metadata brings email, zipfile and csv
with it, and each call scans the whole of site-packages and parses a METADATA file: measured here ~2 MB of a worker's
RSS and 20-40 ms of its start, for three version strings nothing on the server reads. While `provided()` is open,
those three modules are made by this finder instead, with the same `__version__`, read from the name of the
distribution's `<name>-<version>.dist-info` directory beside the package (where pip puts it, and what
importlib.metadata finds there). When that is not exactly one directory (an editable or unusual install), the
finder steps aside for that module and psycopg's own runs, importlib.metadata and all."""

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

# module -> the distribution's name as its .dist-info directory spells it (lowercase, underscores)
DISTRIBUTIONS = {
    "psycopg.version": "psycopg",
    "psycopg_binary.version": "psycopg_binary",
    "psycopg_pool.version": "psycopg_pool",
}


class _Version:
    """Loader of a version module: `__version__` and nothing else, as psycopg's own leaves it."""

    def __init__(self, version: str) -> None:
        self.version = version

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        setattr(module, "__version__", self.version)  # noqa: B010 (a ModuleType has no such attribute to mypy)


class VersionFinder:
    """A meta path finder for DISTRIBUTIONS' modules only."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        distribution = DISTRIBUTIONS.get(fullname)
        if distribution is None or not path:
            return None
        version = installed_version(distribution, path[0])
        if version is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Version(version))  # type: ignore[arg-type]


def installed_version(distribution: str, package_dir: str) -> str | None:
    """The version in the name of `distribution`'s one .dist-info directory beside `package_dir`, else None."""
    site = os.path.dirname(package_dir)
    prefix = distribution + "-"
    try:
        names = [n for n in os.listdir(site) if n.lower().startswith(prefix) and n.endswith(".dist-info")]
    except OSError:
        return None
    if len(names) != 1:
        return None
    version = names[0][len(prefix) : -len(".dist-info")]
    return version or None


@contextmanager
def provided() -> Iterator[None]:
    """psycopg's version modules made by VersionFinder while the block imports psycopg (and psycopg_pool)."""
    finder = VersionFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
