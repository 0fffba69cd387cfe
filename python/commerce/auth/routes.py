"""/auth routes for admin users: email and password → JWT."""

from typing import Annotated

import msgspec

from commerce import auth
from commerce.errors import Unauthorized
from commerce.http import Request, Response, Route, json_response


class EmailPass(msgspec.Struct, kw_only=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class Token(msgspec.Struct):
    token: str


async def user_emailpass(req: Request) -> Response:
    data = await req.json(EmailPass)
    async with req.state.pool.connection() as conn:
        identity_id, app_metadata = await auth.service.authenticate_emailpass(conn, data.email, data.password)
    if not app_metadata.get("user_id"):
        # A customer's identity cannot log in to the admin.
        raise Unauthorized(auth.service.INVALID_LOGIN)
    settings = req.state.settings
    token = auth.service.issue_token(settings.jwt_secret, settings.jwt_expires_in, identity_id, "user", app_metadata)
    return json_response({"token": token})


ROUTES = [
    Route(
        "POST",
        "/auth/user/emailpass",
        user_emailpass,
        "public",
        "Log in an admin user",
        body=EmailPass,
        response=Token,
        tag="Auth",
    ),
]
