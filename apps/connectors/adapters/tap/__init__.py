from .adapter import TapAdapter as ADAPTER

__all__ = ["ADAPTER"]
