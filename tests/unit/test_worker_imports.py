"""What a worker imports at its start: psycopg's version modules without importlib.metadata
(commerce.db.psycopg_versions) and domain services imported when first used (commerce.lazy). Each check runs in a
fresh interpreter: this one has imported everything already."""

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from commerce.db.psycopg_versions import installed_version

PYTHON_DIR = str(Path(__file__).resolve().parents[2] / "python")


def fresh(code: str) -> Any:
    """Run `code` in a new interpreter with this checkout's package first; it prints one JSON value."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([PYTHON_DIR, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_psycopg_imported_with_the_same_versions_and_without_importlib_metadata() -> None:
    found = fresh(
        "import json, sys\n"
        "from commerce.db import psycopg_versions\n"
        "with psycopg_versions.provided():\n"
        "    import psycopg, psycopg_pool\n"
        "from psycopg import _cmodule\n"
        "print(json.dumps({'psycopg': psycopg.__version__, 'module': psycopg.version.__version__,\n"
        "    'binary': _cmodule.__version__, 'pool': psycopg_pool.__version__, 'impl': psycopg.pq.__impl__,\n"
        "    'metadata': 'importlib.metadata' in sys.modules, 'email': 'email' in sys.modules,\n"
        "    'finders': sum(type(f).__name__ == 'VersionFinder' for f in sys.meta_path)}))"
    )
    binary = metadata.version("psycopg-binary") if found["impl"] == "binary" else None  # the wheel this venv has
    assert found == {
        "psycopg": metadata.version("psycopg"),
        "module": metadata.version("psycopg"),
        "binary": binary,
        "pool": metadata.version("psycopg-pool"),
        "impl": found["impl"],
        "metadata": False,
        "email": False,
        "finders": 0,  # the finder is gone after the block
    }


def test_a_version_is_read_only_from_exactly_one_dist_info(tmp_path: Path) -> None:
    package = tmp_path / "psycopg"
    package.mkdir()
    assert installed_version("psycopg", str(package)) is None  # none: psycopg's own module runs
    (tmp_path / "psycopg-3.3.9.dist-info").mkdir()
    (tmp_path / "psycopg_pool-3.3.3.dist-info").mkdir()  # another distribution's: not psycopg's
    assert installed_version("psycopg", str(package)) == "3.3.9"
    (tmp_path / "psycopg-3.2.0.dist-info").mkdir()
    assert installed_version("psycopg", str(package)) is None  # two: which one importlib.metadata finds is its call


def test_domain_services_are_imported_when_first_used() -> None:
    found = fresh(
        "import json, sys\n"
        "import commerce.product, commerce.inventory\n"
        "before = [m for m in ('commerce.product.service', 'commerce.inventory.service', 'commerce.fulfillment')\n"
        "          if m in sys.modules]\n"
        "from commerce import product\n"
        "service = product.service\n"
        "print(json.dumps({'before': before, 'service': service.__name__,\n"
        "    'same': service is sys.modules['commerce.product.service'],\n"
        "    'inventory': commerce.inventory.service.__name__, 'taxonomy': product.taxonomy.__name__}))"
    )
    assert found == {
        "before": [],
        "service": "commerce.product.service",
        "same": True,
        "inventory": "commerce.inventory.service",
        "taxonomy": "commerce.product.taxonomy",
    }


def test_an_unknown_attribute_of_a_lazy_package_is_an_attribute_error() -> None:
    import commerce.product

    try:
        commerce.product.no_such_module  # noqa: B018
    except AttributeError as exc:
        assert "no_such_module" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_the_app_watches_the_tables_of_the_cart_caches_it_does_not_import() -> None:
    from commerce import app
    from commerce.promotion import service as promotion_service
    from commerce.tax import service as tax_service

    assert app.PROMOTION_TABLES == promotion_service.TABLES
    assert app.TAX_TABLES == tax_service.TABLES


def test_a_worker_start_imports_neither_the_cart_caches_services_nor_the_domain_services() -> None:
    found = fresh(
        "import json, sys\n"
        "import commerce.app\n"
        "print(json.dumps(sorted(m for m in ('commerce.promotion.service', 'commerce.tax.service',\n"
        "    'commerce.product.service', 'commerce.inventory.service', 'commerce.fulfillment') if m in sys.modules)))"
    )
    assert found == []
