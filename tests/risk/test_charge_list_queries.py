"""A page of charges reads its risk decisions in one query (apps.intents.hooks prefetch), so
`GET /v1/charges` costs the same number of queries for 2 charges as for 6."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


def _list_queries(api) -> tuple[int, list]:
    from apps.risk.services import engine

    engine._RECENT.clear()  # as in another web process: nothing of these payments is cached here
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/v1/charges", {"limit": 100}).json()
    return len(queries), body["data"]


def test_the_charge_list_reads_risk_decisions_once_per_page(api, merchant):
    for _ in range(2):
        assert pay(api, make_card(merchant)).status_code == 200
    few, data = _list_queries(api)
    assert len(data) == 2 and all(
        c["risk"] is not None and c["outcome"]["risk_score"] is not None for c in data
    )
    for _ in range(4):
        assert pay(api, make_card(merchant)).status_code == 200
    many, data = _list_queries(api)
    assert len(data) == 6 and all(c["risk"] is not None for c in data)
    assert many == few
