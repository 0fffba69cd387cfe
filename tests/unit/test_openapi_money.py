"""/openapi.json declares money as the answers send it: a JSON number (and accepts a decimal string in requests)."""

import json
from typing import Any

from commerce import __version__
from commerce.app import build_router
from commerce.http import openapi


def _walk(node: Any, parents: tuple[Any, ...] = ()) -> list[tuple[Any, tuple[Any, ...]]]:
    found = []
    if isinstance(node, dict):
        if node.get("format") == "decimal":
            found.append((node, parents))
        for value in node.values():
            found += _walk(value, (*parents, node))
    elif isinstance(node, list):
        for value in node:
            found += _walk(value, parents)
    return found


def test_every_decimal_is_a_number_or_a_decimal_string() -> None:
    doc = json.loads(json.dumps(openapi.document(build_router().routes, __version__)))
    decimals = _walk(doc)
    assert decimals, "the document has money in it"
    for node, parents in decimals:
        assert node == openapi.DECIMAL, node
        assert parents[-1] == openapi.MONEY, "declared beside a plain number, which is what answers send"
