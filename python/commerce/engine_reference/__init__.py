"""Pure-Python reference of every engine function, for differential (property) tests.

Written for clarity, not speed: each function states the rule the Rust engine implements.
"""
