"""Helpers on request Structs shared by the modules' services."""

from typing import Any

import msgspec


def given(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields a partial update actually sent (those not left UNSET)."""
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not msgspec.UNSET}
