"""Admin routes for users (Medusa v2's /admin/users): the list, one user, the caller (`/me`), and profile edits."""

from commerce import auth
from commerce.errors import NotFound
from commerce.http import Request, Response, Route, json_response, page
from commerce.user import service
from commerce.user.schemas import UpdateUser, UserList, UserListQuery, UserResponse


async def list_users(req: Request) -> Response:
    query = req.query(UserListQuery)
    async with req.state.pool.connection() as conn:
        users, count = await service.list_users(conn, query)
    return page("users", users, count, query.offset, query.limit)


async def me(req: Request) -> Response:
    # A secret API key is no user: Medusa looks its id up as a user id and answers 404.
    actor = req.actor
    if actor is None or actor.type != "user":
        raise NotFound(f"User with id: {actor.id if actor else ''} was not found")
    async with req.state.pool.connection() as conn:
        user = await service.retrieve(conn, actor.id)
    return json_response({"user": user})


async def retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        user = await service.retrieve(conn, req.params["id"])
    return json_response({"user": user})


async def auth_providers(req: Request) -> Response:
    """Medusa's GET /admin/users/:id/auth-providers: the providers the user logs in with (`["emailpass"]`)."""
    async with req.state.pool.connection() as conn:
        await service.retrieve(conn, req.params["id"])
        found = await auth.service.actor_providers(conn, "user", req.params["id"])
    return json_response({"providers": found})


async def update(req: Request) -> Response:
    data = await req.json(UpdateUser)
    async with req.state.pool.connection() as conn:
        user = await service.update(conn, req.params["id"], data)
    return json_response({"user": user})


TAG = "Admin Users"
ROUTES = [
    Route("GET", "/admin/users", list_users, "admin", "List users", query=UserListQuery, response=UserList, tag=TAG),
    Route("GET", "/admin/users/me", me, "admin", "The logged-in user", response=UserResponse, tag=TAG),
    Route("GET", "/admin/users/:id", retrieve, "admin", "Get a user", response=UserResponse, tag=TAG),
    Route("GET", "/admin/users/:id/auth-providers", auth_providers, "admin", "How a user logs in", tag=TAG),
    Route(
        "POST",
        "/admin/users/:id",
        update,
        "admin",
        "Update a user's profile",
        body=UpdateUser,
        response=UserResponse,
        tag=TAG,
    ),
]
