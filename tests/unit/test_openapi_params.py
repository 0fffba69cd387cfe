"""/openapi.json describes requests as they travel: query parameters as text that is present or absent (a list as
the parameter repeated), and a body required only when `{}` would be refused (an empty body is read as `{}`)."""

from typing import Any

from commerce import __version__
from commerce.app import build_router
from commerce.http import openapi


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    doc = openapi.document(build_router().routes, __version__)
    return [(method, path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_no_query_parameter_takes_null() -> None:
    for method, path, op in _operations():
        for param in op["parameters"]:
            if param["in"] == "query":
                schema = param["schema"]
                assert {"type": "null"} not in schema.get("anyOf", []), (method, path, param)
                assert "default" not in schema or schema["default"] is not None, (method, path, param)


def test_list_parameters_are_arrays() -> None:
    (op,) = [op for method, path, op in _operations() if (method, path) == ("get", "/admin/api-keys")]
    params = {p["name"]: p["schema"] for p in op["parameters"]}
    assert params["id"] == {"type": "array", "items": {"type": "string"}}
    assert params["q"] == {"type": "string"}
    assert params["revoked"] == {"type": "boolean"}


def test_a_body_is_required_only_when_it_has_a_required_field() -> None:
    required = {(m, p): op["requestBody"]["required"] for m, p, op in _operations() if "requestBody" in op}
    assert required[("post", "/store/carts")] is False  # every field optional: POST /store/carts with no body works
    assert required[("post", "/admin/regions")] is True  # a name and a currency are required
