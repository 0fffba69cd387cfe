"""`commerce serve` as a user runs it: no DATABASE_URL → embedded PostgreSQL, migrated, seeded, reused; with a
DATABASE_URL of a fresh database, migrated by the workers before they answer."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psycopg

from tests.conftest import BIN, ROOT, free_port, with_dbname


def _serve(home: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "COMMERCE_DATABASE_URL")}
    env |= {"COMMERCE_HOME": str(home), "PORT": str(port), "WORKERS": "1"}
    proc = subprocess.Popen(
        [str(BIN / "commerce"), "serve"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Started worker" in line:
            break
    return proc, lines


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


def _wait_health(url: str) -> None:
    for _ in range(100):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("server not healthy")


def test_serve_on_the_embedded_database_twice(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc, lines = _serve(tmp_path, port)
    try:
        out = "".join(lines)
        assert "seeded the demo store" in out, out
        key = re.search(r"publishable API key \(x-publishable-api-key\): (pk_[0-9a-f]+)", out)
        assert key, out
        assert "demo admin login: admin@commerce.local / supersecret" in out
        _wait_health(url)
        regions = httpx.get(f"{url}/store/regions", headers={"x-publishable-api-key": key.group(1)}).json()
        assert sorted(r["name"] for r in regions["regions"]) == ["Europe", "North America"]
        eu = next(r["id"] for r in regions["regions"] if r["name"] == "Europe")
        products = httpx.get(
            f"{url}/store/products",
            headers={"x-publishable-api-key": key.group(1)},
            params={"limit": 2, "region_id": eu, "fields": "*variants.calculated_price"},
        ).json()
        assert products["count"] == 1000, "the demo catalog"
        price = products["products"][0]["variants"][0]["calculated_price"]
        assert price["currency_code"] == "eur" and price["calculated_amount"] > 0
    finally:
        _stop(proc)
    assert (tmp_path / "pgdata" / "PG_VERSION").exists()
    # The embedded server stops with the app.
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()

    proc, lines = _serve(tmp_path, port)
    try:
        out = "".join(lines)
        assert "seeded" not in out and "applied migrations" not in out, out
        assert key.group(1) in out, "the same demo key is printed again"
        assert "demo admin login: admin@commerce.local" in out and "supersecret" not in out, out
        _wait_health(url)
    finally:
        _stop(proc)


def test_openapi_is_built_on_first_request_and_is_the_routes_document(client: httpx.Client) -> None:
    """The document is no longer built at startup: the first GET builds it, later GETs get the same bytes."""
    import json

    import msgspec

    from commerce import __version__
    from commerce.app import build_router
    from commerce.http import openapi

    first, second = client.get("/openapi.json"), client.get("/openapi.json")
    assert first.status_code == 200 and second.status_code == 200
    assert first.content == second.content
    expected = json.loads(msgspec.json.encode(openapi.document(build_router().routes, __version__)))
    assert first.json() == expected
    assert "/openapi.json" not in expected["paths"] and "/metrics" not in expected["paths"]


def test_serve_on_a_fresh_database_answers_nothing_before_it_is_migrated(server_url: str, tmp_path: Path) -> None:
    """With DATABASE_URL, Granian starts at once and the migrations run beside it: /health (liveness) may answer
    first, but no request that needs the schema is answered before the worker has applied them."""
    name = f"commerce_serve_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "COMMERCE_DATABASE_URL"}
    env |= {"DATABASE_URL": with_dbname(server_url, name), "COMMERCE_HOME": str(tmp_path), "PORT": str(port)}
    proc = subprocess.Popen(
        [str(BIN / "commerce"), "serve", "--no-seed"],
        env=env | {"WORKERS": "1"},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_health(url)
        # The guard reads api_key: on an unmigrated database this would be a 500, here it is the guard's answer.
        first = httpx.get(f"{url}/store/regions", headers={"x-publishable-api-key": "pk_unknown"}, timeout=30)
        assert first.status_code in (400, 401), first.text
        assert httpx.get(f"{url}/health/ready", timeout=5).status_code == 200
    finally:
        _stop(proc)
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
