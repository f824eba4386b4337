import json
from datetime import UTC

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from pghistory.models import Events
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateTimeFilter, TextFilter

from apps.backoffice.paging import EstimatedCountPaginator, KeysetChangeListMixin
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.core.errors import ApplicationError

from .models import AuditEntry, AuditExport
from .services import audit_export_downloaded, audit_export_request


class ActionFilter(TextFilter):
    """Exact action, or every action under a prefix ending with '.' (index-backed LIKE 'x%')."""

    title = "action (exact, or prefix like refund.)"
    parameter_name = "action"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        return (
            queryset.filter(action__startswith=value)
            if value.endswith(".")
            else queryset.filter(action=value)
        )


class ObjectTypeFilter(TextFilter):
    title = "object type (exact, e.g. refunds.refund)"
    parameter_name = "object_type"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(object_type=value) if value else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, KeysetChangeListMixin, ModelAdmin):
    list_display = (
        "created_at",
        "action",
        "actor_type",
        "actor_label",
        "object_type",
        "object_id",
        "merchant",
        "reason_short",
        "request_id",
    )
    # Millions of rows: exact, index-backed filters and search; no date hierarchy or DISTINCT-based
    # filter choices; the planner's estimate instead of COUNT(*); ?after=<id> for deep pages.
    list_filter = ("actor_type", ActionFilter, ObjectTypeFilter, ("created_at", RangeDateTimeFilter))
    list_filter_submit = True
    search_fields = ("=object_id", "=actor_label", "=request_id")
    search_help_text = "Exact object id (pi_…, re_…), staff username or request id."
    list_select_related = ("merchant",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    @admin.display(description="Reason")
    def reason_short(self, obj):
        return (obj.reason[:80] + "…") if len(obj.reason) > 80 else obj.reason


@admin.register(AuditExport)
class AuditExportAdmin(ModelAdmin):
    """Compliance asks for an export here; a Celery job writes the hash-chained files."""

    list_display = (
        "public_id",
        "created_at",
        "requested_by_label",
        "filters_display",
        "status",
        "row_count",
        "downloads",
    )
    list_filter = ("status",)
    search_fields = ("=public_id", "requested_by_label")
    list_select_related = ("merchant",)
    show_full_result_count = False
    add_fields = ("date_from", "date_to", "merchant", "actor", "action")
    autocomplete_fields = ()
    change_form_outer_before_template = "admin/audit/export_status.html"
    list_before_template = "admin/audit/export_presets.html"

    def export_presets(self) -> list[dict]:
        """Today, yesterday, the last 7 and 30 days, this month: links to the add form filled in."""
        from datetime import datetime, time, timedelta

        from django.utils.http import urlencode

        today = datetime.combine(timezone.now().astimezone(UTC).date(), time.min, tzinfo=UTC)
        tomorrow = today + timedelta(days=1)
        ranges = [
            ("today", "Today", today, tomorrow),
            ("yesterday", "Yesterday", today - timedelta(days=1), today),
            ("7d", "Last 7 days", tomorrow - timedelta(days=7), tomorrow),
            ("30d", "Last 30 days", tomorrow - timedelta(days=30), tomorrow),
            ("month", "This month", today.replace(day=1), tomorrow),
        ]
        add = reverse("admin:audit_auditexport_add")
        fmt = "%Y-%m-%d %H:%M:%S"
        return [
            {"key": key, "label": label,
             "url": add + "?" + urlencode({"date_from": start.strftime(fmt), "date_to": end.strftime(fmt)})}
            for key, label, start, end in ranges
        ]  # fmt: skip

    def changelist_view(self, request, extra_context=None):
        extra = {
            **(extra_context or {}),
            "export_presets": self.export_presets() if self.has_add_permission(request) else [],
        }
        return super().changelist_view(request, extra_context=extra)

    def add_view(self, request, form_url="", extra_context=None):
        extra = {**(extra_context or {}), "export_presets": self.export_presets()}
        return super().add_view(request, form_url, extra_context=extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        tones = {"completed": "success", "failed": "danger", "running": "info", "queued": "warning"}
        export = self.get_object(request, object_id)
        extra = {**(extra_context or {}), "export_tone": tones.get(getattr(export, "status", ""), "")}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def get_changeform_initial_data(self, request):
        from django.utils.dateparse import parse_datetime

        initial = super().get_changeform_initial_data(request)
        for name in ("date_from", "date_to"):
            value = parse_datetime(str(initial.get(name, "")))
            if value is not None:
                initial[name] = value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
            else:
                initial.pop(name, None)
        return initial

    def status_view(self, request, object_id):
        export = get_object_or_404(AuditExport, pk=object_id)
        if not self.has_view_permission(request, export):
            raise PermissionDenied
        return JsonResponse({"id": export.public_id, "status": export.status, "row_count": export.row_count})

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        return (
            "public_id",
            "status",
            "requested_by_label",
            "created_at",
            "date_from",
            "date_to",
            "merchant",
            "actor",
            "action",
            "row_count",
            "final_hash",
            "downloads",
            "manifest_display",
            "error",
            "started_at",
            "finished_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Filters")
    def filters_display(self, obj):
        parts = []
        if obj.date_from or obj.date_to:
            parts.append(f"{obj.date_from or '…'} → {obj.date_to or '…'}")
        if obj.merchant_id:
            parts.append(obj.merchant.public_id)
        if obj.actor:
            parts.append(f"actor={obj.actor}")
        if obj.action:
            parts.append(f"action={obj.action}")
        return ", ".join(parts) or "all entries"

    @admin.display(description="Download")
    def downloads(self, obj):
        if obj.status != AuditExport.Status.COMPLETED:
            return "—"
        links = [
            (reverse("admin:audit_auditexport_download", args=[obj.pk, fmt]), label)
            for fmt, label in (("csv", "CSV"), ("jsonl", "JSON Lines"), ("manifest", "Manifest"))
        ]
        return format_html_join(
            " · ", '<a class="text-primary-600 underline download-link" href="{}">{}</a>', links
        )

    @admin.display(description="Manifest")
    def manifest_display(self, obj):
        if not obj.manifest:
            return "—"
        return format_html(
            "<pre class='text-xs whitespace-pre-wrap'>{}</pre>", json.dumps(obj.manifest, indent=2)
        )

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        try:
            export = audit_export_request(
                user=request.user,
                date_from=form.cleaned_data.get("date_from"),
                date_to=form.cleaned_data.get("date_to"),
                merchant=form.cleaned_data.get("merchant"),
                actor=form.cleaned_data.get("actor") or "",
                action=form.cleaned_data.get("action") or "",
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            raise PermissionDenied from exc
        obj.pk = export.pk
        obj.public_id = export.public_id

    def get_urls(self):
        return [
            path(
                "<path:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name="audit_auditexport_status",
            ),
            path(
                "<path:object_id>/download/<str:fmt>/",
                self.admin_site.admin_view(self.download_view),
                name="audit_auditexport_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, object_id, fmt):
        export = get_object_or_404(AuditExport, pk=object_id)
        if not self.has_view_permission(request, export):
            raise PermissionDenied
        if export.status != AuditExport.Status.COMPLETED or fmt not in ("csv", "jsonl", "manifest"):
            raise Http404("This export has no such file.")
        audit_export_downloaded(export=export, user=request.user, fmt=fmt)
        if fmt == "manifest":
            response = HttpResponse(
                json.dumps(export.manifest, indent=2, sort_keys=True) + "\n", content_type="application/json"
            )
            response["Content-Disposition"] = f'attachment; filename="{export.public_id}.manifest.json"'
            return response
        field = export.csv_file if fmt == "csv" else export.jsonl_file
        return FileResponse(
            field.open("rb"),
            as_attachment=True,
            filename=f"{export.public_id}.{fmt}",
            content_type="text/csv" if fmt == "csv" else "application/x-ndjson",
        )


@admin.register(Events)
class ConfigHistoryAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Every pghistory event (configuration changes), read-only; the event tables refuse edits."""

    list_display = ("pgh_created_at", "pgh_obj_model", "pgh_obj_id", "pgh_label", "pgh_diff")
    list_filter = ("pgh_label", "pgh_obj_model")
    show_full_result_count = False

    def get_queryset(self, request):
        from django.db import connection

        queryset = super().get_queryset(request)
        if connection.vendor != "postgresql":  # no triggers (embedded SQLite demo)
            return queryset.none()
        return queryset.order_by("-pgh_created_at")
