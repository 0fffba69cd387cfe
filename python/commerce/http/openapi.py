"""OpenAPI 3.1 document generated from the routes' msgspec types."""

from typing import Any

import msgspec

from commerce.http.router import Route

SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "store": [{"publishableKey": []}],
    "store_optional_customer": [{"publishableKey": []}],
    "customer": [{"publishableKey": [], "bearer": []}],
    "admin": [{"bearer": []}, {"secretKey": []}],
}


def document(routes: list[Route], version: str) -> dict[str, Any]:
    types = sorted(
        {t for r in routes for t in (r.body, r.query, r.response) if t is not None}, key=lambda t: t.__name__
    )
    schemas, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    schemas, components = _decimals(schemas), _decimals(components)
    by_type = dict(zip(types, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        path = "/".join("{" + s[1:] + "}" if s.startswith((":", "*")) else s for s in route.path.split("/"))
        op: dict[str, Any] = {
            "summary": route.summary,
            "tags": [route.tag] if route.tag else [],
            "parameters": [
                {"name": s[1:], "in": "path", "required": True, "schema": {"type": "string"}}
                for s in route.path.split("/")
                if s.startswith((":", "*"))
            ],
            "responses": {
                str(route.status): {
                    "description": "OK",
                    "content": {"application/json": {"schema": by_type[route.response]}} if route.response else {},
                },
                "default": {"description": "Error", "content": {"application/json": {"schema": ERROR}}},
            },
        }
        if route.query is not None:
            query_schema = components[by_type[route.query]["$ref"].rsplit("/", 1)[1]]
            for f in msgspec.structs.fields(route.query):
                prop = query_schema["properties"].get(f.encode_name, {})
                op["parameters"].append(
                    {"name": f.encode_name, "in": "query", "required": False, "schema": _query_schema(prop)}
                )
        if route.body is not None:
            op["requestBody"] = {
                "required": _body_required(route.body),
                "content": {"application/json": {"schema": by_type[route.body]}},
            }
        if route.auth in SECURITY:
            op["security"] = SECURITY[route.auth]
        paths.setdefault(path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "commerce-core", "version": version, "description": "Medusa v2 compatible commerce API"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "publishableKey": {"type": "apiKey", "in": "header", "name": "x-publishable-api-key"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "secretKey": {"type": "http", "scheme": "basic"},
            },
        },
    }


def _query_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter as it travels: a parameter left out is the field's None, so `null` is no value it can take
    (`?q=null` is the text "null"); a list is the parameter repeated (`id=a&id=b`, form style, exploded)."""
    alternatives = prop.get("anyOf")
    if alternatives and {"type": "null"} in alternatives:
        rest = [a for a in alternatives if a != {"type": "null"}]
        prop = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
        prop = {**(rest[0] if len(rest) == 1 else {"anyOf": rest}), **prop}
    return prop


def _body_required(body: Any) -> bool:
    """An empty body is read as `{}` (Medusa's routes take that too), so a body is required only when `{}` is not
    valid, i.e. when the Struct has a required field."""
    if isinstance(body, type) and issubclass(body, msgspec.Struct):
        return any(f.required for f in msgspec.structs.fields(body))
    return True


DECIMAL = {"type": "string", "format": "decimal"}
# Money is a JSON number in every answer (as Medusa's), and a number or a decimal string in a request (both exact).
MONEY = {"anyOf": [{"type": "number"}, DECIMAL]}


def _decimals(node: Any) -> Any:
    """The schema with every Decimal as MONEY: msgspec declares a decimal string, the answers send numbers."""
    if isinstance(node, dict):
        if node == DECIMAL:
            return dict(MONEY)
        return {k: _decimals(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return type(node)(_decimals(v) for v in node)
    return node


ERROR = {
    "type": "object",
    "required": ["type", "message"],
    "properties": {"type": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}},
}
