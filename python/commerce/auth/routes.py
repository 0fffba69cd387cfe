"""/auth routes as Medusa v2: emailpass register/login/reset/update for users and customers, cookie sessions,
token refresh."""

from typing import Annotated, Any

import msgspec

from commerce import auth, events, guards
from commerce.errors import DuplicateError, InvalidData, Unauthorized
from commerce.http import Request, Response, Route, json_response

SESSION_COOKIE = "connect.sid"
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


class EmailPass(msgspec.Struct, kw_only=True):
    email: Email
    password: Password


class ResetRequest(msgspec.Struct, kw_only=True):
    identifier: Email | None = None
    entity_id: Email | None = None  # the older name of the same field


class PasswordUpdate(msgspec.Struct, kw_only=True):
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=1024)]
    email: Email | None = None


class TokenQuery(msgspec.Struct, kw_only=True):
    token: str | None = None


class Token(msgspec.Struct):
    token: str


def _issue(req: Request, identity_id: str, actor_type: str, app_metadata: dict[str, Any]) -> Response:
    settings = req.state.settings
    token = auth.service.issue_token(
        settings.jwt_secret, settings.jwt_expires_in, identity_id, actor_type, app_metadata
    )
    return json_response({"token": token})


def login(actor_type: str) -> Any:
    async def handler(req: Request) -> Response:
        data = await req.json(EmailPass)
        client = req.client_host()
        async with req.state.pool.connection() as conn:
            await auth.service.claim_attempt(conn, data.email, client)
            identity_id, app_metadata = await auth.service.authenticate_emailpass(conn, data.email, data.password)
            await auth.service.forgive_attempt(conn, data.email, client)
        if actor_type == "user" and not app_metadata.get("user_id"):
            # A customer's identity cannot log in to the admin.
            raise Unauthorized(auth.service.INVALID_LOGIN)
        return _issue(req, identity_id, actor_type, app_metadata)

    return handler


def register(actor_type: str) -> Any:
    async def handler(req: Request) -> Response:
        data = await req.json(EmailPass)
        async with req.state.pool.connection() as conn:
            try:
                identity_id = await auth.service.register_emailpass(conn, data.email, data.password, {})
            except DuplicateError:
                # Medusa answers 401 here; a registered email logs in instead.
                raise Unauthorized("Identity with email already exists") from None
        return _issue(req, identity_id, actor_type, {})

    return handler


def reset_password(actor_type: str) -> Any:
    async def handler(req: Request) -> Response:
        data = await req.json(ResetRequest)
        email = data.identifier or data.entity_id
        if not email:
            raise InvalidData("Invalid request: Field 'identifier' is required")
        async with req.state.pool.connection() as conn:
            token = await auth.service.create_reset_token(conn, email, actor_type)
        if token is not None:
            events.emit("auth.password_reset", {"entity_id": email, "actor_type": actor_type, "token": token})
        # The same answer whether or not the email is known.
        return Response(b"", status=201, content_type=b"text/plain; charset=utf-8")

    return handler


def update_password(actor_type: str) -> Any:
    async def handler(req: Request) -> Response:
        data = await req.json(PasswordUpdate)
        token = guards.bearer(req) or req.query(TokenQuery).token
        if not token:
            raise Unauthorized("Invalid or expired password reset token")
        async with req.state.pool.connection() as conn:
            await auth.service.reset_password(conn, token, actor_type, data.email, data.password)
        return json_response({"success": True})

    return handler


async def create_session(req: Request) -> Response:
    token = guards.bearer(req)
    if not token:
        raise Unauthorized("Unauthorized")
    claims = auth.service.verify_token(req.state.settings.jwt_secret, token)
    context = {k: claims.get(k) for k in ("actor_id", "actor_type", "auth_identity_id", "app_metadata")}
    async with req.state.pool.connection() as conn:
        session_id = await auth.service.register_session(conn, context)
    cookie = f"{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={auth.service.SESSION_TTL}"
    response = json_response({"user": context})
    response.headers = [(b"set-cookie", cookie.encode())]
    return response


async def delete_session(req: Request) -> Response:
    session_id = req.cookie(SESSION_COOKIE)
    if session_id:
        async with req.state.pool.connection() as conn:
            await auth.service.end_session(conn, session_id)
    response = json_response({"success": True})
    response.headers = [(b"set-cookie", f"{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0".encode())]
    return response


async def refresh(req: Request) -> Response:
    claims = await guards.context(req)
    if claims is None:
        raise Unauthorized("Unauthorized")
    identity_id = str(claims.get("auth_identity_id") or "")
    async with req.state.pool.connection() as conn:
        app_metadata = await auth.service.app_metadata(conn, identity_id)
    if app_metadata is None:
        raise Unauthorized("Unauthorized")
    return _issue(req, identity_id, str(claims.get("actor_type")), app_metadata)


# The one auth provider there is; its fields as Medusa's emailpass provider registers itself.
EMAILPASS = {
    "id": "emailpass",
    "identifier": "emailpass",
    "display_name": "Email/Password Authentication",
    "flow": "credentials",
}


def providers(actor_type: str) -> Any:
    async def handler(req: Request) -> Response:
        # Medusa answers every actor type with the providers allowed for it: here emailpass for both.
        return json_response({"providers": [EMAILPASS]})

    return handler


async def mfa_factors(req: Request) -> Response:
    """The caller's MFA factors: none, as there is no MFA here (Medusa's answer for an identity without any)."""
    return json_response({"mfa_factors": []})


def _routes() -> list[Route]:
    routes = [
        Route(
            "POST", "/auth/session", create_session, "public", "Start a cookie session from a bearer token", tag="Auth"
        ),
        Route("DELETE", "/auth/session", delete_session, "public", "End the cookie session", tag="Auth"),
        Route(
            "POST",
            "/auth/token/refresh",
            refresh,
            "public",
            "A fresh token for the current identity",
            response=Token,
            tag="Auth",
        ),
    ]
    routes.append(Route("GET", "/auth/mfa/factors", mfa_factors, "admin", "MFA factors (none)", tag="Auth"))
    for actor in ("user", "customer"):
        base = f"/auth/{actor}/emailpass"
        routes += [
            Route(
                "GET",
                f"/auth/{actor}/providers",
                providers(actor),
                "public",
                f"The auth providers a {actor} can log in with",
                tag="Auth",
            ),
            Route(
                "POST", base, login(actor), "public", f"Log in a {actor}", body=EmailPass, response=Token, tag="Auth"
            ),
            Route(
                "POST",
                f"{base}/register",
                register(actor),
                "public",
                f"Register a {actor} identity",
                body=EmailPass,
                response=Token,
                tag="Auth",
            ),
            Route(
                "POST",
                f"{base}/reset-password",
                reset_password(actor),
                "public",
                "Request a password reset token (emitted as an event)",
                body=ResetRequest,
                status=201,
                tag="Auth",
            ),
            Route(
                "POST",
                f"{base}/update",
                update_password(actor),
                "public",
                "Set a new password with a reset token",
                body=PasswordUpdate,
                tag="Auth",
            ),
        ]
    return routes


ROUTES = _routes()
