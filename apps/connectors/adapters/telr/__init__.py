from .adapter import TelrAdapter as ADAPTER

__all__ = ["ADAPTER"]
