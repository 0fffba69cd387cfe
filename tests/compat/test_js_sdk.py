"""Wire compatibility: drive a real server through Medusa's official JS SDK (@medusajs/js-sdk, pinned in
tests/compat/package.json). Runs when node and npm are on PATH, as on CI; skipped otherwise."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Server
from tests.shop import build, ok

pytestmark = [
    pytest.mark.compat,
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None, reason="node and npm are needed for the JS SDK"
    ),
]

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
LOCKFILE = HERE / "package-lock.json"
NPM_CI_TIMEOUT = 300
SCRIPT_TIMEOUT = 120


def _output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


@pytest.fixture(scope="module")
def node_project() -> Path:
    """tests/compat with its locked node_modules: `npm ci` when missing or older than package-lock.json."""
    stamp = NODE_MODULES / ".package-lock.json"  # written by npm on every install
    if not stamp.exists() or stamp.stat().st_mtime < LOCKFILE.stat().st_mtime:
        proc = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT,
            check=False,
        )
        assert proc.returncode == 0, f"npm ci failed\n{_output(proc)}"
    return HERE


def run_script(project: Path, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", script],
        cwd=project,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )


# One script per storefront area, each driving a real server through the SDK.
SCRIPTS = [
    "store_regions",
    "store_customers",
    "store_catalog",
    "store_carts",
    "store_shipping",
    "store_checkout",
    "admin_orders",
]
# Scripts that sell from the shop tests/shop.py builds (passed as JSON in SHOP; see shop.mjs).
SHOP_SCRIPTS = {"store_checkout", "admin_orders"}
# Medusa behaviours a script finds missing are recorded in its summary, not failed on; the ones listed here are
# known. Once thirteen (catalog five, carts seven, shipping one); all fixed. The checkout scripts found the three
# below. A fixed one simply drops out; a new one must be looked at (and listed) first.
KNOWN_DIVERGENCES: set[str] = set()  # none left: a divergence the scripts record fails the test


@pytest.fixture(scope="module")
def checkout_shop(admin: httpx.Client) -> dict[str, Any]:
    """The shop the checkout scripts sell from: a stock location serving the demo channel, a US zone with a flat
    Standard option (10 usd), a shipping profile; and pp_test_test offered in North America beside pp_system_default,
    so a script can have a card declined (session data {"outcome": "decline"})."""
    shop = build(admin, suffix=" (SDK checkout)")
    providers = {"payment_providers": ["pp_system_default", "pp_test_test"]}
    ok(admin.post(f"/admin/regions/{shop['region']}", json=providers))
    return shop


@pytest.mark.timeout(NPM_CI_TIMEOUT + SCRIPT_TIMEOUT + 60)
@pytest.mark.parametrize("script", SCRIPTS)
def test_through_the_js_sdk(
    request: pytest.FixtureRequest, node_project: Path, server: Server, seeded: dict[str, str], script: str
) -> None:
    env = {
        "BASE_URL": server.url,
        "PUBLISHABLE_KEY": seeded["publishable_key"],
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    if script in SHOP_SCRIPTS:
        env["SHOP"] = json.dumps(request.getfixturevalue("checkout_shop"))
    proc = run_script(node_project, f"{script}.mjs", env)
    assert proc.returncode == 0, _output(proc)
    print(proc.stdout.strip())  # the summary line, shown with -s or -rP
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary["ok"] is True and summary["script"] == script, _output(proc)
    new = {d["name"] for d in summary.get("divergences", [])} - KNOWN_DIVERGENCES
    assert not new, f"new divergences from Medusa: {sorted(new)}\n{_output(proc)}"
