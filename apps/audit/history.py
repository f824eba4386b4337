"""Field-level history of configuration models, recorded by PostgreSQL triggers (django-pghistory).

Owners of configuration models decorate them with `track_config(...)` and show the history on the
change page with `ConfigHistoryMixin` (a read-only "History of changes" field)::

    from apps.audit.history import track_config

    @track_config(exclude=["secret_encrypted"])
    class WebhookEndpoint(TenantModel): ...

Event tables are append-only (PGHISTORY_APPEND_ONLY): PostgreSQL refuses UPDATE and DELETE on them.
"""

import pghistory
from django.utils.html import format_html, format_html_join

# Never snapshot these: noise (timestamps touched on every save) or secrets.
ALWAYS_EXCLUDED = ("updated_at",)


def track_config(*, exclude: list[str] | tuple[str, ...] = ()):
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        exclude=[*ALWAYS_EXCLUDED, *exclude],
        append_only=True,
    )


def history_for(obj, *, limit: int = 50) -> list:
    from django.db import connection
    from pghistory.models import Events

    if connection.vendor != "postgresql" or obj is None or obj.pk is None:
        return []
    return list(Events.objects.tracks(obj).select_related("pgh_context").order_by("-pgh_created_at")[:limit])


def _who(event) -> str:
    context = getattr(event, "pgh_context", None)
    metadata = (context.metadata if context is not None else None) or {}
    user_id = metadata.get("user")
    if user_id:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user_id).only("username").first()
        return user.get_username() if user else f"user #{user_id}"
    return metadata.get("actor", "") or "system / API"


def _diff(event) -> str:
    diff = event.pgh_diff or {}
    if not diff:
        return "created" if event.pgh_label == "insert" else event.pgh_label
    parts = []
    for field, change in sorted(diff.items()):
        before, after = [*change, None, None][:2] if isinstance(change, list) else (None, change)
        parts.append(f"{field}: {before!r} → {after!r}")
    return "; ".join(parts)


def render_history(obj) -> str:
    events = history_for(obj)
    if not events:
        return "No recorded changes."
    rows = format_html_join(
        "",
        '<tr class="border-t border-base-200 dark:border-base-700"><td class="py-1 pr-4 whitespace-nowrap">{}</td>'
        '<td class="py-1 pr-4">{}</td><td class="py-1 pr-4">{}</td><td class="py-1">{}</td></tr>',
        ((f"{e.pgh_created_at:%Y-%m-%d %H:%M:%S}", e.pgh_label, _who(e), _diff(e)) for e in events),
    )
    return format_html(
        '<table class="config-history w-full text-sm"><thead><tr><th class="text-left pr-4">When</th>'
        '<th class="text-left pr-4">Event</th><th class="text-left pr-4">Who</th>'
        '<th class="text-left">Changes</th></tr></thead><tbody>{}</tbody></table>',
        rows,
    )


class ConfigHistoryMixin:
    """Adds a read-only `config_history` field (add it to fieldsets/readonly_fields as wanted)."""

    def config_history(self, obj):
        return render_history(obj)

    config_history.short_description = "History of changes"

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if obj is None else (*fields, "config_history")
