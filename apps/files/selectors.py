from django.db.models import QuerySet

from apps.core.selectors import tenant_get

from .models import File, FileLink


def file_get(*, merchant, livemode: bool, id: str, param: str = "id") -> File:
    return tenant_get(
        File.objects.all(), merchant=merchant, livemode=livemode, id=id, resource="file", param=param
    )


def file_list(*, merchant, livemode: bool, purpose: str | None = None) -> QuerySet[File]:
    qs = File.objects.filter(merchant=merchant, livemode=livemode)
    if purpose:
        qs = qs.filter(purpose=purpose)
    return qs


def files_by_id(*, merchant, livemode: bool, ids: list[str]) -> dict[str, File]:
    """The merchant's files among `ids` (another merchant's or another mode's are simply absent)."""
    return {
        f.public_id: f for f in File.objects.filter(merchant=merchant, livemode=livemode, public_id__in=ids)
    }


def file_link_get(*, merchant, livemode: bool, id: str) -> FileLink:
    return tenant_get(
        FileLink.objects.select_related("file"),
        merchant=merchant,
        livemode=livemode,
        id=id,
        resource="file_link",
    )


def file_link_list(*, merchant, livemode: bool, file: str | None = None) -> QuerySet[FileLink]:
    qs = FileLink.objects.select_related("file").filter(merchant=merchant, livemode=livemode)
    if file:
        qs = qs.filter(file__public_id=file)
    return qs
