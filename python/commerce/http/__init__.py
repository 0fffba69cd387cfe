"""The thin ASGI layer: routing, request decoding, responses, errors, auth, OpenAPI. No domain logic."""

from commerce.http.request import Request
from commerce.http.response import Response, deleted, json_response, page
from commerce.http.router import Route, Router

__all__ = ["Request", "Response", "Route", "Router", "deleted", "json_response", "page"]
