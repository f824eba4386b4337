from .adapter import TapToPayAdapter as ADAPTER

__all__ = ["ADAPTER"]
