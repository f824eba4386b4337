"""Clearhouse's PostgreSQL backend (``apps.core.db``): Django's, with a health check that costs
no round trip on a connection used recently (see ``base.DatabaseWrapper.is_usable``)."""
