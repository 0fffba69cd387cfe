"""Prefixed ULID identifiers (`reg_01J...`), as Medusa names its rows."""

import os
import threading
import time
from functools import lru_cache

_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32, as ULIDs are written
# A random byte -> a random digit (256 is a multiple of 32, so every digit is as likely).
_RANDOM_DIGIT = bytes(_DIGITS[b % 32].encode()[0] for b in range(256))


def new_ids(prefix: str, n: int) -> list[str]:
    """`n` ids of this millisecond, each greater than any this process made before in the same millisecond: a ULID
    each (10 digits of Unix time in ms, then 16 digits, 80 bits: a 30-bit count that only goes up within a
    millisecond and 50 random bits), made in one pass over one read of random bytes: a bulk import names hundreds of
    thousands of rows, and one ULID() object each cost ~10-17 us.

    Rows written by one transaction share `created_at`, and lists order by (created_at, id): with ids wholly random
    within a millisecond, rows made by one request (a tax rate's rules, a product's variants) came back in a random
    order. The 50 random bits keep an id unguessable from the one before (a guest cart's id is its key)."""
    global _ms, _count
    if n <= 0:
        return []
    ms = time.time_ns() // 1_000_000
    with _lock:  # an import builds rows in a thread beside the event loop's requests
        if ms > _ms or _count + n >= _COUNT_LIMIT:
            # A new millisecond (or, never in practice, a billion ids in one): the count starts low and random.
            _ms, _count = max(ms, _ms + (ms <= _ms)), int.from_bytes(os.urandom(4)) >> 4
        made_at, start, _count = _ms, _count, _count + n
    head = f"{prefix}_{_time_digits(made_at)}"
    digits = os.urandom(10 * n).translate(_RANDOM_DIGIT).decode()
    pairs = _PAIRS
    return [
        head + pairs[c >> 20] + pairs[(c >> 10) & 1023] + pairs[c & 1023] + digits[i : i + 10]
        for i, c in zip(range(0, 10 * n, 10), range(start, start + n), strict=True)
    ]


_COUNT_LIMIT = 1 << 30
_PAIRS = [_DIGITS[i >> 5] + _DIGITS[i & 31] for i in range(1024)]  # a 10-bit number as two digits
_ms = 0  # the millisecond of the last id made, and the count it reached
_count = 0
_lock = threading.Lock()


@lru_cache(maxsize=4)
def _time_digits(ms: int) -> str:
    return "".join([_DIGITS[(ms >> shift) & 31] for shift in range(45, -5, -5)])


def new_id(prefix: str) -> str:
    return new_ids(prefix, 1)[0]


class IdSource:
    """`new_id` for a bulk writer: ids drawn from `new_ids` batches, one batch per prefix at a time."""

    def __init__(self, batch: int = 4096) -> None:
        self._batch = batch
        self._left: dict[str, list[str]] = {}

    def __call__(self, prefix: str) -> str:
        left = self._left.get(prefix)
        if not left:
            left = self._left[prefix] = new_ids(prefix, self._batch)
            left.reverse()  # popped from the end: handed out in the order made
        return left.pop()
