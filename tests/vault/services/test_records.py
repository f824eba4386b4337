"""Key rotation: records written under v1 read back after rotating to v2 and retiring v1."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.vault import services
from apps.vault.errors import VaultKeyError
from apps.vault.models import VaultRecord
from tests.vault.conftest import TEST_K1, TEST_K2
from tests.vault.factories import card_payload

pytestmark = pytest.mark.django_db


def _run(**kwargs) -> str:
    out = io.StringIO()
    call_command("rotate_vault_keys", stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


@pytest.fixture
def v1_records(api, publishable):
    for number in ("4242424242424242", "5555555555554444", "378282246310005"):
        api.post("/v1/payment_methods", card_payload(number, cvc=None), format="json")
    api.post(
        "/v1/payment_methods",
        {"type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"}},
        format="json",
    )
    publishable.post(
        "/v1/tokens",
        {"card": {"number": "6011111111111117", "exp_month": 2, "exp_year": 2036}},
        format="json",
    )
    assert set(VaultRecord.objects.values_list("kek_version", flat=True)) == {"v1"}
    return VaultRecord.objects.count()


def test_rotate_then_retire_v1_still_reads_back(settings, v1_records):
    from apps.vault.models import PaymentMethod

    settings.VAULT_KEYS = f"v1:{TEST_K1},v2:{TEST_K2}"
    output = _run(batch_size=2)
    assert f"rotated={v1_records} failed=0 remaining=0" in output
    assert set(VaultRecord.objects.values_list("kek_version", flat=True)) == {"v2"}
    assert VaultRecord.objects.filter(rotated_at__isnull=True).count() == 0
    audit = AuditEntry.objects.get(action="vault.keys_rotated")
    assert audit.after["rotated"] == v1_records

    settings.VAULT_KEYS = f"v2:{TEST_K2}"  # v1 retired
    actor = Actor.system("tests")
    numbers = {
        services.vault_detokenize(payment_method=pm, purpose="test", actor=actor).number or "iban"
        for pm in PaymentMethod.objects.all()
    }
    assert numbers == {"4242424242424242", "5555555555554444", "378282246310005", "iban"}
    sepa = PaymentMethod.objects.get(type="sepa_debit")
    assert (
        services.vault_detokenize(payment_method=sepa, purpose="test", actor=actor).iban
        == "DE89370400440532013000"
    )
    # New records are written under v2.
    pm = services.payment_method_create_card(
        merchant=sepa.merchant, livemode=False, number="4242424242424242", exp_month=1, exp_year=2035, cvc=None,
        actor=actor,
    )  # fmt: skip
    assert pm.vault_record.kek_version == "v2"


def test_without_rotation_retiring_v1_breaks_reads(settings, v1_records):
    from apps.vault.models import PaymentMethod

    settings.VAULT_KEYS = f"v2:{TEST_K2}"
    with pytest.raises(VaultKeyError):
        services.vault_detokenize(
            payment_method=PaymentMethod.objects.filter(type="card").first(),
            purpose="t",
            actor=Actor.system("t"),
        )


def test_rotation_is_resumable_in_batches(settings, v1_records):
    settings.VAULT_KEYS = f"v1:{TEST_K1},v2:{TEST_K2}"
    first = _run(batch_size=2, max_batches=1)
    assert "rotated=2 failed=0 remaining=3" in first
    dry = _run(dry_run=True)
    assert "to_rotate=3" in dry
    second = _run(batch_size=2)
    assert "rotated=3 failed=0 remaining=0" in second
    assert "to_rotate=0" in _run()


def test_rotation_to_explicit_version_and_errors(settings, v1_records):
    settings.VAULT_KEYS = f"v1:{TEST_K1},v2:{TEST_K2}"
    settings.VAULT_ACTIVE_KEY_VERSION = "v1"
    assert "to_rotate=0" in _run()
    assert "remaining=0" in _run(to_version="v2")
    with pytest.raises(CommandError):
        _run(to_version="v9")
    with pytest.raises(CommandError):
        _run(batch_size=0)
