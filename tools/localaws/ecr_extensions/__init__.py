"""What moto's ECR lacks or gets wrong, added to the moto server localaws runs (see README.md)."""

from __future__ import annotations


def install() -> None:
    """Register the extensions with moto's ECR backend and response class (call before the server starts)."""
