"""Prefixed ULID identifiers (`reg_01J...`), as Medusa names its rows."""

import os
import time
from functools import lru_cache

_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32, as ULIDs are written
# A random byte -> a random digit (256 is a multiple of 32, so every digit is as likely).
_RANDOM_DIGIT = bytes(_DIGITS[b % 32].encode()[0] for b in range(256))


def new_ids(prefix: str, n: int) -> list[str]:
    """`n` ids of this millisecond: a ULID each (10 digits of Unix time in ms, then 16 random digits, 80 bits), made
    in one pass over one read of random bytes: a bulk import names hundreds of thousands of rows, and one ULID()
    object each cost ~10-17 us."""
    if n <= 0:
        return []
    head = f"{prefix}_{_time_digits(time.time_ns() // 1_000_000)}"
    digits = os.urandom(16 * n).translate(_RANDOM_DIGIT).decode()
    return [head + digits[i : i + 16] for i in range(0, 16 * n, 16)]


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
