"""Pure unit tests for apps.vault.crypto (no database; explicit keyrings)."""

import base64

import pytest

from apps.vault import crypto
from apps.vault.errors import VaultDecryptionError, VaultKeyError

K1 = base64.b64encode(b"\x01" * 32).decode()
K2 = base64.b64encode(b"\x02" * 32).decode()


def ring(spec, active=None):
    return crypto.KeyRing.from_config(spec, active)


def test_roundtrip_and_envelope_fields():
    keyring = ring(f"v1:{K1}")
    env = crypto.encrypt(b"4242424242424242", aad=b"acct_1|vr_1", keyring=keyring)
    assert env.kek_version == "v1"
    assert len(env.nonce) == 12
    assert len(env.wrapped_key) == 40  # RFC 3394 wrap of a 256-bit key
    assert b"4242424242424242" not in env.ciphertext
    assert "4242" not in repr(env)
    assert crypto.decrypt(env, aad=b"acct_1|vr_1", keyring=keyring) == b"4242424242424242"


def test_each_record_gets_its_own_data_key_and_nonce():
    keyring = ring(f"v1:{K1}")
    a = crypto.encrypt(b"same", aad=b"x", keyring=keyring)
    b = crypto.encrypt(b"same", aad=b"x", keyring=keyring)
    assert a.wrapped_key != b.wrapped_key
    assert a.nonce != b.nonce
    assert a.ciphertext != b.ciphertext


def test_wrong_aad_does_not_decrypt():
    keyring = ring(f"v1:{K1}")
    env = crypto.encrypt(b"secret", aad=b"acct_1|vr_1", keyring=keyring)
    with pytest.raises(VaultDecryptionError):
        crypto.decrypt(env, aad=b"acct_2|vr_1", keyring=keyring)


def test_tampered_ciphertext_does_not_decrypt():
    keyring = ring(f"v1:{K1}")
    env = crypto.encrypt(b"secret", aad=b"a", keyring=keyring)
    bad = crypto.Envelope(
        env.kek_version, env.wrapped_key, env.nonce, bytes([env.ciphertext[0] ^ 1]) + env.ciphertext[1:]
    )
    with pytest.raises(VaultDecryptionError):
        crypto.decrypt(bad, aad=b"a", keyring=keyring)


def test_newest_version_is_active_by_default_with_natural_order():
    assert ring(f"v1:{K1},v2:{K2}").active_version == "v2"
    assert ring(f"v9:{K1},v10:{K2}").active_version == "v10"
    assert ring(f"v1:{K1},v2:{K2}", "v1").active_version == "v1"


def test_rotation_then_retiring_old_key_still_reads_back():
    old = ring(f"v1:{K1}")
    env = crypto.encrypt(b"DE89370400440532013000", aad=b"r", keyring=old)
    both = ring(f"v1:{K1},v2:{K2}")
    rotated = crypto.rewrap(env, to_version="v2", keyring=both)
    assert rotated.kek_version == "v2"
    assert rotated.ciphertext == env.ciphertext
    assert rotated.wrapped_key != env.wrapped_key
    retired = ring(f"v2:{K2}")
    assert crypto.decrypt(rotated, aad=b"r", keyring=retired) == b"DE89370400440532013000"
    with pytest.raises(VaultKeyError):
        crypto.decrypt(env, aad=b"r", keyring=retired)


def test_rewrap_to_same_version_is_a_noop():
    keyring = ring(f"v1:{K1}")
    env = crypto.encrypt(b"x", aad=b"r", keyring=keyring)
    assert crypto.rewrap(env, keyring=keyring) is env


def test_wrong_kek_under_same_version_name_fails_cleanly():
    env = crypto.encrypt(b"x", aad=b"r", keyring=ring(f"v1:{K1}"))
    with pytest.raises(VaultDecryptionError):
        crypto.decrypt(env, aad=b"r", keyring=ring(f"v1:{K2}"))


@pytest.mark.parametrize(
    ("spec", "active"),
    [
        ("", None),
        ("v1", None),
        ("v1:not-base64!!", None),
        (f"v1:{base64.b64encode(b'short').decode()}", None),
        (f"v1:{K1}", "v3"),
        (f"bad version:{K1}", None),
    ],
)
def test_bad_key_configuration_is_refused(spec, active):
    with pytest.raises(VaultKeyError):
        ring(spec, active)


def test_dict_configuration_is_accepted():
    keyring = crypto.KeyRing.from_config({"v1": K1, "v2": K2})
    assert keyring.versions == ["v1", "v2"]


def test_fingerprint_same_within_merchant_different_across():
    key = b"fingerprint-key"
    a1 = crypto.fingerprint("4242424242424242", merchant_id="acct_A", key=key)
    a2 = crypto.fingerprint("4242424242424242", merchant_id="acct_A", key=key)
    b1 = crypto.fingerprint("4242424242424242", merchant_id="acct_B", key=key)
    other_key = crypto.fingerprint("4242424242424242", merchant_id="acct_A", key=b"other")
    assert a1 == a2
    assert a1 != b1
    assert a1 != other_key
    assert len(a1) == 16
    assert "4242" not in a1


def test_generate_key_is_usable():
    keyring = ring(f"v7:{crypto.generate_key()}")
    env = crypto.encrypt(b"x", aad=b"", keyring=keyring)
    assert crypto.decrypt(env, aad=b"", keyring=keyring) == b"x"
