"""Payment providers: the one interface the payment service calls (Medusa's AbstractPaymentProvider, cut to what we
use), the built-in providers, and the registry by provider id.

Built-ins:
- `pp_system_default` — Medusa's system (manual) provider: authorizes at once, captures/refunds/cancels without any
  outside call, supports no webhooks.
- `pp_test_test` — a provider for tests and development whose outcome the caller picks through the session's
  `data.outcome`: "authorize" (the default), "auto_capture" (authorized and captured at once), "decline",
  "requires_more", "initiate_fails", "capture_fails", "refund_fails", "cancel_fails". Its webhooks
  (POST /hooks/payment/test_test) carry `x-test-signature: sha256=<hex HMAC-SHA256 of the raw body>` keyed with the
  secret in the environment variable COMMERCE_TEST_PAYMENT_WEBHOOK_SECRET; with no secret set, every webhook is
  refused. The body is `{"id": <event id>, "type": "payment.authorized" | "payment.captured" | "payment.failed",
  "data": {"session_id": ..., "amount"?: ...}}`.
"""

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol

import msgspec

from commerce.ids import new_id

SessionStatus = Literal["authorized", "captured", "requires_more", "error", "pending", "canceled"]
Action = Literal["authorized", "captured", "failed", "not_supported"]


class ProviderError(Exception):
    """The provider refused or failed an operation; the service maps it to a domain error."""


@dataclass(frozen=True, slots=True)
class Authorization:
    """A provider's answer to an authorization: the session status and the provider's data to keep."""

    status: SessionStatus
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WebhookAction:
    """What a verified webhook asks for (Medusa's WebhookActionResult), with the provider's event id."""

    action: Action
    session_id: str | None = None
    amount: Decimal | None = None
    event_id: str | None = None


class PaymentProvider(Protocol):
    """A payment provider. `data` is the provider's own state for a session or payment, stored by the service."""

    id: str

    async def initiate(
        self, amount: Decimal, currency_code: str, data: dict[str, Any], context: dict[str, Any]
    ) -> dict[str, Any]:
        """Start a session; returns the session's data."""
        ...

    async def authorize(self, data: dict[str, Any], amount: Decimal, context: dict[str, Any]) -> Authorization: ...

    async def capture(self, data: dict[str, Any], amount: Decimal) -> dict[str, Any]:
        """Capture `amount` of an authorized payment; returns the payment's new data."""
        ...

    async def refund(self, data: dict[str, Any], amount: Decimal) -> dict[str, Any]: ...

    async def cancel(self, data: dict[str, Any]) -> dict[str, Any]: ...

    async def retrieve_status(self, data: dict[str, Any]) -> SessionStatus: ...

    async def webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookAction:
        """Verify and read a webhook; raises ProviderError when it is not genuine or not readable."""
        ...


class SystemProvider:
    """Medusa's system provider: no outside party, everything succeeds at once."""

    id = "pp_system_default"

    async def initiate(
        self, amount: Decimal, currency_code: str, data: dict[str, Any], context: dict[str, Any]
    ) -> dict[str, Any]:
        return dict(data)

    async def authorize(self, data: dict[str, Any], amount: Decimal, context: dict[str, Any]) -> Authorization:
        return Authorization("authorized", data)

    async def capture(self, data: dict[str, Any], amount: Decimal) -> dict[str, Any]:
        return data

    async def refund(self, data: dict[str, Any], amount: Decimal) -> dict[str, Any]:
        return data

    async def cancel(self, data: dict[str, Any]) -> dict[str, Any]:
        return data

    async def retrieve_status(self, data: dict[str, Any]) -> SessionStatus:
        return "authorized"

    async def webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookAction:
        return WebhookAction("not_supported")


OUTCOMES = frozenset(
    {
        "authorize",
        "auto_capture",
        "decline",
        "requires_more",
        "initiate_fails",
        "capture_fails",
        "refund_fails",
        "cancel_fails",
    }
)
WEBHOOK_SECRET_ENV = "COMMERCE_TEST_PAYMENT_WEBHOOK_SECRET"  # noqa: S105 (the variable's name, not a secret)
SIGNATURE_HEADER = "x-test-signature"
_EVENT_ACTIONS: dict[str, Action] = {
    "payment.authorized": "authorized",
    "payment.captured": "captured",
    "payment.failed": "failed",
}


class _WebhookBody(msgspec.Struct, kw_only=True):
    id: str
    type: str
    data: dict[str, Any] = {}


def sign(payload: bytes, secret: str) -> str:
    """The test provider's signature header value for a body."""
    return "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class TestProvider:
    """A provider whose every outcome a test can choose with `data.outcome` (see the module docstring)."""

    __test__ = False  # not a pytest class
    id = "pp_test_test"

    @staticmethod
    def _outcome(data: dict[str, Any]) -> str:
        outcome = data.get("outcome", "authorize")
        if outcome not in OUTCOMES:
            raise ProviderError(f"Unknown test outcome {outcome!r}; expected one of {', '.join(sorted(OUTCOMES))}")
        return str(outcome)

    async def initiate(
        self, amount: Decimal, currency_code: str, data: dict[str, Any], context: dict[str, Any]
    ) -> dict[str, Any]:
        if self._outcome(data) == "initiate_fails":
            raise ProviderError("The test provider failed to initiate the session")
        return {**data, "reference": data.get("reference") or new_id("testpay")}

    async def authorize(self, data: dict[str, Any], amount: Decimal, context: dict[str, Any]) -> Authorization:
        outcome = self._outcome(data)
        if outcome == "decline":
            return Authorization("error", {**data, "declined": True})
        if outcome == "requires_more":
            return Authorization("requires_more", {**data, "next_action": "3ds"})
        return Authorization("captured" if outcome == "auto_capture" else "authorized", data)

    async def capture(self, data: dict[str, Any], amount: Decimal) -> dict[str, Any]:
        if self._outcome(data) == "capture_fails":
            raise ProviderError("The test provider failed to capture the payment")
        return {**data, "captured": str(Decimal(data.get("captured", "0")) + amount)}

    async def refund(self, data: dict[str, Any], amount: Decimal) -> dict[str, Any]:
        if self._outcome(data) == "refund_fails":
            raise ProviderError("The test provider failed to refund the payment")
        return {**data, "refunded": str(Decimal(data.get("refunded", "0")) + amount)}

    async def cancel(self, data: dict[str, Any]) -> dict[str, Any]:
        if self._outcome(data) == "cancel_fails":
            raise ProviderError("The test provider failed to cancel the payment")
        return {**data, "canceled": True}

    async def retrieve_status(self, data: dict[str, Any]) -> SessionStatus:
        outcome = self._outcome(data)
        return {"decline": "error", "requires_more": "requires_more"}.get(outcome, "authorized")  # type: ignore[return-value]

    async def webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookAction:
        secret = os.environ.get(WEBHOOK_SECRET_ENV)
        if not secret:
            raise ProviderError(f"Webhooks of {self.id} are off: {WEBHOOK_SECRET_ENV} is not set")
        given = headers.get(SIGNATURE_HEADER) or ""
        if not hmac.compare_digest(given.encode(), sign(payload, secret).encode()):
            raise ProviderError("Invalid webhook signature")
        try:
            body = msgspec.json.decode(payload, type=_WebhookBody)
        except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
            raise ProviderError(f"Unreadable webhook body: {exc}") from None
        action = _EVENT_ACTIONS.get(body.type, "not_supported")
        session_id = body.data.get("session_id")
        raw_amount = body.data.get("amount")
        try:
            amount = None if raw_amount is None else Decimal(str(raw_amount))
        except InvalidOperation:
            raise ProviderError(f"Invalid webhook amount {raw_amount!r}") from None
        return WebhookAction(action, str(session_id) if session_id else None, amount, body.id)


_registry: dict[str, PaymentProvider] = {}


def register(provider: PaymentProvider) -> None:
    """Make a provider available by its id (its payment_provider row must exist for regions to use it)."""
    _registry[provider.id] = provider


def get(provider_id: str) -> PaymentProvider | None:
    return _registry.get(provider_id)


def ids() -> list[str]:
    return sorted(_registry)


register(SystemProvider())
register(TestProvider())
