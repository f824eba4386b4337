"""The payment workbench: the payment page's header (amount, status, customer, payment method,
merchant, order id), the capture / cancel / refund forms it opens on the page (major units, a
reason, a confirm step that repeats the amount), and the timeline sources this app owns (attempts,
3DS, captures, routing decisions, audit entries, webhook events). `PaymentIntentAdmin` in
`admin.py` takes it as `WorkbenchMixin`; the services write the audit entry."""

from __future__ import annotations

import json
from functools import partial

from django import forms
from django.contrib import messages
from django.db.models import Count, Sum
from django.http import Http404
from django.urls import path, reverse
from django.utils.http import urlencode

from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditEntry
from apps.backoffice.actions import ConfirmAction, Outcome, ReasonForm
from apps.backoffice.headers import HeaderAction, HeaderFact, header_part
from apps.backoffice.money import MoneyField, money
from apps.backoffice.timeline import (
    TimelineEntry,
    payment_object_ids,
    payment_timeline,
    timeline_source,
    workbench_buttons,
)
from apps.refunds.services import refund_create, refundable_amount

from . import services
from .models import PaymentIntent
from .payloads import payment_intent_public_dict

# unfold label colours of each status (list column and workbench badge).
STATUS_TONES = {
    "succeeded": "success",
    "requires_capture": "info",
    "requires_action": "warning",
    "processing": "info",
    "canceled": "",
    "failed": "danger",
    "requires_payment_method": "danger",
    "requires_confirmation": "",
}


class CaptureForm(ReasonForm):
    amount_to_capture = MoneyField(required=False, label="Amount to capture")
    field_order = ("amount_to_capture", "reason")

    def __init__(self, *args, currency: str = "", capturable: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if currency:
            self.fields["amount_to_capture"].set_currency(
                currency, maximum=capturable, maximum_label="capturable",
                note="Leave empty to capture everything capturable; the rest is released.",
            )  # fmt: skip
        else:
            # Payments in several currencies at once: only "capture everything" makes sense.
            del self.fields["amount_to_capture"]


class CancelForm(ReasonForm):
    cancellation_reason = forms.ChoiceField(
        label="Cancellation reason (the merchant sees it)",
        choices=[(c, c.replace("_", " ")) for c in ("requested_by_customer", "duplicate", "fraudulent", "abandoned")],
    )  # fmt: skip
    field_order = ("cancellation_reason", "reason")


class RefundForm(ReasonForm):
    amount = MoneyField(required=False, label="Amount to refund")
    refund_reason = forms.ChoiceField(
        label="Refund reason (the merchant sees it)",
        choices=[(c, c.replace("_", " ")) for c in ("requested_by_customer", "duplicate", "fraudulent", "product_return")],
    )  # fmt: skip
    field_order = ("amount", "refund_reason", "reason")

    def __init__(self, *args, currency: str = "", refundable: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if currency:
            self.fields["amount"].set_currency(
                currency, maximum=refundable, maximum_label="refundable",
                note="Leave empty to refund all that remains.",
            )  # fmt: skip
        else:
            del self.fields["amount"]


def refundable(intent: PaymentIntent) -> int | None:
    """What a refund may still take from the payment's captured charge (None: nothing captured)."""
    if "_refundable" in intent.__dict__:  # the workbench asks several times per page
        return intent.__dict__["_refundable"]
    left = None
    if intent.status == PaymentIntent.Status.SUCCEEDED:
        charge = intent.charges.filter(captured=True).order_by("-id").first()
        left = None if charge is None else max(refundable_amount(charge), 0)
    intent.__dict__["_refundable"] = left
    return left


def _one_currency(objects) -> str:
    currencies = {o.currency for o in objects}
    return currencies.pop() if len(currencies) == 1 else ""


def _refund_kwargs(model_admin, request, objects):
    objects = list(objects[:100]) if hasattr(objects, "model") else list(objects)
    if len(objects) == 1:
        return {"currency": objects[0].currency, "refundable": refundable(objects[0])}
    return {"currency": _one_currency(objects)}


def _capture_kwargs(model_admin, request, objects):
    objects = list(objects[:100]) if hasattr(objects, "model") else list(objects)
    if len(objects) == 1:
        return {"currency": objects[0].currency, "capturable": objects[0].amount_capturable}
    return {"currency": _one_currency(objects)}


def _what(objects) -> tuple[list, str]:
    objects = list(objects[:100]) if hasattr(objects, "model") else list(objects)
    if len(objects) == 1:
        intent = objects[0]
        order = f" (order {intent.order_id})" if intent.order_id else ""
        return objects, f"{intent.public_id}{order}"
    return objects, f"each of {len(objects)} payments"


def _refund_review(model_admin, request, objects, data):
    objects, what = _what(objects)
    amount = data.get("amount")
    if len(objects) == 1:
        left = refundable(objects[0])
        left_text = money(left, objects[0].currency) if left is not None else "nothing"
        if amount is None:
            return f"Refund all that remains, {left_text}, of {what}."
        return f"Refund {money(amount, objects[0].currency)} of {left_text} refundable on {what}."
    if amount is None:
        return f"Refund all that remains on {what}."
    return f"Refund {money(amount, objects[0].currency)} on {what}."


def _capture_review(model_admin, request, objects, data):
    objects, what = _what(objects)
    amount = data.get("amount_to_capture")
    if len(objects) == 1:
        capturable = money(objects[0].amount_capturable, objects[0].currency)
        if amount is None:
            return f"Capture all of {capturable} authorized on {what}."
        return f"Capture {money(amount, objects[0].currency)} of {capturable} authorized on {what}; the rest is released."
    return f"Capture {'everything capturable' if amount is None else money(amount, objects[0].currency)} on {what}."


def _cancel_review(model_admin, request, objects, data):
    objects, what = _what(objects)
    return f"Cancel {what} ({data['cancellation_reason'].replace('_', ' ')}); an authorization is released."


def refund_outcome(refund) -> Outcome:
    """The honest result of one refund request: done, on its way, waiting for approval or failed."""
    amount = money(refund.amount, refund.currency)
    status = refund.Status
    if refund.status == status.REQUIRES_APPROVAL:
        approval = (
            ApprovalRequest.objects.filter(target_type="refund", target_id=refund.public_id)
            .values_list("public_id", flat=True)
            .first()
        )
        return Outcome(
            f"Refund of {amount} is waiting for approval ({approval or refund.public_id}); "
            "nothing has been refunded yet.",
            messages.WARNING,
        )
    if refund.status == status.SUCCEEDED:
        return Outcome(f"Refund {refund.public_id} of {amount} succeeded.")
    if refund.status in (status.FAILED, status.CANCELED):
        why = f": {refund.failure_reason}" if refund.failure_reason else ""
        return Outcome(f"Refund {refund.public_id} of {amount} {refund.status}{why}.", messages.ERROR)
    return Outcome(
        f"Refund {refund.public_id} of {amount} is {refund.status.replace('_', ' ')} at the provider.",
        messages.INFO,
    )


def _perform_refund(model_admin, request, intent, data, actor):
    refund = refund_create(
        merchant=intent.merchant, livemode=intent.livemode, actor=actor, payment_intent=intent.public_id,
        amount=data.get("amount"), reason=data["refund_reason"], staff_reason=data["reason"][:500],
    )  # fmt: skip
    return refund_outcome(refund)


def _perform_capture(model_admin, request, intent, data, actor):
    intent = services.payment_intent_capture(
        intent_id=intent.pk,
        actor=actor,
        amount_to_capture=data.get("amount_to_capture"),
        reason=data["reason"],
    )
    if intent.status == PaymentIntent.Status.SUCCEEDED:
        return None  # counted under "Captured"
    return Outcome(f"{intent.public_id} is {intent.status.replace('_', ' ')} at the provider.", messages.INFO)


def _perform_cancel(model_admin, request, intent, data, actor):
    intent = services.payment_intent_cancel(
        intent_id=intent.pk,
        actor=actor,
        cancellation_reason=data["cancellation_reason"],
        reason=data["reason"],
    )
    if intent.status == PaymentIntent.Status.CANCELED:
        return None  # counted under "Canceled"
    return Outcome(f"{intent.public_id} is {intent.status.replace('_', ' ')} at the provider.", messages.INFO)


REFUND = ConfirmAction(
    perform=_perform_refund, title="Refund payment", noun="payment", verb="Refunded", permissions=("refund",),
    form_class=RefundForm, form_kwargs=_refund_kwargs, review=_refund_review, submit_label="Confirm refund",
)  # fmt: skip
CAPTURE = ConfirmAction(
    perform=_perform_capture, title="Capture payment", noun="payment", verb="Captured", permissions=("capture",),
    form_class=CaptureForm, form_kwargs=_capture_kwargs, review=_capture_review, submit_label="Confirm capture",
)  # fmt: skip
CANCEL = ConfirmAction(
    perform=_perform_cancel, title="Cancel payment", noun="payment", verb="Canceled", permissions=("cancel",),
    form_class=CancelForm, review=_cancel_review, submit_label="Confirm cancellation",
)  # fmt: skip
WORKBENCH_ACTIONS = {"refund": REFUND, "capture": CAPTURE, "cancel": CANCEL}


class WorkbenchMixin:
    """The workbench half of `PaymentIntentAdmin`: its URLs (one per action), the header's
    buttons and forms, and the change view's context."""

    def get_urls(self):
        urls = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(partial(self.workbench_action_view, action=name)),
                name=f"intents_paymentintent_{name}",
            )
            for name in WORKBENCH_ACTIONS
        ]
        return urls + super().get_urls()

    def workbench_actions(self, request, intent) -> list[dict]:
        """The buttons of the header: only what this role may do in this state."""
        left = refundable(intent)
        offered = [
            ("refund", "Refund", "undo", self.has_refund_permission(request) and bool(left)),
            ("capture", "Capture", "price_check",
             self.has_capture_permission(request) and intent.status == PaymentIntent.Status.REQUIRES_CAPTURE),
            ("cancel", "Cancel", "block",
             self.has_cancel_permission(request) and intent.status in services.CANCELLABLE),
        ]  # fmt: skip
        return [
            {"name": name, "label": label, "icon": icon,
             "url": reverse(f"admin:intents_paymentintent_{name}", args=[intent.pk])}
            for name, label, icon, allowed in offered if allowed
        ]  # fmt: skip

    def workbench_action_view(self, request, object_id, action):
        intent = self.get_object(request, object_id)
        if intent is None or not self.has_view_permission(request, intent):
            raise Http404
        spec = WORKBENCH_ACTIONS[action]
        change_url = reverse("admin:intents_paymentintent_change", args=[intent.pk])
        return self.confirm_object_action(
            request, intent, spec, done_url=change_url,
            context={"title": f"{spec.title} {intent.public_id}", "workbench": self.workbench(intent)},
        )  # fmt: skip

    def workbench(self, intent) -> dict:
        charge = intent.latest_charge
        pm = intent.payment_method
        three_ds = (charge.three_ds or {}).get("result") if charge else None
        method = "—"
        if pm is not None:
            brand = pm.card_brand or pm.type
            last4 = pm.card_last4 or pm.bank_last4
            method = f"{brand} •••• {last4}" if last4 else brand
            if pm.type != "card" and pm.card_brand:
                method = f"{pm.type.replace('_', ' ')} ({method})"
        elif charge is not None and charge.last4:
            method = f"{charge.payment_method_type} •••• {charge.last4}"
        left = refundable(intent)
        return {
            "amount": money(intent.amount, intent.currency),
            "status": intent.status,
            "status_label": intent.status.replace("_", " "),
            "tone": STATUS_TONES.get(intent.status, ""),
            "customer": (intent.customer.email or intent.customer.public_id) if intent.customer_id else (intent.receipt_email or "—"),
            "customer_url": reverse("admin:vault_customer_change", args=[intent.customer_id]) if intent.customer_id else "",
            "method": method,
            "three_ds": three_ds or "",
            "merchant": intent.merchant.name,
            "order_id": intent.order_id or "—",
            "refundable": money(left, intent.currency) if left is not None else "",
            "refunded": money(intent.amount_refunded, intent.currency),
            "capturable": money(intent.amount_capturable, intent.currency) if intent.amount_capturable else "",
        }  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        intent = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if intent is not None:
            actions = self.workbench_actions(request, intent)
            extra.update(
                {
                    "title": intent.public_id,
                    "subtitle": None,
                    "workbench": self.workbench(intent),
                    "workbench_actions": actions + workbench_buttons(request, intent),
                    "action_forms": self._action_forms(request, intent, actions),
                    "timeline": payment_timeline(intent),
                    "refunds": [
                        {
                            "public_id": r.public_id,
                            "status": r.status,
                            "reason": r.reason,
                            "requested_by": r.requested_by,
                            "money": money(r.amount, r.currency),
                            "url": reverse("admin:refunds_refund_change", args=[r.pk]),
                        }
                        for r in intent.refunds.order_by("-id")[:50]
                    ],
                    "raw_object": json.dumps(payment_intent_public_dict(intent), indent=2, default=str),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _action_forms(self, request, intent, actions) -> list[dict]:
        forms_ = []
        for action in actions:
            spec = WORKBENCH_ACTIONS[action["name"]]
            form = self._form(request, spec, [intent], None)
            forms_.append({**action, "form": form, "title": spec.title, "submit": "Continue"})
        return forms_


@timeline_source("attempts")
def _attempts(intent):
    """Attempts, 3DS and captures of the payment's charges."""
    for ch in intent.charges.order_by("id")[:50]:
        detail = " · ".join(
            part for part in (
                f"{ch.payment_method_type} •••• {ch.last4}" if ch.last4 else ch.payment_method_type,
                f"network {ch.network_code}" if ch.network_code else "",
                ch.decline_code or ch.failure_code or "", f"cvc {ch.cvc_check}" if ch.cvc_check else "",
                f"risk {ch.risk_score}" if ch.risk_score is not None else "",
                f"ref {ch.gateway_reference}" if ch.gateway_reference else "",
            ) if part
        )  # fmt: skip
        tone = "danger" if ch.status == "failed" else ("success" if ch.status == "succeeded" else "info")
        yield TimelineEntry(
            at=ch.created_at, kind="attempt", title=f"Attempt {ch.public_id}: {ch.status}", detail=detail,
            money=money(ch.amount, ch.currency), tone=tone,
            url=reverse("admin:intents_charge_change", args=[ch.pk]),
        )  # fmt: skip
        if ch.three_ds:
            result = ch.three_ds.get("result")
            yield TimelineEntry(
                at=ch.authorized_at or ch.failed_at or ch.updated_at, kind="3ds", title=f"3D Secure: {result}",
                detail=", ".join(f"{k} {v}" for k, v in ch.three_ds.items() if k != "result" and v is not None),
                tone="success" if result in ("authenticated", "attempt_acknowledged") else "warning",
            )  # fmt: skip
        if ch.captured_at:
            yield TimelineEntry(
                at=ch.captured_at, kind="capture", title=f"Captured {money(ch.amount_captured, ch.currency)}",
                detail=ch.public_id, money=money(ch.amount_captured, ch.currency), tone="success",
            )  # fmt: skip


def routing_summary(record: dict) -> tuple[str, str]:
    """A routing decision record (Charge.routing, apps.routing.engine) as a title and a detail."""
    connector = record.get("connector") or "—"
    failover = record.get("failover") or {}
    if failover:
        title = f"Failed over to {connector}"
        detail = (f"after {failover.get('previous_connector')} ({failover.get('previous_charge')}) answered "
                  f"{failover.get('code') or failover.get('reason')}")  # fmt: skip
    else:
        how = {"rule": f"rule “{record.get('matched_rule')}”", "pinned": "pinned connector",
               "fallback": "default fallback"}.get(record.get("matched_by") or "", record.get("matched_by") or "")  # fmt: skip
        title = f"Routed to {connector} by {how}" if how else f"Routed to {connector}"
        detail = ""
    excluded = [
        f"{c['connector']} {c['reason']}" for c in record.get("candidates") or [] if not c.get("eligible")
    ]
    parts = [detail, f"rule set {record['rule_set']} v{record.get('rule_set_version')}" if record.get("rule_set") else "",
             f"split bucket {record['split']['bucket']}" if isinstance(record.get("split"), dict) and "bucket" in record["split"] else "",
             f"excluded: {', '.join(excluded)}" if excluded else ""]  # fmt: skip
    return title, " · ".join(p for p in parts if p)


@timeline_source("routing")
def _routing(intent):
    """Why each attempt went to its connector (the decision record on the charge)."""
    for ch in intent.charges.exclude(routing=None).order_by("id").only("created_at", "routing")[:50]:
        title, detail = routing_summary(ch.routing)
        tone = "warning" if ch.routing.get("failover") else "info"
        yield TimelineEntry(at=ch.created_at, kind="routing", title=title, detail=detail, tone=tone)


@timeline_source("audit")
def _audit(intent):
    ids = payment_object_ids(intent)
    for entry in AuditEntry.objects.filter(object_id__in=ids).order_by("id")[:200]:
        yield TimelineEntry(
            at=entry.created_at, kind="audit", title=entry.action, detail=entry.reason or "",
            actor=entry.actor_label, url=reverse("admin:audit_auditentry_change", args=[entry.pk]),
        )  # fmt: skip


# --- customer and merchant page headers (apps.backoffice.headers) ---------------------------------


def _payments_url(term: str) -> str:
    return reverse("admin:intents_paymentintent_changelist") + "?" + urlencode({"q": term})


def _per_currency(rows, key: str) -> str:
    return " · ".join(money(r[key], r["currency"]) for r in rows if r[key]) or "—"


@header_part("vault.customer", "payments")
def _customer_payments(request, customer):
    """What the customer paid and got back, per currency (one aggregate on the tenant-customer
    index), their latest payment, and a one-click refund of it for a role that may refund."""
    mine = PaymentIntent.objects.filter(
        merchant_id=customer.merchant_id, livemode=customer.livemode, customer_id=customer.pk
    )
    rows = list(
        mine.filter(status=PaymentIntent.Status.SUCCEEDED)
        .values("currency")
        .annotate(n=Count("id"), paid=Sum("amount_received"), refunded=Sum("amount_refunded"))
        .order_by("currency")
    )
    count = sum(r["n"] for r in rows)
    yield HeaderFact("Paid", f"{_per_currency(rows, 'paid')} ({count} payment{'s' if count != 1 else ''})",
                     _payments_url(customer.public_id))  # fmt: skip
    yield HeaderFact("Refunded", _per_currency(rows, "refunded"))
    latest = mine.order_by("-id").first()
    if latest is None:
        return
    yield HeaderFact(
        "Latest payment", f"{latest.public_id} · {money(latest.amount, latest.currency)} · "
        f"{latest.status.replace('_', ' ')}", reverse("admin:intents_paymentintent_change", args=[latest.pk]),
    )  # fmt: skip
    if request.user.has_perm("refunds.add_refund") and refundable(latest):
        yield HeaderAction("refund-latest", "Refund latest payment",
                           reverse("admin:intents_paymentintent_refund", args=[latest.pk]), "undo")  # fmt: skip


@header_part("merchants.merchant", "payments")
def _merchant_payments(request, merchant):
    """The merchant's payments waiting on staff (to capture) and the list of all its payments."""
    waiting = PaymentIntent.objects.filter(
        merchant_id=merchant.pk, status=PaymentIntent.Status.REQUIRES_CAPTURE
    ).values("pk")[:1000]
    n = len(waiting)
    yield HeaderFact("Payments", "all payments", _payments_url(merchant.public_id))
    yield HeaderFact("Awaiting capture", f"{n}{'+' if n == 1000 else ''}",
                     reverse("admin:intents_paymentintent_changelist") + "?" + urlencode(
                         {"q": merchant.public_id, "status__exact": "requires_capture"}))  # fmt: skip
