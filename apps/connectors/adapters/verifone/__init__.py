from .adapter import VerifoneAdapter as ADAPTER

__all__ = ["ADAPTER"]
