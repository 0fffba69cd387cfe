"""The store a server's workers share carts through (cart.copies): what a worker puts another takes back as the
cart read from PostgreSQL would be, a slower worker's older copy never replaces a newer one, a full store empties
itself, and a directory that is not this user's own is never used."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from commerce.cart import copies


def _cart(version: int, quantity: int = 1, cart_id: str = "cart_01TEST") -> dict[str, Any]:
    now = datetime(2026, 12, 3, 14, 0, 0, 123456, tzinfo=UTC)
    return {
        "id": cart_id,
        "region_id": "reg_1",
        "customer_id": None,
        "email": None,
        "currency_code": "usd",
        "completed_at": None,
        "created_at": now,
        "updated_at": now,
        "version": version,
        "promo_codes": ["TEN"],
        "metadata": {"gift": True, "note": "ribbon", "ratio": 0.5},
        "items": [
            {
                "id": "cali_1",
                "variant_id": "variant_1",
                "quantity": quantity,
                "unit_price": Decimal("10.10"),
                "compare_at_unit_price": None,
                "created_at": "2026-12-03T14:00:00.123456Z",
                "adjustments": [{"id": "caliadj_1", "amount": Decimal("1.01"), "promotion_id": "promo_1"}],
                "tax_lines": [{"id": "calitxl_1", "rate": Decimal("8.25"), "code": "US"}],
            }
        ],
        "shipping_methods": [{"id": "casm_1", "amount": Decimal("8"), "tax_lines": []}],
        "shipping_address": None,
        "billing_address": None,
        "customer": None,
        "customer_seen": None,
        "payment_collection_id": None,
    }


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> copies.Shared:
    monkeypatch.setattr(copies, "base_dir", lambda: tmp_path)
    shared = copies.Shared.open("127.0.0.1:5432/test-db", 1024 * 1024)
    assert shared is not None
    shared.register(os.getppid())  # another live worker of this server uses it
    yield shared
    shared.close()


def test_a_cart_put_by_one_worker_comes_back_exact(store: copies.Shared) -> None:
    cart = _cart(3)
    store.put(cart)
    found = store.get(cart["id"])
    assert found is not None and found[0] == 3
    back = copies.unpack(found[1])
    assert back == cart
    item = back["items"][0]
    assert type(item["unit_price"]) is Decimal and str(item["unit_price"]) == "10.10"
    assert type(item["adjustments"][0]["amount"]) is Decimal and type(item["tax_lines"][0]["rate"]) is Decimal
    assert back["updated_at"] == cart["updated_at"] and back["updated_at"].tzinfo is not None
    assert store.get("cart_other") is None


def test_a_worker_alone_on_its_store_neither_puts_nor_gets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copies, "base_dir", lambda: tmp_path)
    monkeypatch.setattr(copies, "LOOK_AGAIN", 0.0)
    alone = copies.Shared.open("127.0.0.1:5432/alone-db", 1024 * 1024)
    assert alone is not None
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    alone.register(int(gone.stdout))  # a worker that has exited since
    alone.put(_cart(1))
    assert not alone.shared() and alone.get("cart_01TEST") is None
    alone.register(os.getppid())  # a second live worker: from now on copies are shared
    assert alone.get("cart_01TEST") is None  # (what was not put while alone is not there)
    alone.put(_cart(2))
    found = alone.get("cart_01TEST")
    assert found is not None and found[0] == 2
    with alone.env.begin() as txn:  # the worker that is gone was forgotten
        assert txn.get(copies.WORKER + gone.stdout.strip().encode()) is None
    alone.close()


def test_an_older_copy_never_replaces_a_newer_one(store: copies.Shared) -> None:
    store.put(_cart(5, quantity=5))
    store.put(_cart(4, quantity=4))  # a slower worker's put of the version before
    found = store.get("cart_01TEST")
    assert found is not None and found[0] == 5
    assert copies.unpack(found[1])["items"][0]["quantity"] == 5
    store.put(_cart(6, quantity=6))
    found = store.get("cart_01TEST")
    assert found is not None and found[0] == 6


def test_a_full_store_empties_itself_and_keeps_working(store: copies.Shared, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copies, "LOOK_AGAIN", 3600.0)  # (emptying drops the other worker's registration too)
    big = _cart(1)
    big["metadata"] = {"blob": "x" * 40_000}
    for n in range(60):  # ~2.4 MB into a 1 MB store
        store.put({**big, "id": f"cart_{n:03d}"})
    assert store.get("cart_059") is not None  # the last one is always there
    assert store.get("cart_000") is None  # the first ones went when it filled up
    with store.env.begin() as txn:  # the worker registered itself again when the store was emptied
        assert txn.get(copies.WORKER + str(os.getpid()).encode()) is not None


def test_a_directory_that_is_not_this_users_own_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(copies, "base_dir", lambda: tmp_path)
    shared = copies.Shared.open("127.0.0.1:5432/open-db", 1024 * 1024)
    assert shared is not None
    shared.close()
    os.chmod(shared.path, 0o770)  # noqa: S103 - as if others could have put carts in it
    assert copies.Shared.open("127.0.0.1:5432/open-db", 1024 * 1024) is None
    assert "not shared between workers" in caplog.text
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    os.chmod(shared.path, 0o700)
    os.rename(shared.path, tmp_path / "moved")
    os.symlink(target, shared.path)  # a link planted where the store goes
    assert copies.Shared.open("127.0.0.1:5432/open-db", 1024 * 1024) is None


def test_stores_of_servers_that_are_gone_are_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copies, "base_dir", lambda: tmp_path)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"{copies.PREFIX}{gone.stdout.strip()}-0123456789abcdef"
    alive = tmp_path / f"{copies.PREFIX}{os.getppid()}-fedcba9876543210"
    dead.mkdir()
    alive.mkdir()
    shared = copies.Shared.open("127.0.0.1:5432/sweep-db", 1024 * 1024)
    assert shared is not None
    shared.close()
    assert not dead.exists() and alive.exists() and shared.path.exists()
    copies.remove_server_stores(os.getppid())
    assert not alive.exists() and not shared.path.exists()


def test_a_store_that_fails_is_no_longer_used(store: copies.Shared, caplog: pytest.LogCaptureFixture) -> None:
    store.put(_cart(1))
    store.close()  # as if its file went away under the worker
    assert store.get("cart_01TEST") is None
    store.put(_cart(2))  # no error: the change goes on without it
    assert store.broken and "no longer shared" in caplog.text
