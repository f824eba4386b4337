"""The admin filter on a routing decision record stored on an attempt (``routing`` JSON field):
payments routed by a rule, by the default fallback, pinned, or moved by a failover. Lives here
(not in an admin module) so the owner of the attempts can put it in its changelist."""

from django.contrib import admin


class RoutedByFilter(admin.SimpleListFilter):
    title = "routed by"
    parameter_name = "routed_by"

    def lookups(self, request, model_admin):
        return [("rule", "a rule"), ("fallback", "the default fallback"), ("pinned", "a pinned connector"),
                ("failover", "a failover")]  # fmt: skip

    def queryset(self, request, queryset):
        value = self.value()
        if value == "failover":
            return queryset.filter(routing__failover__previous_charge__isnull=False)
        if value in ("rule", "fallback", "pinned"):
            return queryset.filter(routing__matched_by=value)
        return queryset
