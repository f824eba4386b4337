"""Which kinds of action need a second pair of eyes, who may approve them, and what runs then."""

from collections.abc import Callable
from dataclasses import dataclass

from apps.core.errors import InvalidRequestError


@dataclass(frozen=True)
class ApprovalKind:
    kind: str
    permission: str  # "<app_label>.<codename>" the approver must hold
    execute: Callable  # (approval, actor) -> None; runs after the decision commits
    reject: Callable | None = None  # (approval, actor) -> None
    label: str = ""
    # (approval) -> [(label, value, admin url or "")]: what the reviewer needs to see about the
    # target (order id, customer, original payment…), shown on the approval's review page.
    describe: Callable | None = None


_KINDS: dict[str, ApprovalKind] = {}


def register(
    kind: str,
    *,
    permission: str,
    execute: Callable,
    reject: Callable | None = None,
    label: str = "",
    describe: Callable | None = None,
) -> None:
    _KINDS[kind] = ApprovalKind(
        kind=kind,
        permission=permission,
        execute=execute,
        reject=reject,
        label=label or kind,
        describe=describe,
    )


def get(kind: str) -> ApprovalKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise InvalidRequestError(f"Unknown approval kind '{kind}'.", param="kind") from None


def kinds() -> dict[str, ApprovalKind]:
    return dict(_KINDS)
