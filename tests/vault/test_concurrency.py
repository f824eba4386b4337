"""Races on real separate connections (threads): single-use tokens, one default per customer,
micro-deposit attempt counting."""

import threading

import pytest
from django.db import connection

from apps.audit.services import Actor
from apps.core.errors import ApplicationError
from apps.vault import services
from apps.vault.models import MicroDepositVerification, PaymentMethod
from tests.vault.factories import make_token

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor.system("race")


def _race(n, fn):
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait()
            outcome = fn(i)
        except ApplicationError as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_a_token_becomes_exactly_one_payment_method(merchant):
    token = make_token(merchant, "4242424242424242", actor=ACTOR)
    results = _race(
        8,
        lambda i: services.payment_method_create_from_token(
            merchant=merchant, livemode=False, token=token.public_id, actor=ACTOR
        ),
    )
    created = [r for r in results if isinstance(r, PaymentMethod)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(created) == 1
    assert {e.code for e in refused} == {"token_already_used"}
    assert PaymentMethod.objects.count() == 1


def test_concurrent_make_default_leaves_exactly_one_default(merchant):
    customer = services.customer_create(merchant=merchant, livemode=False, actor=ACTOR)
    numbers = [
        "4242424242424242",
        "5555555555554444",
        "6011111111111117",
        "3566002020360505",
        "378282246310005",
    ]
    pms = [
        services.payment_method_create_card(
            merchant=merchant, livemode=False, number=n, exp_month=1, exp_year=2035, cvc=None,
            customer=customer, allow_redisplay="always", actor=ACTOR,
        )
        for n in numbers
    ]  # fmt: skip
    results = _race(
        len(pms),
        lambda i: services.payment_method_update(payment_method=pms[i], actor=ACTOR, is_default=True),
    )
    assert all(isinstance(r, PaymentMethod) for r in results), results
    assert PaymentMethod.objects.filter(customer=customer, is_default=True).count() == 1


def test_concurrent_wrong_microdeposit_answers_count_every_attempt(merchant):
    pm = services.payment_method_create_us_bank_account(
        merchant=merchant,
        livemode=False,
        routing_number="110000000",
        account_number="000123456789",
        actor=ACTOR,
    )
    services.payment_method_verify(payment_method=pm, actor=ACTOR)
    results = _race(
        6, lambda i: services.payment_method_verify(payment_method=pm, actor=ACTOR, amounts=[1, 2])
    )
    codes = sorted(r.code for r in results)
    assert codes.count("payment_method_microdeposit_verification_amounts_mismatch") == 2
    assert codes.count("payment_method_microdeposit_verification_attempts_exceeded") == 4
    md = MicroDepositVerification.objects.get()
    assert (md.attempts, md.status) == (3, "locked")
