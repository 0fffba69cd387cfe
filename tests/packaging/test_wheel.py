"""The release wheel as a user installs it: built by maturin, installed into fresh venvs outside the checkout and run
from a temporary directory. With `[server]` it migrates a fresh database and serves the API; the base install is the
engine alone, without the server's dependencies."""

import os
import re
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from commerce.cli import SERVER_MODULES
from tests.conftest import BIN, ROOT, free_port, with_dbname

pytestmark = pytest.mark.timeout(900)  # the first run downloads the server's dependencies

TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
ENGINE_ONLY_FORBIDDEN = ("psycopg", "psycopg_pool", "granian", "pgserver", "msgspec", "uvloop", "argon2", "jwt")


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that points into the checkout or at its databases."""
    drop = "PYTHONPATH VIRTUAL_ENV DATABASE_URL COMMERCE_DATABASE_URL COMMERCE_MIGRATIONS COMMERCE_HOME".split()
    return {k: v for k, v in os.environ.items() if k not in drop} | extra


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make wheel`'s command; cargo reuses what `make install` compiled (same interpreter, so same PYO3_PYTHON)."""
    out = tmp_path_factory.mktemp("wheels")
    _run([str(BIN / "maturin"), "build", "--release", "-q", "-i", sys.executable, "-o", str(out)], cwd=ROOT)
    (found,) = out.glob("commerce_core-*.whl")
    return found


def _venv(where: Path, wheel: Path, extras: str) -> Path:
    """A fresh venv (no pip of its own: the outer pip installs into it) with the wheel installed; its bin dir."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(where)], cwd=where.parent)
    target = where / "bin" / "python"
    _run([str(BIN / "pip"), "--python", str(target), "install", "-q", f"{wheel}{extras}"], cwd=where.parent)
    return where / "bin"


@pytest.fixture(scope="module")
def server_venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    return _venv(tmp_path_factory.mktemp("server-venv") / "venv", wheel, "[server]")


@pytest.fixture(scope="module")
def base_venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    return _venv(tmp_path_factory.mktemp("base-venv") / "venv", wheel, "")


@pytest.fixture
def fresh_db(server_url: str) -> Iterator[str]:
    name = f"commerce_w_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield with_dbname(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_base_install_depends_on_nothing_and_dev_installs_the_server() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == [], "the engine alone needs no third-party package"
    extras = project["optional-dependencies"]
    assert set(extras["server"]) <= set(extras["dev"]), "make install (--extras dev) installs the server too"


def test_the_wheel_carries_the_migrations_and_the_demo_images(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(p.name for p in (ROOT / "python/commerce/migrations").glob("*.sql"))
    assert shipped and {f"commerce/migrations/{n}" for n in shipped} <= names
    images = sorted(p.name for p in (ROOT / "python/commerce/static/demo").iterdir())
    assert images and {f"commerce/static/demo/{n}" for n in images} <= names


def test_the_server_install_migrates_and_serves(
    server_venv: Path, fresh_db: str, template_db: str, server_url: str, tmp_path: Path
) -> None:
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = _clean_env(DATABASE_URL=fresh_db, COMMERCE_HOME=str(tmp_path / "home"))
    where = _run([str(server_venv / "python"), "-c", "import commerce; print(commerce.__file__)"], cwd, env)
    assert where.startswith(str(server_venv.parent)), f"commerce imported from {where}, not from the venv"

    out = _run([str(server_venv / "commerce"), "migrate"], cwd, env, timeout=120)
    assert "applied migrations: 0001_foundation" in out, out
    with psycopg.connect(fresh_db) as installed, psycopg.connect(with_dbname(server_url, template_db)) as source:
        tables = [r[0] for r in installed.execute(TABLES)]
        assert tables == [r[0] for r in source.execute(TABLES)], "the wheel's migrations build the source tree's schema"
        assert len(tables) > 40
        assert installed.execute("SELECT count(*) FROM region_country").fetchone() == (250,)

    # A small demo store (the seed `serve` does on first start, with 1,000 products, is the same code).
    _run([str(server_venv / "commerce"), "seed", "--demo", "--products", "3", "-q"], cwd, env, timeout=120)
    port = free_port()
    env |= {"HOST": "127.0.0.1", "PORT": str(port), "WORKERS": "1"}
    proc = subprocess.Popen(
        [str(server_venv / "commerce"), "serve"], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        lines = _read_until_started(proc)
        key = re.search(r"publishable API key \(x-publishable-api-key\): (pk_[0-9a-f]+)", lines)
        assert key, lines
        url = f"http://127.0.0.1:{port}"
        _wait_health(url, proc, lines)
        regions = httpx.get(f"{url}/store/regions", headers={"x-publishable-api-key": key.group(1)}, timeout=10)
        assert regions.status_code == 200, regions.text
        assert sorted(r["name"] for r in regions.json()["regions"]) == ["Europe", "North America"]
        image = httpx.get(f"{url}/static/demo/bag-front.png", timeout=10)
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG"), "the demo images ship in the wheel"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _read_until_started(proc: subprocess.Popen[bytes]) -> str:
    """Until a worker started and the demo key was printed (by the setup `serve` runs beside Granian: either first)."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode(errors="replace")
        if not line:
            break
        lines.append(line)
        out = "".join(lines)
        if "Started worker" in out and "publishable API key" in out:
            break
    return "".join(lines)


def _wait_health(url: str, proc: subprocess.Popen[bytes], lines: str) -> None:
    for _ in range(100):
        assert proc.poll() is None, f"commerce serve exited:\n{lines}"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"commerce serve did not answer /health:\n{lines}")


def test_the_base_install_is_the_engine_alone(base_venv: Path, tmp_path: Path) -> None:
    env = _clean_env()
    listed = _run([str(BIN / "pip"), "--python", str(base_venv / "python"), "list", "--format=freeze"], tmp_path)
    assert [line.split("==")[0] for line in listed.split()] == ["commerce-core"], listed

    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "the README shows the engine from Python"
    check = f"import sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {set(ENGINE_ONLY_FORBIDDEN)!r}))\n"
    reference = "from commerce.engine_reference import inventory, money, pricing, promotion, totals\n"
    for code in ["import commerce.engine\n", reference, *blocks]:
        out = _run([str(base_venv / "python"), "-c", code + check], tmp_path, env)
        assert out.strip() == "[]", f"the engine pulled in the server stack: {out}"

    done = subprocess.run(
        [str(base_venv / "commerce"), "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done
    assert "pip install 'commerce-core[server]'" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert all(name in done.stderr for name in SERVER_MODULES), "it names what is missing"
