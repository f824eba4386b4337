"""Paging, search and filters for big admin tables (payments, charges, refunds, events, audit).

- `EstimatedCountPaginator`: unfiltered lists take PostgreSQL's planner estimate (pg_class.reltuples)
  instead of COUNT(*) over millions of rows; filtered lists count exactly but stop at CAP rows.
- `KeysetChangeListMixin`: `?after=<pk>` serves the page of rows older than that pk with an index
  range scan (`WHERE id < after ORDER BY id DESC LIMIT n`) instead of OFFSET, so page 20 000 costs
  what page 1 costs. The admin's default ordering (-pk) is kept.

- `ExactSearchMixin`: exact identifiers (ids, order ids, emails, last4, references) matched with
  plain equality so their indexes are used.

Use on a ModelAdmin::

    class PaymentIntentAdmin(BigTableAdminMixin, ModelAdmin):
        def related_search(self, term): ...

Nothing on a big table's changelist may scan the whole table: no date_hierarchy (SELECT DISTINCT
date_trunc(...) over every row), list filters with fixed choices (no SELECT DISTINCT), the planner's
row estimate instead of COUNT(*), ?after=<pk> keyset pages, exact case-sensitive search on indexed
columns only; identifiers that live on a related table are resolved first by their own index into
a short list of primary keys (`related_search`).
"""

from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property
from unfold.contrib.filters.admin import DropdownFilter

from apps.core.limits import ascii_int

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
        after = ascii_int(request.GET.get(CURSOR_PARAM, ""), minimum=1)
        if after is not None:
            qs = qs.filter(pk__lt=after).order_by("-pk")
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
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        condition = Q()
        for name in self.get_search_fields(request):
            condition |= Q(**{name.lstrip("=^@"): term})
        return queryset.filter(condition), False


RELATED_MATCHES_CAP = 1000


def related_pks(queryset, column: str) -> list[int]:
    """The newest RELATED_MATCHES_CAP values of `column` in `queryset` (an index-backed lookup)."""
    return list(queryset.order_by("-pk").values_list(column, flat=True)[:RELATED_MATCHES_CAP])


def is_last4(term: str) -> bool:
    return len(term) == 4 and term.isdigit()


class BigTableChangeList(KeysetChangeList):
    @property
    def keyset_next_url(self) -> str:
        if self.keyset_next is None:
            return ""
        return self.get_query_string({CURSOR_PARAM: self.keyset_next}, remove=[PAGE_VAR])


class BigTableAdminMixin(ExactSearchMixin, KeysetChangeListMixin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_filter_submit = True
    change_list_template = "admin/keyset_change_list.html"

    def get_changelist(self, request, **kwargs):
        return BigTableChangeList

    def related_search(self, term: str) -> Q | None:
        """Matches through other tables, as `pk__in=[…]` / `fk__in=[…]` conditions on this table."""
        return None

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = (search_term or "").strip()
        extra = self.related_search(term) if term else None
        if extra is not None:
            found = found | queryset.filter(extra)
        return found, may_have_duplicates


def fixed_choices_filter(field: str, title: str, choices):
    """A dropdown list filter whose choices are fixed (no SELECT DISTINCT over the table)."""

    class FixedChoicesFilter(DropdownFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return [(value, value) for value in choices]

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    FixedChoicesFilter.title = title
    FixedChoicesFilter.__name__ = f"{field.title().replace('_', '')}Filter"
    return FixedChoicesFilter
