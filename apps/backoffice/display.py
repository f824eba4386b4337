"""Display helpers of the back office besides money: datetimes always with their time zone."""

from django.utils import timezone
from django.utils.html import format_html


def when(value) -> str:
    """A datetime as "2026-12-01 12:07 UTC" (the current time zone, named), one line in tables."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    # Two unbreakable halves: in a narrow column the time goes under the date, never mid-word.
    return format_html(
        '<span class="bo-when">{}</span> <span class="bo-when">{}</span>',
        local.strftime("%Y-%m-%d"),
        local.strftime("%H:%M %Z"),
    )


class CreatedColumnMixin:
    """A `created` list column: the creation time with its zone, sortable by `created_at`."""

    def created(self, obj):
        return when(obj.created_at)

    created.short_description = "created"
    created.admin_order_field = "created_at"
