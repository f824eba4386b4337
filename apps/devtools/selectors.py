"""Reads of the developer platform, tenant-scoped."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from apps.core.selectors import tenant_get

from .models import BulkJob, BulkJobRow


def bulk_job_get(*, merchant, livemode: bool, kind: str, id: str) -> BulkJob:
    return tenant_get(
        BulkJob.objects.filter(kind=kind), merchant=merchant, livemode=livemode, id=id, resource="bulk job"
    )


def bulk_job_list(*, merchant, livemode: bool, kind: str) -> QuerySet[BulkJob]:
    return BulkJob.objects.filter(merchant=merchant, livemode=livemode, kind=kind)


def bulk_job_rows(job: BulkJob) -> Iterator[BulkJobRow]:
    return BulkJobRow.objects.filter(job=job).order_by("number").iterator(chunk_size=1000)


def bulk_job_preview(job: BulkJob, *, limit: int = 20) -> list[BulkJobRow]:
    """The first rows refused by validation (the admin's preview)."""
    return list(
        BulkJobRow.objects.filter(job=job, status=BulkJobRow.Status.INVALID).order_by("number")[:limit]
    )
