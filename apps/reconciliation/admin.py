"""Back office for reconciliation: runs with their summary, the discrepancy queue (grouped by
type, filtered by merchant, connector, currency, day) with its resolve actions, files, batches
with their payout bridge, and the configuration finance owns (column mappings, tolerances, the
acquirers' fee rules). Money is shown in major units of its currency."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from apps.audit.services import Actor, audit_record
from apps.backoffice.actions import ConfirmActionMixin, ReasonForm, confirm_action
from apps.backoffice.money import CurrencyMoneyFormMixin, MoneyDisplayMixin, MoneyField, money
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.core.errors import ApplicationError

from .models import (
    AccountingPeriod,
    AcquirerFeeRule,
    ColumnMapping,
    Discrepancy,
    GLAccountMapping,
    ReconciliationRun,
    SettlementBatch,
    SettlementFile,
    SettlementSync,
    Tolerance,
)
from .parsers import preview
from .selectors import batch_bridge, describe_diffs
from .services import (
    discrepancy_resolve,
    gl,
    reconciliation_run_create,
    settlement_file_ingest,
    settlement_sync_request,
)
from .services.ingest import io_bytes

FORM_TEMPLATE = "admin/reconciliation/form_page.html"


def _page(model_admin, request, title, form, *, submit_label, help_text="", **extra):
    context = {**model_admin.admin_site.each_context(request), "title": title, "opts": model_admin.model._meta,
               "form": form, "submit_label": submit_label, "help": help_text, **extra}  # fmt: skip
    return TemplateResponse(request, FORM_TEMPLATE, context)


class UploadForm(forms.Form):
    file = forms.FileField()
    format = forms.ChoiceField(choices=SettlementFile.Format.choices)
    mapping = forms.ModelChoiceField(ColumnMapping.objects.order_by("name"), required=False,
                                     help_text="Only for a generic CSV.")  # fmt: skip
    connector_code = forms.CharField(max_length=40, required=False, help_text="Acquirer files: e.g. sandbox.")
    livemode = forms.BooleanField(required=False)


class SyncForm(forms.Form):
    interval_start = forms.DateField(help_text="YYYY-MM-DD, inclusive")
    interval_end = forms.DateField(help_text="YYYY-MM-DD, exclusive")


class PreviewForm(forms.Form):
    file = forms.FileField(
        help_text="A sample file in this layout: its first rows are shown as the mapping reads them."
    )


class _NoteForm(ReasonForm):
    pass


class _LineEditForm(ReasonForm):
    psp_reference = forms.CharField(
        max_length=100, required=False, help_text="Corrected reference (blank: keep)."
    )


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ConfirmActionMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("public_id", "interval_start", "interval_end", "connector_code", "status", "items_processed",
                    "matched", "expected", "open_discrepancies", "created_at")  # fmt: skip
    list_filter = ("status", "connector_code", "livemode")
    search_fields = ("=public_id",)
    date_hierarchy = "interval_start"
    show_full_result_count = False
    actions = ["rerun"]

    def get_readonly_fields(self, request, obj=None):
        return ["summary_display", *[f.name for f in self.model._meta.fields if f.name != "summary"]]

    @admin.display(description="open discrepancies by type")
    def summary_display(self, obj):
        rows = [
            (kind, row["count"], money(row["difference"], row["currency"]))
            for kind, per_currency in (obj.summary or {}).get("open_by_type", {}).items()
            for row in per_currency
        ]
        if not rows:
            return "none"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {} ({})</li>", rows))

    def has_rerun_permission(self, request):
        return request.user.has_perm("reconciliation.add_reconciliationrun")

    @confirm_action(description="Re-run selected", noun="run", verb="Queued a re-run of", permissions=["rerun"],
                    help="A re-run never duplicates a match or a discrepancy; a late line clears its item.")  # fmt: skip
    def rerun(self, request, run, data, actor):
        reconciliation_run_create(interval_start=run.interval_start, interval_end=run.interval_end,
                                  livemode=run.livemode, connector_code=run.connector_code, actor=actor)  # fmt: skip


def _resolve_action(action: str, description: str, verb: str, *, permission: str = "resolve", form=_NoteForm):
    @confirm_action(description=description, noun="discrepancy", verb=verb, permissions=[permission],
                    form_class=form, help=Discrepancy.RESOLUTION_EFFECTS.get(
                        {"ignore": "ignored", "mark_received": "marked_received", "force_match": "forced",
                         "write_off": "written_off", "accept_as_fee": "written_off",
                         "edit_line": "line_edited", "create_entry": "entry_created"}[action], ""))  # fmt: skip
    def perform(self, request, discrepancy, data, actor):
        edits = {"psp_reference": data["psp_reference"]} if data.get("psp_reference") else None
        result = discrepancy_resolve(discrepancy_id=discrepancy.pk, action=action, note=data["reason"], actor=actor,
                                     edits=edits, requested_by_user=request.user)  # fmt: skip
        if result.status == Discrepancy.Status.OPEN and result.approval_id:
            return f"Sent to the approval queue ({result.approval_id}):"
        return None

    perform.__name__ = action
    return perform


@admin.register(Discrepancy)
class DiscrepancyAdmin(MoneyDisplayMixin, ConfirmActionMixin, ReadOnlyAdminMixin, ModelAdmin):
    money_fields = ("difference",)
    list_display = ("public_id", "type", "status", "day", "merchant", "connector_code", "difference_display",
                    "diff_text", "resolution", "created_at")  # fmt: skip
    list_filter = (
        "status",
        "type",
        "connector_code",
        "currency",
        "day",
        "merchant",
        "resolution",
        "livemode",
    )
    list_select_related = ("merchant",)
    search_fields = ("=public_id", "=line__psp_reference", "=item__source_id")
    date_hierarchy = "day"
    show_full_result_count = False
    ordering = ("status", "type", "-day")
    actions = [
        "ignore",
        "mark_received",
        "force_match",
        "write_off",
        "accept_as_fee",
        "create_entry",
        "edit_line",
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["side_by_side", "diff_text", "effect", *[f.name for f in self.model._meta.fields]]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_resolve_permission(self, request):
        return request.user.has_perm("reconciliation.resolve_discrepancy")

    def has_writeoff_permission(self, request):
        return request.user.has_perm("reconciliation.writeoff_discrepancy")

    ignore = _resolve_action("ignore", "Ignore (with a reason)", "Ignored")
    mark_received = _resolve_action("mark_received", "Mark as received", "Marked as received")
    force_match = _resolve_action("force_match", "Force-match (accept the difference)", "Force-matched",
                                  permission="writeoff")  # fmt: skip
    write_off = _resolve_action("write_off", "Write off the difference (ledger adjustment)", "Wrote off",
                                permission="writeoff")  # fmt: skip
    accept_as_fee = _resolve_action("accept_as_fee", "Accept the difference as a fee", "Accepted as a fee",
                                    permission="writeoff")  # fmt: skip
    create_entry = _resolve_action("create_entry", "Create the missing ledger entry (settled line)",
                                   "Created the ledger entry of", permission="writeoff")  # fmt: skip
    edit_line = _resolve_action("edit_line", "Edit the settlement line's reference", "Edited the line of",
                                form=_LineEditForm)  # fmt: skip

    @admin.display(description="difference", ordering="difference")
    def difference_display(self, obj):
        return money(obj.difference, obj.currency)

    @admin.display(description="what differs")
    def diff_text(self, obj):
        return describe_diffs(obj)

    @admin.display(description="what the resolution did")
    def effect(self, obj):
        return Discrepancy.RESOLUTION_EFFECTS.get(obj.resolution, "—")

    @admin.display(description="ledger · settlement line · bank")
    def side_by_side(self, obj):
        item, line, bank = obj.item, obj.line, obj.bank_line
        differing = {d["field"] for d in obj.diffs or []}

        def cell(name, value):
            style = "background:#fde68a;font-weight:600" if name in differing else ""
            return format_html('<div style="{}">{}: {}</div>', style, name, value)

        ledger = format_html("{}{}{}{}", cell("source", f"{item.kind} {item.source_id}"),
                             cell("gross", money(item.amount, item.currency)), cell("currency", item.currency),
                             cell("status", item.status)) if item else "—"  # fmt: skip
        settled = format_html("{}{}{}{}<pre>{}</pre>", cell("psp_reference", line.psp_reference),
                              cell("gross", money(line.gross, line.currency)), cell("fee", money(line.fee, line.currency)),
                              cell("currency", line.currency), line.raw) if line else "—"  # fmt: skip
        credit = format_html("{}{}", cell("bank_credit", money(bank.amount, bank.currency)),
                             cell("reference", bank.reference)) if bank else "—"  # fmt: skip
        return format_html(
            '<table><tr><th>Ledger</th><th>Settlement line</th><th>Bank</th></tr>'
            '<tr><td style="vertical-align:top">{}</td><td style="vertical-align:top">{}</td>'
            '<td style="vertical-align:top">{}</td></tr></table>', ledger, settled, credit,
        )  # fmt: skip


@admin.register(SettlementFile)
class SettlementFileAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "public_id",
        "filename",
        "format",
        "source_kind",
        "status",
        "row_count",
        "source",
        "created_at",
    )
    list_filter = ("status", "format", "source_kind", "connector_code")
    search_fields = ("=public_id", "=sha256", "filename")
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="reconciliation_settlementfile_upload",
            ),
            path(
                "sync/", self.admin_site.admin_view(self.sync_view), name="reconciliation_settlementfile_sync"
            ),
            *super().get_urls(),
        ]

    def _may_ingest(self, request) -> bool:
        return request.user.has_perm("reconciliation.add_settlementfile")

    def upload_view(self, request):
        """Upload an acquirer or bank file: refused when seen before; a malformed one lists its errors."""
        if not self._may_ingest(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        errors = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                file = settlement_file_ingest(
                    content=data["file"], fmt=data["format"], actor=Actor.staff(request.user),
                    filename=data["file"].name or "", livemode=data["livemode"], mapping=data["mapping"],
                    connector_code=data["connector_code"],
                )  # fmt: skip
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                if file.status == SettlementFile.Status.PROCESSED:
                    messages.success(request, f"{file.public_id}: {file.row_count} row(s) loaded.")
                    return HttpResponseRedirect(
                        reverse("admin:reconciliation_settlementfile_change", args=[file.pk])
                    )
                errors = file.errors
        return _page(self, request, "Upload a settlement or bank file", form, submit_label="Upload",
                     file_errors=errors)  # fmt: skip

    def sync_view(self, request):
        """Fetch the acquirers' files for a date range now (the same job as the daily beat sync)."""
        if not self._may_ingest(request):
            raise PermissionDenied
        yesterday = dt.date.today() - dt.timedelta(days=1)
        form = SyncForm(
            request.POST or None, initial={"interval_start": yesterday, "interval_end": dt.date.today()}
        )
        if request.method == "POST" and form.is_valid():
            try:
                job = settlement_sync_request(actor=Actor.staff(request.user), **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error("interval_end", exc.message)
            else:
                messages.success(request, f"Settlement sync {job.public_id} queued.")
                return HttpResponseRedirect(reverse("admin:reconciliation_settlementsync_changelist"))
        return _page(self, request, "Sync settlement reports", form, submit_label="Sync now")


@admin.register(SettlementBatch)
class SettlementBatchAdmin(MoneyDisplayMixin, ReadOnlyAdminMixin, ModelAdmin):
    money_fields = ("gross", "fees", "net", "reported_payout")
    list_display = ("public_id", "settled_on", "connector_code", "currency", "net_display", "bank_credit_display",
                    "line_count")  # fmt: skip
    list_filter = ("connector_code", "currency", "settled_on")
    list_select_related = ("bank_line",)
    search_fields = ("=public_id", "=payout_reference")
    date_hierarchy = "settled_on"

    def get_readonly_fields(self, request, obj=None):
        return ["bridge", *[f.name for f in self.model._meta.fields]]

    @admin.display(description="net")
    def net_display(self, obj):
        return money(obj.net, obj.currency)

    @admin.display(description="bank credit")
    def bank_credit_display(self, obj):
        return money(obj.bank_line.amount if obj.bank_line_id else None, obj.currency)

    @admin.display(description="payout bridge")
    def bridge(self, obj):
        rows = [(label, money(amount, obj.currency) if isinstance(amount, int) else amount)
                for label, amount in batch_bridge(obj)]  # fmt: skip
        return format_html("<table>{}</table>", format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows))


@admin.register(SettlementSync)
class SettlementSyncAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "public_id",
        "interval_start",
        "interval_end",
        "status",
        "merchant",
        "requested_by",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("merchant",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(ColumnMapping)
class ColumnMappingAdmin(ModelAdmin):
    """A new file layout without a vendor: name the header of each field, then preview a sample."""

    list_display = ("name", "source_kind", "connector_code", "delimiter", "decimal_separator", "amount_unit")

    def get_urls(self):
        return [
            path("<path:object_id>/preview/", self.admin_site.admin_view(self.preview_view),
                 name="reconciliation_columnmapping_preview"),
            *super().get_urls(),
        ]  # fmt: skip

    def preview_view(self, request, object_id):
        mapping = self.get_object(request, object_id)
        if mapping is None or not self.has_view_or_change_permission(request, mapping):
            raise PermissionDenied
        form = PreviewForm(request.POST or None, request.FILES or None)
        shown = None
        if request.method == "POST" and form.is_valid():
            try:
                shown = preview(io_bytes(form.cleaned_data["file"]), mapping)
            except (UnicodeDecodeError, ValueError) as exc:
                form.add_error("file", f"Unreadable file: {exc}")
        help_text = f"Columns: {mapping.columns}"
        return _page(self, request, f"Preview of {mapping.name}", form, submit_label="Preview", preview=shown,
                     help_text=help_text)  # fmt: skip


class ToleranceForm(CurrencyMoneyFormMixin, forms.ModelForm):
    """The tolerance is typed in major units of its currency (0.05 EUR, 5 JPY)."""

    amount = MoneyField(allow_zero=True, label="Tolerance", help_text="Differences up to it are matched.")
    money_fields = ("amount",)

    class Meta:
        model = Tolerance
        fields = ("currency", "amount")


class AcquirerFeeRuleForm(CurrencyMoneyFormMixin, forms.ModelForm):
    """The contract's fixed fee per capture, in major units of the rule's currency (0.30 USD)."""

    fixed_amount = MoneyField(allow_zero=True, label="Fixed fee per capture")
    money_fields = ("fixed_amount",)

    class Meta:
        model = AcquirerFeeRule
        fields = ("connector_code", "currency", "percent_bp", "fixed_amount")


@admin.register(Tolerance)
class ToleranceAdmin(MoneyDisplayMixin, ModelAdmin):
    form = ToleranceForm
    money_fields = ("amount",)  # the list column; the form has its own MoneyField
    list_display = ("currency", "amount_money")

    def get_fields(self, request, obj=None):
        return ModelAdmin.get_fields(self, request, obj)


@admin.register(AcquirerFeeRule)
class AcquirerFeeRuleAdmin(MoneyDisplayMixin, ModelAdmin):
    form = AcquirerFeeRuleForm
    money_fields = ("fixed_amount",)
    list_display = ("connector_code", "currency", "percent_bp", "fixed_amount_money")

    def get_fields(self, request, obj=None):
        return ModelAdmin.get_fields(self, request, obj)


@admin.register(GLAccountMapping)
class GLAccountMappingAdmin(ModelAdmin):
    list_display = ("account_kind", "currency", "gl_code", "gl_name")
    list_filter = ("account_kind",)


@admin.register(AccountingPeriod)
class AccountingPeriodAdmin(ConfirmActionMixin, ReadOnlyAdminMixin, ModelAdmin):
    """Close a period (locks it; its GL export is then fixed), export its journal, reopen (admin)."""

    list_display = ("start", "end", "status", "closed_at", "closed_by", "exports")
    list_filter = ("status",)
    actions = ["close", "reopen"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("reconciliation.add_accountingperiod")

    def get_readonly_fields(self, request, obj=None):
        return (
            ["status", "closed_at", "closed_by"] if obj is None else [f.name for f in self.model._meta.fields]
        )

    def has_close_permission(self, request):
        return request.user.has_perm("reconciliation.close_accountingperiod")

    def has_reopen_permission(self, request):
        return request.user.has_perm("reconciliation.reopen_accountingperiod")

    def get_urls(self):
        return [
            path("<path:object_id>/export/<str:fmt>/", self.admin_site.admin_view(self.export_view),
                 name="reconciliation_accountingperiod_export"),
            *super().get_urls(),
        ]  # fmt: skip

    @admin.display(description="GL export")
    def exports(self, obj):
        if obj.status != AccountingPeriod.Status.CLOSED:
            return "close it first"
        links = [
            (reverse("admin:reconciliation_accountingperiod_export", args=[obj.pk, f]), f) for f in gl.FORMATS
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def export_view(self, request, object_id, fmt):
        period = self.get_object(request, object_id)
        if period is None or not self.has_view_permission(request, period) or fmt not in gl.FORMATS:
            raise PermissionDenied
        try:
            content = gl.gl_export_csv(period=period, fmt=fmt)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:reconciliation_accountingperiod_changelist"))
        audit_record(actor=Actor.staff(request.user), action="reconciliation.gl_exported", obj=period,
                     object_id=str(period.start), after={"format": fmt, "bytes": len(content)})  # fmt: skip
        response = HttpResponse(content, content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="gl-{period.start}-{fmt}.csv"'
        return response

    @confirm_action(description="Close selected periods", noun="period", verb="Closed", permissions=["close"],
                    help="Closing locks the period: later corrections go to the next open period.")  # fmt: skip
    def close(self, request, period, data, actor):
        gl.accounting_period_close(period_id=period.pk, actor=actor)

    @confirm_action(description="Reopen selected periods (admin)", noun="period", verb="Reopened",
                    permissions=["reopen"])  # fmt: skip
    def reopen(self, request, period, data, actor):
        gl.accounting_period_reopen(period_id=period.pk, actor=actor, reason=data["reason"])
