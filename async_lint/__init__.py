"""async-lint: find the async anti-patterns that make Django under ASGI slow or broken."""

__version__ = "0.1.0"
