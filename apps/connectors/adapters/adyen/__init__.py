"""Adyen, through the official ``Adyen`` Python SDK (pinned in requirements/base.txt)."""

from .adapter import AdyenAdapter as ADAPTER

__all__ = ["ADAPTER"]
