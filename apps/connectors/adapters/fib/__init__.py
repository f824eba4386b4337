from .adapter import FIBAdapter as ADAPTER

__all__ = ["ADAPTER"]
