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
    return list(Events.objects.tracks(obj).order_by("-pgh_created_at")[:limit])


def _who(event, usernames: dict) -> str:
    # On the aggregate Events model, pgh_context is the context's metadata (JSON).
    metadata = getattr(event, "pgh_context", None) or {}
    user_id = metadata.get("user")
    if user_id:
        return usernames.get(str(user_id), f"user #{user_id}")
    return metadata.get("actor", "") or "system / API"


def _usernames(events) -> dict:
    from django.contrib.auth import get_user_model

    ids = {str((e.pgh_context or {}).get("user")) for e in events if (e.pgh_context or {}).get("user")}
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")
    return {str(pk): name for pk, name in users}


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
    usernames = _usernames(events)
    rows = format_html_join(
        "",
        '<tr class="border-t border-base-200 dark:border-base-700"><td class="py-1 pr-4 whitespace-nowrap">{}</td>'
        '<td class="py-1 pr-4">{}</td><td class="py-1 pr-4">{}</td><td class="py-1">{}</td></tr>',
        (
            (f"{e.pgh_created_at:%Y-%m-%d %H:%M:%S}", e.pgh_label, _who(e, usernames), _diff(e))
            for e in events
        ),
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
