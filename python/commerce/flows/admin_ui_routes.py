"""Admin routes the dashboard asks on every page for features this server does not have: their true empty answers,
as Medusa gives them with the feature off or nothing recorded (no feature flags on; no admin plugins; no
notifications sent, as there is no notification provider; no returns, claims, exchanges or order changes, which are
not supported)."""

from typing import Any

from commerce.http import Request, Response, Route, json_response, page
from commerce.listing import ListQuery


async def feature_flags(req: Request) -> Response:
    return json_response({"feature_flags": {}})


async def plugins(req: Request) -> Response:
    return json_response({"plugins": []})


def _none(name: str) -> Any:
    """A list of things that cannot exist here (returns, claims, exchanges, order changes): empty, truly."""

    async def handler(req: Request) -> Response:
        query = req.query(ListQuery)
        return page(name, [], 0, query.offset, query.limit)

    return handler


async def order_changes(req: Request) -> Response:
    return json_response({"order_changes": []})  # Medusa's answer carries no count


async def notifications(req: Request) -> Response:
    query = req.query(ListQuery)
    return page("notifications", [], 0, query.offset, query.limit)


TAG = "Admin"
ROUTES = [
    Route("GET", "/admin/returns", _none("returns"), "admin", "Returns (none: not supported)", tag=TAG),
    Route("GET", "/admin/claims", _none("claims"), "admin", "Claims (none: not supported)", tag=TAG),
    Route("GET", "/admin/exchanges", _none("exchanges"), "admin", "Exchanges (none: not supported)", tag=TAG),
    Route(
        "GET",
        "/admin/orders/:id/changes",
        order_changes,
        "admin",
        "An order's changes (none: order edits are not supported)",
        tag=TAG,
    ),
    Route("GET", "/admin/plugins", plugins, "admin", "Installed admin plugins (none)", tag=TAG),
    # Public, as Medusa's (AUTHENTICATE = false): the dashboard asks before its login page renders.
    Route("GET", "/admin/feature-flags", feature_flags, "public", "Feature flags (none on)", tag=TAG),
    Route(
        "GET",
        "/admin/notifications",
        notifications,
        "admin",
        "Notifications sent (none: no notification provider)",
        query=ListQuery,
        tag=TAG,
    ),
]
