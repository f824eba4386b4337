from .adapter import SquareAdapter as ADAPTER

__all__ = ["ADAPTER"]
