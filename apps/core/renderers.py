"""The API's JSON renderer: orjson, writing the bytes DRF's JSONRenderer writes (issue 21).

DRF's renderer (UNICODE_JSON, COMPACT_JSON, STRICT_JSON) runs the stdlib encoder with `(",", ":")`
separators, raw UTF-8, insertion order, then escapes U+2028/U+2029. orjson writes the same bytes
for str/int/bool/None/dict/list and for every float that is 0 or at least 1e-4 in magnitude; what
it does differently is handled here, so a response never changes with the encoder:

- datetimes, dates and times are passed to DRF's encoder (`…Z` for UTC, as DRF writes them), as
  are Decimals, UUIDs, lazy strings and the rest of what DRF's `JSONEncoder.default` knows;
- a float below 1e-4 in magnitude is written `9e-05` by Python and `0.00009` by orjson: output
  that may hold one (`0.0000` or a one-digit negative exponent) is rendered again by DRF;
- what orjson refuses — an int past 64 bits, a non-str dict key, nesting past 254 levels, a lone
  surrogate — goes to DRF's renderer, which answers as before (a str for an int key, an error
  for the surrogate);
- `Accept: application/json; indent=N` goes to DRF's renderer too.

The one deliberate difference: orjson writes NaN/Infinity as `null` where DRF's strict renderer
raised (a 500). Money is integers, so no payload holds one.
"""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_default = JSONEncoder().default
_DIGITS = b"0123456789"


def _may_hold_small_float(out: bytes) -> bool:
    """Whether orjson's output may hold a float below 1e-4, which it writes differently from
    Python: positional `0.0000…`, or an exponent of one digit (`1.5e-7`; Python `1.5e-07`).
    A string holding the same characters answers True too: that body is merely rendered twice.
    (bytes searches, not a regex: a regex scan costs more than orjson's whole encoding.)"""
    # One-byte searches first (memchr): most bodies hold no "-" and no "0.0000", and those
    # searches cost a fraction of a multi-byte one.
    if b"." in out and b"0.0000" in out:
        return True
    if b"-" not in out:
        return False
    at = out.find(b"e-")
    while at != -1:
        if (
            at
            and out[at - 1] in _DIGITS
            and out[at + 2 : at + 3].isdigit()
            and not out[at + 3 : at + 4].isdigit()
        ):
            return True
        at = out.find(b"e-", at + 2)
    return False


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (accepted_media_type and "indent" in accepted_media_type) or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _may_hold_small_float(out):
            return super().render(data, accepted_media_type, renderer_context)
        # DRF escapes U+2028/U+2029 (JSON stays a JavaScript subset); b"\xe2" first: memchr
        if b"\xe2" in out and (b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out):
            out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return out
