"""Paging for big admin tables (payments, charges, refunds, events, audit).

- `EstimatedCountPaginator`: unfiltered lists take PostgreSQL's planner estimate (pg_class.reltuples)
  instead of COUNT(*) over millions of rows; filtered lists count exactly but stop at CAP rows.
- `KeysetChangeListMixin`: `?after=<pk>` serves the page of rows older than that pk with an index
  range scan (`WHERE id < after ORDER BY id DESC LIMIT n`) instead of OFFSET, so page 20 000 costs
  what page 1 costs. The admin's default ordering (-pk) is kept.

- `ExactSearchMixin`: exact identifiers (ids, order ids, emails, last4, references) matched with
  plain equality so their indexes are used.

Use on a ModelAdmin::

    class PaymentIntentAdmin(ExactSearchMixin, KeysetChangeListMixin, ModelAdmin):
        paginator = EstimatedCountPaginator
        show_full_result_count = False
"""

from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

CURSOR_PARAM = "after"


class EstimatedCountPaginator(Paginator):
    CAP = 10_000

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not isinstance(qs, QuerySet):
            return super().count
        connection = connections[qs.db]
        if connection.vendor == "postgresql" and not qs.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [qs.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > self.CAP:
                return int(row[0])
        return qs.order_by()[: self.CAP + 1].count()


class KeysetChangeList(ChangeList):
    def get_filters_params(self, params=None):
        params = super().get_filters_params(params)
        params.pop(CURSOR_PARAM, None)
        return params

    def get_queryset(self, request, exclude_parameters=None):
        qs = super().get_queryset(request, exclude_parameters)
        after = request.GET.get(CURSOR_PARAM, "")
        if after.isdigit():
            qs = qs.filter(pk__lt=int(after)).order_by("-pk")
        return qs

    def get_results(self, request):
        super().get_results(request)
        rows = list(self.result_list)
        self.keyset_next = rows[-1].pk if len(rows) == self.list_per_page else None


class KeysetChangeListMixin:
    def get_changelist(self, request, **kwargs):
        return KeysetChangeList


class ExactSearchMixin:
    """`search_fields` matched by case-sensitive equality, so each column's B-tree index applies
    (Django's `=field` means iexact, i.e. UPPER(col) = UPPER(term): no plain index can serve it)."""

    def get_search_results(self, request, queryset, search_term):
        from django.db.models import Q

        term = (search_term or "").strip()
        if not term:
            return queryset, False
        condition = Q()
        for name in self.get_search_fields(request):
            condition |= Q(**{name.lstrip("=^@"): term})
        return queryset.filter(condition), False
