"""Prefixed ULID identifiers (`reg_01J...`), as Medusa names its rows."""

from ulid import ULID


def new_id(prefix: str) -> str:
    return f"{prefix}_{ULID()}"
