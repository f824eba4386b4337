"""The provider-by-operation table (``docs/providers.md``), generated from the adapters' capability
matrices and their declared SDK, API version, documentation and notes. ``python manage.py
providers_table`` rewrites the document; ``tests/connectors/test_providers_table.py`` fails when the
committed one differs from what the matrices say."""

from __future__ import annotations

from .capabilities import supports
from .registry import adapter_classes

DOCUMENT = "docs/providers.md"

# column header → (adapter operation or matrix flag, how it is judged)
COLUMNS = (
    ("authorize", lambda cls: "direct" in (cls.matrix()["flows"] or ["direct"])),
    ("3DS", lambda cls: bool(cls.matrix()["three_d_secure"])),
    (
        "redirect/QR/app",
        lambda cls: _redirects(cls),
    ),
    ("manual capture", lambda cls: bool(cls.matrix()["manual_capture"])),
    ("partial capture", lambda cls: bool(cls.matrix()["manual_capture"] and cls.matrix()["partial_capture"])),
    ("void", lambda cls: supports(cls.capabilities, "void")),
    ("refund", lambda cls: bool(cls.matrix()["refunds"])),
    ("partial refund", lambda cls: bool(cls.matrix()["refunds"] and cls.matrix()["partial_refunds"])),
    # lookup of each operation by our reference (the janitor otherwise waits for a notification)
    ("lookup: authorize", lambda cls: bool(cls.matrix()["lookup"])),
    ("lookup: capture", lambda cls: bool(cls.matrix()["manual_capture"] and cls.matrix()["lookup_capture"])),
    ("lookup: void", lambda cls: bool(supports(cls.capabilities, "void") and cls.matrix()["lookup_void"])),
    ("lookup: refund", lambda cls: bool(cls.matrix()["refunds"] and cls.matrix()["lookup_refund"])),
    ("webhooks", lambda cls: bool(cls.matrix()["webhooks"])),
    ("settlement report", lambda cls: bool(cls.matrix()["settlement_reports"])),
    ("payouts", lambda cls: bool(cls.matrix()["payouts"])),
)


# Seed 003's providers without an adapter, and why: no adapter pretends to do what it cannot.
NOT_BUILT = {
    "AsiaHawala": (
        "AsiaHawala (Iraq) publishes a merchant onboarding page and embeddable payment buttons "
        "(asiahawala.iq/integration), but its server API is documented only to registered merchants "
        "inside its merchant panel; with nothing public to build and record against, there is no "
        "adapter. Routing never offers it."
    ),
    "TapToPay": (
        "Tap-to-pay is a device-side SDK (the phone reads the contactless card); its server side is a "
        "card or wallet-token charge through an acquirer's API. Clearhouse takes that charge through "
        "the acquiring provider's adapter (e.g. a wallet token as `apple_pay`/`google_pay`); there is "
        "no separate TapToPay server API to adapt."
    ),
    "Telr": (
        "Not built yet: Telr's hosted payment page (order.json create/check) returns the customer "
        "with no signed parameters, so completion needs a read-back keyed by our cart id, which the "
        "gateway return path does not offer yet."
    ),
}


def _redirects(cls) -> bool:
    """A redirect, QR or app-link flow: declared in ``flows``, or (an adapter that declares no
    flows) payment method types other than cards and device wallets."""
    if not supports(cls.capabilities, "start_redirect"):
        return False
    matrix = cls.matrix()
    if matrix["flows"] is not None:
        return bool({"redirect", "qr", "deep_link"} & set(matrix["flows"]))
    types = matrix["payment_method_types"]
    return types is None or bool(set(types) - {"card", "apple_pay", "google_pay"})


def _list(values) -> str:
    if values is None:
        return "any"
    return ", ".join(values) if values else "none"


def providers_markdown() -> str:
    classes = adapter_classes()
    out = [
        "# Payment providers",
        "",
        "Generated from the adapters' capability matrices (`apps/connectors/adapters/<provider>/`) by",
        "`python manage.py providers_table`; `tests/connectors/test_providers_table.py` checks it is current.",
        "✓: supported — for a real provider, proven by the conformance suite (`tests/connectors/conformance`)",
        "against its recorded responses (the sandbox by `tests/connectors/test_sandbox_adapter.py`); —: not",
        "supported (the gateway answers `operation_not_supported` and routing never sends a payment that",
        "needs it there). The four lookup columns: whether the re-check janitor can ask the provider what",
        "became of an authorization, capture, void or refund left without an answer; where it cannot, it",
        "waits for the provider's notification and then escalates the item for review (never re-sends).",
        "",
        "| provider | " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for cls in classes:
        cells = ["✓" if judge(cls) else "—" for _, judge in COLUMNS]
        out.append(f"| {cls.display_name or cls.code} (`{cls.code}`) | " + " | ".join(cells) + " |")
    out += ["", "## Per provider", ""]
    for cls in classes:
        matrix = cls.matrix()
        out += [
            f"### {cls.display_name or cls.code} (`{cls.code}`)",
            "",
            f"- SDK: {('`' + cls.sdk + '`') if cls.sdk else 'none (documented HTTP API through `apps/connectors/http.py`)' if cls.code != 'sandbox' else 'built in'}",
            f"- API version: {cls.api_version or '—'}",
            f"- modes: {'test' if cls.test_mode else ''}{' and ' if cls.test_mode and cls.live_mode else ''}{'live' if cls.live_mode else ''}",
            f"- payment method types: {_list(matrix['payment_method_types'])}",
            f"- flows: {_list(matrix['flows'])}",
            f"- card networks: {_list(matrix['card_networks'])}",
            f"- currencies: {_list(matrix['currencies'])}",
            f"- countries: {_list(matrix['countries'])}",
            f"- credentials: {', '.join(f'`{f}`' for f in cls.credential_fields) or 'none'}"
            + (
                f" (optional: {', '.join(f'`{f}`' for f in cls.optional_credential_fields)})"
                if cls.optional_credential_fields
                else ""
            ),
        ]
        if cls.documentation:
            out.append("- built from: " + "; ".join(cls.documentation))
        if cls.notes:
            out.append(f"- not covered: {cls.notes}")
        out.append("")
    built = {(cls.display_name or cls.code).lower() for cls in classes} | {cls.code for cls in classes}
    missing = {name: why for name, why in NOT_BUILT.items() if name.lower() not in built}
    if missing:
        out += ["## Not built", ""]
        out += [f"- **{name}**: {why}" for name, why in sorted(missing.items())]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
