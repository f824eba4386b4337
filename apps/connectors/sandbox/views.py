"""The sandbox's customer-facing pages: a 3DS ACS challenge and a wallet (redirect / QR) approval.

They stand in for the issuer's ACS and the wallet provider's hosted page: a person (or a test)
approves or fails, and is sent back to the merchant's return_url as Stripe does
(`?payment_intent=…&payment_intent_client_secret=…&redirect_status=succeeded|failed`). The
attempt is found and finished through its owner's registration (`sessions`).
"""

from __future__ import annotations

import io
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from apps.audit.services import Actor
from apps.core.currencies import CURRENCIES
from apps.core.errors import ApplicationError

from .sessions import session_complete, session_find


def format_amount(amount: int, currency: str) -> str:
    exponent = CURRENCIES[currency].exponent if currency in CURRENCIES else 2
    if exponent == 0:
        return f"{amount:,} {currency}"
    major, minor = divmod(abs(amount), 10**exponent)
    sign = "-" if amount < 0 else ""
    return f"{sign}{major:,}.{minor:0{exponent}d} {currency}"


def _attempt(reference: str):
    charge = session_find(reference)
    if charge is None:
        raise Http404("Unknown or completed session.")
    return charge


def _return(intent, *, ok: bool):
    if not intent.return_url:
        return None
    parts = urlsplit(intent.return_url)
    query = urlencode(
        {
            "payment_intent": intent.public_id,
            "payment_intent_client_secret": intent.client_secret,
            "redirect_status": "succeeded" if ok else "failed",
        }
    )
    return HttpResponseRedirect(
        urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))
    )


def _complete(request, reference: str, *, result: str, page: str):
    charge = _attempt(reference)
    intent = charge.payment_intent
    error = None
    try:
        intent = session_complete(
            intent_id=intent.pk, actor=Actor.system(f"sandbox_{page}"), result=result, reference=reference
        )
    except ApplicationError as exc:
        error = exc
        intent.refresh_from_db()
    ok = intent.status in ("succeeded", "requires_capture", "processing")
    redirect = _return(intent, ok=ok)
    if redirect is not None:
        return redirect
    return render(
        request,
        "sandbox/done.html",
        {"intent": intent, "ok": ok, "error": error, "amount": format_amount(intent.amount, intent.currency)},
    )


@require_http_methods(["GET", "POST"])
def acs_challenge(request, reference: str):
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("authenticate", "fail"):
            return HttpResponse("Choose authenticate or fail.", status=400)
        return _complete(
            request, reference, result="authenticated" if action == "authenticate" else "failed", page="acs"
        )
    charge = _attempt(reference)
    return render(
        request,
        "sandbox/acs.html",
        {
            "charge": charge,
            "merchant": charge.merchant,
            "amount": format_amount(charge.amount, charge.currency),
            "reference": reference,
        },
    )


@require_http_methods(["GET", "POST"])
def wallet(request, reference: str):
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("approve", "abandon"):
            return HttpResponse("Choose approve or abandon.", status=400)
        return _complete(
            request, reference, result="approved" if action == "approve" else "abandoned", page="wallet"
        )
    charge = _attempt(reference)
    return render(
        request,
        "sandbox/wallet.html",
        {
            "charge": charge,
            "merchant": charge.merchant,
            "amount": format_amount(charge.amount, charge.currency),
            "reference": reference,
            "qr_svg": _qr_svg(request.build_absolute_uri()),
            "qr": charge.payment_intent.next_action
            and charge.payment_intent.next_action.get("type") == "display_qr_code",
        },
    )


def _qr_svg(data: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


def wallet_qr(request, reference: str):
    _attempt(reference)
    url = request.build_absolute_uri(request.path.rsplit("/", 1)[0])
    return HttpResponse(_qr_svg(url), content_type="image/svg+xml")
