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

Two optional steps make money actions say what they will do before doing it:

- `form_kwargs(model_admin, request, objects)` returns the form's keyword arguments (e.g. the
  currency and refundable amount of the payment, so the money field reads major units);
- `review(model_admin, request, objects, cleaned_data)` returns a sentence ("Refund 3.00 EUR of
  20.00 EUR refundable"): a valid form is then shown once more, read-only, with that sentence and
  a Confirm button, and only that second post acts.

Every form is drawn in unfold's styling (`style_form`), whatever widgets it declares.
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
from unfold.widgets import (
    CHECKBOX_CLASSES,
    INPUT_CLASSES,
    SELECT_CLASSES,
    TEXTAREA_CLASSES,
    UnfoldAdminTextareaWidget,
)

from apps.audit.services import Actor
from apps.core.errors import ApplicationError

from .money import money

APPLY_FIELD = "apply"
CONFIRMED_FIELD = "confirmed"
EDIT_FIELD = "edit"


class ActionRefused(PermissionDenied):
    """A staff member asked for an action their role does not allow: the back office's 403 page
    names the roles that hold `permission` ("<app_label>.<codename>")."""

    def __init__(self, message: str = "", *, permission: str = ""):
        super().__init__(message)
        self.message = message
        self.permission = permission


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        min_length=3,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text="Why you do this; kept in the audit log.",
    )


def style_form(form: forms.Form) -> forms.Form:
    """Gives every widget that has no classes of its own unfold's input styling, so an app's plain
    `forms.Textarea` or `forms.Select` looks like the rest of the back office."""
    for field in form.fields.values():
        widget = field.widget
        if widget.attrs.get("class") or isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            classes = CHECKBOX_CLASSES
        elif isinstance(widget, forms.Textarea):
            classes = TEXTAREA_CLASSES
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            classes = SELECT_CLASSES
        elif isinstance(widget, forms.widgets.Input) and not isinstance(widget, forms.FileInput):
            classes = INPUT_CLASSES
        else:
            continue
        widget.attrs["class"] = " ".join(classes)
    return form


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
    # (model_admin, request, objects) -> dict of the form's keyword arguments.
    form_kwargs: Any = None
    # (model_admin, request, objects, cleaned_data) -> the sentence a second, read-only step shows.
    review: Any = None


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
    form_kwargs=None,
    review=None,
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
            form_kwargs=form_kwargs,
            review=review,
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
        form = self._form(request, spec, queryset, request.POST if applying else None)
        hidden = {
            "action": request.POST.get("action", ""),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "apply": True,
        }
        if applying and form.is_valid():
            review = self._review(request, spec, queryset, form)
            if review is None:
                self._run(request, queryset, spec, form.cleaned_data)
                return None
            return self._confirm_page(request, queryset, spec, form, hidden=hidden, review=review)
        return self._confirm_page(request, queryset, spec, form, hidden=hidden)

    def confirm_object_action(
        self, request, obj, spec: ConfirmAction, *, done_url: str | None = None, template: str | None = None,
        context: dict | None = None, form_kwargs: dict | None = None,
    ):  # fmt: skip
        """A per-object page (GET shows the confirm page, POST applies) for the same spec. With
        `obj=None` the form itself names what to act on (e.g. a balance adjustment request)."""
        self._check_action_permissions(request, spec)
        objects = [] if obj is None else [obj]
        data = request.POST if request.method == "POST" else None
        form = self._form(request, spec, objects, data, extra=form_kwargs)
        review = None
        if data is not None and form.is_valid():
            review = self._review(request, spec, objects, form)
            if review is None:
                done = self._run(request, [obj], spec, form.cleaned_data, form=form)
                if done:
                    return HttpResponseRedirect(done_url or self._changelist_url())
        return self._confirm_page(
            request, objects, spec, form, hidden={}, template=template, context=context, review=review,
            back_url=done_url,
        )  # fmt: skip

    # --- the steps ------------------------------------------------------------------------------

    def _check_action_permissions(self, request, spec: ConfirmAction) -> None:
        for name in spec.permissions:
            if not getattr(self, f"has_{name}_permission")(request):
                raise ActionRefused(
                    f"Your role does not allow this action: {spec.title}.",
                    permission=getattr(self, f"{name}_permission_codename", None) or self._codename(name),
                )

    def _codename(self, name: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}.{name}_{opts.model_name}"

    def _form(self, request, spec: ConfirmAction, objects, data, *, extra=None) -> forms.Form:
        kwargs = dict(spec.form_kwargs(self, request, objects) if spec.form_kwargs else {})
        kwargs.update(extra or {})
        return style_form(spec.form_class(data, **kwargs))

    def _review(self, request, spec: ConfirmAction, objects, form) -> str | None:
        """The sentence of the read-only second step, or None once it was confirmed (or if the
        action has none)."""
        if request.POST.get(EDIT_FIELD) == "1":
            form.editing = True
            return ""
        if spec.review is None or request.POST.get(CONFIRMED_FIELD) == "1":
            return None
        return spec.review(self, request, objects, form.cleaned_data)

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

    def _confirm_page(
        self, request, objects, spec, form, *, hidden, template=None, context=None, review=None, back_url=None
    ):  # fmt: skip
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
            "back_url": back_url or self._changelist_url(),
            "review": review,
            "has_review": spec.review is not None,
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
