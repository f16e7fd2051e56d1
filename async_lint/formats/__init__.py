"""Output formats: one module each. Each exposes ``render(findings, out, **opts)``."""

from __future__ import annotations

FORMATS = ("rich", "concise", "json", "sarif", "github")
