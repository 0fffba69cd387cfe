"""Routing by path segments: static segments in dicts, `:param` segments captured, a last `*param` segment takes the
rest of the path (the admin UI's client-side routes); O(depth) per match."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from commerce.errors import CommerceError, InvalidData, NotFound

if TYPE_CHECKING:
    from commerce.http.request import Request
    from commerce.http.response import Response

Handler = Callable[["Request"], Awaitable["Response"]]
Auth = Literal["public", "store", "customer", "store_optional_customer", "admin"]


@dataclass(slots=True)
class Route:
    """One endpoint. `body`, `query` and `response` are msgspec types, used for decoding and for OpenAPI."""

    method: str
    path: str
    handler: Handler
    auth: Auth
    summary: str = ""
    body: Any = None
    query: Any = None
    response: Any = None
    status: int = 200
    tag: str = ""


@dataclass(slots=True)
class _Node:
    static: dict[str, "_Node"] = field(default_factory=dict)
    param: tuple[str, "_Node"] | None = None
    rest: tuple[str, "_Node"] | None = None
    routes: dict[str, Route] = field(default_factory=dict)


class MethodNotAllowed(CommerceError):
    """A known path asked with a method it does not take: 405 with the methods it does (`allow`)."""

    type = "not_allowed"
    status = 405

    def __init__(self, message: str, allow: list[str]) -> None:
        super().__init__(message)
        self.allow = allow


class Router:
    def __init__(self) -> None:
        self._root = _Node()
        self.routes: list[Route] = []
        # Paths of only static segments, as they are asked (`/store/customers/me`): one dict lookup. The walk finds
        # the same node (static segments are tried first and a node with routes is final).
        self._exact: dict[str, _Node] = {}

    def add(self, route: Route) -> None:
        node = self._root
        segments = _segments(route.path)
        for i, segment in enumerate(segments):
            if segment.startswith("*"):
                if i != len(segments) - 1:
                    raise ValueError(f"{route.path}: *{segment[1:]} must be the last segment")
                if node.rest is None:
                    node.rest = (segment[1:], _Node())
                node = node.rest[1]
            elif segment.startswith(":"):
                name = segment[1:]
                if node.param is None:
                    node.param = (name, _Node())
                elif node.param[0] != name:
                    raise ValueError(f"{route.path}: parameter :{name} clashes with :{node.param[0]}")
                node = node.param[1]
            else:
                node = node.static.setdefault(segment, _Node())
        if route.method in node.routes:
            raise ValueError(f"duplicate route {route.method} {route.path}")
        node.routes[route.method] = route
        self.routes.append(route)
        if not any(segment[:1] in (":", "*") for segment in segments):
            self._exact["/" + "/".join(segments)] = node

    def extend(self, routes: list[Route]) -> None:
        for route in routes:
            self.add(route)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        exact = self._exact.get(path)
        if exact is not None:
            route = exact.routes.get(method)
            if route is not None:
                return route, {}
        if "\x00" in path:
            raise InvalidData("Invalid request: the path contains a NUL character")
        params: dict[str, str] = {}
        node: _Node | None = self._root
        segments = _segments(path)
        rest: tuple[str, _Node, int] | None = None  # the deepest `*param` passed, and where
        for i, segment in enumerate(segments):
            assert node is not None
            if node.rest is not None:
                rest = (node.rest[0], node.rest[1], i)
            child = node.static.get(segment)
            if child is None:
                if node.param is None or not segment:
                    node = None
                    break
                params[node.param[0]] = segment
                child = node.param[1]
            node = child
        if (node is None or not node.routes) and rest is not None:
            name, node, start = rest
            params = {name: "/".join(segments[start:])}
        if node is None or not node.routes:
            raise NotFound(f"Cannot {method} {path}")
        route = node.routes.get(method)
        if route is None:
            raise MethodNotAllowed(f"Cannot {method} {path}", sorted(node.routes))
        return route, params


def _segments(path: str) -> list[str]:
    path = path.strip("/")
    return path.split("/") if path else []
