"""Every back-office action, built like Django's `delete_selected`:

1. permission check (the action's `permissions`, asked of the ModelAdmin's `has_<p>_permission`),
2. a confirm page listing the objects, asking a reason (and the action's extra fields),
3. one service call per object, with the staff member as the actor (the service writes the audit
   entry),
4. `message_user` with an honest summary: how many objects each outcome had, and each refusal.

Declare an action with the decorator, on a ModelAdmin that mixes in `ConfirmActionMixin`::

    @confirm_action(description="Cancel selected refunds", permissions=["cancel"],
                    noun="refund", verb="Canceled")
    def cancel_refunds(self, request, refund, data, actor):
        refund_cancel(refund_id=refund.pk, actor=actor, reason=data["reason"])

`perform` returns None (the object counts under `verb`), another verb (e.g. "Sent to the approval
queue the refunds of"; "{n}" in it places the count) or an `Outcome` with its own message. An
`ApplicationError` refuses that object only, in a message naming it. Pages about one object (a
payout's "Mark failed" link, an approval's decide page, a balance adjustment request) call
`ConfirmActionMixin.confirm_object_action` with a `ConfirmAction` of their own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.audit.services import Actor
from apps.core.errors import ApplicationError

from .money import money

APPLY_FIELD = "apply"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        min_length=3,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the audit log.",
    )


@dataclass(frozen=True)
class Outcome:
    """What one object's service call produced, when it deserves its own line."""

    message: str
    level: int = messages.SUCCESS


@dataclass(frozen=True)
class ConfirmAction:
    perform: Any  # (model_admin, request, obj, cleaned_data, actor) -> None | str | Outcome
    title: str
    noun: str
    verb: str
    permissions: tuple[str, ...] = ()
    form_class: type[forms.Form] = ReasonForm
    # Without a confirm page the action runs at once with this fixed reason (one-click, reversible
    # operations such as re-sending a webhook).
    confirm: bool = True
    reason: str = ""
    submit_label: str = "Confirm"
    help: str = ""
    # A refusal with HTTP status 403 (e.g. the requester deciding their own approval) answers the
    # 403 page instead of a per-object message.
    forbidden_is_403: bool = False


def confirm_action(
    *,
    description: str,
    noun: str,
    verb: str,
    permissions: list[str] | tuple[str, ...] = (),
    form_class: type[forms.Form] = ReasonForm,
    title: str | None = None,
    confirm: bool = True,
    reason: str = "",
    submit_label: str = "Confirm",
    help: str = "",
):
    """Turn `perform(self, request, obj, data, actor)` into an admin action run by the mixin."""

    def decorator(perform):
        spec = ConfirmAction(
            perform=perform,
            title=title or description,
            noun=noun,
            verb=verb,
            permissions=tuple(permissions),
            form_class=form_class,
            confirm=confirm,
            reason=reason,
            submit_label=submit_label,
            help=help,
        )

        @wraps(perform)
        def action(model_admin, request, queryset):
            return model_admin.confirm_selected_action(request, queryset, spec)

        return admin.action(description=description, permissions=list(permissions) or None)(action)

    return decorator


class ConfirmActionMixin:
    confirm_action_template = "admin/backoffice/confirm_action.html"

    # --- entry points ---------------------------------------------------------------------------

    def confirm_selected_action(self, request, queryset, spec: ConfirmAction):
        """A changelist action: the confirm page posts back to the changelist with `apply`."""
        self._check_action_permissions(request, spec)
        if not spec.confirm:
            self._run(request, queryset, spec, {"reason": spec.reason})
            return None
        applying = APPLY_FIELD in request.POST
        form = spec.form_class(request.POST if applying else None)
        if applying and form.is_valid():
            self._run(request, queryset, spec, form.cleaned_data)
            return None
        return self._confirm_page(
            request,
            queryset,
            spec,
            form,
            hidden={
                "action": request.POST.get("action", ""),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "apply": True,
            },
        )

    def confirm_object_action(
        self, request, obj, spec: ConfirmAction, *, done_url: str | None = None, template: str | None = None,
        context: dict | None = None, form_kwargs: dict | None = None,
    ):  # fmt: skip
        """A per-object page (GET shows the confirm page, POST applies) for the same spec. With
        `obj=None` the form itself names what to act on (e.g. a balance adjustment request)."""
        self._check_action_permissions(request, spec)
        form = spec.form_class(request.POST if request.method == "POST" else None, **(form_kwargs or {}))
        if request.method == "POST" and form.is_valid():
            done = self._run(request, [obj], spec, form.cleaned_data, form=form)
            if done:
                return HttpResponseRedirect(done_url or self._changelist_url())
        objects = [] if obj is None else [obj]
        return self._confirm_page(request, objects, spec, form, hidden={}, template=template, context=context)

    # --- the steps ------------------------------------------------------------------------------

    def _check_action_permissions(self, request, spec: ConfirmAction) -> None:
        for name in spec.permissions:
            if not getattr(self, f"has_{name}_permission")(request):
                raise PermissionDenied

    def _run(self, request, objects, spec: ConfirmAction, data: dict, *, form=None) -> int:
        """One service call per object; returns how many went through."""
        actor = Actor.staff(request.user)
        counts: Counter[str] = Counter()
        done = 0
        for obj in objects:
            try:
                result = spec.perform(self, request, obj, data, actor)
            except ApplicationError as exc:
                if exc.status == 403 and spec.forbidden_is_403:
                    raise PermissionDenied(exc.message) from exc
                if form is not None:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(request, f"{_label(obj)}: {exc.message}", messages.ERROR)
                continue
            done += 1
            if isinstance(result, Outcome):
                self.message_user(request, result.message, result.level)
            else:
                counts[result or spec.verb] += 1
        for verb, count in counts.items():
            self.message_user(request, _summary(verb, count, spec.noun), messages.SUCCESS)
        return done

    def _confirm_page(self, request, objects, spec, form, *, hidden, template=None, context=None):
        opts = self.model._meta
        is_queryset = isinstance(objects, QuerySet)
        rows = list(objects[:100]) if is_queryset else list(objects)
        page = {
            **self.admin_site.each_context(request),
            "title": spec.title,
            "opts": opts,
            "spec": spec,
            "objects": [{"label": _label(obj), "detail": _detail(obj)} for obj in rows],
            "count": objects.count() if is_queryset else len(rows),
            "form": form,
            "hidden": hidden,
            "back_url": self._changelist_url(),
            **(context or {}),
        }
        return TemplateResponse(request, template or self.confirm_action_template, page)

    def _changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_changelist", current_app=self.admin_site.name
        )


def _summary(verb: str, count: int, noun: str) -> str:
    """ "Refunded 2 payment(s)."; a verb with {n} places the count itself."""
    if "{n}" in verb:
        return verb.format(n=count, noun=noun)
    return f"{verb} {count} {noun}(s)."


def _label(obj) -> str:
    return str(getattr(obj, "public_id", None) or obj)


def _detail(obj) -> str:
    parts = []
    status = getattr(obj, "status", "")
    if status:
        parts.append(str(status))
    amount, currency = getattr(obj, "amount", None), getattr(obj, "currency", "")
    if amount is not None and currency:
        parts.append(money(amount, currency))
    if not parts and str(obj) != _label(obj):
        parts.append(str(obj))
    return " — ".join(parts)
