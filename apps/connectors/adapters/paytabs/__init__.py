from .adapter import PayTabsAdapter as ADAPTER

__all__ = ["ADAPTER"]
