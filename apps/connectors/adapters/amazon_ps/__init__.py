from .adapter import AmazonPaymentServicesAdapter as ADAPTER

__all__ = ["ADAPTER"]
