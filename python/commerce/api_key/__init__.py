"""API key module: publishable and secret keys, and the publishable key ↔ sales channel link."""

from commerce.api_key import schemas, service

__all__ = ["schemas", "service"]
