"""Telr's Remote API for follow-up transactions, ``POST https://secure.telr.com/gateway/remote.xml``.

Built from docs.telr.com "Request methods" (the example refund request, and the follow-up types:
``void``, ``capture``, ``release`` of an auth, ``refund``, each referencing the original
transaction's ``ref``; follow-ups need no card data, so no PCI scope) and the answers recorded by
ActiveMerchant's Telr gateway tests::

    <remote><store>…</store><key>…</key>
      <tran><type>refund</type><class>ecom</class><currency>AED</currency><amount>34.70</amount>
            <ref>010321000864</ref><test>0</test></tran></remote>
    → <remote><auth><status>A</status><code>927615</code><message>Accepted</message>
            <tranref>029895196182</tranref><cvv>Y</cvv><avs>X</avs><trace>4000/27614/577533d0</trace>
      </auth></remote>

The key is the store's *Remote API* authentication key (not the hosted page's key).
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, unescape

PATH = "/gateway/remote.xml"


def request_xml(*, store: str, key: str, type: str, currency: str, amount: str, ref: str, test: bool,
                cartid: str = "") -> bytes:  # fmt: skip
    tran = [
        f"<type>{escape(type)}</type>",
        "<class>ecom</class>",
        f"<currency>{escape(currency)}</currency>",
        f"<amount>{escape(amount)}</amount>",
        f"<ref>{escape(ref)}</ref>",
        f"<test>{1 if test else 0}</test>",
    ]
    if cartid:
        tran.append(f"<cartid>{escape(cartid)}</cartid>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<remote>'
        f"<store>{escape(store)}</store><key>{escape(key)}</key><tran>{''.join(tran)}</tran></remote>"
    ).encode()


_AUTH = re.compile(r"<remote>\s*<auth>(.*?)</auth>\s*</remote>", re.S)
_FIELD = re.compile(r"<([a-zA-Z]+)>([^<]*)</\1>")


def parse_auth(content: bytes) -> dict[str, str]:
    """The ``<auth>`` answer's fields (lower-cased names); {} for anything else. The answer is
    flat text elements, read as such: no XML parser (and no entity expansion) meets a provider's
    bytes."""
    found = _AUTH.search((content or b"").decode("utf-8", "replace"))
    if found is None:
        return {}
    return {name.lower(): unescape(value).strip() for name, value in _FIELD.findall(found.group(1))}
