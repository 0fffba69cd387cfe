"""Uploaded files (Medusa's File module): stored in PostgreSQL, served at /uploads/:id."""

from commerce.file import service

__all__ = ["service"]
