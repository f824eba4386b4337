"""What one authorization spends of a provider token (apps.vault.provider_tokens)."""

import pytest

from apps.vault.provider_tokens import provider_token_after_use, provider_token_validate

ENCRYPTED = "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.c2VjcmV0Y2FyZA"


@pytest.mark.parametrize(
    ("provider", "fields", "left"),
    [
        ("square", {"source_id": "cnon:CBASEHqXzL1Vgc7Sn6jSbK", "verification_token": "verf:CBASEEm4uZ4w"},
         {"provider": "square"}),
        ("square", {"source_id": "wnon:CBASEwallet"}, {"provider": "square"}),
        ("square", {"source_id": "ccof:uIbfJXhXETSP197M3GB"}, None),
        ("verifone", {"encrypted_card": ENCRYPTED, "public_key_alias": "k-2026"}, {"provider": "verifone"}),
        ("verifone", {"reuse_token": "6f0c0b5e-9c7a-4b53-9d2e"}, None),
    ],
)  # fmt: skip
def test_single_use_tokens_are_spent_and_reusable_ones_kept(provider, fields, left):
    token = provider_token_validate(provider, fields, param="card")
    assert provider_token_after_use(token) == left
