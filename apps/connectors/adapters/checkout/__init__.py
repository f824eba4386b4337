from .adapter import CheckoutAdapter as ADAPTER

__all__ = ["ADAPTER"]
