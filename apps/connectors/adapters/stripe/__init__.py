"""Stripe, through the official ``stripe`` SDK (pinned in requirements/base.txt)."""

from .adapter import StripeAdapter as ADAPTER

__all__ = ["ADAPTER"]
