"""Auth module: identities, the emailpass provider (argon2id hashes) and JWTs for users and customers."""

from commerce.auth import service

__all__ = ["service"]
