"""`expand[]`: replace an id in a response by the object it names, as Stripe does.

    GET  /v1/payment_intents/pi_…?expand[]=customer&expand[]=latest_charge
    GET  /v1/payment_intents?expand[]=data.customer
    POST /v1/payment_intents  … expand[0]=payment_method

Paths are dotted (`invoice_settings.default_payment_method`, `data.customer` on lists) and hold
at most MAX_EXPAND_DEPTH parts; an id met on the way is expanded too. Which ids can be expanded is
decided by their prefix: each app registers a loader for its prefixes in its AppConfig.ready()
(`register_expander("cus", load_customer)`); a loader is tenant-scoped and answers None for an id
the merchant cannot see (the id then stays as it is). Anything else is 400 naming `expand[i]`.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import ParameterInvalid, PermissionDeniedError
from .text import printable

MAX_EXPAND_DEPTH = 4
MAX_EXPANSIONS = 20

Loader = Callable[..., dict | None]
_LOADERS: dict[str, tuple[Loader, str]] = {}


def register_expander(prefix: str, loader: Loader, *, resource: str) -> None:
    """`loader(merchant=, livemode=, id=)` → the object's public dict, or None. `resource` is the
    scope a restricted key needs to read it (`<resource>:read`)."""
    _LOADERS[prefix.rstrip("_")] = (loader, resource)


class _Expander:
    def __init__(self, *, merchant, livemode: bool, can_read: Callable[[str], bool]):
        self.merchant, self.livemode, self.can_read = merchant, livemode, can_read
        self.cache: dict[str, dict | None] = {}

    def load(self, value: str) -> dict | None:
        if value not in self.cache:
            loader, resource = _LOADERS[value.partition("_")[0]]
            if not self.can_read(resource):
                raise PermissionDeniedError(
                    f"Expanding {printable(value)} needs the {resource}:read scope.",
                    code="insufficient_scope",
                )
            self.cache[value] = loader(merchant=self.merchant, livemode=self.livemode, id=value)
        return self.cache[value]

    def expandable(self, value) -> bool:
        return isinstance(value, str) and value.partition("_")[0] in _LOADERS

    def walk(self, node, parts: list[str], *, path: str, param: str) -> None:
        if isinstance(node, list):
            for item in node:
                self.walk(item, parts, path=path, param=param)
            return
        head, rest = parts[0], parts[1:]
        if not isinstance(node, dict) or head not in node:
            raise _cannot(path, param)
        value = node[head]
        if self.expandable(value):
            loaded = self.load(value)
            if loaded is not None:
                node[head] = value = loaded
        elif isinstance(value, list) and value and all(self.expandable(v) for v in value):
            node[head] = value = [self.load(v) or v for v in value]
        elif not rest and value is not None and not isinstance(value, dict):
            raise _cannot(path, param)
        if rest and value is not None:
            if isinstance(value, str):
                raise _cannot(path, param)
            self.walk(value, rest, path=path, param=param)


def _cannot(path: str, param: str) -> ParameterInvalid:
    return ParameterInvalid(f"This property cannot be expanded ({printable(path)}).", param=param)


def expand_paths(value) -> list[str]:
    """The `expand` parameter as a list of paths (a list, an integer-keyed object from a form or
    query string, or one string); anything else is 400."""
    from .parsers import as_list

    value = as_list(value, param="expand")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ParameterInvalid("Invalid expand: a list of paths (expand[0]=customer&…).", param="expand")
    if len(value) > MAX_EXPANSIONS:
        raise ParameterInvalid(f"Invalid expand: at most {MAX_EXPANSIONS} paths.", param="expand")
    return value


def expand_response(
    data: dict,
    paths: list[str],
    *,
    merchant,
    livemode: bool,
    can_read: Callable[[str], bool] = lambda _: True,
) -> dict:
    """`data` with each path in `paths` expanded in place (see the module docstring)."""
    expander = _Expander(merchant=merchant, livemode=livemode, can_read=can_read)
    for index, path in enumerate(paths):
        param = f"expand[{index}]"
        parts = path.split(".")
        if len(parts) > MAX_EXPAND_DEPTH or not all(parts):
            raise ParameterInvalid(
                f"Invalid expand path {printable(path)!r}: at most {MAX_EXPAND_DEPTH} levels.", param=param
            )
        expander.walk(data, parts, path=path, param=param)
    return data
