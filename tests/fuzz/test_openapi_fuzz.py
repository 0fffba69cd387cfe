"""The server against its own /openapi.json, fuzzed by schemathesis (the CLI, pinned in the dev extra): every store
and auth operation with the publishable key and a customer's token, then every admin operation with the admin's JWT.

Each run takes schemathesis's examples, coverage (boundary and invalid values of every parameter and body field)
and fuzzing phases, bounded by FUZZ_EXAMPLES cases per operation and phase, with a fixed seed (FUZZ_SEED) so a run is
reproducible. The test fails on any failed check but two that do not apply here:
- `ignored_auth`: the credentials go in as plain headers, which schemathesis cannot take off, so its "without
  authentication" request still carries them; tests/security's matrix asks every route without them.
- `positive_data_acceptance`: a request that fits the schema may still be refused by the domain (an id that names
  nothing, a cart that is not ready to complete) with a 4xx, as Medusa does.
Everything else is asserted: no 5xx, every answer's status, content type, headers and body as the document says,
schema-violating requests refused, unsupported methods answered 405 with a correct Allow.

The store run goes first: the admin run may revoke or delete what it finds in the answers (the publishable key, the
region), which the store run needs and the admin run does not (its JWT stays valid)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.shop import ok

BIN = Path(sys.executable).parent
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "5")
SEED = os.environ.get("FUZZ_SEED", "13")
NOT_APPLICABLE = "ignored_auth,positive_data_acceptance"
RESULTS: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    srv = Server(db_url, workers=2).start()
    yield srv
    srv.stop()


def schemathesis(server: Server, workdir: Path, name: str, paths: str, headers: dict[str, str]) -> dict[str, Any]:
    """One schemathesis run over the operations whose path matches `paths`; its JSON report."""
    report = workdir / f"{name}.json"
    cmd = [
        str(BIN / "schemathesis"),
        "run",
        f"{server.url}/openapi.json",
        "--include-path-regex",
        paths,
        "--phases",
        "examples,coverage,fuzzing",
        "--checks",
        "all",
        "--exclude-checks",
        NOT_APPLICABLE,
        "--max-examples",
        EXAMPLES,
        "--seed",
        SEED,
        "--workers",
        "2",
        "--request-timeout",
        "20",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    # Its own working directory: schemathesis keeps a cache of failures under ./.schemathesis.
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600, check=False)
    assert report.exists(), proc.stdout[-5000:] + proc.stderr[-5000:]
    found: dict[str, Any] = json.loads(report.read_text())
    found["output"] = proc.stdout
    RESULTS[name] = found
    return found


def assert_clean(run: dict[str, Any]) -> None:
    failures = [(f["code"], f["title"], f["count"], f["operations"]) for f in run["failures"]]
    # The failing cases in full (request, answer, curl to reproduce) are in schemathesis's output.
    assert not failures and not run["errors"], f"{failures}\n{run['errors']}\n{run['output'][-20000:]}"
    assert run["complete"] and run["exit_code"] == 0, run["output"][-5000:]
    assert run["operations"]["tested"] == run["operations"]["selected"] > 0, run["operations"]
    assert run["test_cases"]["errored"] == 0, run["test_cases"]


@pytest.fixture(scope="module")
def customer_token(server: Server, seeded: dict[str, str]) -> str:
    """A customer's JWT, so /store/customers/me and the other customer routes are fuzzed past their guard."""
    headers = {"x-publishable-api-key": seeded["publishable_key"]}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as store:
        login = {"email": "fuzzed@example.com", "password": "a fuzzed customer's password"}
        registration = ok(store.post("/auth/customer/emailpass/register", json=login))["token"]
        bearer = {"authorization": f"Bearer {registration}"}
        ok(store.post("/store/customers", json={"email": login["email"]}, headers=bearer))
        token: str = ok(store.post("/auth/customer/emailpass", json=login))["token"]
    return token


@pytest.mark.timeout(600)
def test_store_and_auth_operations(server: Server, seeded: dict[str, str], customer_token: str, tmp_path: Path) -> None:
    headers = {"x-publishable-api-key": seeded["publishable_key"], "authorization": f"Bearer {customer_token}"}
    run = schemathesis(server, tmp_path, "store", "^/(store|auth|hooks|health|static)", headers)
    assert_clean(run)
    assert run["operations"]["tested"] >= 50


@pytest.mark.timeout(600)
def test_admin_operations(server: Server, admin_token: str, tmp_path: Path) -> None:
    run = schemathesis(server, tmp_path, "admin", "^/admin", {"authorization": f"Bearer {admin_token}"})
    assert_clean(run)
    assert run["operations"]["tested"] >= 170


def test_the_server_logged_no_unhandled_error(server: Server) -> None:
    """Nothing the fuzzers sent reached the catch-all (it logs 'unhandled error' before answering 500)."""
    assert RESULTS, "the fuzz runs did not run"
    log = server.log_text()
    assert "unhandled error" not in log and "Traceback" not in log, log[-5000:]
    for name, run in RESULTS.items():
        print(f"fuzz {name}: {run['operations']['tested']} operations, {run['test_cases']['generated']} test cases")
