"""Fixtures of the connector tests; the live-mode end-to-end tests' helpers are in live.py."""

import pytest


@pytest.fixture
def live(client_for, merchant):
    """A live-mode secret key's API client for the merchant."""
    return client_for(merchant, livemode=True)
