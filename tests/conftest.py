import pytest
from rest_framework.test import APIClient

from config.celery import app as celery_app
from tests.merchants.factories import MerchantFactory, api_key_create


@pytest.fixture(autouse=True, scope="session")
def _celery_eager_by_default():
    """Unit and API tests run tasks in-process when their transaction commits; the tests that
    exercise the real worker and Redis broker switch this off (tests/webhooks)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _admin_2fa_off_by_default(settings):
    """Admin tests log in with force_login; tests/admin/test_two_factor.py turns 2FA back on."""
    settings.ADMIN_2FA_REQUIRED = False


# The suite's vault key (not the repository's demo key, which live mode refuses: apps.vault.crypto);
# tests/vault and the demo-key tests set their own.
SUITE_VAULT_KEYS = "v1:c3VpdGUtdmF1bHQta2V5LXYxLTMyLWJ5dGVzLWxvbmc="


@pytest.fixture(autouse=True)
def _suite_vault_key(settings):
    settings.VAULT_KEYS = SUITE_VAULT_KEYS


@pytest.fixture
def merchant(db):
    return MerchantFactory(name="Acme Books")


@pytest.fixture
def other_merchant(db):
    return MerchantFactory(name="Other Shop")


@pytest.fixture
def client_for(db):
    def make(merchant, kind="secret", livemode=False, scopes=None) -> APIClient:
        _, plaintext = api_key_create(merchant, kind=kind, livemode=livemode, scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        client.api_key_plaintext = plaintext
        client.merchant = merchant
        return client

    return make


@pytest.fixture
def api(client_for, merchant) -> APIClient:
    return client_for(merchant)


@pytest.fixture
def api_other(client_for, other_merchant) -> APIClient:
    return client_for(other_merchant)


@pytest.fixture(autouse=True, scope="session")
def _close_leaked_connections_before_teardown(django_db_setup, django_db_blocker):
    """Concurrency tests open connections in threads and subprocesses; one still closing when the
    session ends would keep PostgreSQL from dropping the test database. End them first."""
    yield
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql" or not str(connection.settings_dict["NAME"]).startswith("test_"):
        return
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        except DatabaseError:  # best effort: the database may already be gone
            pass
