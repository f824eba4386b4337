from .adapter import ZainCashAdapter as ADAPTER

__all__ = ["ADAPTER"]
