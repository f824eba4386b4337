"""Telr's Transaction Advice Service: a server-to-server form POST about a transaction, signed.

Built from docs.telr.com "Transaction advice" (Message format): the advice is an
``application/x-www-form-urlencoded`` POST of ``tran_*`` fields (``tran_store``, ``tran_type``,
``tran_class``, ``tran_test``, ``tran_ref``, ``tran_prevref``, ``tran_firstref``,
``tran_currency``, ``tran_amount``, ``tran_cartid``, ``tran_desc``, ``tran_status``,
``tran_authcode``, ``tran_authmessage``, ``tran_order`` for a hosted-page order …) plus the
``card_*`` and ``bill_*`` groups, each group with its own check value. ``tran_check`` is the hex
SHA-1 (not an HMAC) of the advice secret entered on the Transaction advice configuration page
and the group's fields, in that documented order, joined with ``:`` — a field absent from the
message counts as empty, so the separators stay in place. Values are compared after the form
decoding (the hash is of the values, not of their percent-encoding).

The same field order is used by Telr's own store extensions and by independent integrations
(OpenCart ``_signature``; several ``tran_check`` validators), which is what the recordings check.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

TRAN_CHECK_FIELDS = (
    "tran_store",
    "tran_type",
    "tran_class",
    "tran_test",
    "tran_ref",
    "tran_prevref",
    "tran_firstref",
    "tran_currency",
    "tran_amount",
    "tran_cartid",
    "tran_desc",
    "tran_status",
    "tran_authcode",
    "tran_authmessage",
)

# tran_type as the advice sends it: Telr's numeric codes, or the type's name.
TYPES = {
    "1": "sale",
    "2": "void",
    "3": "refund",
    "4": "auth",
    "6": "release",
    "7": "capture",
    "8": "capture_reversal",
}


def tran_check(fields: Mapping[str, str], secret: str) -> str:
    text = ":".join([secret, *(str(fields.get(name, "") or "").strip() for name in TRAN_CHECK_FIELDS)])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()  # noqa: S324 - Telr's documented scheme


def valid(fields: Mapping[str, str], secret: str) -> bool:
    given = str(fields.get("tran_check") or "").strip().lower()
    return bool(given) and bool(secret) and hmac.compare_digest(tran_check(fields, secret), given)


def transaction_type(value: str) -> str:
    value = str(value or "").strip().lower()
    return TYPES.get(value, value)
