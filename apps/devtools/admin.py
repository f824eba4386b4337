"""Back office of the developer platform: bulk jobs (upload, preview of refused rows, start,
progress, cancel, result file), simulations (read-only), access reviews, and the staff pages for
platform diagnostics and a merchant's PCI attestation."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from apps.audit.services import audit_record
from apps.backoffice.actions import ConfirmAction, ConfirmActionMixin, Outcome, confirm_action
from apps.backoffice.readonly import ReadOnlyAdminMixin
from apps.merchants.models import Merchant

from . import selectors, services
from .api.bulk_views import _csv_lines
from .models import AccessReview, BulkJob, Simulation, TestClock
from .operations import diagnostics, pci_attestation, staff_facts
from .payloads import bulk_row_result


class BulkUploadForm(forms.Form):
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.order_by("name"))
    kind = forms.ChoiceField(choices=BulkJob.Kind.choices)
    livemode = forms.BooleanField(required=False, help_text="Unticked: test mode.")
    file = forms.FileField(
        help_text="CSV (a header line; metadata[key] columns) or JSON Lines, one row per line."
    )
    reason = forms.CharField(max_length=500, min_length=3, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Kept in the audit log.")  # fmt: skip


def _upload(model_admin, request, _obj, data, actor):
    job = services.bulk_job_create(
        merchant=data["merchant"], livemode=data["livemode"], kind=data["kind"], actor=actor,
        upload=data["file"], start=False,
    )  # fmt: skip
    return Outcome(
        f"Job {job.public_id} read: {job.total_rows} rows, {job.failed_rows} refused. "
        "Check the preview on its page, then start it."
    )


UPLOAD = ConfirmAction(
    perform=_upload, title="Upload a bulk job", noun="job", verb="Uploaded", permissions=("upload",),
    form_class=BulkUploadForm, submit_label="Upload and preview",
    help="Rows are checked now; nothing runs until the job is started from its page.",
)  # fmt: skip


@admin.register(BulkJob)
class BulkJobAdmin(ReadOnlyAdminMixin, ConfirmActionMixin, ModelAdmin):
    list_display = ("public_id", "merchant", "kind", "status", "progress", "succeeded_rows", "failed_rows",
                    "livemode", "created_at")  # fmt: skip
    list_filter = ("status", "kind", "livemode")
    list_select_related = ("merchant",)
    search_fields = ("=public_id",)
    show_full_result_count = False
    actions = ["start_jobs", "cancel_jobs"]
    readonly_fields = ("progress", "refused_rows_preview", "results_link")

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *[f.name for f in self.model._meta.fields]]

    def has_add_permission(self, request):  # uploads go through the upload page
        return False

    def has_upload_permission(self, request):
        return request.user.has_perm("devtools.add_bulkjob")

    has_start_permission = has_upload_permission

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="devtools_bulkjob_upload"),
            path(
                "<path:object_id>/results/",
                self.admin_site.admin_view(self.results_view),
                name="devtools_bulkjob_results",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        return self.confirm_object_action(request, None, UPLOAD, form_kwargs={"files": request.FILES or None})

    def results_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = get_object_or_404(BulkJob, pk=object_id)
        rows = (bulk_row_result(row) for row in selectors.bulk_job_rows(job))
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{job.public_id}-results.csv"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.has_upload_permission(request):
            extra_context["subtitle"] = format_html(
                '<a class="text-primary-600 underline" href="{}">Upload a bulk job</a>',
                reverse("admin:devtools_bulkjob_upload"),
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="progress")
    def progress(self, obj):
        return f"{obj.processed_rows} / {obj.total_rows}"

    @admin.display(description="rows refused at upload (first 20)")
    def refused_rows_preview(self, obj):
        rows = selectors.bulk_job_preview(obj)
        if not rows:
            return "none"
        return format_html(
            "<table><tr><th>row</th><th>param</th><th>error</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                             ((r.number, r.error_param, r.error_message) for r in rows)),
        )  # fmt: skip

    @admin.display(description="results")
    def results_link(self, obj):
        return format_html(
            '<a class="text-primary-600 underline" href="{}">download the per-row results (CSV)</a>',
            reverse("admin:devtools_bulkjob_results", args=[obj.pk]),
        )

    @confirm_action(description="Start selected jobs", noun="job", verb="Started", permissions=["start"])
    def start_jobs(self, request, job, data, actor):
        started = services.bulk_job_start(job_id=job.public_id, actor=actor, reason=data["reason"])
        if started.status == BulkJob.Status.REQUIRES_APPROVAL:
            return "Sent to the approval queue (above the bulk threshold) the jobs of"
        return None

    @confirm_action(description="Cancel selected jobs", noun="job", verb="Canceled", permissions=["start"])
    def cancel_jobs(self, request, job, data, actor):
        services.bulk_job_cancel(job=job, actor=actor)


@admin.register(Simulation)
class SimulationAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ("public_id", "merchant", "type", "object_id", "status", "result", "run_at", "applied_at")
    list_filter = ("status", "type")
    list_select_related = ("merchant",)
    search_fields = ("=public_id", "=object_id")
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(TestClock)
class TestClockAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """The merchants' sandbox clocks: their time, status and what their last advance fired."""

    list_display = ("public_id", "merchant", "name", "frozen_time", "status", "advanced", "deleted_at")
    list_filter = ("status",)
    list_select_related = ("merchant",)
    search_fields = ("=public_id",)
    exclude = ("windows",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "windows"]

    @admin.display(description="last advance fired")
    def advanced(self, obj):
        done = (obj.last_advance or {}).get("done") or {}
        counts = sorted((name, n) for name, n in done.items() if isinstance(n, int))
        return ", ".join(f"{name}: {n}" for name, n in counts) or "—"


class AccessReviewForm(forms.ModelForm):
    class Meta:
        model = AccessReview
        fields = ["notes"]


@admin.register(AccessReview)
class AccessReviewAdmin(ModelAdmin):
    """Recording a review is the only write; a review is never edited or deleted afterwards."""

    form = AccessReviewForm
    list_display = ("reviewed_at", "reviewer_label", "notes")
    readonly_fields = ("reviewed_at", "reviewer_label", "snapshot")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_diagnostics_permission(self, request):
        return request.user.has_perm("devtools.view_diagnostics")

    def save_model(self, request, obj, form, change):
        obj.reviewed_by = request.user
        obj.reviewer_label = request.user.get_username()
        obj.snapshot = staff_facts()
        super().save_model(request, obj, form, change)
        from apps.audit.services import Actor

        audit_record(
            actor=Actor.staff(request.user), action="staff.access_reviewed", obj=obj,
            object_type="devtools.accessreview", object_id=str(obj.pk), after=obj.snapshot, reason=obj.notes[:500],
        )  # fmt: skip

    def get_urls(self):
        return [
            path(
                "diagnostics/", self.admin_site.admin_view(self.diagnostics_view), name="devtools_diagnostics"
            ),
            path(
                "attestation/", self.admin_site.admin_view(self.attestation_view), name="devtools_attestation"
            ),
            *super().get_urls(),
        ]

    def diagnostics_view(self, request):
        if not self.has_view_diagnostics_permission(request):
            raise PermissionDenied
        return self._report(request, "Platform diagnostics", diagnostics())

    def attestation_view(self, request):
        if not (self.has_view_diagnostics_permission(request) or self.has_view_permission(request)):
            raise PermissionDenied
        merchant_id = request.GET.get("merchant", "")
        merchant = Merchant.objects.filter(public_id=merchant_id).first()
        report = (
            pci_attestation(merchant=merchant, livemode=request.GET.get("livemode") == "1")
            if merchant
            else None
        )
        return self._report(
            request,
            "PCI attestation",
            report,
            merchants=Merchant.objects.order_by("name")[:200],
            chosen=merchant_id,
        )

    def _report(self, request, title, report, **extra):
        context = {**self.admin_site.each_context(request), "title": title, "report": report, **extra}
        return TemplateResponse(request, "admin/devtools/report.html", context)
