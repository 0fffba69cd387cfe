"""Carts (module: cart): its own row only: each cart with its line items (their adjustments and tax lines), shipping
methods, entered codes and addresses, read and written whole. The work that spans modules (prices, stock,
promotions, taxes, shipping) is commerce.flows.cart, which computes a change in memory and writes it back with
`write` (optimistic: None when another writer changed the cart since `read`)."""

from commerce.cart.repository import complete, insert, read, read_newer, read_rendered, write, write_or_read

__all__ = ["complete", "insert", "read", "read_newer", "read_rendered", "write", "write_or_read"]
