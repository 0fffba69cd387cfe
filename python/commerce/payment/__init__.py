"""Payment module: payment providers (the built-in `pp_system_default` and `pp_test_test`), payment collections and
their sessions, payments with their captures and refunds, refund reasons, provider webhooks."""

from commerce.payment import providers, schemas, service

__all__ = ["providers", "schemas", "service"]
