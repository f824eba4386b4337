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
}


# What each provider offers for the settlement report, found in its published documentation: the
# source an adapter reads, or — where it declares no settlement report — what exists instead.
SETTLEMENT_SOURCES = {
    "stripe": "the day's balance transactions (Balance Transactions API), payouts left out.",
    "adyen": "the Settlement details report (CSV) of the day's batch (report download URL).",
    "square": "the entries of the payouts that arrive that day (Payouts API).",
    "checkout": (
        "the daily Financial Actions by Date Range report (Reports API: GET /reports, then the CSV "
        "file), one line per financial action."
    ),
    "amazon_ps": (
        "none over the API: the APS API reference documents payment operations and a "
        "per-transaction CHECK_STATUS query, no report or settlement endpoint; settlement "
        "statements come from the APS back office (dashboard download)."
    ),
    "helcim": (
        "none: the Card Batch API (GET /card-batches, GET /card-transactions?cardBatchId=) shows what "
        "each closed batch settled, gross only — Helcim deposits a batch net of its processing fees "
        "(or gross, fees withdrawn monthly), and neither the fees nor the deposits are in the API "
        "(the dashboard's Bank Deposits tool and the monthly statement have them); lines without "
        "fees would misstate every payout."
    ),
    "paytabs": (
        "none: PayTabs' Reports API (GET /report/{profile}/list, /report/{profile}/get/{id}) serves "
        "only transaction reports the merchant first configures in the dashboard (Excel, columns "
        "chosen there, the 30 latest), no payouts or fees in a fixed layout; such an export saved "
        "as CSV fits a generic CSV column mapping upload in reconciliation."
    ),
    "verifone": (
        "none over the API: Verifone Central's Settlements report (batches per POI or processor) "
        "and transaction report (CSV export with Acquirer Settlement ID, Batch Number, …) are "
        "dashboard pages; Verifone's Reporting API serves only the in-store APM (PayPal, Venmo) "
        "payout reports. The transaction CSV export fits a generic CSV column mapping upload."
    ),
    "tap": (
        "not read yet: Tap's Payouts API lists payouts (POST /v2/payouts/list) and Download Payouts "
        "(POST /v2/payouts/download, live mode only) answers a zip of CSV sheets per payout "
        "(PAYOUT SUMMARY, CHARGES, and REFUNDS / DISPUTES / DISPUTE_RELEASE when any); their columns "
        "are published only as a sample folder, not in the API reference, so no parser was written "
        "against guessed columns."
    ),
    "zaincash": (
        "none: ZainCash's API (docs.zaincash.iq v1.0) creates and reads single transactions; the "
        "merchant wallet's statement is in ZainCash's app and merchant panel."
    ),
    "fib": (
        "none: FIB's online-payments API creates, reads, cancels and refunds payments, which land in "
        "the merchant's FIB business account; no acquirer settlement exists to report (the bank "
        "side is that account's statement, in the FIB app)."
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
        if cls.code in SETTLEMENT_SOURCES:
            out.append(f"- settlement report: {SETTLEMENT_SOURCES[cls.code]}")
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
