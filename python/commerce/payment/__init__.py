"""Payment module (so far): payment providers, with the built-in `pp_system_default`."""

from commerce.payment import service

__all__ = ["service"]
