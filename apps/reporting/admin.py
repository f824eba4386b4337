"""Back office for reporting: report runs (new run with date presets, live progress, download,
manifest) and the daily settlement report finance reads, exports and signs off. Thin: forms and
pages here, every write in apps.reporting.services (which audits it)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from apps.audit.services import Actor, audit_record
from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, Outcome, confirm_action
from apps.backoffice.money import money
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.merchants.models import Merchant

from .models import ReportRun, ReportSchedule, SettlementSignOff
from .payloads import report_run_payload
from .report_types import report_types
from .selectors import reporting_timezone, timezone_param
from .services import (
    report_run_create,
    report_schedule_create,
    report_schedule_set_active,
    settlement_sign_off,
)
from .settlement import CATEGORIES, settlement_report

PRESETS = (
    ("yesterday", "Yesterday"),
    ("last_7_days", "Last 7 days (to yesterday)"),
    ("last_month", "Last calendar month"),
    ("month_to_date", "This month to yesterday"),
    ("custom", "Custom dates"),
)


def preset_dates(preset: str, today: date) -> tuple[date, date]:
    """[first day, last day] of a preset, whole local days ending yesterday (closed data)."""
    yesterday = today - timedelta(days=1)
    if preset == "last_7_days":
        return today - timedelta(days=7), yesterday
    if preset == "last_month":
        first_this = today.replace(day=1)
        last_prev = first_this - timedelta(days=1)
        return last_prev.replace(day=1), last_prev
    if preset == "month_to_date":
        return min(today.replace(day=1), yesterday), yesterday
    return yesterday, yesterday


class ReportRunForm(forms.Form):
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.order_by("name"))
    livemode = forms.BooleanField(required=False, initial=False, label="Live mode")
    report_type = forms.ChoiceField(choices=())
    format = forms.ChoiceField(choices=ReportRun.Format.choices, initial="csv")
    preset = forms.ChoiceField(choices=PRESETS, initial="yesterday")
    date_from = forms.DateField(required=False, help_text="Custom: first day (inclusive).")
    date_to = forms.DateField(required=False, help_text="Custom: last day (inclusive).")
    timezone = forms.CharField(max_length=64, required=False, help_text="Empty: the merchant's zone.")
    reason = forms.CharField(max_length=500, min_length=3, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Kept in the audit log.")  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report_type"].choices = [(t.id, f"{t.id} — {t.title}") for t in report_types()]

    def clean(self):
        data = super().clean()
        merchant = data.get("merchant")
        if merchant is None:
            return data
        tz_name = data.get("timezone") or reporting_timezone(merchant)
        try:
            tz = timezone_param(tz_name, param="timezone")
        except Exception as exc:
            raise forms.ValidationError({"timezone": str(exc)}) from None
        today = timezone.now().astimezone(tz).date()
        if data.get("preset") == "custom":
            if not data.get("date_from") or not data.get("date_to"):
                raise forms.ValidationError("Custom dates need both days.")
            first, last = data["date_from"], data["date_to"]
        else:
            first, last = preset_dates(data.get("preset") or "yesterday", today)
        data["timezone"] = tz_name
        data["interval_start"] = int(datetime.combine(first, time.min, tzinfo=tz).timestamp())
        data["interval_end"] = int(
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz).timestamp()
        )
        return data


def _create_run(model_admin, request, _obj, data, actor):
    run = report_run_create(
        merchant=data["merchant"],
        livemode=data["livemode"],
        report_type=data["report_type"],
        format=data["format"],
        parameters={
            "interval_start": data["interval_start"],
            "interval_end": data["interval_end"],
            "timezone": data["timezone"],
        },
        actor=actor,
    )
    request.reporting_created_run = run
    return Outcome(f"Report run {run.public_id} queued; its page shows the progress.")


NEW_RUN = ConfirmAction(
    perform=_create_run,
    title="New report run",
    noun="report run",
    verb="Queued",
    permissions=("add",),
    form_class=ReportRunForm,
    submit_label="Run report",
    help="Whole days in the time zone: interval_start at the first day's midnight (inclusive), "
    "interval_end at the midnight after the last day (exclusive).",
)


@admin.register(ReportRun)
class ReportRunAdmin(ConfirmActionMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = (
        "public_id",
        "merchant",
        "report_type",
        "format",
        "status",
        "progress_display",
        "created_at",
    )
    list_filter = ("status", "report_type", "format", "livemode")
    list_select_related = ("merchant",)
    search_fields = ("=public_id",)
    show_full_result_count = False
    change_form_template = "admin/reporting/reportrun/change_form.html"
    change_list_template = "admin/reporting/reportrun/change_list.html"
    readonly_fields = ("public_id", "merchant", "livemode", "report_type", "format", "status", "error",
                       "progress_display", "parameters_display", "manifest_display", "download_link",
                       "requested_by", "created_at", "started_at", "succeeded_at", "failed_at")  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("reporting.add_reportrun")

    def get_urls(self):
        return [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="reporting_reportrun_progress",
            ),
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="reporting_reportrun_download",
            ),
            path(
                "settlement/", self.admin_site.admin_view(self.settlement_view), name="reporting_settlement"
            ),
            path(
                "settlement/sign-off/",
                self.admin_site.admin_view(self.sign_off_view),
                name="reporting_settlement_sign_off",
            ),
            *super().get_urls(),
        ]

    # --- pages ----------------------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        """The new-run form (presets, time zone, reason) instead of a model form."""
        response = self.confirm_object_action(request, None, NEW_RUN)
        run = getattr(request, "reporting_created_run", None)
        if run is not None:
            response["Location"] = reverse("admin:reporting_reportrun_change", args=[run.pk])
        return response

    def progress_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = ReportRun.objects.select_related("merchant").filter(pk=pk).first()
        if run is None:
            raise Http404
        body = report_run_payload(run)
        return JsonResponse({"status": body["status"], "progress": body["progress"], "error": body["error"]})

    def download_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = ReportRun.objects.select_related("merchant").filter(pk=pk, status="succeeded").first()
        if run is None or not run.file:
            raise Http404
        audit_record(actor=Actor.staff(request.user), action="report_run.downloaded", merchant=run.merchant,
                     obj=run, after={"sha256": run.sha256})  # fmt: skip
        return FileResponse(
            run.file.open("rb"), as_attachment=True, filename=run.file.name.rsplit("/", 1)[-1]
        )

    def settlement_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        merchants = list(Merchant.objects.order_by("name"))
        merchant = next((m for m in merchants if m.public_id == request.GET.get("merchant")), None)
        merchant = merchant or (merchants[0] if merchants else None)
        livemode = request.GET.get("livemode") == "1"
        tz_name = request.GET.get("timezone") or (reporting_timezone(merchant) if merchant else "UTC")
        try:
            tz = timezone_param(tz_name, param="timezone")
        except Exception:
            tz_name, tz = "UTC", ZoneInfo("UTC")
        try:
            day = date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            day = timezone.now().astimezone(tz).date() - timedelta(days=1)
        report = settlement_report(merchant=merchant, livemode=livemode, day=day, tz=tz) if merchant else None
        signoffs = {}
        if merchant:
            for s in SettlementSignOff.objects.filter(
                merchant=merchant, livemode=livemode, day=day
            ).select_related("signed_by"):
                signoffs[(s.connector, s.currency)] = s
        lines = []
        for line in report.lines if report else []:
            signed = signoffs.get((line.connector, line.currency))
            lines.append(
                {
                    "connector": line.connector or "—",
                    "connector_code": line.connector,
                    "currency": line.currency,
                    "cells": [money(line.amounts[c], line.currency) for c in CATEGORIES]
                    + [money(line.fees, line.currency), money(line.net, line.currency)],
                    "signed": signed,
                    "changed": bool(signed and signed.figures.get("acquirer") != line.figures()),
                }
            )
        bridges = [
            {
                "currency": b.currency,
                "opening": money(b.opening_balance, b.currency),
                "activity": money(b.activity_net, b.currency),
                "payouts": money(b.payouts, b.currency),
                "closing": money(b.closing_balance, b.currency),
                "balanced": b.balanced,
                "credits": [{**c, "amount": money(c["amount"], b.currency)} for c in b.bank_credits],
                "residuals": b.residuals,
            }
            for b in (report.bridges if report else [])
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Daily settlement report — {day.isoformat()}",
            "opts": self.model._meta,
            "merchants": merchants,
            "merchant": merchant,
            "livemode": livemode,
            "day": day,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "timezone": tz_name,
            "headers": [c.replace("_", " ") for c in CATEGORIES] + ["fees", "net"],
            "lines": lines,
            "bridges": bridges,
            "can_sign_off": request.user.has_perm("reporting.signoff_settlement"),
            "can_export": self.has_add_permission(request),
            "interval_start": int(report.start.timestamp()) if report else None,
        }
        return TemplateResponse(request, "admin/reporting/settlement.html", context)

    def sign_off_view(self, request):
        if request.method != "POST" or not request.user.has_perm("reporting.signoff_settlement"):
            raise PermissionDenied
        form = SignOffForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied(json.dumps(form.errors))
        data = form.cleaned_data
        tz = timezone_param(data["timezone"], param="timezone")
        settlement_sign_off(merchant=data["merchant"], livemode=data["livemode"], day=data["day"],
                            connector=data["connector"], currency=data["currency"], tz=tz,
                            user=request.user, note=data["note"])  # fmt: skip
        self.message_user(request, f"Signed off {data['day']} {data['connector'] or '—'} {data['currency']}.")
        url = reverse("admin:reporting_settlement")
        query = f"?merchant={data['merchant'].public_id}&date={data['day']}&timezone={data['timezone']}"
        if data["livemode"]:
            query += "&livemode=1"
        from django.http import HttpResponseRedirect

        return HttpResponseRedirect(url + query)

    # --- columns --------------------------------------------------------------------------------

    @admin.display(description="progress")
    def progress_display(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        body = report_run_payload(obj)["progress"]
        percent = body["percent"]
        text = (
            f"{body['rows_written']:,} / {body['rows_estimated']:,} rows"
            if body["rows_estimated"]
            else (f"{body['rows_written']:,} rows")
        )
        return format_html(
            '<span class="report-progress" data-url="{}" data-status="{}">{}{}</span>',
            reverse("admin:reporting_reportrun_progress", args=[obj.pk]),
            obj.status,
            text,
            f" ({percent}%)" if percent is not None else "",
        )

    @admin.display(description="parameters")
    def parameters_display(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.parameters, indent=2, sort_keys=True))

    @admin.display(description="manifest")
    def manifest_display(self, obj):
        if not obj.manifest:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(obj.manifest, indent=2, sort_keys=True))

    @admin.display(description="file")
    def download_link(self, obj):
        if obj.status != "succeeded" or not obj.file:
            return "—"
        return format_html('<a href="{}" id="report-download">Download {} ({} bytes)</a>',
                           reverse("admin:reporting_reportrun_download", args=[obj.pk]), obj.format, obj.size)  # fmt: skip


class ReportScheduleForm(forms.Form):
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.order_by("name"))
    livemode = forms.BooleanField(required=False, initial=False, label="Live mode")
    report_type = forms.ChoiceField(choices=(), initial="settlement.daily.1")
    format = forms.ChoiceField(choices=ReportRun.Format.choices, initial="csv")
    frequency = forms.ChoiceField(choices=ReportSchedule.Frequency.choices, initial="daily")
    timezone = forms.CharField(max_length=64, required=False, help_text="Empty: the merchant's zone.")
    webhook_endpoint = forms.CharField(max_length=40, required=False,
                                       help_text="we_… of the merchant, subscribed to reporting.report_run.succeeded.")  # fmt: skip
    reason = forms.CharField(max_length=500, min_length=3, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Kept in the audit log.")  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report_type"].choices = [(t.id, f"{t.id} — {t.title}") for t in report_types()]


def _create_schedule(model_admin, request, _obj, data, actor):
    schedule = report_schedule_create(
        merchant=data["merchant"], livemode=data["livemode"], report_type=data["report_type"],
        format=data["format"], frequency=data["frequency"], timezone_name=data.get("timezone") or None,
        webhook_endpoint=data.get("webhook_endpoint") or None, actor=actor,
    )  # fmt: skip
    request.reporting_created_schedule = schedule
    return Outcome(
        f"Schedule {schedule.public_id} created; its first run is due {schedule.next_run_at:%Y-%m-%d %H:%M} UTC."
    )


NEW_SCHEDULE = ConfirmAction(
    perform=_create_schedule,
    title="New scheduled report",
    noun="report schedule",
    verb="Created",
    permissions=("add",),
    form_class=ReportScheduleForm,
    submit_label="Create schedule",
    help="Each run covers the last whole day, ISO week or month of the time zone, an hour after it "
    "ends; its succeeded event, with a signed download link that expires, goes to the endpoint.",
)


@admin.register(ReportSchedule)
class ReportScheduleAdmin(ConfirmActionMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("public_id", "merchant", "report_type", "format", "frequency", "timezone", "active",
                    "next_run_at", "last_run_at", "last_error")  # fmt: skip
    list_filter = ("active", "frequency", "report_type", "livemode")
    list_select_related = ("merchant",)
    search_fields = ("=public_id",)
    readonly_fields = ("public_id", "merchant", "livemode", "report_type", "format", "frequency", "timezone",
                       "parameters", "webhook_endpoint", "delay_seconds", "active", "next_interval_start",
                       "next_interval_end", "next_run_at", "last_run_at", "last_error", "created_by",
                       "created_at", "runs_display")  # fmt: skip
    fields = readonly_fields
    actions = ("pause_schedules", "resume_schedules")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("reporting.add_reportschedule")

    def has_manage_permission(self, request):
        return request.user.has_perm("reporting.change_reportschedule")

    def add_view(self, request, form_url="", extra_context=None):
        response = self.confirm_object_action(request, None, NEW_SCHEDULE)
        schedule = getattr(request, "reporting_created_schedule", None)
        if schedule is not None:
            response["Location"] = reverse("admin:reporting_reportschedule_change", args=[schedule.pk])
        return response

    @admin.display(description="Runs")
    def runs_display(self, obj):
        runs = list(obj.runs.order_by("-pk")[:10])
        if not runs:
            return "none yet"
        return format_html_join(
            ", ", '<a href="{}">{}</a> ({})',
            ((reverse("admin:reporting_reportrun_change", args=[r.pk]), r.public_id, r.status) for r in runs),
        )  # fmt: skip

    @confirm_action(description="Pause selected schedules", permissions=["manage"], noun="schedule",
                    verb="Paused", confirm=False, reason="from the back office")  # fmt: skip
    def pause_schedules(self, request, schedule, data, actor):
        report_schedule_set_active(schedule_id=schedule.pk, active=False, actor=actor)

    @confirm_action(description="Resume selected schedules", permissions=["manage"], noun="schedule",
                    verb="Resumed", confirm=False, reason="from the back office")  # fmt: skip
    def resume_schedules(self, request, schedule, data, actor):
        report_schedule_set_active(schedule_id=schedule.pk, active=True, actor=actor)


class SignOffForm(forms.Form):
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.all(), to_field_name="public_id")
    livemode = forms.BooleanField(required=False)
    day = forms.DateField()
    connector = forms.CharField(max_length=40, required=False)
    currency = forms.CharField(max_length=3)
    timezone = forms.CharField(max_length=64)
    note = forms.CharField(max_length=500, required=False)


@admin.register(SettlementSignOff)
class SettlementSignOffAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("day", "merchant", "connector", "currency", "signed_by", "signed_at")
    list_filter = ("currency", "connector", "livemode")
    list_select_related = ("merchant", "signed_by")
    date_hierarchy = "day"
