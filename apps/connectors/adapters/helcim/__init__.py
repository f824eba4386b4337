from .adapter import HelcimAdapter as ADAPTER

__all__ = ["ADAPTER"]
