"""Vault throughput: envelope crypto, card tokenization (service and HTTP API), detokenization
and key rotation. Prints figures; not part of the test run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clearhouse_vault_bench .venv/bin/python bench/vault_tokenize.py [N]

The database named in DATABASE_URL is created if missing and migrated; its vault tables are
emptied first, so use a database of its own.
"""

from __future__ import annotations

import base64
import io
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clearhouse_vault_bench")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CACHE_URL", "locmemcache://")
K1 = base64.b64encode(b"bench-vault-key-one-32-bytes-lon").decode()
K2 = base64.b64encode(b"bench-vault-key-two-32-bytes-lon").decode()
os.environ["VAULT_KEYS"] = f"v1:{K1}"
os.environ["VAULT_FINGERPRINT_KEY"] = "bench-fingerprint-key"


def _success_cards() -> list[str]:
    from apps.connectors.sandbox.cards import TEST_CARDS  # test numbers live only in that table

    brands = ("visa", "mastercard", "amex", "discover")
    return [next(c.number for c in TEST_CARDS if c.behaviour == "succeeds" and c.brand == b) for b in brands]


SUCCESS_CARDS = _success_cards()


def _ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _figures(label: str, durations: list[float]) -> None:
    total = sum(durations)
    ms = sorted(d * 1000 for d in durations)
    p95 = ms[int(len(ms) * 0.95) - 1] if len(ms) >= 20 else ms[-1]
    print(
        f"{label:<44} n={len(durations):>5}  {len(durations) / total:>9.1f}/s  "
        f"p50={statistics.median(ms):7.2f} ms  p95={p95:7.2f} ms"
    )


def main(n: int) -> None:
    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)

    from apps.audit.services import Actor
    from apps.merchants.models import Merchant
    from apps.merchants.services import api_key_create
    from apps.vault import crypto, services
    from apps.vault.models import Customer, PaymentMethod, Token, VaultRecord

    PaymentMethod.objects.all().delete()
    Token.objects.all().delete()
    VaultRecord.objects.all().delete()
    Customer.objects.all().delete()
    actor = Actor.system("bench")
    merchant = Merchant.objects.create(name="Bench merchant")
    _, secret = api_key_create(merchant=merchant, kind="secret", livemode=False, scopes=None, actor=actor)

    print(f"PostgreSQL {settings.DATABASES['default']['NAME']}, n={n}")
    keyring = crypto.get_keyring()
    durations = []
    for _ in range(n * 10):
        t = time.perf_counter()
        env = crypto.encrypt(SUCCESS_CARDS[0].encode(), aad=b"acct|vr|card", keyring=keyring)
        crypto.decrypt(env, aad=b"acct|vr|card", keyring=keyring)
        durations.append(time.perf_counter() - t)
    _figures("crypto encrypt+decrypt (AES-GCM + key wrap)", durations)

    numbers = SUCCESS_CARDS
    durations = []
    for i in range(n):
        t = time.perf_counter()
        services.payment_method_create_card(
            merchant=merchant, livemode=False, number=numbers[i % 4], exp_month=12, exp_year=2034,
            cvc="1234" if i % 4 == 2 else "123", actor=actor,
        )  # fmt: skip
        durations.append(time.perf_counter() - t)
    _figures("service payment_method_create_card", durations)

    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    durations = []
    for i in range(n):
        payload = {"type": "card", "card": {"number": numbers[i % 4], "exp_month": 12, "exp_year": 2034}}
        t = time.perf_counter()
        response = client.post("/v1/payment_methods", payload, content_type="application/json")
        durations.append(time.perf_counter() - t)
        assert response.status_code == 200, response.content
    _figures("HTTP POST /v1/payment_methods (in-process)", durations)

    pms = list(PaymentMethod.objects.select_related("merchant")[:n])
    durations = []
    for pm in pms:
        t = time.perf_counter()
        services.vault_detokenize(payment_method=pm, purpose="bench", actor=actor)
        durations.append(time.perf_counter() - t)
    _figures("vault_detokenize (decrypt + audit row)", durations)

    os.environ["VAULT_KEYS"] = f"v1:{K1},v2:{K2}"
    settings.VAULT_KEYS = os.environ["VAULT_KEYS"]
    records = VaultRecord.objects.count()
    out = io.StringIO()
    t = time.perf_counter()
    call_command("rotate_vault_keys", batch_size=500, stdout=out)
    elapsed = time.perf_counter() - t
    print(
        f"{'rotate_vault_keys v1→v2 (batch 500)':<44} n={records:>5}  {records / elapsed:>9.1f}/s  total={elapsed:.2f} s"
    )
    print("  " + out.getvalue().strip().splitlines()[-1])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
