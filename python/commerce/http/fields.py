"""Medusa's `fields` query parameter: `+x` adds to the defaults, `-x` removes, plain names replace them;
`*rel` or `rel.*` selects a relation whole, `rel.x` selects some of its fields."""

from collections.abc import Mapping
from typing import Any

from commerce.errors import InvalidData

# A plan maps an output key to None (take it as it is) or to the plan of a nested relation.
Plan = dict[str, "Plan | None"]


class Shape:
    """What a resource can return: its scalar fields and its relations (each a Shape)."""

    __slots__ = ("ordered", "relations", "scalars")

    def __init__(self, scalars: tuple[str, ...], relations: Mapping[str, "Shape"] | None = None) -> None:
        self.ordered = scalars
        self.scalars = frozenset(scalars)
        self.relations = dict(relations or {})


def plan(shape: Shape, defaults: tuple[str, ...], fields: str | None) -> Plan:
    """The plan for `fields` (None: the defaults). Raises InvalidData naming an unknown field."""
    return _plan(shape, defaults, fields or "")


def _plan(shape: Shape, defaults: tuple[str, ...], fields: str) -> Plan:
    # In a query string `+` decodes to a space: a leading space means `+`, as Medusa reads it.
    tokens = ["+" + t.strip() if t[:1] == " " else t.strip() for t in fields.split(",") if t.strip()]
    # `*relation` adds to the defaults like `+`; any plain name replaces them.
    replace = any(t[0] not in "+-*" for t in tokens)
    selected: Plan = {"id": None} if "id" in shape.scalars else {}
    if not replace:
        for token in defaults:
            _add(shape, selected, token)
    for token in tokens:
        if token[0] == "-":
            _remove(selected, token[1:])
        else:
            _add(shape, selected, token.lstrip("+"))
    return selected


def _add(shape: Shape, selected: Plan, token: str) -> None:
    if token in ("*", ""):
        for name in shape.ordered:
            selected[name] = None
        return
    if token.startswith("*"):
        # `*rel` selects a relation whole; Medusa's storefront also sends `*items.metadata` for a plain field.
        token = token[1:]
        if _is_relation(shape, token):
            token += ".*"
    head, dot, rest = token.partition(".")
    if not dot:
        if head in shape.scalars:
            selected[head] = None
            return
        if head in shape.relations:
            # A bare relation name selects the relation with its scalars, as `*rel` does.
            rest = "*"
        else:
            raise InvalidData(f"Invalid request: unknown field '{token}'")
    relation = shape.relations.get(head)
    if relation is None:
        raise InvalidData(f"Invalid request: unknown field '{token}'")
    nested = selected.get(head)
    if nested is None:
        nested = {"id": None} if "id" in relation.scalars else {}
        selected[head] = nested
    _add(relation, nested, rest)


def _is_relation(shape: Shape, path: str) -> bool:
    node: Shape | None = shape
    for segment in path.split("."):
        node = node.relations.get(segment) if node is not None else None
    return node is not None


def _remove(selected: Plan, token: str) -> None:
    head, dot, rest = token.lstrip("*").partition(".")
    if not dot:
        selected.pop(head, None)
        return
    nested = selected.get(head)
    if nested is not None:
        _remove(nested, rest)


def apply(selected: Plan, obj: Mapping[str, Any]) -> dict[str, Any]:
    """Project one object (a dict from msgspec.to_builtins) onto the plan."""
    out: dict[str, Any] = {}
    for key, sub in selected.items():
        if key not in obj:
            continue
        value = obj[key]
        if sub is None or value is None:
            out[key] = value
        elif isinstance(value, list):
            out[key] = [apply(sub, item) for item in value]
        else:
            out[key] = apply(sub, value)
    return out
