"""Admin routes the dashboard asks on every page for features this server does not have: their true empty answers,
as Medusa gives them with the feature off or nothing recorded (no feature flags on; no notifications sent, as there
is no notification provider)."""

from commerce.http import Request, Response, Route, json_response, page
from commerce.listing import ListQuery


async def feature_flags(req: Request) -> Response:
    return json_response({"feature_flags": {}})


async def notifications(req: Request) -> Response:
    query = req.query(ListQuery)
    return page("notifications", [], 0, query.offset, query.limit)


TAG = "Admin"
ROUTES = [
    Route("GET", "/admin/feature-flags", feature_flags, "admin", "Feature flags (none on)", tag=TAG),
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
